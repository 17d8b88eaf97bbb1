"""Kiosks and staff first: a request that carries a known device or session token is served ahead of
anonymous ones, by Flask's threads and at the connection cap (issue 23).

An anonymous flood (phones, or an attacker on the guest Wi-Fi) could take every one of Flask's
threads, and once the server held its `connections`, a kiosk that opened a new connection was
refused with the rest. Here:
- `Known`: the sha256 of the tokens the hub has recognised (every device and open session when
  the server starts, then each token a request proved by passing `require`), bounded. A token is
  looked up by its hash on the event loop: no read, no thread; a forged one is simply anonymous;
- `Lanes`: Flask's threads, of which anonymous requests take at most `threads - reserve` at once
  and wait behind every known caller's request; a known caller's takes the next free thread;
- `KnownFirst`: past the connection cap, the protocol (server.connlimits) admits up to `reserve`
  more connections on probation; a request on one is served only if it carries a known token,
  anything else gets the cap's 503 at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from navbat.server.web.connlimits import BUSY, PROBATION, REFUSE

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
KNOWN = "navbat.known"  # the scope's key: True when the request carries a known token
STREAM_PATH = "/api/v1/events"  # the one path whose token may come as ?token= (an EventSource sends no header)
REMEMBERED = 4096  # tokens at once (a branch has dozens of devices and sessions); past it the oldest goes


class Known:
    """The hashes (sha256, hex, as server.web.auth stores them) of tokens the hub has recognised.
    Added to by Flask's threads, read by the loop: single dict operations, atomic under the GIL."""

    def __init__(self, hashes: Iterable[str] = (), remembered: int = REMEMBERED) -> None:
        self.remembered = remembered
        self._hashes: dict[str, None] = {}
        for h in hashes:
            self.add(h)

    def add(self, token_hash: str) -> None:
        if token_hash in self._hashes:
            return
        self._hashes[token_hash] = None
        while len(self._hashes) > self.remembered:
            self._hashes.pop(next(iter(self._hashes)), None)

    def knows(self, scope: Scope) -> bool:
        """Whether the request carries a known token (Authorization: Bearer, or ?token= on the stream)."""
        token = _token(scope)
        return token is not None and hashlib.sha256(token.encode("utf-8", "replace")).hexdigest() in self._hashes


def _token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.startswith(b"Bearer "):
            return value[7:].strip().decode("latin-1")
    if scope.get("path") == STREAM_PATH and b"token=" in scope.get("query_string", b""):
        return dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("token")
    return None


class Lanes:
    """Places on Flask's `threads`, taken on the event loop before a request goes to a thread:
    anonymous requests hold at most `threads - reserve` of them, and a waiting known caller's
    request is given the next free place before any anonymous one."""

    def __init__(self, threads: int, reserve: int) -> None:
        self.threads = threads
        self.anonymous_max = max(1, threads - reserve)
        self.busy = 0
        self.anonymous = 0
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    def _free(self, known: bool) -> bool:
        return self.busy < self.threads and (known or self.anonymous < self.anonymous_max)

    def _take(self, known: bool) -> None:
        self.busy += 1
        self.anonymous += not known

    def _give_back(self, known: bool) -> None:
        self.busy -= 1
        self.anonymous -= not known
        for lane in (True, False):  # known callers first
            queue = self._waiting[lane]
            while queue and self._free(lane):
                waiter = queue.popleft()
                if not waiter.done():
                    self._take(lane)
                    waiter.set_result(None)  # the place is the waiter's now

    @contextlib.asynccontextmanager
    async def place(self, known: bool) -> AsyncIterator[None]:
        queue = self._waiting[known]
        if queue or not self._free(known):
            waiter = asyncio.get_running_loop().create_future()
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # given a place as it was cancelled
                    self._give_back(known)
                else:
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
                raise
        else:
            self._take(known)
        try:
            yield
        finally:
            self._give_back(known)

    async def run(self, known: bool, executor: Any, job: Callable[..., Any], *args: Any) -> Any:
        """`job(*args)` on the executor, once this lane has a place."""
        async with self.place(known):
            return await asyncio.get_running_loop().run_in_executor(executor, job, *args)


class KnownFirst:
    """Wraps an ASGI app: marks each request known or not (scope[KNOWN]) and, on a connection the
    protocol admitted past its cap (scope[PROBATION]), answers an anonymous request with the cap's 503."""

    def __init__(self, app: ASGIApp, known: Known) -> None:
        self.app, self.known = app, known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[KNOWN] = self.known.knows(scope)
            refuse = scope.get(REFUSE)
            if scope.get(PROBATION) and not scope[KNOWN] and refuse is not None:
                refuse(BUSY, _content_length(scope))
                return
        await self.app(scope, receive, send)


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0
