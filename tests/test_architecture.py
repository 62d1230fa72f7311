"""The layers point one way: core and training never import Qt; core never imports training or gui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["core", "training"])
def test_core_and_training_import_no_qt(package: str) -> None:
    qt = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "qtpy")
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _files(package)
        for name in _imports(path)
        if name.split(".")[0] in qt
    ]
    assert not offenders, offenders


def test_core_imports_neither_training_nor_gui() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _files("core")
        for name in _imports(path)
        if name.split(".")[0] in ("training", "gui")
    ]
    assert not offenders, offenders


def test_training_does_not_import_gui() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}" for path in _files("training") for name in _imports(path) if name.split(".")[0] == "gui"
    ]
    assert not offenders, offenders
