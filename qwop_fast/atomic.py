"""Writing files that matter atomically: a reader (or a resumed run) sees the
old file or the new one, never a half-written one.

A crash, SIGKILL or a second Ctrl-C in the middle of a plain ``write`` leaves a
truncated file under the final name; a run with a 0-byte checkpoint could not
be resumed. Here the bytes go to a temporary file in the same folder (so the
rename cannot cross file systems), are flushed and fsync'ed, and only then
renamed over the target with ``os.replace`` (atomic on POSIX and Windows);
the folder is fsync'ed too, so the rename itself survives a power cut.
Temporary files are named ``.<name>.<random>.partial`` and removed on any
error; one left by a SIGKILL is ignored by every reader (and by
``latest_checkpoint``, whose pattern it does not match).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PARTIAL_SUFFIX = ".partial"


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """``with atomic_open(path, "w") as f: ...``: ``f`` is a temporary file
    next to ``path``; on a clean exit it replaces ``path``, on an exception
    it is deleted and ``path`` is untouched."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_open(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return Path(path)


def _fsync_dir(folder: Path) -> None:
    # Not possible on every platform/file system (e.g. Windows): best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(path: str | Path, folder: bool = False) -> str | None:
    """Why ``path`` (a file to be written, or with ``folder`` a folder to
    write into) cannot be written, or None when it can: checked before the
    work whose results go there, so a long evaluation or render is not lost to
    a typo in the path. An existing file may be replaced; a missing folder is
    fine if its nearest existing ancestor is a writable folder."""
    p = Path(path)
    if not folder and p.is_dir():
        return f"{str(p)!r} is a folder, not a file"
    probe = p if (folder and p.exists()) else p.parent
    while not probe.exists():
        if probe == probe.parent:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return f"{str(probe)!r} is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{str(probe)!r} is not writable"
    if p.exists() and not p.is_dir() and not os.access(p, os.W_OK):
        return f"{str(p)!r} is not writable"
    return None
