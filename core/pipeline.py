"""The Reenactor: a source prepared once, then any driving frame -> the reenacted image.

Data flows forward: source photo -> detect + align -> `prepare_source` (appearance feature and Theta,
once per source) -> for each driving frame: landmarks (from the sequence's cache) -> landmark
transformer -> the head's motion (`core.faces.motion`) -> `Generator.render` at the model's resolution
(`run_model`, batched, torch) -> `core.render.render_frame` onto the full-resolution photo (`compose`,
plain arrays, any thread). The GUI and the CLI both use this class: `render_frame` for scrubbing (with a
frame cache) and `render_range` for export (batched, a generator yielding progress); export runs the two
halves on two threads.

The landmarks come from a `core.animation.Director` (rebuilt when the source or the driving changes):
the driver, the animator's controls and keys in `RenderOptions` -> each frame's landmarks, computed for
the frames asked for only, so a key edit never recomputes the whole timeline. A rendered frame depends
on nothing but its landmarks and the options that shape the picture, so the frame cache is keyed by
those two: a key edit far from a frame, or a slider of a control that does not move it, keeps it.

Thread safety: one lock guards the caches and the state; rendering itself runs outside it, so a
preview and an export may overlap.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from core.animation.direction import Direction, Director
from core.config import ModelConfig, RenderOptions
from core.errors import CheckpointError
from core.faces.driving import DrivingSequence
from core.progress import CancelToken, Progress, ProgressStream
from core.render import ModelFrame, OutputGeometry, RenderStats, output_geometry, render_frame

if TYPE_CHECKING:
    from core.faces.align import Alignment
    from core.faces.driving_check import DrivingCheck
    from core.faces.landmarks import Face, LandmarkDetector

log = logging.getLogger(__name__)

_CACHE_BYTES = 384 * 2**20
#: The options that move the landmarks; every other option shapes the picture (`picture_key`).
LANDMARK_OPTIONS = frozenset(
    ("strength", "identity_adaptation", "relative", "reference_frame", "smoothing", "controls", "animation",
     "hold_flagged")
)
#: Landmarks closer than this (pixels of the crop) are the same for the frame cache.
LANDMARK_QUANTUM = 1e-3
#: Whole-timeline landmark arrays kept (per direction).
_FULL_LANDMARKS_KEPT = 4


def picture_key(options: RenderOptions) -> tuple:
    """The options that change a frame's picture for the same landmarks (everything else in them)."""
    return tuple(getattr(options, f.name) for f in fields(options) if f.name not in LANDMARK_OPTIONS)


def landmark_key(landmarks: np.ndarray) -> bytes:
    """One frame's (68, 2) landmarks as a cache key, to `LANDMARK_QUANTUM`."""
    return np.round(np.asarray(landmarks, np.float64) / LANDMARK_QUANTUM).astype(np.int64).tobytes()


def direction_of(options: RenderOptions) -> Direction:
    """The motion part of the options: controls, keys, relative or absolute, reference frame."""
    return Direction.from_render_options(options, options.controls, options.animation)


@dataclass(frozen=True)
class SourceFace:
    """The prepared source: the full photo, its faces, the chosen one and its aligned crop."""

    name: str
    photo: np.ndarray  # (H, W, 3) uint8 RGB, the full photo (paste-back target)
    faces: tuple[Face, ...]  # every detected face, largest first
    face_index: int
    alignment: Alignment
    crop: np.ndarray  # (R, R, 3) uint8
    landmarks: np.ndarray  # (68, 2) in crop pixels

    @property
    def face(self):
        return self.faces[self.face_index]


@dataclass(frozen=True)
class RenderedFrame:
    index: int
    image: np.ndarray  # uint8 RGB: the face's crop, or the full photo with paste-back, at the output size
    landmarks: np.ndarray  # (68, 2) driving landmarks after the transformer, in crop pixels
    output_landmarks: np.ndarray  # the same in output pixels (drawn over `image`)
    matte: np.ndarray  # (h, w) uint8: where the reenacted head replaces the photo, feathered
    stats: RenderStats


