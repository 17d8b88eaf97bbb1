"""The displays' event stream across a hub outage: the hub process is killed, calls are
made meanwhile (another writer on the same database), the hub comes back, and the
stream resumes with Last-Event-ID: every call once, in order, nothing repeated.
Also the SSE details on a scripted server: an event without an `id:` line
("queue.changed") is delivered and leaves Last-Event-ID where it was."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from conftest import PINS, make_app
from navbat.foundation.hub_events import EventStream, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    """`navbat hub` in a subprocess on a fixed port, so it can be killed and started again."""

    def __init__(self, db: Path, port: int) -> None:
        self.db, self.port, self.proc = db, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        env = {**os.environ}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navbat", "hub", "--db", str(self.db), "--port", str(self.port),
             "--threads", "8", "--ignore-hours"], cwd=self.db.parent, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(self._up, 20), "hub did not start"

    def _up(self) -> bool:
        try:
            return requests.get(f"{self.url}/api/v1/health", timeout=1).ok
        except requests.RequestException:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # a power cut, not a polite shutdown
            self.proc.wait(10)


@pytest.fixture
def hub_process(branch, tmp_path: Path) -> Iterator[tuple[HubProcess, object]]:  # noqa: ANN001
    db = tmp_path / "hub.sqlite"
    app = make_app(branch, db)  # users, device tokens; also "the other writer" during the outage
    hub = HubProcess(db, free_port())
    hub.start()
    try:
        yield hub, app
    finally:
        hub.kill()


def call_next(url: str, counter: int) -> str:
    token = requests.post(f"{url}/api/v1/login", json={"username": f"clerk{counter}",
                                                       "pin": PINS[f"clerk{counter}"], "counter": counter}).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    requests.post(f"{url}/api/v1/counters/{counter}/open", headers=auth)
    r = requests.post(f"{url}/api/v1/counters/{counter}/next", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["number"]


def test_stream_resumes_after_the_hub_is_killed_and_misses_nothing(hub_process) -> None:  # noqa: ANN001
    hub, app = hub_process
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    for i, service in enumerate(["IN1", "IN1", "PR1", "RG1", "FN1"]):
        r = requests.post(f"{hub.url}/api/v1/tickets", json={"service": service},
                          headers={**kiosk, "Idempotency-Key": f"k{i}"})
        assert r.status_code == 201
    got: list[dict] = []
    status: list[bool] = []
    lock = threading.Lock()

    def on_event(ev: dict) -> None:
        with lock:
            got.append(ev)

    stream = EventStream(hub.url, on_event, status.append, retry_s=0.2, max_retry_s=0.5).start()
    try:
        assert wait_until(lambda: stream.connected, 10)
        before = [call_next(hub.url, 3), call_next(hub.url, 1)]
        assert wait_until(lambda: sum(e["type"] == "ticket.called" for e in got) == 2, 5)

        hub.kill()
        assert wait_until(lambda: not stream.connected, 10)
        # calls made while this display could not hear the hub
        client = app.test_client()
        during = [call_next_client(client, 5), call_next_client(client, 8)]

        hub.start()
        assert wait_until(lambda: sum(e["type"] == "ticket.called" for e in got) == 4, 15)
        after = [call_next(hub.url, 4)]
        assert wait_until(lambda: sum(e["type"] == "ticket.called" for e in got) == 5, 5)
    finally:
        stream.stop()

    calls = [e["number"] for e in got if e["type"] == "ticket.called"]
    assert calls == before + during + after
    logged = [e for e in got if e["type"] != "queue.changed"]  # the hub's estimate changes have no id
    assert all("id" in e for e in logged) and not any("id" in e for e in got if e not in logged)
    ids = [e["id"] for e in logged]
    assert ids == sorted(set(ids))  # in order, none twice
    assert status[:3] == [True, False, True] and stream.connects >= 2
    assert all("tracking_code" not in e and "clerk" not in e for e in got)  # public events only


def call_next_client(client, counter: int) -> str:  # noqa: ANN001
    r = client.post("/api/v1/login", json={"username": f"clerk{counter}", "pin": PINS[f"clerk{counter}"],
                                           "counter": counter})
    auth = {"Authorization": f"Bearer {r.json['token']}"}
    client.post(f"/api/v1/counters/{counter}/open", headers=auth)
    r = client.post(f"/api/v1/counters/{counter}/next", headers=auth)
    assert r.status_code == 200, r.json
    return r.json["number"]


def test_stream_refuses_a_bad_url_and_reports_an_absent_hub() -> None:
    with pytest.raises(ValueError):
        EventStream("ftp://hub", lambda e: None)
    status: list[bool] = []
    stream = EventStream(f"http://127.0.0.1:{free_port()}", lambda e: None, status.append, retry_s=0.05).start()
    try:
        assert not wait_until(lambda: stream.connected, 0.5)
    finally:
        stream.stop()
    assert status == [] and stream.connects == 0


class ScriptedHub(BaseHTTPRequestHandler):
    """GET /api/v1/events answered from `script`: one SSE body per connection, in turn; the
    last connection is held open until `release` is set. Records each Last-Event-ID sent."""

    script: list[str] = []
    seen: list[str | None] = []
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        turn = len(self.seen)
        self.seen.append(self.headers.get("Last-Event-ID"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(self.script[min(turn, len(self.script) - 1)].encode())
        self.wfile.flush()
        if turn >= len(self.script) - 1:
            self.release.wait(10)

    def log_message(self, *args: object) -> None:
        pass


def test_an_event_without_id_is_delivered_and_keeps_last_event_id() -> None:
    queue = '{"services": [], "units": [{"code": "insured", "waiting": 2}]}'
    at = "2026-11-22T08:00:00+00:00"
    ScriptedHub.script = [
        ": connected at event 4\n\n"
        'id: 5\nevent: ticket.called\ndata: {"type": "ticket.called", "id": 5, "number": "101", "counter": 3}\n\n'
        f'event: queue.changed\ndata: {{"type": "queue.changed", "at": "{at}", "queue": {queue}}}\n\n',
        # the hub is back: it goes on after id 5, then sends an estimate change of its own
        ": connected at event 5\n\n"
        'id: 6\nevent: ticket.issued\ndata: {"type": "ticket.issued", "id": 6, "number": "102"}\n\n'
        'event: queue.changed\ndata: {"queue": {"services": [], "units": []}}\n\n',
    ]
    ScriptedHub.seen, ScriptedHub.release = [], threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got: list[tuple[str, int | None]] = []
    stream = EventStream(f"http://127.0.0.1:{server.server_port}", lambda e: None, retry_s=0.05)
    stream.on_event = lambda e: got.append((e["type"], stream.last_event_id))
    stream.start()
    try:
        assert wait_until(lambda: len(got) == 4, 5), got
    finally:
        ScriptedHub.release.set()
        stream.stop()
        server.shutdown()
        server.server_close()
    assert got == [("ticket.called", 5), ("queue.changed", 5), ("ticket.issued", 6), ("queue.changed", 6)]
    assert ScriptedHub.seen[:2] == [None, "5"]  # the id-less event did not move the resume point
    assert stream.last_event_id == 6 and not stream.handler_errors
