"""Kiosks and staff first: a request that carries a known device or session token is served ahead of
anonymous ones, by Flask's threads and at the connection cap (issue 23).

An anonymous flood (phones, or an attacker on the guest Wi-Fi) could take every one of Flask's
threads, and once the server held its `connections`, a kiosk that opened a new connection was
refused with the rest. And with 32 requests on 32 threads at once (a call: 30 wall displays
re-read the queues together) each took the GIL from the others in turn: a kiosk's ticket, 3 ms of
work, was answered after all of them. Here:
- `Known`: the sha256 of the tokens the hub has recognised (every device and open session when
  the server starts, then each token a request proved by passing `require`), with their rank:
  FIRST for kiosks, clerks and heads (a person waits at the screen), DEVICE for the other
  devices. A token is looked up by its hash on the event loop: no read, no thread; a forged one
  is simply ANONYMOUS;
- `Lanes`: a few places on Flask's threads (fewer than the threads: requests are CPU, and more of
  them at once only share the GIL); FIRST has places of its own, the others share theirs (anonymous
  requests never hold the last one), and a free place goes to the best rank waiting;
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
RANK = "navbat.rank"  # the scope's key: the request's rank (FIRST, DEVICE or ANONYMOUS)
FIRST, DEVICE, ANONYMOUS = 0, 1, 2
FIRST_ROLES = ("kiosk", "clerk", "head")  # someone stands at the screen waiting for the answer
STREAM_PATH = "/api/v1/events"  # the one path whose token may come as ?token= (an EventSource sends no header)
REMEMBERED = 4096  # tokens at once (a branch has dozens of devices and sessions); past it the oldest goes


def rank_of(role: str) -> int:
    return FIRST if role in FIRST_ROLES else DEVICE


class Known:
    """The hashes (sha256, hex, as server.web.auth stores them) of tokens the hub has recognised, and
    their ranks. Added to by Flask's threads, read by the loop: single dict operations, atomic under the GIL."""

    def __init__(self, roles: Iterable[tuple[str, str]] = (), remembered: int = REMEMBERED) -> None:
        self.remembered = remembered
        self._ranks: dict[str, int] = {}
        for token_hash, role in roles:
            self.add(token_hash, role)

    def add(self, token_hash: str, role: str) -> None:
        rank = rank_of(role)
        if self._ranks.get(token_hash) == rank:
            return
        self._ranks[token_hash] = rank
        while len(self._ranks) > self.remembered:
            self._ranks.pop(next(iter(self._ranks)), None)

    def rank(self, scope: Scope) -> int:
        """The rank of the request's token (Authorization: Bearer, or ?token= on the stream); ANONYMOUS if unknown."""
        token = _token(scope)
        if token is None:
            return ANONYMOUS
        return self._ranks.get(hashlib.sha256(token.encode("utf-8", "replace")).hexdigest(), ANONYMOUS)


def _token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.startswith(b"Bearer "):
            return value[7:].strip().decode("latin-1")
    if scope.get("path") == STREAM_PATH and b"token=" in scope.get("query_string", b""):
        return dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("token")
    return None


class Lanes:
    """Places on Flask's threads, taken on the event loop before a request goes to a thread. Kiosks'
    and staff's requests (FIRST) have `first_places` of their own; the others share `places`, of
    which anonymous ones hold at most `places - 1`. A free place goes to the request waiting longest
    in the best rank; a rank never waits behind a worse one."""

    def __init__(self, first_places: int, places: int) -> None:
        self.first_places, self.places = first_places, places
        self.anonymous_max = max(1, places - 1)
        self.first = self.busy = self.anonymous = 0  # FIRST's places taken; the others'; of those, anonymous
        self._waiting: list[deque[asyncio.Future[None]]] = [deque() for _ in (FIRST, DEVICE, ANONYMOUS)]

    def _free(self, rank: int) -> bool:
        if rank == FIRST:
            return self.first < self.first_places
        return self.busy < self.places and (rank == DEVICE or self.anonymous < self.anonymous_max)

    def _take(self, rank: int, n: int = 1) -> None:
        if rank == FIRST:
            self.first += n
        else:
            self.busy += n
            self.anonymous += n if rank == ANONYMOUS else 0

    def _give_back(self, rank: int) -> None:
        self._take(rank, -1)
        for lane, queue in enumerate(self._waiting):  # the best rank first
            while queue and self._free(lane):
                waiter = queue.popleft()
                if not waiter.done():
                    self._take(lane)
                    waiter.set_result(None)  # the place is the waiter's now

    def _ahead(self, rank: int) -> bool:
        """Whether a request of this rank or better already waits."""
        return any(self._waiting[r] for r in range(rank + 1))

    @contextlib.asynccontextmanager
    async def place(self, rank: int) -> AsyncIterator[None]:
        queue = self._waiting[rank]
        if self._ahead(rank) or not self._free(rank):
            waiter = asyncio.get_running_loop().create_future()
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # given a place as it was cancelled
                    self._give_back(rank)
                else:
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
                raise
        else:
            self._take(rank)
        try:
            yield
        finally:
            self._give_back(rank)

    async def run(self, rank: int, executor: Any, job: Callable[..., Any], *args: Any) -> Any:
        """`job(*args)` on the executor, once a place is this request's."""
        async with self.place(rank):
            return await asyncio.get_running_loop().run_in_executor(executor, job, *args)


class KnownFirst:
    """Wraps an ASGI app: gives each request its rank (scope[RANK]) and, on a connection the
    protocol admitted past its cap (scope[PROBATION]), answers an anonymous request with the cap's 503."""

    def __init__(self, app: ASGIApp, known: Known) -> None:
        self.app, self.known = app, known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RANK] = self.known.rank(scope)
            refuse = scope.get(REFUSE)
            if scope.get(PROBATION) and scope[RANK] == ANONYMOUS and refuse is not None:
                refuse(BUSY, _content_length(scope))
                return
        await self.app(scope, receive, send)


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0