def to_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 HxWx3 -> (1, 3, H, W) float in [-1, 1], channels-last."""
    t = torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1).unsqueeze(0).float()
    return (t / 127.5 - 1.0).contiguous(memory_format=torch.channels_last)


def to_images(batch: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) uint8."""
    out = ((batch.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return out.permute(0, 2, 3, 1).cpu().numpy()


class Reenactor:
    """Renders a source face driven by a `DrivingSequence`."""

    def __init__(
        self,
        checkpoint: str | Path | None,
        device: torch.device | str = "cpu",
        allow_random_weights: bool = False,
        config: ModelConfig | None = None,
        detector: LandmarkDetector | None = None,
    ):
        from core.networks.generator import Generator
        from core.networks.inference import for_inference

        self.device = torch.device(device)
        self.checkpoint_path = Path(checkpoint) if checkpoint else None
        self.metadata: dict = {}
        if self.checkpoint_path is not None:
            from core.checkpoint import load_generator

            generator, ckpt = load_generator(self.checkpoint_path)
            self.config = ckpt.config
            self.metadata = dict(ckpt.metadata)
            self.random_weights = False
        elif allow_random_weights:
            self.config = config or ModelConfig()
            torch.manual_seed(0)
            generator = Generator(self.config)
            self.random_weights = True
            log.warning("rendering with random weights (asked for explicitly): the output is not a face")
        else:
            raise CheckpointError(
                "no trained checkpoint: pass one with --checkpoint (or pick one in the app); "
                "train one with `main.py train`"
            )
        self.generator = for_inference(generator.eval()).to(self.device)
        self._detector = detector
        self._lock = threading.RLock()
        self.source: SourceFace | None = None
        self.driving: DrivingSequence | None = None
        self._prepared = None
        self._director: Director | None = None
        self._landmarks_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()  # whole timelines
        self._checks: dict[int | None, DrivingCheck] = {}  # per reference frame
        # frame cache: (landmark_key, picture_key) -> (frame, the frame indices it was shown for)
        self._frames: OrderedDict[tuple, tuple[RenderedFrame, set[int]]] = OrderedDict()
        self._frames_bytes = 0
        self._generation = 0  # bumped on every source/driving change; stale results are not cached

    @property
    def resolution(self) -> int:
        return self.config.resolution

    # -- inputs ------------------------------------------------------------------------------------------
    @property
    def detector(self):
        if self._detector is None:
            from core.faces.landmarks import load_detector

            self._detector = load_detector("auto")
        return self._detector

    def set_source(self, image: np.ndarray | str | Path, face_index: int = 0, name: str | None = None) -> SourceFace:
        """Detect, align and prepare the source (once); raises NoFaceError / InputError for bad photos."""
        from core.faces.align import align_face
        from core.faces.image_io import read_image
        from core.faces.landmarks import detect_faces, pick_face, searched_face_px

        if isinstance(image, str | Path):
            name = name or Path(image).name
            photo = read_image(image)
        else:
            photo = np.ascontiguousarray(image)
            name = name or "source"
        faces = tuple(detect_faces(photo, self.detector))
        face = pick_face(list(faces), face_index, name, searched_face_px(photo.shape))
        alignment = align_face(face.landmarks, self.resolution)
        crop = alignment.crop(photo)
        landmarks = alignment.to_crop(face.landmarks).astype(np.float32)
        source = SourceFace(name, photo, faces, face_index, alignment, crop, landmarks)
        with torch.inference_mode():
            prepared = self.generator.prepare_source(
                to_tensor(crop, self.device), torch.from_numpy(landmarks)[None].to(self.device)
            )
        with self._lock:
            self.source = source
            self._prepared = prepared
            self._invalidate()
        return source

    def set_driving(self, sequence: DrivingSequence) -> None:
        with self._lock:
            self.driving = sequence
            self._invalidate()

    def _invalidate(self) -> None:
        self._generation += 1
        self._director = None
        if self.source is not None and self.driving is not None:
            self._director = Director(self.driving, self.source.landmarks, self.resolution)
        self._landmarks_cache.clear()
        self._checks.clear()
        self._frames.clear()
        self._frames_bytes = 0

    @property
    def ready(self) -> bool:
        return self.source is not None and self.driving is not None

    def _require_source(self) -> SourceFace:
        if self.source is None:
            raise RuntimeError("set_source() first")
        return self.source

    def _require(self) -> tuple[SourceFace, DrivingSequence]:
        if self.source is None:
            raise RuntimeError("set_source() first")
        if self.driving is None:
            raise RuntimeError("set_driving() first")
        return self.source, self.driving

    # -- landmarks -----------------------------------------------------------------------------------------
    @property
    def director(self) -> Director:
        """The motion of the current source under the current driving (for trajectories and checks)."""
        self._require()
        with self._lock:
            return self._director

    def transformed_landmarks(self, options: RenderOptions) -> np.ndarray:
        """(T, 68, 2) landmarks of every frame in crop pixels: the driving carried onto the source under
        the options' controls and keys (cached per options for a few options)."""
        director, generation = self._current()
        key = (direction_of(options), options.hold_flagged)
        with self._lock:
            cached = self._landmarks_cache.get(key)
            if cached is not None:
                self._landmarks_cache.move_to_end(key)
                return cached
        out = director.landmarks(key[0], self._shown_frames(np.arange(director.frame_count), options))
        out.setflags(write=False)
        with self._lock:
            if generation == self._generation:
                self._landmarks_cache[key] = out
                while len(self._landmarks_cache) > _FULL_LANDMARKS_KEPT:
                    self._landmarks_cache.popitem(last=False)
        return out

    def frame_landmarks(self, indices: list[int] | np.ndarray, options: RenderOptions) -> np.ndarray:
        """(F, 68, 2) landmarks of some frames: only those are computed (a key drag on a long timeline
        stays quick), or taken from the whole timeline when it is at hand."""
        director, _ = self._current()
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        direction = direction_of(options)
        with self._lock:
            full = self._landmarks_cache.get((direction, options.hold_flagged))
        if full is not None:
            return full[index]
        return director.landmarks(direction, self._shown_frames(index, options))

    def _shown_frames(self, index: np.ndarray, options: RenderOptions) -> np.ndarray:
        """The driving frames whose motion frames `index` show: themselves, or with `hold_flagged` the
        last good frame over flagged ones."""
        if not options.hold_flagged:
            return index
        from core.faces.driving_check import held_frames

        return held_frames(self.driving_check(options).mask())[index]

    def reference_frame(self, options: RenderOptions) -> int | None:
        """The driving frame relative motion is measured from: the user's, or the one closest to the
        source; None for a performance or keys alone (measured from the portrait itself)."""
        director, _ = self._current()
        return director.reference_frame(direction_of(options))

    def driving_check(self, options: RenderOptions | None = None) -> DrivingCheck:
        """The driving check's flags (`core.faces.driving_check`) for the reference frame `options` use."""
        from core.faces.driving_check import check_driving

        _, generation = self._current()
        reference = self.reference_frame(options or RenderOptions())
        with self._lock:
            check = self._checks.get(reference)
        if check is None:
            source, driving = self._require()
            check = check_driving(driving, source.landmarks, reference)
            with self._lock:
                if generation == self._generation:
                    self._checks[reference] = check
        return check

    def _current(self) -> tuple[Director, int]:
        self._require()
        with self._lock:
            return self._director, self._generation

    # -- rendering -----------------------------------------------------------------------------------------
    def render_frame(self, index: int, options: RenderOptions) -> RenderedFrame:
        """One frame, from the cache when a frame with the same landmarks and picture options was
        rendered before (this frame, or another that looks the same: a held frame, a still stretch)."""
        _, driving = self._require()
        if not 0 <= index < driving.frame_count:
            raise IndexError(f"frame {index} is outside 0..{driving.frame_count - 1}")
        with self._lock:
            generation = self._generation
        landmarks = self.frame_landmarks([index], options)
        key = (landmark_key(landmarks[0]), picture_key(options))
        hit = self._lookup(key, index)
        if hit is not None:
            return hit
        model_frame = self._run_model_on(landmarks, options)[0]
        frame = self.compose(index, model_frame, options)
        self._remember(key, frame, generation)
        return frame

    def _lookup(self, key: tuple, index: int) -> RenderedFrame | None:
        with self._lock:
            entry = self._frames.get(key)
            if entry is None:
                return None
            self._frames.move_to_end(key)
            frame, shown_for = entry
            shown_for.add(index)
        return frame if frame.index == index else replace(frame, index=index)

    def _remember(self, key: tuple, frame: RenderedFrame, generation: int) -> None:
        with self._lock:
            if key in self._frames or generation != self._generation:
                return  # already cached, or rendered for a source/driving that has since changed
            self._frames[key] = (frame, {frame.index})
            self._frames_bytes += frame.image.nbytes + frame.matte.nbytes
            while self._frames_bytes > _CACHE_BYTES and len(self._frames) > 1:
                _, (old, _) = self._frames.popitem(last=False)
                self._frames_bytes -= old.image.nbytes + old.matte.nbytes

    def cached_frame(self, index: int, options: RenderOptions) -> RenderedFrame | None:
        """Frame `index` with `options` when the cache holds it (its landmarks are computed to know)."""
        key = (landmark_key(self.frame_landmarks([index], options)[0]), picture_key(options))
        with self._lock:
            entry = self._frames.get(key)
        if entry is None:
            return None
        return entry[0] if entry[0].index == index else replace(entry[0], index=index)

    def cached_mask(self, options: RenderOptions) -> np.ndarray:
        """(T,) True for the frames the cache holds with `options`. Only the frames cached under some
        options are looked at (their landmarks computed together), so it stays quick on long timelines."""
        _, driving = self._require()
        picture = picture_key(options)
        with self._lock:
            keys = {key[0] for key in self._frames if key[1] == picture}
            candidates = sorted({i for key, (_, shown) in self._frames.items() if key[1] == picture for i in shown})
        mask = np.zeros(driving.frame_count, bool)
        candidates = [i for i in candidates if i < driving.frame_count]
        if candidates:
            landmarks = self.frame_landmarks(candidates, options)
            mask[candidates] = [landmark_key(lm) in keys for lm in landmarks]
        return mask

    def run_model(
        self, indices: list[int], options: RenderOptions, landmarks: np.ndarray | None = None
    ) -> list[ModelFrame]:
        """The network's part of several frames, in one call: motion, learned offset, synthesis.

        ``landmarks`` (len(indices), 68, 2), when given, replace the frames' own: an export that reshapes
        the motion (a seamless loop, `core.faces.loop`) renders its own sequence."""
        if landmarks is None:
            landmarks = self.frame_landmarks(indices, options)
        return self._run_model_on(landmarks, options)

    def _run_model_on(self, landmarks: np.ndarray, options: RenderOptions) -> list[ModelFrame]:
        from core.faces.motion import HeadMotion, MotionRegion, crop_window
        from core.networks.flow import identity_grid, warp

        source, _ = self._require()
        count = len(landmarks)
        with self._lock:
            prepared = self._prepared
        r = self.resolution
        with torch.inference_mode():
            lm = torch.from_numpy(np.ascontiguousarray(landmarks)).to(self.device)
            region = MotionRegion(options.mask_scale, options.mask_feather)
            motion = HeadMotion(torch.from_numpy(source.landmarks).to(self.device), lm, r, region)
            out = self.generator.render(prepared, lm, motion=motion)
            warped = out.warped_source
            if warped is None:
                warped = warp(prepared.image.expand(count, -1, -1, -1), out.fine_flow, padding="border")
            pixels = torch.arange(r, dtype=torch.float32, device=self.device)
            window = crop_window(torch.stack(torch.meshgrid(pixels, pixels, indexing="xy"), -1), r)
            residual = (out.image.float() - warped.float()) * (127.5 * window)
            base = out.base_flow
            if base is None:  # the paper's flow: all of the motion inside the crop
                b, _, h, w = out.flow.shape
                base = identity_grid(b, h, w, out.flow.device, torch.float32)
            offset = (out.flow - base) * (r / 2.0)
            motions = motion.frames(offset, offset_is_motion=out.base_flow is None)
            residuals = residual.permute(0, 2, 3, 1).cpu().numpy()
            images = to_images(out.image)
        return [
            ModelFrame(motion=motions[k], image=images[k], landmarks=landmarks[k], residual=residuals[k])
            for k in range(count)
        ]

    def output_geometry(self, options: RenderOptions) -> OutputGeometry:
        """Where outputs with these options lie on the photo, and their size."""
        source = self._require_source()
        return output_geometry(source.photo.shape, source.alignment, options.paste_back, options.output_size)

    def compose(self, index: int, frame: ModelFrame, options: RenderOptions) -> RenderedFrame:
        """The picture of one frame at full resolution (`core.render.render_frame`); plain arrays, so it
        can run on another thread while the network works on the next batch."""
        source = self._require_source()
        geometry = self.output_geometry(options)
        composite = render_frame(
            source.photo, source.alignment, geometry, frame, options.full_resolution, options.synthesis
        )
        points = geometry.crop_points_to_output(source.alignment, frame.landmarks).astype(np.float32)
        return RenderedFrame(index, composite.image, frame.landmarks, points, composite.matte, composite.stats)

    def render_batch(self, indices: list[int], options: RenderOptions) -> list[RenderedFrame]:
        """Render several frames: the network in one call, then each picture."""
        frames = self.run_model(indices, options)
        return [self.compose(i, frame, options) for i, frame in zip(indices, frames, strict=True)]

    def output_size(self, options: RenderOptions) -> tuple[int, int]:
        """(w, h) of rendered frames with these options."""
        return self.output_geometry(options).size

    def render_range(
        self,
        start: int,
        stop: int,
        options: RenderOptions,
        batch: int = 8,
        cancel: CancelToken | None = None,
        skip: frozenset[int] = frozenset(),
    ) -> ProgressStream[int]:
        """Yield Progress(payload=RenderedFrame) for frames start..stop-1 (except `skip`), in order."""
        _, driving = self._require()
        start, stop = max(0, start), min(stop, driving.frame_count)
        wanted = [i for i in range(start, stop) if i not in skip]
        done = 0
        for chunk in _chunks(wanted, batch):
            if cancel is not None:
                cancel.check()
            for frame in self.render_batch(chunk, options):
                done += 1
                yield Progress(done, len(wanted), f"frame {frame.index}", frame)
        return done


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
