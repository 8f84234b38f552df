"""Request ids that sort by time, so the store's index on them grows at one end.

A random id (``uuid4``) lands each new score row at a random place in the request-id index:
once the table outgrows the database's cache every insert dirties another page (on SQLite a
4 KiB page written to the log per row), and the cost per stored score grew with the table. Here
the first 12 hex digits are the milliseconds since 1970 and the other 20 are random (the layout
of a UUIDv7 without its version bits): new rows append, and ids stay unique and unguessable
enough for an identifier that is not a secret.
"""

from __future__ import annotations

import os
import time


def new_request_id() -> str:
    """32 hex digits, ordered by creation time (to the millisecond)."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
