"""One lock for a spool file, shared by every thread and process that touches it.

Several service workers (``serve --workers N``, or instances sharing a volume) spool to the
same file when the database is down, and any of them replays it when the database is back.
One shared file, rather than one per worker, keeps an erasure or an access export complete
(they must see every spooled record) and leaves no orphan files when a worker dies. Appends,
replays (read, insert, delete) and rewrites therefore run under an exclusive ``flock`` on a
lock file beside the spool. The lock file is never deleted: locking the spool itself would
let a writer wait on a file that the replay then unlinks, and append to the lost inode.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_path(spool: Path) -> Path:
    return spool.with_name(spool.name + ".lock")


@contextmanager
def spool_lock(spool: Path) -> Iterator[None]:
    """Hold the spool's lock. Each call opens the lock file afresh, so threads of one process
    exclude each other as well as other processes (flock locks an open file description)."""
    path = lock_path(spool)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
