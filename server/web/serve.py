"""Runs the hub on uvicorn: one event loop for the sockets and live streams, a pool of threads for Flask.

Why not a thread per connection (waitress, before issue 15): an idle event-stream subscriber
held a thread, so a hundred of them stopped the branch. Here a subscriber is a coroutine and a
socket (server.asgi); requests run on `threads` threads whatever the number of streams.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import h11
import uvicorn
from flask import Flask
from navbat.foundation.workers import STOP_WITHIN_S, Task, ThreadPool
from navbat.server.floor.holder import hold
from navbat.server.hub import EXTENSION
from navbat.server.settings import Settings
from navbat.server.web import auth, logs
from navbat.server.web.app import create_app
from navbat.server.web.asgi import HubASGI
from navbat.server.web.bodyfirst import BodyFirst
from navbat.server.web.connlimits import LimitedProtocol, Limits, quiet_accept_errors, raise_file_limit
from navbat.server.web.guards import HEADERS_TOO_LARGE, SAFETY_HEADERS
from navbat.server.web.lanes import KnownFirst
from navbat.server.web.loginpace import EXTENSION as ADDRESS_LOCKS
from navbat.server.web.loginpace import LockedLogins

# uvicorn's limit on a request's head, above the hub's (server.guards: 32 KB), so a request
# between the two gets the hub's JSON 431 from Flask; past it, the protocol below answers the
# same JSON 431 itself and closes. Bodies are read whole on the event loop before Flask sees them
# (server.bodyfirst: 413 past MAX_CONTENT_LENGTH, 408 too slow); heads, idle connections and each
# address's connections are bounded by the protocol (server.connlimits).
MAX_HEADER_BYTES = 64 * 1024
# Connections (streams included) past which new ones get 503 at once: bounds memory, far above
# the streams' own caps (server.streams) so that a stream is refused by those, in JSON, first.
CONNECTION_LIMIT = 8000
# Past it, this many more on probation: served only for a known device or session (server.web.lanes),
# so a kiosk or a clerk that (re)connects while a flood holds the server is not refused with it.
RESERVE = 256
KEEP_ALIVE_S = 60  # a kiosk's connection kept between tickets
BACKLOG = 4096  # the kernel's queues (SYN and accept; capped by net.core.somaxconn, 4096 by default)
# asyncio accepts up to its `backlog` argument's connections in one turn of the loop: 2,000 opened
# at once (an attacker's, closed together after HEAD_S and opened again) held the loop, and every
# kiosk, for a second. It is given this many instead; the kernel's queue stays BACKLOG long.
ACCEPT_BATCH = 64
THREADS = 32  # Flask's pool: requests are short (reports run in their own process)
# Python's cycle collector: with its defaults (a young collection every 700 allocations), objects
# that live a few seconds (connections: an attacker's silent ones live 10-25 s) are promoted to the
# old generation by the thousand, and a full collection, which stops every thread, ran every few
# seconds under attack and took 0.2 to 1.2 s each (issue 23: the kiosks' p99). Young collections
# this far apart let such objects die young (freed by their reference counts), and the start-up's
# objects (modules, the app: most of the heap) are frozen out of every collection.
GC_THRESHOLDS = (10_000, 50, 100)


class HubProtocol(LimitedProtocol):
    """The limits' protocol (server.connlimits), but a request head past MAX_HEADER_BYTES is answered
    431 (in the hub's JSON), not uvicorn's plain 400, so a client knows which limit it hit."""

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) <= MAX_HEADER_BYTES:
            return super().send_400_response(msg)
        body = json.dumps({"error": "request_header_fields_too_large", "message": HEADERS_TOO_LARGE})
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        for event in (h11.Response(status_code=431, headers=headers, reason=b"Request Header Fields Too Large"),
                      h11.Data(data=body.encode()), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.linger()


def defer_silent(sock: socket.socket, head_s: float) -> None:
    """Linux (TCP_DEFER_ACCEPT, as nginx's `listen ... deferred`): a connection that has sent no byte
    stays in the kernel for about `head_s` (rounded up to its SYN-ACK retries) before the server is
    told of it, so thousands of silent connections (issue 23's attack) cost the event loop nothing
    for that long, and the attacker's own reconnecting slows with them; one that speaks is handed
    over at its first byte. Past the kernel's queue (BACKLOG) they come in at once, as without it."""
    if hasattr(socket, "TCP_DEFER_ACCEPT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, max(1, math.ceil(head_s)))


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        for sock in sockets or []:
            sock.listen(BACKLOG)  # asyncio listened with ACCEPT_BATCH: the kernel's queue back to its length


class HubServer:
    """The hub's HTTP server, bound before it runs (OSError at once if the port is taken)."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = THREADS, limits: Limits | None = None) -> None:
        self.app = app
        self.asgi = HubASGI(app, threads)
        # Flask's threads are the hub's `requests` worker, in place of a2wsgi's own pool (not yet started:
        # its threads come with the first request), so they are stopped and joined with the hub's others
        self.requests = app.extensions[EXTENSION].workers.add(ThreadPool("requests", threads))
        self.asgi.executor.shutdown(wait=False)
        self.asgi.wsgi.executor = self.asgi.executor = self.requests.executor
        self.limits = limits or Limits(keep_alive_s=KEEP_ALIVE_S, connections=CONNECTION_LIMIT, reserve=RESERVE)
        # The connection cap is the protocol's, at the accept (server.connlimits). Not uvicorn's
        # limit_concurrency as well: that one answers a plain 503 to every *request* while the
        # server holds that many connections, so an attacker's silent connections got a kept-alive
        # kiosk's next ticket refused (issue 23).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: accepted sockets inherit it, and asyncio turns Nagle off only
        # for those (with 0, an answer written in two parts on a kept-alive connection waited
        # for the client's delayed ACK, 40 ms a request)
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        defer_silent(self.socket, self.limits.head_s)
        try:
            self.socket.bind((host, port))
            self.socket.listen(BACKLOG)  # a client connecting before the loop runs waits rather than being refused
        except OSError:
            self.socket.close()
            raise
        self.port = self.socket.getsockname()[1]
        locked = LockedLogins(self.asgi, app.extensions[ADDRESS_LOCKS], app.extensions[EXTENSION].clock,
                              self.limits.uncapped, SAFETY_HEADERS.items(), auth.checks_busy)  # on the loop
        body_first = BodyFirst(locked, self.limits, app.config["MAX_CONTENT_LENGTH"], SAFETY_HEADERS.items())
        protocol = functools.partial(HubProtocol, limits=self.limits, addresses=Counter())
        known_first = KnownFirst(body_first, self.asgi.known)  # outermost: a probationary stranger costs no body read
        config = uvicorn.Config(known_first, http=protocol, lifespan="on", loop="asyncio", proxy_headers=False,
                                server_header=False, access_log=False, log_level="warning", backlog=ACCEPT_BATCH,
                                limit_concurrency=None, timeout_keep_alive=self.limits.keep_alive_s,
                                timeout_graceful_shutdown=2, h11_max_incomplete_event_size=MAX_HEADER_BYTES)
        self.server = _Server(config)
        self.signalled_at: float | None = None  # time.monotonic() of the SIGTERM: the stop's bound counts from it
        self.server.handle_exit = self._on_signal  # uvicorn installs self.handle_exit for SIGINT and SIGTERM

    def _on_signal(self, sig: int, frame: object) -> None:
        """SIGTERM (systemctl stop) or Ctrl-C: the live streams end now; left open, uvicorn cancelled
        them after its graceful timeout, each with a traceback in the journal."""
        self.signalled_at = self.signalled_at or time.monotonic()
        self.asgi.close_streams()
        uvicorn.Server.handle_exit(self.server, sig, frame)

    def run(self) -> None:
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        """From another thread: ends the live streams, then the server."""
        self.asgi.close_streams()
        self.server.should_exit = True

    def start_in_thread(self) -> Callable[[], None]:
        """Runs on a thread (tests); returns what stops it and waits for it."""
        task = Task("hub-server", self.run, self.stop)
        task.start()
        while not self.server.started and task.alive:
            time.sleep(0.01)

        def stop() -> None:
            task.stop()
            task.join(10)
            self.requests.stop()
        return stop


def quiet_collector() -> None:
    """Once the hub is set up: its objects so far out of the cycle collector's way, and its young
    collections far apart (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def serve(settings: Settings) -> None:
    """`navbat hub` (and `navbat demo`), by the one settings object: runs until SIGTERM or Ctrl-C, then
    stops every worker of the hub within STOP_WITHIN_S and says so on stdout, naming any thread left
    (there should be none)."""
    branch, db_path, host, port, threads = (settings.branch, settings.db_path, settings.host, settings.port,
                                            settings.threads)
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    held = hold(db_path)  # HeldByHub if another hub runs on this file; kept until the process ends
    app = create_app({"SETTINGS": settings, "CHECKPOINTS": True, "HQ_RELAY": settings.hq is not None})
    app.extensions["navbat.holder"] = held
    hub = app.extensions[EXTENSION]
    server: HubServer | None = None
    try:
        logs.configure()  # one line per record on stdout: journald
        quiet_accept_errors()
        limits = Limits.from_env(keep_alive_s=KEEP_ALIVE_S, connections=CONNECTION_LIMIT, reserve=RESERVE)
        files = raise_file_limit(limits.connections + limits.reserve)
        server = HubServer(app, host, port, threads, limits)  # bound first (OSError if the port is taken)
        quiet_collector()
        print(f"navbat hub on http://{host}:{server.port} ({branch.branch.id}, db {db_path}; {files} file "
              f"descriptors, {limits.connections} connections, {limits.per_address} an address)", flush=True)
        # uvicorn raises the stop signal again once it has shut down; a stop asked for ends with exit 0
        signal.signal(signal.SIGTERM, lambda *_: None)
        server.run()
    finally:
        started = (server.signalled_at if server else None) or time.monotonic()
        late = hub.stop(max(STOP_WITHIN_S - (time.monotonic() - started), 0.5))  # 5 s from the signal, in all
        left = sorted(t.name for t in threading.enumerate() if t is not threading.current_thread())
        if server is not None:  # it ran (a port taken is its own one-line error, from the command)
            print(f"navbat hub stopped: {len(list(hub.workers))} workers in {time.monotonic() - started:.1f} s"
                  f"{'; still running: ' + ', '.join(late) if late else ''}; threads left: {', '.join(left) or 'none'}",
                  flush=True)
