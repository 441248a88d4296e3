"""An exclusive, non-blocking lock on a store directory (one writer at a time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from giamdinh.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

LOCK_NAME = ".lock"


class StoreLock:
    """An OS lock on ``<store>/.lock``; released when the process ends, even on kill.

    ``filelock`` takes ``flock`` on Unix and ``msvcrt.locking`` on Windows (where
    hospital BHYT offices work), so no Unix-only module sits on the import path.
    On Unix the lock file itself is never removed, so taking and releasing the
    lock does not change the store's content.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self._lock = FileLock(self.path, timeout=0, thread_local=False)
        self._held = False

    def acquire(self) -> None:
        """Take the lock or raise ``StoreError`` naming the store.

        Raises:
            StoreError: another process (an ingest) holds the lock.
        """
        if self._held:
            return
        try:
            self._lock.acquire(timeout=0)
        except Timeout as exc:
            msg = (
                f"claim store {self.path.parent} is locked by another ingest; "
                "wait for it to finish and run again"
            )
            raise StoreError(msg) from exc
        self._held = True

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether it was taken."""
        try:
            self.acquire()
        except StoreError:
            return False
        return True

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._held:
            self._lock.release(force=True)
            self._held = False

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._held

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
