"""Shared fixtures: real test material, headless Qt, per-session user folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True, scope="session")
def _user_folders(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep caches, autosaves and settings of the test run away from the user's own."""
    from core.paths import redirect_user_folders

    redirect_user_folders(tmp_path_factory.mktemp("user"))


#: Figures tests measure and report without asserting them (timings belong to benchmarks, not to
#: pass/fail): printed in the terminal summary and kept in each test's JUnit properties.
_FIGURES: list[tuple[str, str, object]] = []


@pytest.fixture
def report_figure(request: pytest.FixtureRequest):
    """``report_figure(name, value)``: report a measured figure of this test."""

    def report(name: str, value: object) -> None:
        request.node.user_properties.append((name, value))
        _FIGURES.append((request.node.name, name, value))

    return report


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures measured by the tests (reported, not asserted)")
        for test, name, value in _FIGURES:
            terminalreporter.write_line(f"{test}: {name} = {value}")


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or a skip with the reason when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path


@pytest.fixture(scope="session")
def obama_path() -> Path:
    return shared_file("obama.jpg")


@pytest.fixture(scope="session")
def obama2_path() -> Path:
    return shared_file("obama2.jpg")


@pytest.fixture(scope="session")
def partial_face_path() -> Path:
    return shared_file("obama_partial_face.jpg")


@pytest.fixture(scope="session")
def megamind_path() -> Path:
    return shared_file("Megamind.avi")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """The public-domain astronaut portrait (512x512 RGB uint8) bundled with scikit-image."""
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()
