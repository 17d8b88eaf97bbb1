"""One way to run a moving part: every background thread and process of the hub and of HQ is a `Worker`.

A worker has `start`, `stop` (ask, return at once), `join(timeout)`, `wake` and `health`. The
application object (the hub's `Hub`, HQ's app) holds its workers in one `Workers` list, starts
them together and stops them together within one bound (SIGTERM), as pyeventsourcing/eventsourcing's
`Runner` does for a system's followers.

These kinds cover the product:
- `Loop`: a thread calling `step()` again and again; `step` returns how long to wait before the
  next call (a `wake` cuts the wait short). A step that raises is the loop dying: it is logged,
  the worker shows "restarting" with the error, and it runs again after a back-off that doubles
  (1 s, 2 s, … 60 s); past `give_up_after` failures in a row it shows "failed" and stops trying.
- `Held`: a library's threads (a database pool), closed when stopped.
- `Task`: a thread running one function to its end (a server's loop, in tests).
- `ThreadPool`: a pool of threads for short jobs (a request's Flask call, a relayed request).
- `ProcessWorker`: one child process ("spawn") that runs one job at a time, so pure-Python work
  (a big hall's replays, a month's report) never holds the parent's interpreter lock. A child
  that dies or overruns is killed and made again after a back-off; meanwhile `call` raises
  `Unavailable` and the caller does the work itself. The child leaves when the parent's end of its
  pipe closes (the parent exited, however it went).

`ProcessWorker` lives in foundation/worker_process.py. Nothing outside these two modules makes a thread
or a process in the hub or HQ (tests/test_architecture.py holds it so; devices — kiosk, displays,
printers — keep their own).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_S = (1.0, 60.0)  # first wait after a failure, and the most it grows to
STOP_WITHIN_S = 5.0  # all of an application's workers together, on SIGTERM

RUNNING, RESTARTING, FAILED, STOPPED = "running", "restarting", "failed", "stopped"
STATES = (RUNNING, RESTARTING, FAILED, STOPPED)


@dataclass(frozen=True)
class Health:
    name: str
    state: str  # one of STATES
    last_error: str | None  # the latest failure's type and message
    last_beat: float | None  # time.time() when it last finished a step (a job), None before the first
    restarts: int  # how many times it was made to run again after dying

    @property
    def healthy(self) -> bool:
        return self.state in (RUNNING, STOPPED)


class Worker:
    """The interface, with the bookkeeping every kind shares."""

    def __init__(self, name: str, backoff_s: tuple[float, float] = BACKOFF_S, give_up_after: int | None = None
                 ) -> None:
        self.name, self.backoff_s, self.give_up_after = name, backoff_s, give_up_after
        self._state, self._error, self._beat, self._restarts = STOPPED, None, None, 0
        self._failures = 0  # in a row
        self._stopping = threading.Event()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Asks the worker to stop; returns at once (join waits)."""
        self._stopping.set()

    def join(self, timeout: float) -> bool:
        """Waits up to `timeout` seconds for the worker to end; True if it has."""
        return True

    def wake(self) -> None:
        """There is work: do it now rather than at the next tick (a no-op for kinds with no tick)."""

    def health(self) -> Health:
        return Health(self.name, self._state, self._error, self._beat, self._restarts)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # ---- for the kinds ----------------------------------------------------------------

    def _beat_now(self) -> None:
        self._beat, self._failures = time.time(), 0
        if self._state == RESTARTING:
            self._state = RUNNING

    def _failed(self, exc: BaseException) -> float | None:
        """Records a failure; the back-off before the next try, or None if it gives up."""
        self._failures += 1
        self._error = f"{type(exc).__name__}: {exc}"[:300]
        if self.give_up_after is not None and self._failures >= self.give_up_after:
            self._state = FAILED
            log.error("worker %s failed %d times in a row; given up (%s)", self.name, self._failures, self._error)
            return None
        self._state = RESTARTING
        self._restarts += 1
        first, most = self.backoff_s
        return min(first * 2 ** (self._failures - 1), most)

