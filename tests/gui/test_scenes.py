"""The screenshot and training scenes never touch the user's own settings."""

from __future__ import annotations

import pytest

from core.paths import cache_dir, config_dir, data_dir
from gui.scenes import isolate_user_folders


def test_scenes_use_temporary_user_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.delenv(f"REENACT_{kind}_DIR", raising=False)
    root = isolate_user_folders()
    try:
        for folder in (config_dir(), data_dir(), cache_dir()):
            assert root in folder.parents or folder.parent == root
    finally:
        for kind in ("CACHE", "DATA", "CONFIG"):
            monkeypatch.delenv(f"REENACT_{kind}_DIR", raising=False)


def test_folders_the_caller_chose_are_kept(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for kind in ("CACHE", "DATA"):
        monkeypatch.delenv(f"REENACT_{kind}_DIR", raising=False)  # restored to this state afterwards
    monkeypatch.setenv("REENACT_CONFIG_DIR", str(tmp_path / "mine"))
    isolate_user_folders()
    assert config_dir() == tmp_path / "mine"
    for kind in ("CACHE", "DATA"):
        monkeypatch.delenv(f"REENACT_{kind}_DIR", raising=False)
