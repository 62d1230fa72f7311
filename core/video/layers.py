"""Layers for compositing: one pass writes the composite, the face over transparency and the matte alone.

Every layer gets the same frames at the same rate (frame ``i`` of one is frame ``i`` of all) and,
where its format carries sound, the same cut of the driving audio, so the files line up in an
editor. They are committed all or none: each is encoded to its temporary file first, and only when
every one is complete are they renamed onto their targets; an error or ``cancel()`` leaves none.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.errors import OutputError
from core.progress import CancelToken
from core.video.alpha import matte_image, unblend, with_alpha
from core.video.formats import OUTPUT_FORMATS, check_output_format
from core.video.writer import VideoWriter

LayerKind = Literal["composite", "face", "matte"]
LAYER_KINDS: tuple[LayerKind, ...] = ("composite", "face", "matte")
#: Where the face layer goes when the main output's format cannot carry alpha (MP4).
FALLBACK_ALPHA_SUFFIX = ".mov"


def layer_paths(main: str | Path, layers: tuple[LayerKind, ...] = LAYER_KINDS) -> dict[LayerKind, Path]:
    """Targets beside ``main`` (the composite): ``<stem>_face<ext>`` and ``<stem>_matte<ext>``.

    The face layer keeps the main output's format when it carries alpha, else becomes a ProRes 4444
    ``.mov``; a folder of PNGs gets sibling folders ``<name>_face`` and ``<name>_matte``.
    """
    main = Path(main)
    kind = check_output_format(main)
    suffix = OUTPUT_FORMATS[kind].suffix
    stem = main.name[: len(main.name) - len(main.suffix)] if suffix else main.name
    paths: dict[LayerKind, Path] = {}
    for layer in layers:
        if layer == "composite":
            paths[layer] = main
        elif layer == "face":
            ext = suffix if OUTPUT_FORMATS[kind].alpha else FALLBACK_ALPHA_SUFFIX
            paths[layer] = main.with_name(f"{stem}_face{ext}")
        else:
            paths[layer] = main.with_name(f"{stem}_matte{suffix}")
    return paths


class LayeredWriter:
    """Write frame-aligned layers: ``write(composite, matte)`` feeds every layer of ``targets``.

    ``targets`` maps a layer kind to its path (`layer_paths` names them). The face layer needs a
    format with alpha: an MP4 there is refused, with every other check, before any file is made.
    ``background`` (HxWx3 uint8, the photo the face is composited onto, when it does not move) lets
    the face layer carry the face's own colour in the matte's soft edge (`core.video.alpha.unblend`)
    instead of a mix with the photo. ``options`` are `VideoWriter`'s (``quality``, ``audio_source``,
    ``audio_start_s``, ``audio_end_s``, ``metadata``), shared by every layer.
    """

    def __init__(
        self,
        targets: Mapping[LayerKind, str | Path],
        fps: float | Fraction,
        size: tuple[int, int],
        cancel: CancelToken | None = None,
        background: np.ndarray | None = None,
        **options: Any,
    ) -> None:
        if not targets:
            raise ValueError("no layer to write")
        unknown = set(targets) - set(LAYER_KINDS)
        if unknown:
            raise ValueError(f"unknown layer(s) {sorted(unknown)}: use {', '.join(LAYER_KINDS)}")
        paths = {kind: Path(path) for kind, path in targets.items()}
        resolved = [p.resolve() for p in paths.values()]
        if len(set(resolved)) != len(resolved):
            raise OutputError("two layers would be written to the same file: give each layer its own name")
        for kind, path in paths.items():
            check_output_format(path, alpha=kind == "face")
        w, h = size
        if background is not None and background.shape != (h, w, 3):
            raise ValueError(f"background must be {h}x{w}x3, got {background.shape}")
        self.size = (int(w), int(h))
        self.paths = paths
        self._background = background
        self._token = cancel
        self.frames_written = 0
        self.writers: dict[LayerKind, VideoWriter] = {}
        try:
            for kind, path in paths.items():
                self.writers[kind] = VideoWriter(path, fps, size, alpha=kind == "face", **options)
        except BaseException:
            self.cancel()
            raise

    def write(self, composite: np.ndarray, matte: np.ndarray) -> None:
        """Append one frame to every layer: the HxWx3 uint8 composite and its HxW matte (float 0..1 or
        uint8; 1 where the reenacted face replaces the photo)."""
        if self._token is not None:
            self._token.check()
        frames = {kind: self._layer_frame(kind, composite, matte) for kind in self.writers}
        for kind, writer in self.writers.items():
            writer.write(frames[kind])
        self.frames_written += 1

    def _layer_frame(self, kind: LayerKind, composite: np.ndarray, matte: np.ndarray) -> np.ndarray:
        if kind == "composite":
            return composite
        if kind == "matte":
            return matte_image(matte, self.size)
        colour = composite if self._background is None else unblend(composite, matte, self._background)
        return with_alpha(colour, matte)

    def close(self) -> None:
        """Complete every layer, then move them all onto their targets (none if any fails to encode)."""
        try:
            for writer in self.writers.values():
                writer.finish()
            for writer in self.writers.values():
                writer.commit()
        except BaseException:
            self.cancel()  # what is not committed yet is removed
            raise

    def cancel(self) -> None:
        """Stop: every layer's temporary output is removed, the targets are left as they were."""
        for writer in self.writers.values():
            writer.cancel()

    def __enter__(self) -> LayeredWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self.cancel()
        else:
            self.close()
