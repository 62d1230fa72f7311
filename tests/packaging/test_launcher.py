"""The frozen app's entry point: sub-commands that need parts the build leaves out stop with a message."""

from __future__ import annotations

import json

import pytest

from tests.packaging.helpers import load

launcher = load("launcher")


def no_model(_name: str) -> bool:
    return False


def no_module(_name: str) -> bool:
    return False


@pytest.mark.parametrize(
    "argv",
    [
        [],  # the app
        ["--no-demo"],  # the app with an option
        ["--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"],  # a helper (freeze_support runs it first)
        ["--help"],
        ["evaluate", "--help"],
        ["self-test", "--json"],
        ["render", "a.jpg", "builtin", "-o", "o.mp4", "--backend", "dlib"],
        ["render", "a.jpg", "builtin", "-o", "o.mp4", "--backend", "auto"],  # falls back to dlib
    ],
)
def test_what_this_build_can_do_runs(argv: list[str]) -> None:
    assert launcher.unavailable_in_this_build(argv, has_model=no_model, has_module=no_module) is None


def test_evaluate_without_the_recognition_model_says_it_is_not_in_this_build() -> None:
    reason = launcher.unavailable_in_this_build(["evaluate", "--checkpoint", "c.pt", "--data", "d"], has_model=no_model)
    assert reason is not None and "not available in this build" in reason and "source checkout" in reason
    assert launcher.unavailable_in_this_build(["evaluate", "--checkpoint", "c.pt"], has_model=lambda n: True) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "a.jpg", "v.mp4", "-o", "o.mp4", "--backend", "face-alignment"],
        ["analyze", "v.mp4", "-o", "o.npz", "--backend=face-alignment"],
        ["preprocess", "raw", "-o", "data", "--landmarks", "face-alignment"],
    ],
)
def test_the_face_alignment_backend_says_it_is_not_in_this_build(argv: list[str]) -> None:
    reason = launcher.unavailable_in_this_build(argv, has_model=no_model, has_module=no_module)
    assert reason is not None and "not in this build" in reason and "dlib" in reason
    assert launcher.unavailable_in_this_build(argv, has_module=lambda n: True) is None


def test_the_last_option_value_wins() -> None:
    argv = ["render", "--backend", "face-alignment", "--backend=dlib"]
    assert launcher.option_value(argv, "--backend") == "dlib"
    assert launcher.option_value(["render"], "--backend") is None


def test_a_refused_command_follows_the_cli_rule(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """One line on stderr, exit code 2, and with --json a last stdout line {"ok": false, "error": ...}."""
    monkeypatch.setattr(launcher, "dlib_model_exists", no_model)
    code = launcher.main(["evaluate", "--checkpoint", "c.pt", "--data", "d", "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: evaluate is not available in this build") and err.count("\n") == 1
    data = json.loads(out.strip().splitlines()[-1])
    assert data["ok"] is False and "not available" in data["error"]


def test_from_a_checkout_the_installed_dlib_models_are_found() -> None:
    pytest.importorskip("dlib")
    assert launcher.dlib_model_exists(launcher.RECOGNITION_MODEL)
    assert not launcher.dlib_model_exists("no_such_model.dat")
