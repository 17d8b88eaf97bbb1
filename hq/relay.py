"""HQ's side of the relay (issue 18): visitors' requests for a branch wait here for the branch's long-poll.

A branch is online while its poll is held open, or was within ONLINE_GRACE_S (the moment between one
poll's answer and the next). A request for a branch that is not online is refused at once (never
queued), and one the branch does not answer within ANSWER_S is given up: it leaves the queue if it
was still there, and the branch does not run a request that reaches it past its deadline.

The queues live in this process's memory: `navbat hq` relays with one worker process (its default);
with --workers N a visitor and the branch's poll may land on different processes (see README).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ONLINE_GRACE_S = 3.0  # between one poll's answer and the next (a WAN round trip or two)
ANSWER_S = 15.0
BATCH = 16


@dataclass
class _Pending:
    req: dict[str, Any]
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict[str, Any] | None = None


@dataclass
class _Branch:
    queue: deque[_Pending] = field(default_factory=deque)
    polls: int = 0  # polls held open now
    last_seen: float = float("-inf")
    wakers: set[Callable[[], None]] = field(default_factory=set)  # polls waiting on an event loop


class Relay:
    def __init__(self, answer_s: float = ANSWER_S, grace_s: float = ONLINE_GRACE_S) -> None:
        self.answer_s, self.grace_s = answer_s, grace_s
        self._lock = threading.Condition()
        self._branches: dict[str, _Branch] = {}
        self._pending: dict[str, tuple[str, _Pending]] = {}
        self._ids = itertools.count(1)

    def _branch(self, branch: str) -> _Branch:
        return self._branches.setdefault(branch, _Branch())

    def online(self, branch: str) -> bool:
        with self._lock:
            b = self._branches.get(branch)
            return b is not None and (b.polls > 0 or time.monotonic() - b.last_seen <= self.grace_s)

    def poll(self, branch: str, wait_s: float) -> list[dict[str, Any]]:
        """The branch's long-poll, holding a thread (the WSGI route): the requests waiting for it (up to
        BATCH), or [] after wait_s."""
        end = time.monotonic() + wait_s
        with self._lock:
            b = self._enter(branch)
            try:
                while True:
                    out = self._take(b)
                    if out or time.monotonic() >= end:
                        return out
                    self._lock.wait(end - time.monotonic())
            finally:
                self._leave(b)

    async def poll_async(self, branch: str, wait_s: float, gone: asyncio.Future[Any]) -> list[dict[str, Any]] | None:
        """The same on the event loop, holding no thread (hq/asgi.py serves the poll so: a country's
        branches each keep one open). None if the branch hung up first (`gone` done)."""
        loop, woken = asyncio.get_running_loop(), asyncio.Event()
        end = time.monotonic() + wait_s
        wake = lambda: loop.call_soon_threadsafe(woken.set)  # noqa: E731 - called from visitors' threads
        with self._lock:
            b = self._enter(branch)
            b.wakers.add(wake)
        try:
            while True:
                with self._lock:
                    out = self._take(b)
                if out or time.monotonic() >= end:
                    return out
                woken.clear()
                waiter = asyncio.ensure_future(woken.wait())
                await asyncio.wait({waiter, gone}, timeout=end - time.monotonic(),
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if gone.done():
                    return None
        finally:
            with self._lock:
                b.wakers.discard(wake)
                self._leave(b)

    def _enter(self, branch: str) -> _Branch:
        b = self._branch(branch)
        b.polls += 1
        return b

    def _leave(self, b: _Branch) -> None:
        b.polls -= 1
        b.last_seen = time.monotonic()

    def _take(self, b: _Branch) -> list[dict[str, Any]]:
        now = time.monotonic()
        while b.queue and b.queue[0].deadline <= now:  # given up on: the visitor was told
            b.queue.popleft()
        out = []
        while b.queue and len(out) < BATCH:
            p = b.queue.popleft()
            out.append({**p.req, "expires_in": round(p.deadline - now, 3)})
        return out

    def forward(self, branch: str, req: dict[str, Any]) -> dict[str, Any] | None:
        """Hands a visitor's request to the branch and waits for its answer; None if it did not come in
        time. Raises Offline when the branch keeps no link now."""
        if not self.online(branch):
            raise Offline(branch)
        rid = f"{next(self._ids)}"
        pending = _Pending({**req, "id": rid}, time.monotonic() + self.answer_s)
        with self._lock:
            self._pending[rid] = (branch, pending)
            b = self._branch(branch)
            b.queue.append(pending)
            self._lock.notify_all()
            for wake in b.wakers:
                wake()
        try:
            pending.done.wait(self.answer_s)
            return pending.answer
        finally:
            with self._lock:
                self._pending.pop(rid, None)
                queue = self._branch(branch).queue
                if pending in queue:
                    queue.remove(pending)

    def answer(self, branch: str, rid: str, answer: dict[str, Any]) -> bool:
        """The branch's answer to request `rid`; False if HQ no longer waits for it (or it is not this branch's)."""
        with self._lock:
            found = self._pending.get(rid)
            if found is None or found[0] != branch:
                return False
            found[1].answer = answer
            found[1].done.set()
            return True


class Offline(Exception):
    pass
