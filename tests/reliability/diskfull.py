"""A full disk or a slow one, on demand, for whatever layout the storage uses.

Full: every fsync fails with ENOSPC. Each durable write of the storage (one file,
documents per user, a journal) ends with an fsync before it counts as saved, so
this is what a full disk or a failing device looks like to it: the write is
refused, nothing half-written counts. Slow: every write reaches the file system
``slow`` seconds late (``os.pwrite``, ``os.write``, and ``os.replace`` for files
replaced whole), as with a large database or a busy disk: a process killed
meanwhile has not written it.

Tests switch it in-process (:class:`DiskFull`); tests.reliability.botproc from
outside with a flag file (``--disk-full-flag PATH``: full while PATH exists) and
``--slow-fsync SECONDS``, for the soak and tests that run the bot in a process.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

SLOWED = ("pwrite", "write", "replace")


class DiskFull:
    def __init__(self, flag: Path | None = None, slow: float = 0.0) -> None:
        self.flag = flag
        self.slow = slow
        self.on = False
        self.refused = 0  # fsyncs refused so far
        self._real: dict[str, Any] = {}

    @property
    def full(self) -> bool:
        return self.on or (self.flag is not None and self.flag.exists())

    def install(self) -> DiskFull:
        self._real = {name: getattr(os, name) for name in ("fsync", *SLOWED)}
        real_fsync = self._real["fsync"]

        def fsync(fd: FileDescriptorLike) -> None:
            if self.full:
                self.refused += 1
                raise OSError(errno.ENOSPC, "No space left on device (injected)")
            real_fsync(fd)

        os.fsync = fsync
        if self.slow:
            for name in SLOWED:
                setattr(os, name, self._slowed(self._real[name]))
        return self

    def _slowed(self, real: Any) -> Any:
        def slowly(*args: Any, **kwargs: Any) -> Any:
            time.sleep(self.slow)
            return real(*args, **kwargs)

        return slowly

    def uninstall(self) -> None:
        for name, real in self._real.items():
            setattr(os, name, real)
        self._real = {}

    def __enter__(self) -> DiskFull:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()
