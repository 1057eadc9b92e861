"""One exclusive file lock for shared caches and state, used by builds that parallel sessions share."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def cache_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock so parallel test workers do not build the same artifact twice.

    Args:
        lock_file: the lock's file (created if missing); one per cache area.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
