"""A folder of numbered frames (PNG, JPEG, TIFF) read as a driving video, with the frame rate the user gives.

The number is the last run of digits in a file's name (``shot_0001.png``, ``frame7.tif``); files are
ordered by it (natural order: 9 before 10 whatever the padding). Frame ``i`` is number
``first + i * step``, where ``step`` is the numbering's common step (1 for 1, 2, 3; 2 for 0, 2, 4), so
a missing number is a missing frame at its place in time, reported like a damaged video frame (the
analysis holds the last landmarks there, exports skip it), not a silent shift of everything after
it. Refused, with a message: a folder with several numbered series, a number used twice, frames of
different sizes, and numbering with more holes than frames (dates or takes, not frame numbers).
Images are read like a photo (`core.faces.image_io.read_image`: EXIF orientation, 16-bit and
transparency handled).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.errors import ConfigError, InputError
from core.video._common import CorruptFrameError
from core.video.frames import FrameReader

log = logging.getLogger(__name__)

SEQUENCE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DEFAULT_SEQUENCE_FPS = 25.0
MAX_SEQUENCE_FPS = 1000.0
_LAST_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")
_CODEC_OF = {".png": "png", ".jpg": "mjpeg", ".jpeg": "mjpeg", ".tif": "tiff", ".tiff": "tiff"}
_ROTATED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def _numbered(name: str) -> tuple[str, int, str] | None:
    """(prefix, number, rest) of a frame file's name, or None when it is not a numbered frame image."""
    if name.startswith("."):
        return None
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in SEQUENCE_SUFFIXES:
        return None
    match = _LAST_NUMBER.match(stem)
    if match is None:
        return None
    return match.group(1), int(match.group(2)), match.group(3) + suffix.lower()


def is_image_sequence(path: str | Path) -> bool:
    """True when ``path`` is a folder holding numbered PNG/JPEG/TIFF frames: the one folder that is
    taken as a driving "video" (any other folder is not an input)."""
    path = Path(path)
    try:
        if not path.is_dir():
            return False
        with os.scandir(path) as entries:
            return any(_numbered(entry.name) is not None and entry.is_file() for entry in entries)
    except OSError:
        return False


def sequence_rate(path: str | Path, fps: float | None = None) -> float | None:
    """The rate a folder of frames plays at (``fps``, default 25), or None for a video file (its own rate).

    `ConfigError` for a rate that is not a positive number up to 1000."""
    if not is_image_sequence(path):
        return None
    rate = DEFAULT_SEQUENCE_FPS if fps is None else float(fps)
    if not (math.isfinite(rate) and 0 < rate <= MAX_SEQUENCE_FPS):
        raise ConfigError(f"the frame rate must be above 0 and at most {MAX_SEQUENCE_FPS:g}, got {fps}")
    return rate


