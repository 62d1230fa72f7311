"""`main.py self-test`: render a few frames of the demo scene headless and check them.

Works the same from a source checkout and from the frozen app: the demo checkpoint, portrait and
performance all come from `resources/`. Checks that each frame changes the face region (it differs
from the source and from the other frames) and leaves the rest of the photo untouched.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from typing import TYPE_CHECKING

from core.cli import CommandResult

if TYPE_CHECKING:
    import numpy as np

HELP = "render a few frames of the demo scene headless and check that they animate the face"
log = logging.getLogger("reenact.self_test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=4, help="frames to render (default 4)")
    parser.add_argument("--checkpoint", default=None, help="check this checkpoint instead of the demo model")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda|mps")


def run(args: argparse.Namespace) -> CommandResult:
    import numpy as np

    from core.config import RenderOptions
    from core.demo import demo_portrait
    from core.device import pick_device
    from core.errors import CheckpointError, ConfigError
    from core.faces.driving import DrivingSequence
    from core.faces.performance import builtin_performance
    from core.pipeline import Reenactor
    from resources import default_checkpoint

    if not 2 <= args.frames <= 100:
        raise ConfigError("--frames must be between 2 and 100")
    started = time.perf_counter()
    checkpoint = args.checkpoint or default_checkpoint()
    if checkpoint is None:
        raise CheckpointError("this build has no demo checkpoint (resources/models/demo.pt): pass --checkpoint")
    reenactor = Reenactor(checkpoint, pick_device(args.device))
    log.info("model: %s", checkpoint)
    source = reenactor.set_source(demo_portrait(), name="astronaut (demo)")
    performance = builtin_performance()
    reenactor.set_driving(DrivingSequence.from_performance(performance, source.landmarks, reenactor.resolution))
    # Frames spread over the performance (a turn, a smile, an open mouth), pasted into the full photo.
    indices = np.linspace(0, performance.frame_count - 1, args.frames + 1).astype(int)[1:]
    options = RenderOptions(paste_back=True)
    rendered = reenactor.render_batch(list(indices), options)
    frames = [f.image.astype(np.int16) for f in rendered]
    photo = source.photo.astype(np.int16)
    face = _polygon_mask(source.face.landmarks, photo.shape[:2], hull=True)
    checks = {
        "face changes from the source": all(np.abs(f - photo)[face].mean() > 1.0 for f in frames),
        "frames differ from each other": all(
            np.abs(a - b)[face].mean() > 0.5 for a, b in itertools.pairwise(frames)
        ),
        # beyond the head's region (the matte) the photo is untouched, and the region is the head's
        "outside the head is untouched": all(
            np.abs(f.image.astype(np.int16) - photo)[f.matte == 0].max() <= 2 and (f.matte > 0).mean() < 0.6
            for f in rendered
        ),
    }
    seconds = time.perf_counter() - started
    ok = all(checks.values())
    lines = [f"{'ok  ' if passed else 'FAIL'} {name}" for name, passed in checks.items()]
    lines.append(f"{len(frames)} frames in {seconds:.1f}s: {'self-test passed' if ok else 'self-test FAILED'}")
    data = {"frames": len(frames), "seconds": round(seconds, 3), "ok": ok, "checks": checks, "checkpoint": str(checkpoint),
            # which face detector ran: "...-turned" when dlib's CNN fallback for turned faces is there
            "detector": str(getattr(reenactor.detector, "key", type(reenactor.detector).__name__))}
    return CommandResult(data=data, text="\n".join(lines), ok=ok)


def _polygon_mask(points: np.ndarray, shape: tuple[int, int], hull: bool = False) -> np.ndarray:
    """Boolean mask of a polygon (or of the convex hull of points) in an image of `shape`."""
    import cv2
    import numpy as np

    polygon = np.round(points).astype(np.int32)
    if hull:
        polygon = cv2.convexHull(polygon)
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [polygon.reshape(-1, 2)], 1)
    return mask.astype(bool)
