"""Lay out the real material this project ships with as a raw training folder for the demo model.

    python -m training.demo_data --shared ../shared/data -o RAW_DIR

Writes the identity layout `main.py preprocess` reads:

    megamind/clip/NNNN.jpg          Megamind.avi's frames, except its third shot
    megamind_third_shot/clip/...    frames 154-199 (the third shot): held out for evaluation, never trained on
    obama/obama.jpg, obama2.jpg     two photos of one person (stills: warped pairs)
    obama/obama_partial_face.jpg    a face cut by the border (a still)
    astronaut/astronaut.png         the public-domain astronaut portrait (from resources/demo)

The held-out shot shows a character also seen in the first shot: with three identities in all, a
model cannot generalise to a face it never saw, so "never saw in training" here means unseen frames.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import cv2

from core.errors import InputError, UserError

HELD_OUT = "megamind_third_shot"
HELD_OUT_FRAMES = range(154, 200)


def build_raw(shared: Path, out: Path, every: int = 1) -> dict[str, int]:
    """Write the raw layout into `out` (which must not exist yet); returns files per identity."""
    from core.video import VideoReader
    from resources import resource_path

    video = shared / "Megamind.avi"
    if not video.is_file():
        raise InputError(f"{video} not found: pass --shared pointing at the folder holding Megamind.avi")
    if out.exists():
        raise UserError(f"{out} already exists: pick a new folder")
    counts: dict[str, int] = {}
    with VideoReader(video) as reader:
        for index, image in reader.iter_frames():
            if index % every:
                continue
            identity = HELD_OUT if index in HELD_OUT_FRAMES else "megamind"
            folder = out / identity / "clip"
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{index:04d}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            counts[identity] = counts.get(identity, 0) + 1
    (out / "obama").mkdir()
    for name in ("obama.jpg", "obama2.jpg", "obama_partial_face.jpg"):
        if (shared / name).is_file():
            shutil.copy(shared / name, out / "obama" / name)
            counts["obama"] = counts.get("obama", 0) + 1
    (out / "astronaut").mkdir()
    shutil.copy(resource_path("demo", "astronaut.png"), out / "astronaut" / "astronaut.png")
    counts["astronaut"] = 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="folder with Megamind.avi and the obama photos")
    parser.add_argument("-o", "--out", type=Path, required=True, help="new raw folder to write")
    parser.add_argument("--every", type=int, default=1, help="keep every n-th video frame (default 1)")
    args = parser.parse_args(argv)
    try:
        counts = build_raw(args.shared, args.out, args.every)
    except UserError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    for identity, count in sorted(counts.items()):
        sys.stderr.write(f"{identity}: {count} files\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
