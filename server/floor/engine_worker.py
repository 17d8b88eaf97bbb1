"""A big hall's replays in a process of their own, so they never hold the hub's interpreter lock.

A refresh of a hall of 1,000 replays for a tenth of a second or more of pure Python. On the
refresh thread it would share the GIL with every request: a kiosk's ticket, whose SQLite calls
each give the lock up and wait to get it back, would wait behind it (issue 27: 249 ms p99 at
1,000 waiting). The engine is pure (queueing/ imports nothing of the hub), so the same call runs
in one worker process (foundation/worker_process.py's ProcessWorker, one of the hub's workers) and gives the
same numbers. A small hall stays on the thread: the worker's round trip would cost more than its
replays. While the process is unavailable (it died and waits out its back-off before it is made
again, or it failed for good), refreshes run on the thread, as they did before there was a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from navbat.foundation.worker_process import ProcessWorker, Unavailable

from navbat import queueing

log = logging.getLogger(__name__)
FROM_WAITING = 100  # below this many waiting, replays cost less than the trip to the worker
TIMEOUT_S = 60.0


class EngineWorker:
    def __init__(self, from_waiting: int = FROM_WAITING) -> None:
        self.from_waiting = from_waiting
        self.worker = ProcessWorker("engine", timeout_s=TIMEOUT_S)

    def estimate_floor(self, state: queueing.QueueState, rules: queueing.Rules, services: Iterable[str],
                       ) -> tuple[dict[int, queueing.Estimate], dict[str, queueing.Estimate]]:
        """queueing.estimate_floor(state, rules, services), in the worker when the hall is big."""
        services = list(services)
        if len(state.waiting) >= self.from_waiting:
            try:
                return self.worker.call(queueing.estimate_floor, state, rules, services)
            except Unavailable:
                pass  # on the hub's own thread this time
        return queueing.estimate_floor(state, rules, services)

    def stop(self) -> None:
        self.worker.stop()
