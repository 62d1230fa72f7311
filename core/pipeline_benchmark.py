"""End-to-end pipeline speed: scrubbing latency, export throughput and peak memory.

Measures what a user waits for: an uncached frame from request to image (render + finish), a cached
one, and a whole export (render, landmarks from the analysis cache, transform, paste-back, encode) in
frames per second, for the crop and for paste-back into the full photo. Peak memory is the process's
resident high-water mark; run with a driving sequence looped N times to see that it stays flat as the
video gets longer.
"""

from __future__ import annotations

import dataclasses
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.config import RenderOptions
from core.export import export
from core.faces.driving import DrivingSequence
from core.pipeline import Reenactor
from core.progress import run_to_end


def peak_rss_mb() -> float:
    """Resident-memory high-water mark of this process in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def looped(sequence: DrivingSequence, times: int) -> DrivingSequence:
    """The same driving sequence played `times` times in a row (a longer video, same content)."""
    if times <= 1:
        return sequence
    raw = np.concatenate([sequence.raw] * times)
    frames = sequence.frame_count
    return dataclasses.replace(
        sequence,
        raw=raw,
        has_face=np.concatenate([sequence.has_face] * times),
        bad_frames=tuple(i + k * frames for k in range(times) for i in sequence.bad_frames),
        smoother=(lambda amount: np.concatenate([sequence.smoother(amount)] * times)) if sequence.smoother else None,
        video_path=None,  # audio would run out: a looped benchmark exports silence
        timestamps=None,
        _cache={},
    )


def measure_scrub(reenactor: Reenactor, options: RenderOptions, frames: int = 20) -> dict[str, float]:
    """Median and p90 request-to-image time for uncached frames, and the median for cached ones."""
    count = reenactor.driving.frame_count
    indices = np.linspace(0, count - 1, frames).astype(int)
    reenactor.transformed_landmarks(options)  # the transform is per options, not per frame
    reenactor.render_frame(int(indices[0]), options)  # warm-up
    uncached = []
    for i in indices[1:]:
        start = time.perf_counter()
        reenactor.render_frame(int(i), options)
        uncached.append(time.perf_counter() - start)
    cached = []
    for i in indices[1:]:
        start = time.perf_counter()
        reenactor.render_frame(int(i), options)
        cached.append(time.perf_counter() - start)
    ordered = sorted(uncached)
    return {
        "scrub_ms_uncached": statistics.median(uncached) * 1000,
        "scrub_ms_uncached_p90": ordered[int(0.9 * (len(ordered) - 1))] * 1000,
        "scrub_ms_cached": statistics.median(cached) * 1000,
    }


def measure_export(
    reenactor: Reenactor, options: RenderOptions, batch: int = 8, log: Callable[[str], None] = lambda _: None
) -> dict[str, float]:
    """Frames per second of a full MP4 export with these options (written to a temporary folder)."""
    with tempfile.TemporaryDirectory() as folder:
        stream = export(reenactor, Path(folder) / "bench.mp4", options, batch=batch)
        result = run_to_end(stream)
    log(f"exported {result.frames} frames at {result.size[0]}x{result.size[1]}: {result.frames_per_s:.1f} frames/s")
    return {"frames": result.frames, "frames_per_s": result.frames_per_s, "seconds": result.seconds}
