"""The demo model's data: three disjoint splits of the real material, every file named with its split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import shared_file
from training.demo_data import TEST, TRAIN_VALIDATION, VALIDATION_IDENTITY, build_splits, main, split_counts


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    shared = shared_file("Megamind.avi").parent
    for name in ("obama.jpg", "obama2.jpg", "obama_partial_face.jpg"):
        shared_file(name)
    out = tmp_path_factory.mktemp("demo") / "raw"
    return out, build_splits(shared, out, every=5)


def test_the_splits_are_disjoint_and_the_test_face_is_never_in_the_training_folder(splits: tuple[Path, dict]) -> None:
    _, record = splits
    by_split: dict[str, set[tuple[str, int]]] = {"train": set(), "validation": set(), "test": set()}
    identities: dict[str, set[str]] = {"train": set(), "validation": set(), "test": set()}
    for entry in record["files"]:
        by_split[entry["split"]].add((entry["source"], entry.get("frame", -1)))
        identities[entry["split"]].add(entry["identity"])
        folder = entry["file"].split("/")[0]
        assert folder == (TEST if entry["split"] == "test" else TRAIN_VALIDATION)
    assert not (by_split["train"] & by_split["validation"] or by_split["train"] & by_split["test"]
                or by_split["validation"] & by_split["test"])
    assert identities["validation"] == {VALIDATION_IDENTITY}
    assert identities["test"] == {"megamind_man"} and not identities["test"] & (identities["train"] | identities["validation"])
    assert identities["train"] == {"megamind_woman", "obama", "astronaut"}
    assert not any(entry.get("frame") == 0 for entry in record["files"])  # the black first frame
    counts = split_counts(record)
    assert counts["train"] == {"megamind_woman": 20, "obama": 3, "astronaut": 1}  # frames 1, 6, ..., 96
    assert counts["validation"] == {VALIDATION_IDENTITY: 10} and counts["test"] == {"megamind_man": 12 + 14}


def test_every_file_on_disk_is_listed_with_its_source(splits: tuple[Path, dict]) -> None:
    out, record = splits
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "splits.json"}
    assert on_disk == {entry["file"] for entry in record["files"]}
    assert json.loads((out / "splits.json").read_text())["files"] == record["files"]
    assert len(record["sources"]) == 5 and all(len(digest) == 64 for digest in record["sources"].values())
    assert {entry["source"] for entry in record["files"]} == set(record["sources"])  # every source has its digest


def test_an_existing_folder_or_missing_material_exits_2(splits: tuple[Path, dict], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = splits
    assert main(["--shared", str(shared_file("Megamind.avi").parent), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--shared", str(tmp_path), "-o", str(tmp_path / "new")]) == 2
    assert "Megamind.avi" in capsys.readouterr().err
