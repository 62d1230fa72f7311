"""Write outputs without ever leaving half a file: a temporary file in the target's folder, then rename.

A failed or cancelled write removes the temporary file; an existing target is replaced only once the
new content is complete (``os.replace`` is atomic on one filesystem).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.errors import OutputError


def check_writable_dir(folder: str | Path, what: str = "output") -> Path:
    """Fail early, before any work, when `folder` cannot receive files."""
    folder = Path(folder)
    if not folder.exists():
        raise OutputError(f"{what} folder {folder} does not exist: create it or pick another")
    if not folder.is_dir():
        raise OutputError(f"{what} path {folder} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise OutputError(f"cannot write to {what} folder {folder}: {err.strerror or err}") from err
    return folder


def describe_os_error(err: OSError, path: str | Path) -> str:
    if err.errno == errno.ENOSPC:
        return f"the disk is full while writing {path}: free some space and try again"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write {path}: pick a folder you can write to"
    return f"cannot write {path}: {err.strerror or err}"


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it is renamed onto `target`.

    The temporary name keeps the target's extension (or `suffix`), so writers that pick a format from
    the name (ffmpeg, imageio) still do. Any exception removes the temporary file and propagates;
    OSErrors become `OutputError` with a readable message.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    ext = target.suffix if suffix is None else suffix
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.stem}.", suffix=f".part{ext}")
    except OSError as err:
        raise OutputError(describe_os_error(err, target)) from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _default_permissions(tmp)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(describe_os_error(err, target)) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _read_umask()  # read once at import: changing it later would race with other threads


def _default_permissions(path: Path) -> None:
    """mkstemp makes files private (0600); a finished output gets the usual 0666 minus the umask."""
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~_UMASK)


def write_bytes(target: str | Path, data: bytes) -> None:
    """Atomically write `data` to `target` (flushed to disk before the rename)."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text(target: str | Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
