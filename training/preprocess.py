"""Turn a folder of talking-head videos and photos into a training dataset of aligned face crops.

Raw layouts understood (paths relative to RAW_DIR; the first folder level is the identity):

    identity/clip.mp4             a video (any depth below the identity: identity/a/b.mp4 is clip "a/b")
    identity/clip/0001.png ...    a folder of one video's frames (sorted by name), at depth 2 or more
    identity/photo.jpg            a still photo of that identity (each photo is its own clip)
    clip.mp4, photo.jpg           directly in RAW_DIR: the file's stem is the identity

Photos use their largest face; videos follow one face (the largest when first found) with the faces
module's tracker. Every usable frame is cropped and aligned with the canonical crop
(`core.faces.align.align_face`, the crop the network is trained and run on) at `--size` pixels.

Dataset layout (DATASET_DIR), read by `training.dataset.DatasetIndex`:

    manifest.json                 {"format": "reenact-dataset", "version": 1, "size": 256,
                                   "image_format": "jpg", "clips": [...], "skipped": [...], ...}
    clips/<identity>/<clip>/      one folder per clip, published complete by a rename
        000000.jpg ...            the aligned crops (size x size RGB), numbered 0..frames-1
        landmarks.npz             landmarks (frames, 68, 2) float32, crop pixels (pixel centres at
                                  integers); frame_index (frames,) int32, the frame's number in the
                                  source (every n-th frame, frames without a face left out);
                                  matrix (frames, 2, 3) float32, source image -> crop;
                                  segment (frames,) int32, the shot each frame belongs to
        clip.json                 the clip's manifest entry plus the signature of its source

A manifest entry: ``{"id": "alice/interview1", "identity": "alice", "kind": "video" | "still",
"frames": 120, "path": "clips/alice/interview1", "source": "alice/interview1.mp4"}``. Videos are cut
into shots where consecutive frames change abruptly (an edited film cuts between faces; two frames of
different shots are no reenactment pair): the landmark file's ``segment`` says which shot each frame is
in, and pairs are drawn within one shot. A video needs a shot with two frames with a face; a still has
one frame. ``skipped`` lists ``{"source", "reason"}`` for every clip that gave nothing (no face,
unreadable or corrupt file): they are reported, never fatal.

Resumable: a clip is written to a hidden ``.<clip>.partial`` folder and renamed when complete, so a
re-run skips every clip whose folder exists with a matching signature (source sizes and times, crop
size, frame step) and redoes the rest.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from core import __version__
from core.atomic import write_bytes, write_text
from core.errors import InputError, UserError
from core.progress import CancelToken, Progress, ProgressStream
from training.dataset import (
    CLIP_RECORD_NAME,
    DATASET_FORMAT,
    DATASET_VERSION,
    LANDMARKS_NAME,
    MANIFEST_NAME,
    frame_name,
)

log = logging.getLogger("reenact.training")

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass(frozen=True)
class RawClip:
    """One clip found in the raw folder: a video file, a folder of frames, or one photo."""

    identity: str
    name: str  # unique within the identity, may contain "/"
    kind: Literal["video", "still"]
    sources: tuple[Path, ...]  # the video file, the frame files in order, or the photo
    label: str  # the source as a path relative to RAW_DIR, for reports

    @property
    def id(self) -> str:
        return f"{self.identity}/{self.name}"


@dataclass(frozen=True)
class PreprocessOptions:
    size: int = 256  # side of the stored crops
    every: int = 1  # keep every n-th frame of a video
    max_frames: int = 0  # at most this many kept frames per video (0 = all)
    image_format: Literal["jpg", "png"] = "jpg"
    jpeg_quality: int = 95
    min_face: float = 0.0  # skip faces narrower than this many pixels in the source (0 = keep all)
    detect_max_side: int = 640  # videos are detected on frames downscaled to this longest side
    cut_threshold: float = 0.08  # mean grey change between consecutive frames that starts a new shot (0: off)

    def __post_init__(self) -> None:
        if self.size < 32:
            raise UserError(f"--size must be at least 32, got {self.size}")
        if self.every < 1:
            raise UserError(f"--every must be at least 1, got {self.every}")
        if self.max_frames < 0:
            raise UserError("--max-frames cannot be negative")


@dataclass
class PreprocessReport:
    clips: int = 0  # usable clips in the dataset
    frames: int = 0  # usable frames in the dataset
    new_clips: int = 0
    reused_clips: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    manifest: Path | None = None


def _is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def find_raw_clips(raw_dir: str | Path) -> list[RawClip]:
    """Every video, frame folder and photo under `raw_dir`, as clips (see the module docstring)."""
    root = Path(raw_dir)
    if not root.is_dir():
        raise InputError(f"raw folder {root} does not exist or is not a folder")
    clips: list[RawClip] = []
    used: dict[str, set[str]] = {}

    def unique(identity: str, name: str, fallback: str) -> str:
        taken = used.setdefault(identity, set())
        chosen = name if name not in taken else fallback
        while chosen in taken:
            chosen += "_"
        taken.add(chosen)
        return chosen

    files = sorted(p for p in root.rglob("*") if p.is_file() and _visible(p, root))
    frame_folders: dict[Path, list[Path]] = {}
    for path in files:
        rel = path.relative_to(root)
        if _is_video(path):
            if len(rel.parts) == 1:
                identity, name = path.stem, path.stem
            else:
                identity = rel.parts[0]
                name = Path(*rel.parts[1:]).with_suffix("").as_posix()
            clips.append(RawClip(identity, unique(identity, name, rel.name.replace(".", "_")), "video", (path,),
                                 rel.as_posix()))
        elif _is_image(path):
            if len(rel.parts) <= 2:  # a photo: RAW/photo.jpg or RAW/identity/photo.jpg
                identity = path.stem if len(rel.parts) == 1 else rel.parts[0]
                name = unique(identity, path.stem, path.name.replace(".", "_"))
                clips.append(RawClip(identity, name, "still", (path,), rel.as_posix()))
            else:
                frame_folders.setdefault(path.parent, []).append(path)
    for folder, frames in sorted(frame_folders.items()):
        rel = folder.relative_to(root)
        identity = rel.parts[0]
        name = unique(identity, Path(*rel.parts[1:]).as_posix(), rel.as_posix().replace("/", "_"))
        clips.append(RawClip(identity, name, "video", tuple(sorted(frames)), rel.as_posix() + "/"))
    return clips


def _signature(clip: RawClip, options: PreprocessOptions) -> dict[str, Any]:
    stats = []
    for path in clip.sources:
        st = path.stat()
        stats.append([path.name, st.st_size, int(st.st_mtime)])
    return {
        "sources": stats,
        "size": options.size,
        "every": options.every,
        "max_frames": options.max_frames,
        "image_format": options.image_format,
        "min_face": options.min_face,
        "cut_threshold": options.cut_threshold,
    }


def _video_frames(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(frame number, upright RGB frame) of every decodable frame; damaged frames are left out.

    `InputError` when the file cannot be opened or no frame decodes.
    """
    from core.video import VideoReader

    decoded = 0
    with VideoReader(path) as reader:
        for index, image in reader.iter_frames():  # damaged frames are skipped
            decoded += 1
            yield index, image
    if decoded == 0:
        raise InputError(f"{path.name}: no frame could be decoded (corrupt or unsupported video)")