class Loop(Worker):
    """A thread that calls `step()` until stopped; `step` returns seconds to wait before the next call
    (None: `every`). `interrupt` (optional) is called by `stop` to end a wait inside `step`;
    `closing` (optional) runs on the worker's thread once the loop has ended."""

    def __init__(self, name: str, step: Callable[[], float | None], every: float = 60.0,
                 interrupt: Callable[[], None] | None = None, closing: Callable[[], None] | None = None,
                 backoff_s: tuple[float, float] = BACKOFF_S, give_up_after: int | None = None) -> None:
        super().__init__(name, backoff_s, give_up_after)
        self.step, self.every, self._interrupt, self._closing = step, every, interrupt, closing
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None or self.stopping:
            return
        self._state = RUNNING
        self._thread = threading.Thread(target=self._run, name=f"navbat-{self.name}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        super().stop()
        self._woken.set()
        if self._interrupt is not None:
            self._interrupt()
        if self._thread is None:
            self._state = STOPPED

    def join(self, timeout: float) -> bool:
        if self._thread is None or self._thread is threading.current_thread():
            return True
        self._thread.join(max(timeout, 0.0))
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self.stopping:
                self._woken.clear()
                try:
                    wait_s = self.step()
                except Exception as exc:  # noqa: BLE001 - the loop died: reported, and run again after a back-off
                    log.exception("worker %s died", self.name)
                    backoff = self._failed(exc)
                    if backoff is None:
                        return
                    self._stopping.wait(backoff)  # a wake does not cut a back-off short
                    continue
                self._beat_now()
                self._woken.wait(self.every if wait_s is None else max(wait_s, 0.0))
        finally:
            if self._state != FAILED:
                self._state = STOPPED
            if self._closing is not None:
                try:
                    self._closing()
                except Exception:  # noqa: BLE001 - closing a connection at exit: nothing left to do about it
                    log.exception("worker %s did not close cleanly", self.name)


class Task(Worker):
    """A thread running `target()` once, to its end (a server's loop in a test); `interrupt` ends it."""

    def __init__(self, name: str, target: Callable[[], None], interrupt: Callable[[], None]) -> None:
        super().__init__(name)
        self.target, self._interrupt = target, interrupt
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and not self.stopping:
            self._state = RUNNING
            self._thread = threading.Thread(target=self._run, name=f"navbat-{self.name}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self.target()
        except Exception as exc:  # noqa: BLE001 - reported; a task is not restarted
            log.exception("worker %s failed", self.name)
            self._error, self._state = f"{type(exc).__name__}: {exc}"[:300], FAILED
        else:
            self._state = STOPPED

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        super().stop()
        self._interrupt()

    def join(self, timeout: float) -> bool:
        if self._thread is None:
            return True
        self._thread.join(max(timeout, 0.0))
        return not self._thread.is_alive()


class ThreadPool(Worker):
    """Threads for short jobs. A job that raises is logged and shown as the last error; the pool
    itself does not die of it."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(name)
        self.size = size
        self._threads: list[threading.Thread] = []
        self.executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self.executor is None and not self.stopping:
            self._state = RUNNING
            self.executor = ThreadPoolExecutor(self.size, thread_name_prefix=f"navbat-{self.name}",
                                               initializer=lambda: self._threads.append(threading.current_thread()))

    def submit(self, job: Callable[..., T], *args: Any) -> Future[T]:
        """Runs `job(*args)` on the pool (RuntimeError once stopping)."""
        if self.executor is None:
            raise RuntimeError(f"worker {self.name} is not started")
        return self.executor.submit(self._run, job, *args)

    def _run(self, job: Callable[..., T], *args: Any) -> T:
        try:
            result = job(*args)
        except Exception as exc:
            self._error = f"{type(exc).__name__}: {exc}"[:300]
            raise
        self._beat = time.time()
        return result

    def stop(self) -> None:
        super().stop()
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self._state = STOPPED

    def join(self, timeout: float) -> bool:
        until = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(until - time.monotonic(), 0.0))
        return not any(t.is_alive() for t in self._threads)


class Held(Worker):
    """Something the application opened whose threads are a library's (psycopg's connection pool):
    stopping it is closing it, within the time `join` is given."""

    def __init__(self, name: str, close: Callable[[float], None]) -> None:
        super().__init__(name)
        self._close, self._closed = close, False

    def start(self) -> None:
        if not self.stopping:
            self._state = RUNNING

    def join(self, timeout: float) -> bool:
        if not self._closed:
            self._closed = True
            self._close(max(timeout, 0.1))
        self._state = STOPPED
        return True


W = TypeVar("W", bound=Worker)


class Workers:
    """An application's workers: added once, started together, stopped together within a bound."""

    def __init__(self) -> None:
        self._all: list[Worker] = []
        self._started = False

    def add(self, worker: W) -> W:
        """One more worker; started at once if the others are running."""
        self._all.append(worker)
        if self._started:
            worker.start()
        return worker

    def __iter__(self) -> Iterator[Worker]:
        return iter(list(self._all))

    def start(self) -> None:
        self._started = True
        for worker in self._all:
            worker.start()

    def stop(self, within: float = STOP_WITHIN_S) -> list[str]:
        """Asks every worker to stop, then waits for them all within `within` seconds in total;
        the names of those still running after it (logged)."""
        until = time.monotonic() + within
        self._started = False
        for worker in reversed(self._all):  # the last added may use the first (a sweeper, the outbox)
            worker.stop()
        late = [w.name for w in self._all if not w.join(until - time.monotonic())]
        if late:
            log.warning("workers still running after %.1f s: %s", within, ", ".join(late))
        return late

    def health(self) -> list[Health]:
        return [w.health() for w in self._all]
