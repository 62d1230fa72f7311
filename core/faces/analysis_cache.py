"""Where analyses of driving videos are kept between sessions, and under which name.

A cache entry is named by the video's *content* (so a renamed or copied video is still found, and an
edited one is not mistaken for the old one) plus every setting that changes the result (backend and its
model settings, tracking parameters, analysis format version). Smoothing is applied after loading
and is not part of the name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from core.paths import cache_dir

#: Files up to this size are hashed whole (about 50 ms for 64 MiB); larger ones by samples.
FULL_HASH_LIMIT = 64 * 1024 * 1024
_SAMPLES = 64
_SAMPLE_SIZE = 256 * 1024


def content_hash(path: str | Path) -> str:
    """A BLAKE2b digest of the file's bytes: all of them up to 64 MiB, else its size, its first and last
    MiB and 64 evenly spaced 256 KiB samples (a few ms for any size, and any re-encode or edit of a
    video changes them). A folder of numbered frames is hashed over all its frames."""
    path = Path(path)
    if path.is_dir():
        from core.video import sequence_content_hash

        return sequence_content_hash(path)
    from core.safety import refuse_special_file

    refuse_special_file(path)  # hashing a pipe would wait forever for its end
    size = path.stat().st_size
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(size).encode())
    with open(path, "rb") as fh:
        if size <= FULL_HASH_LIMIT:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        else:
            offsets = [0, size - (1 << 20)]
            step = (size - _SAMPLE_SIZE) / (_SAMPLES - 1)
            offsets += [int(i * step) for i in range(_SAMPLES)]
            for offset in offsets:
                fh.seek(offset)
                digest.update(fh.read(1 << 20 if offset in (0, size - (1 << 20)) else _SAMPLE_SIZE))
    return digest.hexdigest()


def cache_key(video_hash: str, settings: Mapping[str, object]) -> str:
    """One name for a video's content and the settings that shaped its analysis."""
    text = json.dumps({"video": video_hash, **settings}, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def cache_path(key: str) -> Path:
    """The .npz file of a cache entry (its folder is created on demand)."""
    folder = cache_dir() / "analysis"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.npz"


def discard(path: Path) -> None:
    """Remove a damaged or outdated entry; a cache that cannot be cleaned is only a missed speed-up."""
    with contextlib.suppress(OSError):
        os.unlink(path)
