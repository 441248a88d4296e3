"""An exclusive, non-blocking lock on a store directory (one writer at a time)."""

from __future__ import annotations

import fcntl
import os
from typing import TYPE_CHECKING

from giamdinh.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

LOCK_NAME = ".lock"


class StoreLock:
    """``flock`` on ``<store>/.lock``; released when the process ends, even on kill.

    The lock file itself is never removed, so taking and releasing the lock does not
    change the store's content.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``StoreError`` naming the store.

        Raises:
            StoreError: another process (an ingest) holds the lock.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            msg = (
                f"claim store {self.path.parent} is locked by another ingest; "
                "wait for it to finish and run again"
            )
            raise StoreError(msg) from exc
        self._fd = fd

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether it was taken."""
        try:
            self.acquire()
        except StoreError:
            return False
        return True

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
