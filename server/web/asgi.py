"""The hub as one ASGI application: live event streams held by the event loop, the rest on threads.

Every request but `/api/v1/events` goes to the Flask app through a2wsgi, on a pool of threads.
A stream request goes through the same Flask app too (guards, tokens, caps, Last-Event-ID, the
safety headers: one place decides), but once the view has admitted it (`server.api.events.LIVE`),
the waiting is done here: an idle subscriber is a coroutine and a socket, never a thread, so no
number of them takes a thread from a kiosk or a clerk. The bus wakes every stream at once through
one future per burst of events (Broadcaster). Under the hub's own server (uvicorn's h11, whose
protocol puts the socket's transport in the scope) a stream's events are written by the
broadcaster itself, straight to the socket, the same bytes to all who stand at the same place
(server/web/fanout.py); its coroutine only opens it, reads the log for it when it is far behind,
and ends it.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ
from flask import Flask, g, request_finished
from navbat.server.floor.events import KEEP_ALIVE
from navbat.server.hub import EXTENSION
from navbat.server.web import fanout
from navbat.server.web.api.events import COALESCE_S, HEARTBEAT_S, LIVE, Subscription
from navbat.server.web.connlimits import TRANSPORT
from navbat.server.web.lanes import ANONYMOUS, DEVICE, RANK, Known, Lanes

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
STREAM_PATH = "/api/v1/events"
PUBLIC_COALESCE_S = 1.0
PUBLIC_LANES = 20
PUBLIC_SPREAD_S = 0.5
# Anonymous streams written a second, at most: past a thousand phones, their bursts come further
# apart (2,000: every 2 s) rather than taking more of the loop from kiosks and clerks (issue 23).
PUBLIC_PER_SECOND = 1000
# Of the loop's time, at most, for writing bursts to streams: after a wake-up whose writes took c
# seconds of the loop thread's CPU, the next burst waits c × (1 / SHARE - 1) at least. A write is a
# system call per stream; with 1,000 displays and clerks calling fast, bursts 20 ms apart took the
# loop whole (issue 27). Later bursts carry more events each instead; kiosks and clerks keep the rest.
FANOUT_SHARE = 0.5
FANOUT_SLICE = 100  # streams written in one turn of the loop: requests that came meanwhile go between slices
# Requests on Flask's threads at once (server.web.lanes), at most: they are Python under one GIL, so
# more at once only take it from each other (30 displays re-reading the queues at a call held a
# kiosk's ticket behind them all); the rest wait on the loop. Kiosks and staff have places of their
# own; displays, tablets and anonymous requests share the others.
FIRST_PLACES = 8
PLACES = 16


class Broadcaster:
    """Futures that waiting streams share, one per lane. A burst of events resolves them once,
    coalesce_s after the first (so the events of that moment go out in one write), and so does each
    heartbeat with nothing new; then new futures take their place. Thousands of streams cost one
    callback each per burst: no timer, no task, no lock of their own. With several lanes, the lanes
    are woken one after another across spread_s: the loop writes to a few hundred streams at a
    time and answers kiosks in between, instead of writing to thousands in one block."""

    def __init__(self, loop: asyncio.AbstractEventLoop, coalesce_s: float, heartbeat_s: float,
                 lanes: int = 1, spread_s: float = 0.0, share: float = FANOUT_SHARE, per_second: int = 0) -> None:
        self._loop, self.coalesce_s, self.heartbeat_s = loop, coalesce_s, heartbeat_s
        self.spread_s, self.share, self.per_second = spread_s, share, per_second
        self.quiet_until = 0.0  # loop.time() before which no burst begins (FANOUT_SHARE)
        self.futures: list[asyncio.Future[None]] = [loop.create_future() for _ in range(lanes)]
        self.streams: list[set[fanout.RawStream]] = [set() for _ in range(lanes)]  # written by _wake itself
        self._burst: asyncio.TimerHandle | None = None
        self._beat = loop.call_later(heartbeat_s, self._heartbeat)
        self._joined = 0

    def lane(self) -> int:
        """The lane of a new stream: round robin."""
        self._joined += 1
        return self._joined % len(self.futures)

    def poke(self) -> None:
        """Events arrived (on the loop's thread): a burst begins, unless one has."""
        if self._burst is None:
            delay = max(self.coalesce_s, self.quiet_until - self._loop.time())
            if self.per_second:  # many streams: their bursts further apart (PUBLIC_PER_SECOND)
                delay = max(delay, sum(len(s) for s in self.streams) / self.per_second)
            self._burst = self._loop.call_later(delay, self.fire)

    def _heartbeat(self) -> None:
        self.fire()
        self._beat = self._loop.call_later(self.heartbeat_s, self._heartbeat)

    def fire(self, at_once: bool = False) -> None:
        self._burst = None
        step = 0.0 if at_once else self.spread_s / len(self.futures)
        for lane in range(len(self.futures)):
            if step and lane:
                self._loop.call_later(lane * step, self._wake, lane)
            else:
                self._wake(lane)

    def _wake(self, lane: int) -> None:
        if self.streams[lane]:
            self._write(list(self.streams[lane]), 0, 0.0)
        done, self.futures[lane] = self.futures[lane], self._loop.create_future()
        done.set_result(None)

    def _write(self, streams: list[fanout.RawStream], at: int, cost: float) -> None:
        """FANOUT_SLICE of the streams from `at`, the rest in later turns of the loop; once all are
        written, the next burst is held back to keep to `share` of the loop (FANOUT_SHARE)."""
        began = time.thread_time()  # the loop's own CPU: a pass the machine preempted holds nothing back
        fanout.deliver(streams[at:at + FANOUT_SLICE])
        cost += time.thread_time() - began
        if at + FANOUT_SLICE < len(streams):
            self._loop.call_soon(self._write, streams, at + FANOUT_SLICE, cost)
        else:
            self.quiet_until = self._loop.time() + cost * (1 / self.share - 1)

    def close(self) -> None:
        """Every stream's coroutine is woken to end it (the server stops)."""
        for lane in self.streams:
            for stream in lane:
                stream.hand_back()
        self.fire(at_once=True)

    def stop(self) -> None:
        self._beat.cancel()
        self.close()


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
        # Kiosks' and staff's requests first (server.web.lanes): the tokens the hub knows, and the
        # places on Flask's threads.
        self.known = Known()
        first = max(1, min(FIRST_PLACES, threads // 2))  # both together never more than the threads
        self.lanes = Lanes(first, max(1, min(PLACES, threads - first)))
        request_finished.connect(self._recognised, app, weak=False)
        # Devices and staff consoles hear of a call within COALESCE_S; anonymous subscribers (phones
        # following their ticket) once a second, in PUBLIC_LANES lanes across PUBLIC_SPREAD_S: a
        # thousand phones then cost the loop a write each per second, not per event, a few
        # hundred at a time, and kiosks and clerks keep the loop's time (delivered within 1.5 s while at
        # most PUBLIC_PER_SECOND follow; past that, every N / PUBLIC_PER_SECOND seconds).
        self.broadcasters: dict[bool, Broadcaster] = {}  # anonymous? -> its broadcaster
        self.closing = False  # the server is stopping: every stream ends
        self._stop_listening: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == STREAM_PATH and self.broadcasters:
            await self._events(scope, receive, send)
        elif scope["type"] == "http":
            await self._whole(scope, receive, send)
        else:
            await self.wsgi(scope, receive, send)

    def _recognised(self, sender: Flask, **extra: Any) -> None:
        """After each request, on its thread: a caller `require` let in is known from now on."""
        who = g.get("who")
        if who is not None and who.token_hash:
            self.known.add(who.token_hash, who.role)

    def _remember_tokens(self) -> None:
        """At start: every device's token and every open session's are known."""
        with self.app.extensions[EXTENSION].read() as db:
            for token_hash, role in db.execute("SELECT token_hash, role FROM devices UNION ALL SELECT token_hash, "
                                               "'clerk' FROM sessions WHERE ended_at IS NULL"):
                self.known.add(token_hash, role)

    async def _whole(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request, its body whole in memory (server.bodyfirst), answered by Flask on a thread in one
        hop: the thread gets the request and gives back the whole answer, which the loop writes.
        Through a2wsgi a request took three hops between the thread and the loop (the body read, the
        answer's head, its body), the thread waiting on the loop each time: while the loop was busy
        with an attacker's connections, a kiosk's ticket waited for it three times (issue 23)."""
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        environ = build_environ(scope, io.BytesIO(body))
        environ["wsgi.input_terminated"] = True
        rank = scope.get(RANK, ANONYMOUS)  # kiosks and staff first (server.web.lanes)
        status, headers, answer = await self.lanes.run(rank, self.executor, _call, self.app, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer})

    def _poke(self) -> None:
        """From the bus, on the publishing thread: one hop to the loop for every broadcaster."""
        self._loop.call_soon_threadsafe(self._poke_all)

    def _poke_all(self) -> None:
        for broadcaster in self.broadcasters.values():
            broadcaster.poke()

    def close_streams(self) -> None:
        """Ends every live stream (from any thread), so that the server can stop at once."""
        self.closing = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: [b.close() for b in self.broadcasters.values()])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                loop, config = asyncio.get_running_loop(), self.app.config
                self._loop = loop
                heartbeat_s = config.get("SSE_HEARTBEAT_S", HEARTBEAT_S)
                self.broadcasters = {
                    False: Broadcaster(loop, COALESCE_S, heartbeat_s),
                    True: Broadcaster(loop, config.get("SSE_PUBLIC_COALESCE_S", PUBLIC_COALESCE_S), heartbeat_s,
                                      lanes=PUBLIC_LANES, spread_s=PUBLIC_SPREAD_S, per_second=PUBLIC_PER_SECOND)}
                self._stop_listening = self.app.extensions[EXTENSION].bus.listen(self._poke)
                self._remember_tokens()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stop_listening is not None:
                    self._stop_listening()
                for broadcaster in self.broadcasters.values():
                    broadcaster.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        environ = build_environ(scope, io.BytesIO())
        live: list[Subscription] = []
        environ[LIVE] = live
        rank = scope.get(RANK, ANONYMOUS)
        status, headers, body = await self.lanes.run(rank, self.executor, _call, self.app, environ)
        if live:  # the view's answer had no body: the stream's length is unknown (chunked)
            headers = [(k, v) for k, v in headers if k != b"content-length"]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if not live:  # refused, a catch-up, a HEAD: Flask's answer as it is
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        try:
            await self._stream(live[0], receive, send, scope.get(TRANSPORT), scope["http_version"] == "1.1")
            await send({"type": "http.response.body", "body": b""})  # the server is stopping: end it cleanly
        finally:
            live[0].release()

    async def _stream(self, sub: Subscription, receive: Receive, send: Send,
                      transport: asyncio.Transport | None = None, chunked: bool = True) -> None:
        # The client's going is heard at once and gives its slot back; the stream itself ends at
        # the next wake-up (a burst or a heartbeat), when it would have written.
        gone = asyncio.ensure_future(_disconnected(receive))
        gone.add_done_callback(lambda _: sub.release())
        cursor = sub.cursor
        broadcaster = self.broadcasters[sub.anonymous]
        lane = broadcaster.lane()
        rank = ANONYMOUS if sub.anonymous else DEVICE  # its place on Flask's threads when it reads the log
        try:
            await _send(send, cursor.opening())
            if transport is not None:
                config = self.app.config
                stream = fanout.RawStream(transport, chunked, cursor, config.get("SSE_SLOW_BYTES", fanout.SLOW_BYTES),
                                          config.get("SSE_DROP_S", fanout.DROP_S))
                await self._fanned_out(stream, broadcaster, lane, rank, gone, send)
                return
            batched = False  # what it missed (Last-Event-ID) goes at once, whoever it is
            while not gone.done() and not self.closing:
                # After that, an anonymous stream always waits for its lane (once a second); a
                # registered one only when it has had everything.
                if batched or not cursor.pending():
                    # Shielded: a stream cancelled (the server stopping) must not cancel the shared future.
                    await asyncio.shield(broadcaster.futures[lane])
                    if gone.done() or self.closing:
                        return
                    if not cursor.pending():
                        await _send(send, KEEP_ALIVE)
                        continue
                # A subscriber far behind (a reconnect after a long gap) reads the log: on a thread.
                data = cursor.take() if cursor.in_memory() else await self.lanes.run(rank, self.executor, cursor.take)
                if data:
                    await _send(send, data)
                batched = sub.anonymous
        finally:
            gone.cancel()

    async def _fanned_out(self, stream: fanout.RawStream, broadcaster: Broadcaster, lane: int, rank: int,
                          gone: asyncio.Future[None], send: Send) -> None:
        """The stream written by its broadcaster; here only what it missed (Last-Event-ID: at once,
        whoever it is) and what the log holds for it when it fell far behind, through h11 while it is
        out of the broadcaster's hands, so nothing is written twice or out of order."""
        cursor, loop = stream.cursor, asyncio.get_running_loop()
        while not gone.done() and not self.closing and not stream.closed():
            if cursor.pending():
                data = cursor.take() if cursor.in_memory() else await self.lanes.run(rank, self.executor, cursor.take)
                if data:
                    await _send(send, data)
                if gone.done() or self.closing:
                    return
            stream.handback = loop.create_future()
            broadcaster.streams[lane].add(stream)
            try:
                await asyncio.wait((gone, stream.handback), return_when=asyncio.FIRST_COMPLETED)
            finally:
                broadcaster.streams[lane].discard(stream)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


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