def _folder_frames(paths: tuple[Path, ...]) -> Iterator[tuple[int, np.ndarray]]:
    from core.faces.image_io import read_image

    for index, path in enumerate(paths):
        try:
            image = read_image(path)
        except InputError as err:
            log.warning("skipping frame %s: %s", path, err)
            continue
        yield index, image


def _clip_frames(clip: RawClip) -> Iterator[tuple[int, np.ndarray]]:
    if clip.kind == "still":
        from core.faces.image_io import read_image

        yield 0, read_image(clip.sources[0])
    elif len(clip.sources) == 1 and _is_video(clip.sources[0]):
        yield from _video_frames(clip.sources[0])
    else:
        yield from _folder_frames(clip.sources)


def _encode(image: np.ndarray, options: PreprocessOptions) -> bytes:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if options.image_format == "jpg":
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, options.jpeg_quality])
    else:
        ok, data = cv2.imencode(".png", bgr)
    if not ok:
        raise InputError("a frame could not be encoded")
    return data.tobytes()


def process_clip(
    clip: RawClip,
    folder: Path,
    options: PreprocessOptions,
    detector: Any,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Detect, align and store one clip in `folder` (created); return its manifest entry.

    Raises `InputError` with the reason when the clip gives nothing usable.
    """
    from core.faces.align import align_face
    from core.faces.landmarks import detect_faces
    from core.faces.tracking import FaceTracker

    folder.mkdir(parents=True, exist_ok=True)
    landmarks: list[np.ndarray] = []
    indices: list[int] = []
    matrices: list[np.ndarray] = []
    segments: list[int] = []
    seen = 0
    shot = 0
    previous_thumb: np.ndarray | None = None
    # Videos: every frame goes through the tracker (cheap landmark updates, detection now and then),
    # so that it follows the face even across the frames that `every` leaves out.
    tracker = FaceTracker(detector, detect_max_side=options.detect_max_side) if clip.kind == "video" else None
    for index, image in _clip_frames(clip):
        if cancel is not None:
            cancel.check()
        if clip.kind == "video" and options.cut_threshold > 0:
            thumb = _thumbnail(image)
            if previous_thumb is not None and float(np.abs(thumb - previous_thumb).mean()) > options.cut_threshold:
                shot += 1
            previous_thumb = thumb
        if tracker is not None:
            face = tracker.update(image)
        else:
            faces = detect_faces(image, detector)
            face = faces[0] if faces else None
        if index % options.every:
            continue
        seen += 1
        if face is not None and face.width >= options.min_face:
            alignment = align_face(face.landmarks, options.size)
            crop = alignment.crop(image)
            (folder / frame_name(len(indices), options.image_format)).write_bytes(_encode(crop, options))
            landmarks.append(np.asarray(alignment.to_crop(face.landmarks), np.float32))
            matrices.append(np.asarray(alignment.matrix, np.float32))
            indices.append(index)
            segments.append(shot)
        if options.max_frames and len(indices) >= options.max_frames:
            break
    needed = 2 if clip.kind == "video" else 1
    if len(indices) < needed:
        if seen == 0:
            raise InputError("no frame could be read")
        if not indices:
            raise InputError(f"no face found in {'any of its ' + str(seen) + ' frames' if seen > 1 else 'it'}"
                             + (f" at least {options.min_face:g} px wide" if options.min_face else ""))
        raise InputError(f"a face in only {len(indices)} of {seen} frames: a video needs two")
    segment = _renumber(segments)
    if clip.kind == "video" and np.bincount(segment).max() < 2:
        raise InputError(f"no shot of this video has two frames with a face ({len(indices)} frames, all in "
                         "different shots): a video pair needs two frames of one shot")
    buffer = _npz_bytes(
        landmarks=np.stack(landmarks),
        frame_index=np.asarray(indices, np.int32),
        matrix=np.stack(matrices),
        segment=segment,
    )
    (folder / LANDMARKS_NAME).write_bytes(buffer)
    return {"id": clip.id, "identity": clip.identity, "kind": clip.kind, "frames": len(indices),
            "shots": int(segment.max()) + 1, "source": clip.label, "source_frames_read": seen}


def _thumbnail(image: np.ndarray) -> np.ndarray:
    """A 32x32 grey thumbnail in [0, 1] for cut detection."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _renumber(segments: list[int]) -> np.ndarray:
    """Shot numbers 0, 1, 2, ... in order of appearance (shots without kept frames leave no gap)."""
    _, inverse = np.unique(np.asarray(segments, np.int64), return_inverse=True)
    return inverse.astype(np.int32)


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _load_record(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / CLIP_RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def preprocess(
    raw_dir: str | Path,
    out_dir: str | Path,
    options: PreprocessOptions | None = None,
    detector: Any = None,
    cancel: CancelToken | None = None,
) -> ProgressStream[PreprocessReport]:
    """Build (or complete) the dataset in `out_dir` from `raw_dir`; yields a `Progress` per clip.

    `detector` is a `core.faces.landmarks.LandmarkDetector` (default: ``load_detector("auto")``).
    Clips that give nothing are listed in the report's `skipped` and in the manifest, never fatal; a
    raw folder with no video or photo at all is an `InputError`.
    """
    options = options or PreprocessOptions()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    clips = find_raw_clips(raw_dir)
    if not clips:
        raise InputError(
            f"{raw_dir} holds no videos ({', '.join(VIDEO_SUFFIXES[:4])} ...) or photos "
            f"({', '.join(IMAGE_SUFFIXES[:3])} ...): see `main.py preprocess --help` for the layouts"
        )
    if out_dir.resolve() == raw_dir.resolve() or raw_dir.resolve() in out_dir.resolve().parents:
        raise InputError("the dataset folder must not be inside the raw folder (it would be read as input)")
    out_dir.mkdir(parents=True, exist_ok=True)
    if detector is None:
        from core.faces.landmarks import load_detector

        detector = load_detector("auto")
    report = PreprocessReport()
    entries: list[dict[str, Any]] = []
    last_manifest = time.monotonic()

    def write_manifest() -> Path:
        manifest = {
            "format": DATASET_FORMAT,
            "version": DATASET_VERSION,
            "size": options.size,
            "image_format": options.image_format,
            "created_by": f"reenact-studio {__version__}",
            "raw_dir": str(raw_dir.resolve()),
            "clips": [{k: e[k] for k in ("id", "identity", "kind", "frames", "shots", "path", "source") if k in e}
                      for e in entries],
            "skipped": report.skipped,
        }
        path = out_dir / MANIFEST_NAME
        write_text(path, json.dumps(manifest, indent=1))
        return path

    for number, clip in enumerate(clips, start=1):
        if cancel is not None:
            cancel.check()
        rel_folder = Path("clips", clip.identity, *clip.name.split("/"))
        folder = out_dir / rel_folder
        signature = _signature(clip, options)
        record = _load_record(folder)
        if record is not None and record.get("signature") == signature:
            entries.append(record)
            report.reused_clips += 1
            yield Progress(number, len(clips), f"{clip.label}: done earlier")
            continue
        partial = folder.parent / f".{folder.name}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        try:
            entry = process_clip(clip, partial, options, detector, cancel)
        except InputError as err:
            shutil.rmtree(partial, ignore_errors=True)
            reason = str(err)
            report.skipped.append({"source": clip.label, "reason": reason})
            log.warning("skipped %s: %s", clip.label, reason)
            yield Progress(number, len(clips), f"{clip.label}: skipped ({reason})")
            continue
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        entry["path"] = rel_folder.as_posix()
        entry["signature"] = signature
        write_bytes(partial / CLIP_RECORD_NAME, json.dumps(entry, indent=1).encode("utf-8"))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(partial, folder)
        entries.append(entry)
        report.new_clips += 1
        if time.monotonic() - last_manifest > 10:
            write_manifest()
            last_manifest = time.monotonic()
        frames = entry["frames"]
        yield Progress(number, len(clips), f"{clip.label}: {frames} frame{'s' if frames != 1 else ''}")
    report.manifest = write_manifest()
    report.clips = len(entries)
    report.frames = sum(int(e["frames"]) for e in entries)
    return report
