"""Live events over a real socket: a display that drops off and reconnects with Last-Event-ID
gets exactly what it missed, in order; public events carry no tracking code, priority or clerk (F1)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

import requests
from navbat.server.floor.events import PRIVATE_FIELDS

API = "/api/v1"


class SSEClient:
    """A minimal Server-Sent Events reader on http.client (one connection, blocking reads)."""

    def __init__(self, base_url: str, last_event_id: int | None = None, timeout: float = 10) -> None:
        u = urlparse(base_url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", f"{API}/events", headers=headers)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200 and self.resp.getheader("Content-Type").startswith("text/event-stream")

    def next_event(self) -> dict:
        """The next event (id, type and data checked against each other); comments are skipped."""
        fields: dict[str, str] = {}
        while True:
            line = self.resp.readline().decode("utf-8")
            assert line, "the stream ended"
            line = line.rstrip("\n")
            if not line:
                if "data" in fields and "id" not in fields:  # queue.changed: summaries, not in the log
                    assert fields["event"] == "queue.changed" and "queue" in json.loads(fields["data"])
                elif "data" in fields:
                    data = json.loads(fields["data"])
                    assert int(fields["id"]) == data["id"] and fields["event"] == data["type"]
                    return data
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")

    def close(self) -> None:
        self.conn.close()


class Floor:
    """The requests a kiosk and a clerk make, over the socket."""

    def __init__(self, url: str, kiosk_token: str) -> None:
        self.url, self.s, self.keys = url + API, requests.Session(), 0
        self.kiosk = {"Authorization": f"Bearer {kiosk_token}"}

    def issue(self, service: str, priority: str | None = None) -> dict:
        self.keys += 1
        r = self.s.post(f"{self.url}/tickets", json={"service": service, "priority": priority},
                        headers={**self.kiosk, "Idempotency-Key": f"sse-{self.keys}"}, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()

    def clerk(self, user: str, pin: str, window: int) -> dict[str, str]:
        r = self.s.post(f"{self.url}/login", json={"username": user, "pin": pin, "counter": window}, timeout=10)
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def post(self, path: str, auth: dict[str, str], **kw: object) -> dict:
        r = self.s.post(f"{self.url}{path}", headers=auth, timeout=10, **kw)
        assert r.status_code == 200, r.text
        return r.json()


def logged(app, after: int) -> list[tuple[int, str]]:  # noqa: ANN001
    db = app.extensions["navbat.hub"].floor.db
    return [tuple(r) for r in db.execute("SELECT id, type FROM events WHERE id > ? ORDER BY id", [after])]


def test_reconnect_with_last_event_id_gets_exactly_what_was_missed(live_hub):  # noqa: ANN001
    app = live_hub.app
    floor = Floor(live_hub.url, app.config["KIOSK_TOKEN"])
    display = SSEClient(live_hub.url)
    seen = []
    for service in ("PR1", "IN1", "RG1"):
        floor.issue(service)
        seen.append(display.next_event())
    assert [e["type"] for e in seen] == ["ticket.issued"] * 3
    assert [e["number"] for e in seen] == ["A-001", "101", "K-001"]
    assert [e["id"] for e in seen] == [seen[0]["id"] + i for i in range(3)]
    display.close()  # the display drops off the network...

    last = seen[-1]["id"]
    clerk = floor.clerk("clerk3", "3333", 3)  # ... and misses a busy minute
    floor.post("/counters/3/open", clerk)
    floor.issue("IN2", "elderly")
    called = floor.post("/counters/3/next", clerk)
    floor.post("/counters/3/recall", clerk)
    floor.post("/counters/3/start", clerk)
    floor.post("/counters/3/transfer", clerk, json={"service": "RG2"})
    floor.post("/counters/3/next", clerk)
    floor.post("/counters/3/no-show", clerk)
    missed = logged(app, last)
    # 9 moves of the floor, and the range the issued ticket's slip printed (ticket.promised, issue 24)
    assert len(missed) == 10 and [t for _, t in missed].count("ticket.promised") == 1

    again = SSEClient(live_hub.url, last_event_id=last)
    got = [again.next_event() for _ in missed]
    assert [(e["id"], e["type"]) for e in got] == missed  # all of them, in order, none twice
    call = next(e for e in got if e["type"] == "ticket.called")
    assert call["ticket"] == called["id"] and call["counter"] == 3

    # Then it carries on live, right after the backlog.
    fresh = floor.issue("FN1")
    live = again.next_event()
    assert (live["id"], live["type"], live["ticket"]) == (missed[-1][0] + 1, "ticket.issued", fresh["id"])
    again.close()

    # ?last_event_id=N&once=1 sends the same backlog and closes (for catch-up polls).
    r = floor.s.get(f"{floor.url}/events", params={"last_event_id": last, "once": 1}, timeout=10)
    ids = [int(line[4:]) for line in r.text.splitlines() if line.startswith("id: ")]
    assert ids == [i for i, _ in missed] + [live["id"]]


def test_public_events_carry_no_private_data(live_hub):  # noqa: ANN001
    app = live_hub.app
    floor = Floor(live_hub.url, app.config["KIOSK_TOKEN"])
    display = SSEClient(live_hub.url, last_event_id=0)
    clerk = floor.clerk("clerk1", "1111", 1)
    floor.post("/counters/1/open", clerk)
    ticket = floor.issue("PR1", "disability")
    floor.post("/counters/1/next", clerk)
    floor.post("/counters/1/done", clerk)
    r = floor.s.post(f"{floor.url}/devices/status", json={"printer": "kiosk-1-printer", "status": "paper_near_end"},
                     headers=floor.kiosk, timeout=10)
    assert r.status_code == 200
    events = [display.next_event() for _ in logged(app, 0)]
    display.close()
    assert {e["type"] for e in events} >= {"counter.changed", "ticket.issued", "ticket.called", "ticket.done",
                                           "device.status"}
    for e in events:
        assert not PRIVATE_FIELDS & e.keys(), e
        assert ticket["tracking_code"] not in json.dumps(e) and "disability" not in json.dumps(e)
    # The log itself keeps them (for reports and rebuilds); only the public face drops them.
    db = app.extensions["navbat.hub"].floor.db
    issued = json.loads(db.execute("SELECT data FROM events WHERE type='ticket.issued'").fetchone()[0])
    call = json.loads(db.execute("SELECT data FROM events WHERE type='ticket.called'").fetchone()[0])
    assert issued["tracking_code"] == ticket["tracking_code"] and issued["priority"] == "disability"
    assert call["clerk"] == "clerk1"
    assert {"tracking_code", "priority", "clerk", "reason"} <= PRIVATE_FIELDS
    assert "disability" in json.dumps(call["reason"])


def test_public_window_list_hides_who_the_visitor_is(client, actions, app):  # noqa: ANN001
    """GET /counters feeds the wall display without a login: the current visitor's priority class and the
    call reason that names it are for staff only (the clerk's console sends its token)."""
    clerk = actions.open_counter(2)
    actions.issue("PR2", priority="disability")
    client.post(f"{API}/counters/2/next", headers=clerk)
    display = {"Authorization": f"Bearer {app.config['DISPLAY_TOKEN']}"}
    for headers in ({}, display, {"Authorization": "Bearer forged"}):
        for body in (client.get(f"{API}/counters/2", headers=headers).json,
                     client.get(f"{API}/counters", headers=headers).json["counters"][1]):
            current = body["current_ticket"]
            assert current["number"] == "B-001" and current["state"] == "called"
            assert not {"priority", "reason", "reason_text", "tracking_code"} & current.keys(), headers
    staff = client.get(f"{API}/counters/2", headers=clerk).json["current_ticket"]
    assert staff["priority"] == "disability" and "tracking_code" not in staff
    assert any(p["code"] == "priority" and p["class"] == "disability" for p in staff["reason"])
    assert "دارای معلولیت" in staff["reason_text"]["fa"] and "Person with a disability" in staff["reason_text"]["en"]
    head = client.get(f"{API}/counters", headers=actions.login("head")).json["counters"][1]["current_ticket"]
    assert head["priority"] == "disability"


def test_an_id_from_another_database_does_not_silence_the_display(live_hub):  # noqa: ANN001
    """A display that kept its Last-Event-ID across a hub reset (a new database) must not wait for
    that id to come round again: it carries on from now."""
    floor = Floor(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    display = SSEClient(live_hub.url, last_event_id=100_000, timeout=5)
    ticket = floor.issue("PR3")
    ev = display.next_event()
    assert (ev["type"], ev["ticket"], ev["number"]) == ("ticket.issued", ticket["id"], "C-001")
    display.close()
