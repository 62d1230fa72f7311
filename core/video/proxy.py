"""A scrubbing proxy: every frame of a video, reduced, as JPEGs in one file with an offset index.

Any frame is one slice of a memory map plus one small JPEG decode (about a millisecond at 480 px),
whatever the source codec's keyframe spacing. Proxies live in the per-user cache folder under the
video's content hash, so a renamed or moved video finds its proxy and an edited one gets a new one.

File layout (little-endian)::

    b"RSPROXY1" | JPEG 0 | JPEG 1 | ... | offsets: uint64[n + 1] | JSON facts | index_at: uint64
    | facts_at: uint64 | b"RSPROXYE"

A damaged source frame has an empty slot (offsets[i] == offsets[i + 1]).
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

import numpy as np

from core.atomic import atomic_path
from core.errors import InputError
from core.paths import cache_dir
from core.progress import CancelToken, Progress, ProgressStream
from core.video._common import CorruptFrameError
from core.video.frames import FrameReader
from core.video.hashing import content_hash
from core.video.source import open_reader

_MAGIC = b"RSPROXY1"
_END = b"RSPROXYE"
_TRAILER = 8 + 8 + len(_END)
_VERSION = 1
DEFAULT_MAX_SIDE = 480
_JPEG_QUALITY = 88

def proxy_path(video: str | Path, max_side: int = DEFAULT_MAX_SIDE) -> Path:
    """Where the proxy of ``video`` at ``max_side`` lives (it may not exist yet)."""
    return cache_dir() / "proxies" / f"{content_hash(video)}-{int(max_side)}-v{_VERSION}.rsproxy"


def find_proxy(video: str | Path, max_side: int = DEFAULT_MAX_SIDE) -> Path | None:
    """The finished proxy of ``video``, or None when it has not been built (or is damaged)."""
    path = proxy_path(video, max_side)
    if not path.exists():
        return None
    try:
        ProxyReader(path).close()
    except InputError:
        return None
    return path


def _proxy_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    scale = min(1.0, max_side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def build_proxy(
    source: FrameReader | str | Path,
    max_side: int = DEFAULT_MAX_SIDE,
    cancel: CancelToken | None = None,
) -> ProgressStream[Path]:
    """Write the proxy of ``source`` (frames reduced to fit ``max_side``) unless it exists; return its path.

    A generator of `Progress` (one per frame, each a cancel point); cancelling or closing it early
    leaves no proxy file behind.
    """
    import cv2

    if isinstance(source, (str, Path)):
        with open_reader(source) as reader:
            return (yield from build_proxy(reader, max_side, cancel))
    reader = source
    total = reader.frame_count
    existing = find_proxy(reader.path, max_side)
    if existing is not None:
        yield Progress(total, total, "scrubbing proxy ready")
        return existing
    target = proxy_path(reader.path, max_side)
    target.parent.mkdir(parents=True, exist_ok=True)
    width, height = _proxy_size(reader.size, max_side)
    offsets = np.zeros(total + 1, dtype=np.uint64)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(_MAGIC)
        pos = len(_MAGIC)
        offsets[0] = pos
        filled = 0  # slots 0..filled-1 have their offsets
        for index, frame in reader.iter_frames():
            if cancel is not None:
                cancel.check()
            offsets[filled + 1 : index + 1] = pos  # damaged frames in between: empty slots
            small = (
                frame
                if (width, height) == reader.size
                else cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            )
            ok, jpeg = cv2.imencode(
                ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
            )
            if not ok:
                raise InputError(f"could not encode frame {index} of {reader.path.name} for the proxy")
            fh.write(jpeg.tobytes())
            pos += jpeg.size
            offsets[index + 1] = pos
            filled = index + 1
            yield Progress(index + 1, total, "building scrubbing proxy")
        offsets[filled + 1 :] = pos
        index_at = pos
        fh.write(offsets.astype("<u8").tobytes())
        facts = {
            "version": _VERSION,
            "frame_count": total,
            "size": [width, height],
            "source_size": list(reader.size),
            "source": reader.path.name,
            "bad_frames": list(reader.bad_frames),
        }
        facts_at = index_at + offsets.nbytes
        fh.write(json.dumps(facts).encode("utf-8"))
        fh.write(int(index_at).to_bytes(8, "little") + int(facts_at).to_bytes(8, "little") + _END)
        fh.flush()
        os.fsync(fh.fileno())
    return target


class ProxyReader:
    """Random access to a proxy: ``read(i)`` is a reduced HxWx3 uint8 RGB frame in about a millisecond."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._file = open(self.path, "rb")  # noqa: SIM115 - kept open for the memory map's life
        except OSError as err:
            raise InputError(f"cannot open scrubbing proxy {self.path}: {err.strerror or err}") from err
        try:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            self._load_index()
        except (OSError, ValueError, KeyError) as err:
            self.close()
            raise InputError(f"scrubbing proxy {self.path.name} is damaged: it will be rebuilt") from err

    def _load_index(self) -> None:
        mm = self._map
        if len(mm) < len(_MAGIC) + _TRAILER or mm[: len(_MAGIC)] != _MAGIC or mm[-len(_END) :] != _END:
            raise ValueError("not a finished proxy file")
        trailer = mm[-_TRAILER:]
        index_at = int.from_bytes(trailer[:8], "little")
        facts_at = int.from_bytes(trailer[8:16], "little")
        facts = json.loads(mm[facts_at : len(mm) - _TRAILER].decode("utf-8"))
        count = int(facts["frame_count"])
        if facts_at - index_at != 8 * (count + 1):
            raise ValueError("index size does not match the frame count")
        self._offsets = np.frombuffer(mm[index_at:facts_at], dtype="<u8").astype(np.int64)
        self.frame_count = count
        self.size: tuple[int, int] = tuple(facts["size"])
        self.source_size: tuple[int, int] = tuple(facts["source_size"])
        self.bad_frames: tuple[int, ...] = tuple(facts["bad_frames"])

    def __len__(self) -> int:
        return self.frame_count

    def read(self, index: int) -> np.ndarray:
        import cv2

        i = int(index)
        if not 0 <= i < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1} of proxy {self.path.name}")
        start, end = self._offsets[i], self._offsets[i + 1]
        if end <= start:
            raise CorruptFrameError(f"frame {i} is damaged in the source video and has no proxy image")
        bgr = cv2.imdecode(np.frombuffer(self._map[start:end], dtype=np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InputError(f"scrubbing proxy {self.path.name} is damaged at frame {i}: it will be rebuilt")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        m = getattr(self, "_map", None)
        if m is not None:
            m.close()
            self._map = None
        self._file.close()

    def __enter__(self) -> ProxyReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
