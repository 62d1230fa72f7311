"""Lay out the real material this project has as three disjoint splits for the demo model.

    python -m training.demo_data --shared ../shared/data -o DEMO_RAW
    python main.py preprocess DEMO_RAW/train_validation -o DATA --size 128    # train + validation
    python main.py preprocess DEMO_RAW/test -o TEST --size 128                # test: reported only

The material: ``Megamind.avi`` (270 frames, five shots: frame 0 is black; frames 1-97 and 154-199
show a woman, 98-153 and 200-269 a man), ``obama.jpg``, ``obama2.jpg``, ``obama_partial_face.jpg``
(three photos of one man) and the astronaut portrait bundled with the app (``resources/demo``).

| split | identity folder | files | why |
| --- | --- | --- | --- |
| train | ``megamind_woman/shot1/`` | frames 1-97 | video pairs |
| train | ``obama/`` | the three photos | stills: warped pairs |
| train | ``astronaut/`` | ``astronaut.png`` | a still: warped pairs |
| validation | ``megamind_woman_validation/shot3/`` | frames 154-199 | checkpoint and configuration choice |
| test | ``megamind_man/shot2/``, ``megamind_man/shot4/`` | frames 98-153, 200-269 | reported only |

Train and validation share one raw folder, ``train_validation/``: a run holds the validation identity
out with ``train.holdout_identities: [megamind_woman_validation]`` (`training/configs/demo128.yaml`),
so its held-out L1 and ``evaluate`` on that dataset (the checkpoint's split) are validation figures:
unseen frames of a face seen in training. The test split is its own raw folder, never in the training
dataset: ``evaluate --data TEST --test-set`` scores a face the model never saw and that chose nothing.
Every file written, with its split and source, is listed in ``DEMO_RAW/splits.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2

from core.errors import InputError, UserError

VIDEO = "Megamind.avi"
PHOTOS = ("obama.jpg", "obama2.jpg", "obama_partial_face.jpg")
SPLITS = ("train", "validation", "test")
TRAIN_VALIDATION, TEST = "train_validation", "test"  # the two raw folders
VALIDATION_IDENTITY = "megamind_woman_validation"
ASTRONAUT = "resources/demo/astronaut.png"  # how splits.json names the bundled portrait


@dataclass(frozen=True)
class Shot:
    """Frames `first`..`last` (inclusive) of the video, written to raw folder `identity/clip` of `split`."""

    first: int
    last: int
    split: str
    identity: str
    clip: str

    @property
    def folder(self) -> str:
        return f"{TEST if self.split == 'test' else TRAIN_VALIDATION}/{self.identity}/{self.clip}"


#: Megamind.avi's shots (cut where the mean grey change between frames exceeds preprocess's 0.08).
SHOTS: tuple[Shot, ...] = (
    Shot(1, 97, "train", "megamind_woman", "shot1"),
    Shot(98, 153, "test", "megamind_man", "shot2"),
    Shot(154, 199, "validation", VALIDATION_IDENTITY, "shot3"),
    Shot(200, 269, "test", "megamind_man", "shot4"),
)
UNUSED_FRAMES = {0: "black frame, no face"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_splits(shared: Path, out: Path, every: int = 1) -> dict:
    """Write the two raw folders and ``splits.json`` into `out` (which must not exist yet); returns the
    split record (also written): sources with their SHA-256, and every file with its split."""
    from core.video import VideoReader
    from resources import resource_path

    video = shared / VIDEO
    missing = [name for name in (VIDEO, *PHOTOS) if not (shared / name).is_file()]
    if missing:
        raise InputError(f"{', '.join(missing)} not found in {shared}: pass --shared pointing at the folder "
                         "holding Megamind.avi and the obama photos")
    if out.exists():
        raise UserError(f"{out} already exists: pick a new folder")
    astronaut = resource_path("demo", "astronaut.png")
    files: list[dict] = []
    shot_of = {frame: shot for shot in SHOTS for frame in range(shot.first, shot.last + 1)}
    with VideoReader(video) as reader:
        for index, image in reader.iter_frames():
            shot = shot_of.get(index)
            if shot is None or (index - shot.first) % every:
                continue
            target = out / shot.folder / f"{index:04d}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(target), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            files.append({"file": str(target.relative_to(out)), "split": shot.split, "identity": shot.identity,
                          "source": VIDEO, "frame": index})
    # (file, identity, name written, name in splits.json)
    stills = [(shared / name, "obama", name, name) for name in PHOTOS]
    stills.append((astronaut, "astronaut", astronaut.name, ASTRONAUT))
    for source, identity, name, label in stills:
        target = out / TRAIN_VALIDATION / identity / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        files.append({"file": str(target.relative_to(out)), "split": "train", "identity": identity, "source": label})
    record = {
        "sources": {VIDEO: _sha256(video), **{label: _sha256(source) for source, _, _, label in stills}},
        "shots": [{"frames": [s.first, s.last], "split": s.split, "folder": s.folder} for s in SHOTS],
        "unused": [{"source": VIDEO, "frame": f, "why": why} for f, why in UNUSED_FRAMES.items()],
        "every": every,
        "holdout_identities": [VALIDATION_IDENTITY],
        "files": files,
    }
    (out / "splits.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


def split_counts(record: dict) -> dict[str, dict[str, int]]:
    """Files per split and identity."""
    counts: dict[str, dict[str, int]] = {split: {} for split in SPLITS}
    for entry in record["files"]:
        per_identity = counts[entry["split"]]
        per_identity[entry["identity"]] = per_identity.get(entry["identity"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="folder with Megamind.avi and the obama photos")
    parser.add_argument("-o", "--out", type=Path, required=True, help="new folder to write (two raw folders inside)")
    parser.add_argument("--every", type=int, default=1, help="keep every n-th video frame of each shot (default 1)")
    args = parser.parse_args(argv)
    if args.every < 1:
        sys.stderr.write("error: --every must be at least 1\n")
        return 2
    try:
        record = build_splits(args.shared, args.out, args.every)
    except UserError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    for split, per_identity in split_counts(record).items():
        listed = ", ".join(f"{identity} {count}" for identity, count in sorted(per_identity.items()))
        sys.stderr.write(f"{split}: {listed}\n")
    sys.stderr.write(f"every file is listed in {args.out / 'splits.json'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
