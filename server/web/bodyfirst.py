"""A request's whole body, read on the event loop before the application sees the request (issue 23).

a2wsgi hands a body to the WSGI thread as a stream that thread reads: a client sending its body a
byte every few seconds held one of the pool's threads for as long as it liked, and a few dozen
such clients stopped every kiosk. Here the body is read first, on the loop, within `body_s` plus
its length at `body_rate` (server.connlimits.Limits) and up to `max_body` bytes; only then does
the application (Flask's thread) get the request, with the body already in memory. Too big: 413,
too slow: 408, both JSON, and the connection is closed gently (the protocol's linger). The bodies
in memory at once are bounded too (`body_memory`: a thread no longer bounds them): past it, 503.
"""

from __future__ import annotations

import asyncio
import http
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from navbat.server.web.connlimits import REFUSE, Limits, raw_answer

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyFirst:
    """Wraps an ASGI app: every HTTP request reaches it with its body whole (one `http.request`
    message); after that, `receive` is the server's own (a stream hears the client leave)."""

    def __init__(self, app: ASGIApp, limits: Limits, max_body: int,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        self.app, self.limits, self.max_body = app, limits, max_body
        self.in_memory = 0  # bytes of the bodies being read or served now (announced lengths, then read ones)
        self.headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        held = [0]  # this request's share of in_memory
        try:
            body = await self._read(scope, receive, send, held)
            if body is not None:
                await self._serve(scope, receive, send, body)
        finally:
            self.in_memory -= held[0]

    async def _serve(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        given = False

        async def replay() -> Message:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replay, send)

    def _hold(self, held: list[int], size: int) -> bool:
        """Counts `size` bytes more of this request's body in memory; False past the budget."""
        if size > held[0]:
            if self.in_memory + size - held[0] > self.limits.body_memory:
                return False
            self.in_memory += size - held[0]
            held[0] = size
        return True

    async def _read(self, scope: Scope, receive: Receive, send: Send, held: list[int]) -> bytes | None:
        """The body, or None once the request is answered (or its client gone)."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            return await self._refuse(scope, send, 413, "request_entity_too_large", self._too_large(), coming=declared)
        if not self._hold(held, declared or 0):
            return await self._busy(scope, send, declared or 0)
        loop = asyncio.get_running_loop()
        expected = declared if declared is not None else self.max_body
        deadline = loop.time() + self.limits.body_s + expected / self.limits.body_rate
        parts: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return await self._refuse(scope, send, 408, "request_timeout", "the request's body came too slowly")
            if message["type"] != "http.request":  # the client went away
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return await self._refuse(scope, send, 413, "request_entity_too_large", self._too_large())
            if not self._hold(held, size):
                return await self._busy(scope, send, (declared or 0) - size)
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    def _too_large(self) -> str:
        return f"the body must stay under {self.max_body // 1024} KB"

    async def _busy(self, scope: Scope, send: Send, coming: int = 0) -> None:
        return await self._refuse(scope, send, 503, "busy", "too many requests' bodies at once; try again shortly",
                                  [(b"retry-after", b"5")], coming)

    async def _refuse(self, scope: Scope, send: Send, status: int, error: str, text: str,
                      more: list[tuple[bytes, bytes]] | None = None, coming: int = 0) -> None:
        headers = [*self.headers[1:], *(more or [])]  # raw_answer names the content type
        refuse = scope.get(REFUSE)
        if refuse is not None:  # our protocol: the answer closes the connection, after the rest of the body
            extra = "".join(f"{k.decode('latin-1')}: {v.decode('latin-1')}\r\n" for k, v in headers)
            refuse(raw_answer(status, http.HTTPStatus(status).phrase, error, text, extra), coming)
            return None
        body = json.dumps({"error": error, "message": text}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [*self.headers, *(more or []), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # h11 refuses such a head before it gets here
    return None
