"""What names a driving video's content in the caches: a hash of its bytes, or of all a sequence's frames.

A renamed or moved video (or folder of frames) keeps its hash, so it finds its proxy and analysis;
any edited byte, or an added, removed or changed frame, gives a new one.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from core.video.image_sequence import ImageSequence, is_image_sequence

_hash_memo: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def file_hash(path: str | Path) -> str:
    """BLAKE2b of a file's bytes (32 hex digits), remembered per (path, size, mtime) in this process."""
    path = Path(path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hash_lock:
        known = _hash_memo.get(key)
    if known is not None:
        return known
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    with _hash_lock:
        _hash_memo[key] = value
    return value


def sequence_content_hash(folder: str | Path) -> str:
    """BLAKE2b over a folder of numbered frames: each frame's place and its file's hash."""
    sequence = ImageSequence.scan(folder)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"image-sequence {sequence.frame_count}\n".encode())
    for i, path in enumerate(sequence.files):
        if path is not None:
            digest.update(f"{i}:{file_hash(path)}\n".encode())
    return digest.hexdigest()


def content_hash(path: str | Path) -> str:
    """The hash of a video file's bytes, or of a folder of numbered frames (`sequence_content_hash`)."""
    return sequence_content_hash(path) if is_image_sequence(path) else file_hash(path)
