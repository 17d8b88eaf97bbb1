"""Which process holds a hub database: an exclusive flock on the database file itself.

`navbat hub` takes it for its whole life, so `navbat restore` (and a second hub) can tell that
a running hub has the file open. flock locks are separate from the POSIX record locks SQLite
uses on Linux, so this never interferes with SQLite's own locking; the kernel drops the lock
when the process ends, however it ends (kill -9 included), so there is no stale lock to clean.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class HeldByHub(Exception):
    """Another process (a running hub) holds the database."""


def hold(path: str | Path) -> int:
    """Takes the lock without waiting; returns the file descriptor to keep open (closing it
    releases the lock). HeldByHub if someone else has it."""
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HeldByHub(f"{path} is in use by a running hub") from None
    return fd


def release(fd: int) -> None:
    os.close(fd)
