"""Keeps the floor's wait estimates fresh in a background thread.

Replaying the floor forward for estimates takes tens of milliseconds in a busy hall.
Done in request threads it would put that cost on every ticket (and, with the GIL,
on every other request). Here one daemon thread recomputes shortly after the floor
changes (a burst of changes settles first) and every `period` seconds anyway, since
waits move with the clock; requests read the latest result and never wait for it. The thread is
`worker` (foundation/workers.py's Loop), which the hub starts and stops with its others; a replay
that raises is the loop dying, restarted after a back-off and shown on /metrics and /head.

At most one refresh runs at a time and it always replays the newest state, so a burst of
changes costs one. It also keeps to `share` of a core: after a refresh that took c seconds
the next waits c × (1 / share - 1) (at most `period`), so a hall of 1,000 whose replay takes
150 ms is refreshed every few seconds, not after every ticket (issue 27). c is counted on the
clock, not as this thread's CPU: the replays may run in another process (server/floor/engine_worker.py),
and on a busy machine a longer gap is the right answer anyway. Someone
waiting for a fresh value (`settle_now`: a visitor looking up their ticket) is not made to
wait out that gap: only changes make refreshes, so this cannot be used to spin the thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from navbat.foundation.workers import Loop

T = TypeVar("T")


class WaitKeeper(Generic[T]):
    def __init__(self, compute: Callable[[], T], settle: float = 0.2, period: float = 15.0,
                 on_value: Callable[[T], None] | None = None, share: float = 1.0) -> None:
        self._compute, self.settle, self.period = compute, settle, period
        self.share = share  # of a core, at most, for refreshes after changes (1: no gap beyond `settle`)
        self._cost = 0.0  # seconds the last refresh took
        self._finished = 0.0  # time.monotonic() when it ended
        self._waiters = 0  # threads in settle_now
        self._on_value = on_value  # told of each new value, on the thread that computed it
        self._cond = threading.Condition()
        self._version = 0  # bumped by changed()
        self._done = -1  # the version the current value was computed for
        self._value: T | None = None
        self._stopped = False
        self.worker = Loop("waits", self._step, interrupt=self._interrupt)

    def changed(self) -> None:
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def get(self) -> T:
        """The latest value; the first call computes it in the caller's thread."""
        if self._value is None:
            self._refresh()
        return self._value  # type: ignore[return-value]

    def peek(self) -> T | None:
        """The latest value, or None before the first; never computes in the caller's thread."""
        return self._value

    def settle_now(self, timeout: float = 10.0) -> T:
        """Wait until the value reflects every change so far (tests, reports)."""
        self.get()
        with self._cond:
            target = self._version
            self._waiters += 1
            self._cond.notify_all()  # a refresh held back by the gap goes now
            try:
                self._cond.wait_for(lambda: self._done >= target or self._stopped, timeout)
            finally:
                self._waiters -= 1
        return self._value  # type: ignore[return-value]

    def gap(self) -> float:
        """Seconds to leave between the last refresh's end and the next one, to keep to `share`."""
        return min(self._cost * (1 / self.share - 1), self.period) if self.share < 1 else 0.0

    def stop(self) -> None:
        self.worker.stop()

    def _interrupt(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _refresh(self) -> None:
        with self._cond:
            version = self._version
        started = time.monotonic()
        try:
            value = self._compute()
        finally:
            with self._cond:
                self._finished = time.monotonic()
                self._cost = self._finished - started
        with self._cond:
            self._value, self._done = value, max(self._done, version)
            self._cond.notify_all()
        if self._on_value is not None:
            self._on_value(value)

    def _hold_back(self) -> None:
        """Let a burst of changes land before replaying (`settle`), and keep to the share of a
        core (`gap`) unless someone waits for a fresh value."""
        with self._cond:
            settled_at = time.monotonic() + self.settle
            while not self._stopped:
                until = settled_at if self._waiters else max(settled_at, self._finished + self.gap())
                left = until - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def _step(self) -> float:
        """The worker's step: wait for a change (or `period`), let it settle, replay."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or self._version > self._done, self.period)
            if self._stopped:
                return 0.0
            changed = self._version > self._done
        if changed:
            self._hold_back()
        if not self._stopped:
            self._refresh()
        return 0.0
