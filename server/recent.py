"""A derived value kept while it is recent enough: the wait estimates.

Replaying the floor for estimates costs milliseconds per call and grows with the hall;
recomputing it on every ticket would serialise the kiosks behind it. So a value is
reused until the floor has changed *and* it is `settle` seconds old (or lacks what the
caller needs), or until it is `expire` seconds old whatever happened. One thread
computes; meanwhile the others keep answering with the previous value instead of
queueing behind the computation (no caller ever waits for another, so no lock order
can deadlock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    version: int
    at: float
    value: T


class Recent(Generic[T]):
    def __init__(self, compute: Callable[[], T], settle: float = 5.0, expire: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._compute, self.settle, self.expire, self._clock = compute, settle, expire, clock
        self._entry: _Entry[T] | None = None
        self._busy = threading.Lock()

    def _usable(self, entry: _Entry[T] | None, version: int, holds: Callable[[T], bool] | None) -> bool:
        if entry is None:
            return False
        if entry.version == version:
            return self._clock() - entry.at < self.expire
        if holds is not None and not holds(entry.value):
            return False  # it predates what the caller asks about: recompute if nobody is
        return self._clock() - entry.at < self.settle

    def get(self, version: int, holds: Callable[[T], bool] | None = None) -> T:
        """The value for this version of the floor; `holds` tells whether an older value
        still answers the caller (e.g. has an estimate for their new ticket)."""
        entry = self._entry
        if self._usable(entry, version, holds):
            return entry.value  # type: ignore[union-attr]
        if not self._busy.acquire(blocking=False):
            if entry is not None:
                return entry.value  # another thread is computing; the previous value will do
            return self._compute()  # never wait here: the caller may hold the floor's lock
        try:
            if self._entry is not entry and self._usable(self._entry, version, holds):
                return self._entry.value  # type: ignore[union-attr]
            value = self._compute()
            self._entry = _Entry(version, self._clock(), value)
            return value
        finally:
            self._busy.release()

    def clear(self) -> None:
        self._entry = None
