"""The kind of worker that is a process: one child running jobs one at a time (foundation/workers.py says
how workers are run; this is the one module besides it that makes a process)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from navbat.foundation.workers import BACKOFF_S, FAILED, RUNNING, STOPPED, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")


class Unavailable(Exception):
    """The worker process cannot take the job now (stopped, in its back-off, or given up)."""


class ProcessWorker(Worker):
    """One child process running jobs one at a time: `call(fn, *args)` (fn importable by name, as
    pickle needs). Made on the first call, not at start: most of a hub's life needs no child, and a
    test makes hundreds of hubs."""

    def __init__(self, name: str, timeout_s: float = 60.0, give_up_after: int | None = 5,
                 backoff_s: tuple[float, float] = BACKOFF_S) -> None:
        super().__init__(name, backoff_s, give_up_after)
        self.timeout_s = timeout_s
        self._lock = threading.Lock()  # one job at a time
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._retry_at = 0.0  # time.monotonic() before which no child is made (the back-off)
        self._started = False

    def start(self) -> None:
        if not self.stopping:
            self._started, self._state = True, RUNNING

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None else None

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in the child; Unavailable if it cannot run there now; fn's own exception as raised."""
        with self._lock:
            if not self._started or self.stopping or self._state == FAILED or time.monotonic() < self._retry_at:
                raise Unavailable(f"worker {self.name} is {self._state}")
            try:
                conn, child = self._ensure()
                conn.send((fn, args))
                ready = wait([conn, child.sentinel], self.timeout_s)
                if conn in ready:
                    ok, value = conn.recv()
                else:
                    raise TimeoutError(f"no answer in {self.timeout_s:.0f} s" if not ready else "the process died")
            except (OSError, EOFError, TimeoutError) as exc:
                self._kill()
                if self.stopping:
                    raise Unavailable(f"worker {self.name} stopped") from exc
                log.error("worker %s: %s; made again after a back-off", self.name, exc)
                backoff = self._failed(exc)
                self._retry_at = time.monotonic() + (backoff or 0.0)
                raise Unavailable(str(exc)) from exc
            self._beat_now()
        if not ok:
            raise value
        return value

    def _ensure(self) -> tuple[Connection, multiprocessing.process.BaseProcess]:
        if self._child is not None and not self._child.is_alive():
            raise EOFError("the process died")  # between calls: a failure like one during a call (a back-off)
        if self._child is None:
            ctx = multiprocessing.get_context("spawn")  # never fork a process with threads (and their locks)
            mine, theirs = ctx.Pipe()
            child = ctx.Process(target=_serve, args=(theirs,), name=f"navbat-{self.name}", daemon=True)
            child.start()
            theirs.close()  # only the child holds its end: the parent's exit is its EOF
            self._child, self._conn = child, mine
        return self._conn, self._child  # type: ignore[return-value]

    def _kill(self) -> None:
        child, conn, self._child, self._conn = self._child, self._conn, None, None
        if conn is not None:
            conn.close()
        if child is not None:
            child.kill()
            child.join(1.0)

    def stop(self) -> None:
        """An idle child: its pipe closed, it leaves at once. A child at a job: killed (the caller's
        `call` raises Unavailable)."""
        super().stop()
        if self._lock.acquire(blocking=False):
            try:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            finally:
                self._lock.release()
        else:
            child = self._child
            if child is not None:
                child.kill()
        self._state = STOPPED

    def join(self, timeout: float) -> bool:
        child = self._child
        if child is None:
            return True
        child.join(max(timeout, 0.0))
        return not child.is_alive()


def _serve(conn: Connection) -> None:
    """In the child: run jobs until the parent's end closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller as it was raised
            answer = (False, exc)
        try:
            conn.send(answer)
        except (OSError, EOFError):
            return