def _orientation(image) -> int:
    """The EXIF orientation from what opening the file parsed (``getexif`` would decode a whole PNG)."""
    from PIL import Image

    if "exif" in image.info:
        exif = Image.Exif()
        exif.load(image.info["exif"])
        return int(exif.get(0x0112, 1))
    tags = getattr(image, "tag_v2", None)  # TIFF
    return int(tags.get(0x0112, 1)) if tags is not None else 1


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) as displayed (EXIF orientation applied), from the header; None if unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            w, h = image.size
            orientation = _orientation(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return (h, w) if orientation in _ROTATED_ORIENTATIONS else (w, h)


@dataclass(frozen=True)
class ImageSequence:
    """The frames of a folder: ``files[i]`` is frame ``i``'s file, or None where a number is missing."""

    folder: Path
    files: tuple[Path | None, ...]
    first_number: int
    step: int
    size: tuple[int, int]  # (w, h) of every frame
    unreadable: tuple[int, ...]  # frames whose header cannot be read (damaged files)

    @property
    def frame_count(self) -> int:
        return len(self.files)

    @property
    def missing(self) -> tuple[int, ...]:
        """Frames whose number has no file (gaps in the numbering)."""
        return tuple(i for i, f in enumerate(self.files) if f is None)

    @property
    def codec(self) -> str:
        suffix = next(f for f in self.files if f is not None).suffix.lower()
        return _CODEC_OF[suffix]

    @classmethod
    def scan(cls, folder: str | Path) -> ImageSequence:
        """List and check the frames of ``folder``; `InputError` saying what is wrong with it."""
        folder = Path(folder)
        series: dict[tuple[str, str], dict[int, Path]] = {}
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    parts = _numbered(entry.name)
                    if parts is None or not entry.is_file():
                        continue
                    prefix, number, rest = parts
                    same = series.setdefault((prefix, rest), {})
                    if number in same:
                        raise InputError(
                            f"frame number {number} appears twice in {folder.name} ({same[number].name}, "
                            f"{entry.name}): keep one file per number"
                        )
                    same[number] = Path(entry.path)
        except OSError as err:
            raise InputError(f"cannot read folder {folder}: {err.strerror or err}") from err
        if not series:
            raise InputError(
                f"{folder} holds no numbered frames: put PNG, JPEG or TIFF files named like frame_0001.png in it"
            )
        if len(series) > 1:
            names = ", ".join(f"{p}#{r} ({len(n)} files)" for (p, r), n in sorted(series.items())[:3])
            raise InputError(
                f"{folder.name} holds several numbered series ({names}): put one image sequence per folder"
            )
        by_number = next(iter(series.values()))
        numbers = sorted(by_number)
        first = numbers[0]
        step = math.gcd(*(n - first for n in numbers[1:])) or 1
        count = (numbers[-1] - first) // step + 1
        if count > 2 * len(numbers):
            raise InputError(
                f"the numbers of the {len(numbers)} frames in {folder.name} run from {first} to {numbers[-1]}, "
                "with more gaps than frames: number the frames in order (0001, 0002, ...)"
            )
        files: list[Path | None] = [None] * count
        for n in numbers:
            files[(n - first) // step] = by_number[n]
        sizes: dict[tuple[int, int], Path] = {}
        unreadable = []
        for i, path in enumerate(files):
            if path is None:
                continue
            size = _header_size(path)
            if size is None:
                unreadable.append(i)
                continue
            sizes.setdefault(size, path)
            if len(sizes) > 1:
                (s1, p1), (s2, p2) = sizes.items()
                raise InputError(
                    f"the frames in {folder.name} differ in size ({p1.name} is {s1[0]}x{s1[1]}, {p2.name} is "
                    f"{s2[0]}x{s2[1]}): every frame of a sequence must have the same size"
                )
        if not sizes:
            raise InputError(f"none of the frames in {folder.name} can be read: the files are damaged")
        sequence = cls(folder, tuple(files), first, step, next(iter(sizes)), tuple(unreadable))
        if sequence.missing:
            log.warning(
                "%s: %d frame number(s) missing (first: %d); they count as missing frames",
                folder.name,
                len(sequence.missing),
                first + sequence.missing[0] * step,
            )
        return sequence


class ImageSequenceReader(FrameReader):
    """`core.video.VideoReader`'s interface over a folder of numbered frames played at ``fps``.

    Frames are HxWx3 uint8 RGB (or HxW grayscale from ``iter_frames(gray=True)``), read-only, at
    ``i / fps`` seconds. Missing numbers and damaged files are bad frames: ``read`` raises
    `CorruptFrameError`, ``iter_decoded`` gives None, ``iter_frames`` skips them. No sound.
    ``cache_mb`` bounds the frames kept after ``read`` (scrubbing back and forth).
    """

    def __init__(self, path: str | Path, fps: float | None = None, cache_mb: int = 128) -> None:
        super().__init__(path)
        self.sequence = ImageSequence.scan(self.path)
        self._rate = Fraction(sequence_rate(self.path, fps)).limit_denominator(1001)
        self._timestamps = np.arange(self.sequence.frame_count, dtype=np.float64) / float(self._rate)
        self._timestamps.flags.writeable = False
        self.size: tuple[int, int] = self.sequence.size
        self._bad.update(self.sequence.missing, self.sequence.unreadable)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_budget = cache_mb * 1024 * 1024

    # -- facts ------------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return self.sequence.frame_count

    @property
    def declared_frame_count(self) -> int:
        return self.frame_count

    @property
    def rate(self) -> Fraction:
        return self._rate

    @property
    def timestamps(self) -> np.ndarray:
        return self._timestamps

    @property
    def duration(self) -> float:
        return self.frame_count / float(self._rate)

    @property
    def keyframes(self) -> tuple[int, ...]:
        """Every frame is its own picture: decoding can start anywhere."""
        return tuple(range(self.frame_count))

    @property
    def codec_name(self) -> str:
        return self.sequence.codec

    @property
    def container_name(self) -> str:
        return "image sequence"

    # -- frames -----------------------------------------------------------------------------------
    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as read-only HxWx3 uint8 RGB; `CorruptFrameError` if it is missing or damaged."""
        i = self._check_index(index)
        with self._lock:
            cached = self._cache.get(i)
            if cached is not None:
                self._cache.move_to_end(i)
                return cached
        rgb = self._decode(i)
        if rgb is None:
            raise CorruptFrameError(self._bad_reason(i))
        with self._lock:
            self._cache[i] = rgb
            while len(self._cache) > 1 and len(self._cache) * rgb.nbytes > self._cache_budget:
                self._cache.popitem(last=False)
        return rgb

    def iter_decoded(
        self, start: int = 0, stop: int | None = None, gray: bool = False
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        """Every index in the range, ``(index, None)`` for a missing or damaged frame."""
        import cv2

        start, stop = self._check_range(start, stop)
        for i in range(start, stop):
            rgb = self._decode(i)
            if rgb is not None and gray:
                rgb = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
                rgb.flags.writeable = False
            yield i, rgb

    def _decode(self, i: int) -> np.ndarray | None:
        """Frame ``i`` read from its file, or None (and a bad frame) when it is missing or damaged."""
        from core.faces.image_io import read_image

        path = self.sequence.files[i]
        with self._bad_lock:
            if path is None or i in self._bad:
                return None
        try:
            rgb = read_image(path)
        except InputError as err:
            log.warning("%s: %s", self.path.name, err)
            rgb = None
        if rgb is not None and (rgb.shape[1], rgb.shape[0]) != self.size:
            log.warning("%s: %s changed size since the folder was opened", self.path.name, path.name)
            rgb = None
        if rgb is None:
            self._mark_bad(i)
            return None
        rgb.flags.writeable = False
        return rgb

    def _bad_reason(self, i: int) -> str:
        if self.sequence.files[i] is None:
            number = self.sequence.first_number + i * self.sequence.step
            return f"frame {i} of {self.path.name} is missing (no file numbered {number})"
        return f"frame {i} of {self.path.name} ({self.sequence.files[i].name}) is damaged and cannot be read"

    def close(self) -> None:
        with self._lock:
            self._cache.clear()
