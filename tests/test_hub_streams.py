"""Live event streams cannot take what kiosks and clerks need (issue 15): a stream is served by
the event loop and holds no thread (server.asgi), anonymous streams are capped per address and
in total, devices and staff sessions that send their token keep slots anonymous ones cannot
take, and the excess gets an immediate 503 with Retry-After. Over real sockets, on the hub's
own server (server.serve) with few threads; anonymous streams come from addresses of their own
(127.0.x.y: Linux routes all of 127/8 to the loopback)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from conftest import PINS, LiveHub, chromium, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.foundation.hub_events import EventStream, wait_until
from navbat.server.web.api.events import STREAMS
from navbat.server.web.streams import RETRY_AFTER_S, Limits, Streams

API = "/api/v1"
THREADS = 4
LIMITS = {"STREAMS_MAX": 5, "ANON_MAX": 3, "ANON_PER_ADDRESS": 2}


@pytest.fixture
def hub(branch: Branch, tmp_path: Path) -> Iterator[LiveHub]:
    app = make_app(branch, tmp_path / "navbat.sqlite", SSE_HEARTBEAT_S=0.2, **LIMITS)
    url, stop = serve_in_thread(app, threads=THREADS)
    yield LiveHub(app, url)
    stop()


class Stream:
    """One GET /api/v1/events on its own connection, from `source` (a loopback address)."""

    def __init__(self, url: str, token: str | None = None, source: str = "127.0.0.1", query: str = "",
                 bearer: bool = True) -> None:
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10, source_address=(source, 0))
        headers = {"Accept": "text/event-stream"}
        if token and bearer:
            headers["Authorization"] = f"Bearer {token}"
        elif token:
            query = f"{query}&token={token}" if query else f"token={token}"
        started = time.monotonic()
        self.conn.request("GET", f"{API}/events" + (f"?{query}" if query else ""), headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.first = self.resp.readline() if self.status == 200 else b""  # the stream is being served
        self.body = {} if self.status == 200 else json.loads(self.resp.read())
        self.seconds = time.monotonic() - started

    def close(self) -> None:
        self.resp.close()  # it holds the socket (http.client hands it to the streamed response)
        self.conn.close()


def counts(live: LiveHub) -> tuple[int, int]:
    streams: Streams = live.app.extensions[STREAMS]
    return streams.total, streams.anonymous


def anonymous(url: str, n: int, first: int = 2) -> list[Stream]:
    return [Stream(url, source=f"127.0.0.{first + i}") for i in range(n)]


def assert_refused(s: Stream) -> None:
    assert s.status == 503 and s.body["error"] == "too_many_streams", (s.status, s.body)
    assert s.resp.getheader("Retry-After") == str(RETRY_AFTER_S)
    assert s.seconds < 2, f"a refused stream took {s.seconds:.2f} s"  # at once, never a hang


def test_hundreds_of_idle_streams_hold_no_thread_and_stop_nobody(branch: Branch, tmp_path: Path) -> None:
    """300 idle anonymous streams on a hub with 2 request threads. Before (waitress, a thread per
    stream): two idle streams held both threads and /health, the kiosk and the clerk got no answer
    (the interim caps then kept streams to threads - 25). Now the streams cost the hub no thread:
    the kiosk issues, the clerk calls, and the call reaches a registered display and an anonymous
    stream that opened first (within a second: anonymous streams are written once a second)."""
    app = make_app(branch, tmp_path / "navbat.sqlite", SSE_HEARTBEAT_S=5,
                   STREAMS_MAX=400, ANON_MAX=300, ANON_PER_ADDRESS=8)
    url, stop = serve_in_thread(app, threads=2)
    crowd: list[Stream] = []
    try:
        display = Stream(url, app.config["DISPLAY_TOKEN"])
        threads_before = threading.active_count()
        crowd = [Stream(url, source=f"127.0.{1 + i // 8}.{2 + i % 8}") for i in range(300)]
        assert all(s.status == 200 and s.first.startswith(b"retry:") for s in crowd)
        assert threading.active_count() - threads_before <= 2  # at most the pool filling up, never one per stream
        assert app.extensions[STREAMS].total == 301 and app.extensions[STREAMS].anonymous == 300
        assert requests.get(f"{url}{API}/health", timeout=5).status_code == 200
        issued = requests.post(f"{url}{API}/tickets", json={"service": "IN1"}, timeout=5,
                               headers={"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}",
                                        "Idempotency-Key": "streams-many"})
        assert issued.status_code == 201, issued.text
        clerk = requests.post(f"{url}{API}/login", json={"username": "clerk1", "pin": PINS["clerk1"], "counter": 1},
                              timeout=5).json()["token"]
        auth = {"Authorization": f"Bearer {clerk}"}
        assert requests.post(f"{url}{API}/counters/1/open", headers=auth, timeout=5).ok
        called = requests.post(f"{url}{API}/counters/1/next", headers=auth, timeout=5)
        assert called.status_code == 200 and called.json()["id"] == issued.json()["id"], called.text
        to_display, to_phone = (wait_for_event(s, "ticket.called") for s in (display, crowd[0]))
        assert to_display["ticket"] == to_phone["ticket"] == issued.json()["id"]
        # A phone gets the event bare: the summaries are the registered displays' (and GET /services)
        assert "queue" in to_display and "queue" not in to_phone
        assert {k: v for k, v in to_display.items() if k != "queue"} == to_phone
    finally:
        for s in crowd:
            s.close()
        stop()


def wait_for_event(s: Stream, kind: str) -> dict:
    """Reads the stream until an event of `kind` (the socket's timeout bounds the wait)."""
    event = None
    while True:
        line = s.resp.readline()
        assert line, "the stream ended"
        if line.startswith(b"event: "):
            event = line[7:].strip().decode()
        elif line.startswith(b"data: ") and event == kind:
            return json.loads(line[6:])


def test_anonymous_streams_past_their_cap_get_503_at_once(hub: LiveHub) -> None:
    """ANON_MAX (3) anonymous streams are served; the rest get 503 at once, and the kiosk is answered."""
    streams = anonymous(hub.url, 8)
    try:
        assert requests.get(f"{hub.url}{API}/health", timeout=5).status_code == 200
        r = requests.post(f"{hub.url}{API}/tickets", json={"service": "IN1"}, timeout=5,
                          headers={"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}",
                                   "Idempotency-Key": "streams-1"})
        assert r.status_code == 201, r.text
        served = [s for s in streams if s.status == 200]
        assert len(served) == LIMITS["ANON_MAX"] and all(s.first.startswith(b"retry:") for s in served)
        for s in streams[LIMITS["ANON_MAX"]:]:
            assert_refused(s)
            assert "device token" in s.body["message"]
        assert counts(hub) == (3, 3)
    finally:
        for s in streams:
            s.close()


def test_anonymous_streams_are_capped_per_address(hub: LiveHub) -> None:
    streams = [Stream(hub.url, source="127.0.0.2") for _ in range(3)]
    streams.append(Stream(hub.url, source="127.0.0.3"))
    try:
        assert [s.status for s in streams] == [200, 200, 503, 200]
        assert_refused(streams[2])
    finally:
        for s in streams:
            s.close()


def test_devices_and_staff_keep_their_slots_and_all_streams_are_capped(hub: LiveHub) -> None:
    crowd = anonymous(hub.url, 4)
    token = hub.app.config["DISPLAY_TOKEN"]
    clerk = requests.post(f"{hub.url}{API}/login", json={"username": "clerk1", "pin": PINS["clerk1"],
                                                          "counter": 1}, timeout=5).json()["token"]
    mine: list[Stream] = []
    try:
        assert [s.status for s in crowd] == [200, 200, 200, 503]  # anonymous at their cap
        # An unknown token is nobody: it may take only what anonymous streams may.
        assert_refused(Stream(hub.url, "not-a-token", source="127.0.0.9"))
        mine.append(Stream(hub.url, token))  # the display: Authorization header
        mine.append(Stream(hub.url, token, bearer=False))  # the web display: ?token=
        assert [s.status for s in mine] == [200, 200]
        assert counts(hub) == (5, 3)
        # STREAMS_MAX in all: registered ones too are refused past it (it bounds memory).
        over = Stream(hub.url, clerk, bearer=False)
        assert_refused(over)
        assert "device token" not in over.body["message"]
        assert requests.get(f"{hub.url}{API}/health", timeout=5).status_code == 200
    finally:
        for s in crowd + mine:
            s.close()


def test_slots_come_back_when_clients_go_away(hub: LiveHub) -> None:
    crowd = anonymous(hub.url, 3)
    assert counts(hub) == (3, 3)
    assert_refused(Stream(hub.url, source="127.0.0.9"))
    for s in crowd:
        s.close()
    # the event loop hears of a closed client at once (http.disconnect)
    assert wait_until(lambda: counts(hub) == (0, 0), timeout=10), counts(hub)
    again = anonymous(hub.url, 3, first=10)
    try:
        assert [s.status for s in again] == [200, 200, 200]
    finally:
        for s in again:
            s.close()


def test_catch_up_and_head_requests_hold_no_slot(hub: LiveHub) -> None:
    crowd = anonymous(hub.url, 3)
    try:
        r = requests.get(f"{hub.url}{API}/events", params={"once": 1, "last_event_id": 0}, timeout=5)
        assert r.status_code == 200 and r.text.startswith("retry:")
        assert counts(hub) == (3, 3)
        for s in crowd[:2]:
            s.close()
        assert wait_until(lambda: counts(hub) == (1, 1), timeout=10), counts(hub)
        # HEAD: a stream whose generator never runs; closing the response gives the slot back.
        assert requests.head(f"{hub.url}{API}/events", timeout=5).status_code == 200
        assert wait_until(lambda: counts(hub) == (1, 1), timeout=2), counts(hub)
    finally:
        for s in crowd:
            s.close()


def test_a_response_never_iterated_gives_its_slot_back(client, app) -> None:  # noqa: ANN001
    r = client.get(f"{API}/events")  # streamed: the test client does not read it
    assert r.status_code == 200 and app.extensions[STREAMS].total == 1
    r.close()
    assert app.extensions[STREAMS].total == 0


def test_event_stream_sends_its_token_and_waits_out_a_refusal(hub: LiveHub) -> None:
    crowd = anonymous(hub.url, 3)  # anonymous streams at their cap
    try:
        assert counts(hub) == (3, 3)
        refused = EventStream(hub.url, lambda e: None, retry_s=0.05, max_retry_s=0.1).start()
        device = EventStream(hub.url, lambda e: None, token=hub.app.config["DISPLAY_TOKEN"]).start()
        try:
            assert wait_until(lambda: device.connected, timeout=5)
            time.sleep(0.5)  # after a 503 it waits (Retry-After, bounded), not every 0.1 s
            assert refused.connects == 0 and not refused.connected
            assert counts(hub) == (4, 3)
        finally:
            refused.stop()
            device.stop()
    finally:
        for s in crowd:
            s.close()


def test_limits_default() -> None:
    assert Limits.of({}) == Limits(4000, 3000, 8)
    assert Limits.of({"STREAMS_MAX": 3, "ANON_MAX": 10}) == Limits(3, 3, 3)


def test_caps_under_racing_subscribers() -> None:
    streams, limits = Streams(), Limits(50, 10, 2)

    def race(addresses: list[str | None]) -> list[object]:
        got: list[object] = []
        workers = [threading.Thread(target=lambda a=a: got.append(streams.admit(limits, a))) for a in addresses]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return [s for s in got if s is not None]

    slots = race([f"10.0.0.{i % 8}" for i in range(100)])  # 8 addresses could hold 16: the total is 10
    assert len(slots) == 10 and (streams.total, streams.anonymous) == (10, 10)
    slots += race([None] * 100)  # registered: up to STREAMS_MAX in all
    assert len(slots) == 50 and (streams.total, streams.anonymous) == (50, 10)
    for s in slots:
        s.release()
        s.release()  # twice: still counted once
    assert (streams.total, streams.anonymous) == (0, 0)


@pytest.mark.browser
def test_web_display_keeps_its_token_and_streams_with_it(hub: LiveHub) -> None:
    token = hub.app.config["DISPLAY_TOKEN"]
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{hub.url}/display?lang=en&voice=&token={token}")
        page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.online")
        assert "token" not in page.evaluate("location.href")
        assert page.evaluate("localStorage.getItem('navbat.display.token')") == token
        assert counts(hub) == (1, 0)  # registered, not anonymous
        page.reload()  # the token is kept: the stream is still registered
        page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.online")
        assert wait_until(lambda: counts(hub) == (1, 0), timeout=5), counts(hub)


@pytest.mark.browser
def test_clerk_and_head_consoles_stream_with_their_session_tokens(hub: LiveHub) -> None:
    with chromium() as browser:
        clerk = browser.new_page(viewport={"width": 1280, "height": 800})
        clerk.goto(f"{hub.url}/counter?lang=en")
        clerk.wait_for_selector("#counter option[value='2']", state="attached")
        clerk.fill("#username", "clerk2")
        clerk.fill("#pin", PINS["clerk2"])
        clerk.select_option("#counter", "2")
        clerk.click("#login-button")
        clerk.wait_for_selector("#live.on")
        assert counts(hub) == (1, 0)
        head = browser.new_page(viewport={"width": 1280, "height": 800})
        head.goto(f"{hub.url}/head")
        head.fill("input[name=pin]", PINS["head"])
        head.click("#login button[type=submit]")
        head.wait_for_selector("#live.on")
        assert counts(hub) == (2, 0)
