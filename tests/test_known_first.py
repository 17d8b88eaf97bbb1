"""Kiosks and staff first (issue 23, server.web.lanes): over real sockets on the hub's own server,
a kiosk's ticket is served ahead of an anonymous crowd that fills Flask's threads, and a kiosk
that connects while anonymous connections hold every place the server has is still served.

Before: the crowd's requests and the kiosk's queued for the same threads in the order they came
(the kiosk's was answered after all of them), and past the connection cap a kiosk's new
connection got the same 503 as everyone else's.
"""

from __future__ import annotations

import json
import re
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_app
from flask import Flask
from navbat.foundation.config import Branch
from navbat.server.hub import EXTENSION
from navbat.server.web.connlimits import Limits
from navbat.server.web.serve import HubServer

CROWD = 200


@pytest.fixture
def app(branch: Branch, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(branch, tmp_path / "navbat.sqlite")
    yield app
    app.extensions[EXTENSION].stop()


def serve(app: Flask, threads: int, limits: Limits | None = None) -> tuple[HubServer, callable]:
    server = HubServer(app, "127.0.0.1", 0, threads, limits)
    return server, server.start_in_thread()


def connect(server: HubServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=(source, 0))


def ticket_request(app: Flask, key: str) -> bytes:
    body = json.dumps({"service": "PR1"}).encode()
    return (f"POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {app.config['KIOSK_TOKEN']}"
            f"\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


READ = b"GET /api/v1/services HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def answers_in_order(socks: dict[socket.socket, str], for_s: float = 60) -> list[tuple[str, bytes]]:
    """Each socket's whole answer (the server closes after it), in the order they were completed."""
    sel = selectors.DefaultSelector()
    got = {s: b"" for s in socks}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    order: list[tuple[str, bytes]] = []
    end = time.monotonic() + for_s
    while len(order) < len(socks) and time.monotonic() < end:
        for key, _ in sel.select(1):
            s = key.fileobj
            data = s.recv(65536)
            got[s] += data
            if not data:
                sel.unregister(s)
                order.append((socks[s], got[s]))
    sel.close()
    return order


def status_of(answer: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    return int(match[1]) if match else None


def test_a_kiosks_ticket_goes_ahead_of_an_anonymous_crowd(app: Flask) -> None:
    """Two threads; 200 anonymous reads sent at once, then a kiosk's ticket: the ticket is answered
    while most of the crowd still waits (anonymous requests never hold the last thread, and wait
    behind a known caller's). Before: after the whole crowd, in the order the requests came."""
    server, stop = serve(app, threads=2)
    try:
        crowd = [connect(server, f"127.0.5.{2 + i % 200}") for i in range(CROWD)]
        kiosk = connect(server)
        for s in crowd:
            s.sendall(READ)
        kiosk.sendall(ticket_request(app, "lane-1"))
        order = answers_in_order({**{s: "crowd" for s in crowd}, kiosk: "kiosk"})
    finally:
        stop()
    assert len(order) == CROWD + 1
    assert [status_of(a) for who, a in order if who == "crowd"] == [200] * CROWD
    place = next(i for i, (who, _) in enumerate(order) if who == "kiosk")
    assert status_of(order[place][1]) == 201, order[place][1]
    assert place < CROWD // 2, f"the kiosk's ticket came after {place} of the crowd's {CROWD} answers"


def test_a_kiosk_is_served_past_the_connection_cap(app: Flask) -> None:
    """The server holds its 20 connections (anonymous heads begun, never finished): a newcomer
    without a token gets the cap's 503 at once, a kiosk that connects now gets its ticket. Before:
    the kiosk got the same 503."""
    limits = Limits(head_s=10, connections=20, reserve=4)
    server, stop = serve(app, threads=2, limits=limits)
    try:
        held = [connect(server, f"127.0.6.{2 + i}") for i in range(20)]
        for s in held:
            s.sendall(b"G")  # a head begun: handed to the server at once (serve.defer_silent)
        deadline = time.monotonic() + 10
        while len(server.server.server_state.connections) < 20:
            assert time.monotonic() < deadline, len(server.server.server_state.connections)
            time.sleep(0.05)
        stranger, kiosk = connect(server, "127.0.7.2"), connect(server, "127.0.7.3")
        stranger.sendall(READ)
        kiosk.sendall(ticket_request(app, "lane-2"))
        got = dict(answers_in_order({stranger: "stranger", kiosk: "kiosk"}, for_s=10))
        for s in held:
            s.close()
    finally:
        stop()
    assert status_of(got["stranger"]) == 503 and b"too_many_connections" in got["stranger"], got["stranger"]
    assert status_of(got["kiosk"]) == 201, got["kiosk"]
