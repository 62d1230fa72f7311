"""Per-user folders and their redirection (tests, benchmarks and scenes never touch the user's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.paths import USER_FOLDERS, cache_dir, config_dir, data_dir, redirect_user_folders


@pytest.fixture
def restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in USER_FOLDERS:  # whatever redirect_user_folders sets is put back afterwards
        monkeypatch.setenv(f"REENACT_{kind.upper()}_DIR", f"/nonexistent/{kind}")


def test_redirect_points_every_folder_under_the_root(tmp_path: Path, restored_environment) -> None:
    redirect_user_folders(tmp_path)
    assert (cache_dir(), data_dir(), config_dir()) == (tmp_path / "cache", tmp_path / "data", tmp_path / "config")
    assert all(folder.is_dir() for folder in (cache_dir(), data_dir(), config_dir()))


def test_keep_chosen_leaves_a_folder_the_caller_set(tmp_path: Path, restored_environment, monkeypatch) -> None:
    monkeypatch.setenv("REENACT_CONFIG_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv("REENACT_DATA_DIR")
    redirect_user_folders(tmp_path / "scene", keep_chosen=True)
    assert config_dir() == tmp_path / "mine" and data_dir() == tmp_path / "scene" / "data"
