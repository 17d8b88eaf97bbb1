"""The hub as one ASGI application: live event streams held by the event loop, the rest on threads.

Every request but `/api/v1/events` goes to the Flask app through a2wsgi, on a pool of threads.
A stream request goes through the same Flask app too (guards, tokens, caps, Last-Event-ID, the
safety headers: one place decides), but once the view has admitted it (`server.api.events.LIVE`),
the waiting is done here: an idle subscriber is a coroutine and a socket, never a thread, so no
number of them takes a thread from a kiosk or a clerk. The bus wakes every stream at once through
one future per burst of events.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ
from flask import Flask

from server.api.events import COALESCE_S, LIVE, Subscription
from server.hub import EXTENSION

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
STREAM_PATH = "/api/v1/events"


class Waker:
    """One future that every waiting stream shares; fire() resolves it and starts the next."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def fire(self) -> None:  # on the loop's thread
        if not self.future.done():
            self.future.set_result(None)
            self.future = self._loop.create_future()

    def fire_threadsafe(self) -> None:
        self._loop.call_soon_threadsafe(self.fire)


def _input_terminated(app: Flask) -> Callable:
    """a2wsgi's body reader ends where the request's body ends, chunked or not: say so, or werkzeug
    would read a chunked body as empty."""
    def wsgi(environ: dict[str, Any], start_response: Callable) -> Any:
        environ["wsgi.input_terminated"] = True
        return app(environ, start_response)
    return wsgi


class HubASGI:
    def __init__(self, app: Flask, threads: int) -> None:
        self.app = app
        self.wsgi = WSGIMiddleware(_input_terminated(app), workers=threads)
        self.executor = self.wsgi.executor
        self.waker: Waker | None = None
        self.closing: asyncio.Future[None] | None = None  # resolved when the server stops: every stream ends
        self._stop_listening: Callable[[], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == STREAM_PATH and self.closing is not None:
            await self._events(scope, receive, send)
        else:
            await self.wsgi(scope, receive, send)

    def close_streams(self) -> None:
        """Ends every live stream (from any thread), so that the server can stop at once."""
        closing = self.closing
        if closing is not None:
            closing.get_loop().call_soon_threadsafe(lambda: closing.done() or closing.set_result(None))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.waker = Waker(asyncio.get_running_loop())
                self.closing = asyncio.get_running_loop().create_future()
                self._stop_listening = self.app.extensions[EXTENSION].bus.listen(self.waker.fire_threadsafe)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stop_listening is not None:
                    self._stop_listening()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        environ = build_environ(scope, io.BytesIO())
        live: list[Subscription] = []
        environ[LIVE] = live
        loop = asyncio.get_running_loop()
        status, headers, body = await loop.run_in_executor(self.executor, _call, self.app, environ)
        if live:  # the view's answer had no body: the stream's length is unknown (chunked)
            headers = [(k, v) for k, v in headers if k != b"content-length"]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if not live:  # refused, a catch-up, a HEAD: Flask's answer as it is
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        try:
            await self._stream(live[0], receive, send)
            await send({"type": "http.response.body", "body": b""})  # the server is stopping: end it cleanly
        finally:
            live[0].release()

    async def _stream(self, sub: Subscription, receive: Receive, send: Send) -> None:
        gone = asyncio.ensure_future(_disconnected(receive))
        cursor, loop = sub.cursor, asyncio.get_running_loop()
        try:
            await _send_text(send, cursor.opening())
            while not gone.done() and not self.closing.done():
                if not cursor.pending():
                    await asyncio.wait((self.waker.future, gone, self.closing), timeout=sub.heartbeat_s,
                                       return_when=asyncio.FIRST_COMPLETED)
                    if gone.done() or self.closing.done():
                        return
                    if not cursor.pending():
                        await _send_text(send, ": keep-alive\n\n")
                        continue
                # The events of the next few milliseconds join this write: one write per burst.
                await asyncio.sleep(COALESCE_S)
                # A subscriber far behind (a reconnect after a long gap) reads the log: on a thread.
                text = cursor.take() if cursor.in_memory() else await loop.run_in_executor(self.executor, cursor.take)
                if text:
                    await _send_text(send, text)
        finally:
            gone.cancel()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_text(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


def _call(app: Flask, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The Flask app's answer to one request, whole: (status, headers, body)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        started[:] = [int(status.split(" ", 1)[0]), [(k.lower().encode("latin1"), v.encode("latin1"))
                                                    for k, v in headers]]
        return lambda chunk: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return started[0], started[1], body
