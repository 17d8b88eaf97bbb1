"""A big hall's replays in a process of their own, so they never hold the hub's interpreter lock.

A refresh of a hall of 1,000 replays for a tenth of a second or more of pure Python. On the
refresh thread it would share the GIL with every request: a kiosk's ticket, whose SQLite calls
each give the lock up and wait to get it back, would wait behind it (issue 27: 249 ms p99 at
1,000 waiting). The engine is pure (queueing/ imports nothing of the hub), so the same call runs
in one worker process, started on first need ("spawn": the hub has threads, so no fork), and
gives the same numbers. A small hall stays on the thread: the worker's round trip would cost more
than its replays. If the worker fails (it died, or could not start), that refresh and every later
one run on the thread, as they did before there was a worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from navbat import queueing

log = logging.getLogger(__name__)
FROM_WAITING = 100  # below this many waiting, replays cost less than the trip to the worker
TIMEOUT_S = 60.0


class EngineWorker:
    def __init__(self, from_waiting: int = FROM_WAITING) -> None:
        self.from_waiting = from_waiting
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._stopped = False

    def estimate_floor(self, state: queueing.QueueState, rules: queueing.Rules, services: Iterable[str],
                       ) -> tuple[dict[int, queueing.Estimate], dict[str, queueing.Estimate]]:
        """queueing.estimate_floor(state, rules, services), in the worker when the hall is big."""
        services = list(services)
        pool = self._worker() if len(state.waiting) >= self.from_waiting else None
        if pool is not None:
            try:
                return pool.submit(queueing.estimate_floor, state, rules, services).result(TIMEOUT_S)
            except (BrokenProcessPool, OSError, TimeoutError):
                log.exception("the estimates' worker failed; replaying on the hub's own thread from now on")
                self._drop(pool)
        return queueing.estimate_floor(state, rules, services)

    def _worker(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and not self._stopped:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_follow_parent, initargs=(os.getpid(),))
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            self._stopped = True  # no worker again: a start that failed once would fail at every refresh
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        with self._lock:
            self._stopped, pool, self._pool = True, self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _follow_parent(parent: int) -> None:
    """In the worker: leave when the hub is gone, however it went (a SIGKILL tells nobody), rather
    than linger as an orphan."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="navbat-follow-hub", daemon=True).start()
