"""Crash-safe file writes: a crash mid-write leaves the previous file whole.

Write to a temporary file in the same folder, fsync it, ``os.replace`` it over
the target (atomic on POSIX), then fsync the folder so the rename itself is
durable. Files are created owner-only (0600): they hold health data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".tmp"


def ensure_private_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) owner-only; tighten it if it is ours and looser.

    Parents are made one by one: mkdir(parents=True) gives them the umask's mode, so
    with umask 0 ``data/photos`` would list every patient's id to every local user."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):
            new.mkdir(mode=DIR_MODE)
        os.chmod(new, DIR_MODE)
    folder = missing[0] if missing else folder
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077 and folder.stat().st_uid == os.getuid():
        os.chmod(folder, mode & ~0o077)


def private_tree(folder: Path) -> None:
    """Make ``folder`` and what is inside owner-only (files copied back by hand after a
    restore come with whatever mode cp gave them). Symbolic links are not followed."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return
    for root, _, files in os.walk(folder, followlinks=False):  # every folder comes as a root
        for path, wanted in [(Path(root), DIR_MODE), *((Path(root) / f, FILE_MODE) for f in files)]:
            info = path.lstat()
            if not path.is_symlink() and info.st_mode & 0o077 and info.st_uid == os.getuid():
                os.chmod(path, wanted)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE, sync_dir: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    sync_dir=False: the caller fsyncs the folder itself (once for many files)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def private_file_mode(path: Path) -> None:
    """Make an existing file owner-only (a file copied in by hand may be world-readable)."""
    if path.exists() and path.stat().st_mode & 0o077:
        os.chmod(path, FILE_MODE)
