"""Runs the hub on uvicorn: one event loop for the sockets and live streams, a pool of threads for Flask.

Why not a thread per connection (waitress, before issue 15): an idle event-stream subscriber
held a thread, so a hundred of them stopped the branch. Here a subscriber is a coroutine and a
socket (server.asgi); requests run on `threads` threads whatever the number of streams.
"""

from __future__ import annotations

import json
import resource
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import h11
import uvicorn
from flask import Flask
from navbat.foundation.config import Branch
from navbat.server import logs
from navbat.server.app import create_app
from navbat.server.asgi import HubASGI
from navbat.server.db import checkpoint_in_background
from navbat.server.guards import HEADERS_TOO_LARGE
from navbat.server.holder import hold
from navbat.server.hub import EXTENSION
from uvicorn.protocols.http.h11_impl import H11Protocol

# uvicorn's limit on a request's head, above the hub's (server.guards: 32 KB), so a request
# between the two gets the hub's JSON 431 from Flask; past it, the protocol below answers the
# same JSON 431 itself and closes. Bodies are bounded by Flask (server.guards, MAX_CONTENT_LENGTH),
# which reads no more of a body than it allows; uvicorn stops reading a socket whose body
# is not being read (64 KB of buffer).
MAX_HEADER_BYTES = 64 * 1024
# Connections (streams included) past which uvicorn answers 503 at once: bounds memory, far above
# the streams' own caps (server.streams) so that a stream is refused by those, in JSON, first.
CONNECTION_LIMIT = 8000
KEEP_ALIVE_S = 60  # a kiosk's connection kept between tickets
BACKLOG = 2048
THREADS = 32  # Flask's pool: requests are short (reports run in their own process)


LINGER_S = 2.0
LINGER_BYTES = 4 * 1024 * 1024


class HubProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, but a request head past MAX_HEADER_BYTES is answered 431 (in the
    hub's JSON), not uvicorn's plain 400, so a client knows which limit it hit; and the connection
    is closed gently: what the client is still sending is read and dropped for a moment, since
    closing a socket with unread data resets it and the client would lose the answer."""

    _discard: int | None = None  # bytes still to drop before closing; None: not closing

    def data_received(self, data: bytes) -> None:
        if self._discard is None:
            return super().data_received(data)
        self._discard -= len(data)
        if self._discard < 0:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) <= MAX_HEADER_BYTES:
            return super().send_400_response(msg)
        body = json.dumps({"error": "request_header_fields_too_large", "message": HEADERS_TOO_LARGE})
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        for event in (h11.Response(status_code=431, headers=headers, reason=b"Request Header Fields Too Large"),
                      h11.Data(data=body.encode()), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self._discard = LINGER_BYTES
        self.transport.write_eof()  # the answer, then our end closed; theirs read until they stop
        self.loop.call_later(LINGER_S, self.transport.close)


class HubServer:
    """The hub's HTTP server, bound before it runs (OSError at once if the port is taken)."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = THREADS) -> None:
        self.app = app
        self.asgi = HubASGI(app, threads)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: accepted sockets inherit it, and asyncio turns Nagle off only
        # for those (with 0, an answer written in two parts on a kept-alive connection waited
        # for the client's delayed ACK, 40 ms a request)
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
            self.socket.listen(BACKLOG)  # a client connecting before the loop runs waits rather than being refused
        except OSError:
            self.socket.close()
            raise
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(self.asgi, http=HubProtocol, lifespan="on", loop="asyncio", proxy_headers=False,
                                server_header=False, access_log=False, log_level="warning", backlog=BACKLOG,
                                limit_concurrency=CONNECTION_LIMIT, timeout_keep_alive=KEEP_ALIVE_S,
                                timeout_graceful_shutdown=2, h11_max_incomplete_event_size=MAX_HEADER_BYTES)
        self.server = uvicorn.Server(config)
        self.server.handle_exit = self._on_signal  # uvicorn installs self.handle_exit for SIGINT and SIGTERM

    def _on_signal(self, sig: int, frame: object) -> None:
        """SIGTERM (systemctl stop) or Ctrl-C: the live streams end now; left open, uvicorn cancelled
        them after its graceful timeout, each with a traceback in the journal."""
        self.asgi.close_streams()
        uvicorn.Server.handle_exit(self.server, sig, frame)

    def run(self) -> None:
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        """From another thread: ends the live streams, then the server."""
        self.asgi.close_streams()
        self.server.should_exit = True

    def start_in_thread(self) -> Callable[[], None]:
        """Runs in a daemon thread (tests); returns what stops it and waits for it."""
        thread = threading.Thread(target=self.run, daemon=True, name="hub-server")
        thread.start()
        while not self.server.started and thread.is_alive():
            thread.join(0.01)

        def stop() -> None:
            self.stop()
            thread.join(10)
            self.asgi.executor.shutdown(wait=False, cancel_futures=True)
        return stop


def _more_files() -> None:
    """Every connection is a file descriptor: allow as many as the system lets this user have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def serve(branch: Branch, db_path: str, host: str, port: int, threads: int = THREADS,
          ignore_hours: bool = False, sms_log: str | None = None, relay_to: tuple[str, str] | None = None) -> None:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    held = hold(db_path)  # HeldByHub if another hub runs on this file; kept until the process ends
    app = create_app({"BRANCH": branch, "DB_PATH": db_path, "IGNORE_HOURS": ignore_hours, "SMS_LOG": sms_log})
    app.extensions["navbat.holder"] = held
    if relay_to:  # HQ's relay of visitors' public pages (issue 18): a long-poll beside the shipper
        from navbat.server.relay import RelayClient

        RelayClient(app, *relay_to).start()
    checkpoint_in_background(app.extensions[EXTENSION].store)
    logs.configure()  # one line per record on stdout: journald
    _more_files()
    server = HubServer(app, host, port, threads)  # bound first (OSError if the port is taken), announced after
    print(f"navbat hub on http://{host}:{server.port} ({branch.branch.id}, db {db_path})", flush=True)
    # uvicorn raises the stop signal again once it has shut down; a stop asked for ends with exit 0
    signal.signal(signal.SIGTERM, lambda *_: None)
    server.run()
