"""Write outputs without ever leaving half a file: a temporary file in the target's folder, then rename.

A failed or cancelled write removes the temporary file; an existing target is replaced only once the
new content is complete (``os.replace`` is atomic on one filesystem). A temporary name carries the
writing process's id and a token of its machine (``.clip.3f9a1c-4242-0b7e19d2.part.mp4``), so that
the leftovers of a run that could not clean up (killed with SIGKILL, power loss) are recognised and
removed by the next write into that folder (`remove_stale_temporaries`). A previous output moved aside
while a folder is renamed onto its place (`aside_name`) carries the same token: one a killed run left is
put back when nothing took its place, removed otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from core.errors import OutputError

log = logging.getLogger(__name__)

#: This machine, as a short token in temporary names: a folder shared over a network may hold the
#: live temporary files of another machine's run, whose process ids mean nothing here.
HOST_TOKEN = hashlib.blake2b(socket.gethostname().encode(), digest_size=3).hexdigest()
_TEMPORARY = re.compile(
    r"^\.(?P<name>.*)\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[0-9a-f]{8}\.(?:part(\.[^./\\]*)?|(?P<aside>aside))$", re.S
)


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


def temporary_name(target: str | Path, suffix: str | None = None) -> Path:
    """A fresh hidden name beside `target` that says which process on which machine writes it.

    The name keeps the target's extension (or `suffix`), so writers that pick a format from the name
    (ffmpeg, imageio) still do.
    """
    target = Path(target)
    ext = target.suffix if suffix is None else suffix
    return _tagged(target, target.stem if ext else target.name, f"part{ext}")


def aside_name(target: str | Path) -> Path:
    """A fresh hidden name beside `target` for its previous version while a new one takes its place
    (``.frames.3f9a1c-4242-0b7e19d2.aside``): one a killed run leaves is recognised by the next write
    into the folder, which puts it back at `target` when nothing took its place, or removes it."""
    target = Path(target)
    return _tagged(target, target.name, "aside")


def _tagged(target: Path, stem: str, tail: str) -> Path:
    folder = target.parent if str(target.parent) else Path(".")
    return folder / f".{stem}.{HOST_TOKEN}-{os.getpid()}-{uuid.uuid4().hex[:8]}.{tail}"


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it is renamed onto `target`.

    The temporary name keeps the target's extension (or `suffix`), so writers that pick a format from
    the name (ffmpeg, imageio) still do. Any exception (KeyboardInterrupt and the termination signals
    that `core.signals` turns into one included) removes the temporary file and propagates; OSErrors
    become `OutputError` with a readable message. Leftovers of killed runs in the folder are removed
    first.
    """
    target = Path(target)
    remove_stale_temporaries(target.parent if str(target.parent) else Path("."))
    tmp = temporary_name(target, suffix)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as err:
        raise OutputError(describe_os_error(err, target)) from err
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


def temporary_folder(target: str | Path) -> Path:
    """Create a hidden, private temporary folder beside `target` (for outputs that are folders);
    the caller renames it onto `target` when complete or removes it. Leftovers of killed runs in the
    folder are removed first."""
    target = Path(target)
    remove_stale_temporaries(target.parent if str(target.parent) else Path("."))
    folder = temporary_name(target, suffix="")
    try:
        folder.mkdir(mode=0o700)
    except OSError as err:
        raise OutputError(describe_os_error(err, target)) from err
    return folder


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the temporary files and folders in `folder` whose writer is gone; return them.

    A temporary entry is stale when it was written on this machine by a process that no longer runs,
    or before the machine last started (power loss: its process id may since belong to another
    program). Entries of live processes and of other machines are left alone; so is everything that
    does not carry a temporary name. A stale previous output moved aside (`aside_name`) is put back
    instead when its place is empty (the run died before the new one took it). Never raises: a folder
    that cannot be cleaned is only untidy.
    """
    removed: list[Path] = []
    boot = _boot_time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or match["host"] != HOST_TOKEN:
            continue
        try:
            before_boot = boot is not None and entry.stat(follow_symlinks=False).st_mtime < boot
        except OSError:
            continue
        if not before_boot and _process_alive(int(match["pid"])):
            continue
        path = Path(entry.path)
        if match["aside"] and match["name"] not in ("", ".", "..") and _put_back(path, path.with_name(match["name"])):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) left in %s by an interrupted run", len(removed), folder)
    return removed


def _put_back(aside: Path, target: Path) -> bool:
    """Move a previous output a killed run left aside back to its place, when that place is empty."""
    if os.path.lexists(target):
        return False
    try:
        os.rename(aside, target)
    except OSError:
        return False
    log.info("put %s back: the run replacing it was interrupted", target)
    return True


def _process_alive(pid: int) -> bool:
    """Whether process `pid` runs on this machine (True when that cannot be known: keep its files)."""
    if pid == os.getpid():
        return True
    if os.name != "posix" or pid <= 0:
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process (EPERM): alive
    return True


def _boot_time() -> float | None:
    """When this machine started (seconds since the epoch), from /proc/stat; None where unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


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
