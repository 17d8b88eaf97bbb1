"""Each fact derived once, in the hub, and shipped: every ticket and counter event carries the
summaries of the sub-services it touched (waiting, estimate, note) and of their units, so a
display makes no request per event; estimate refreshes follow as `queue.changed`."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

from navbat.counter_display.viewmodel import WallModel
from navbat.server.floor.events import KEEP_QUEUE_CHANGES, Event, EventBus
from navbat.server.floor.summaries import Facts, changes, summarise

API = "/api/v1"


class Stream:
    """Reads SSE messages, with or without an id, from a live hub, as a wall display does (with its
    token: anonymous subscribers get the events without summaries)."""

    def __init__(self, base_url: str, token: str, query: str = "") -> None:
        u = urlparse(base_url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        self.conn.request("GET", f"{API}/events{query}", headers={"Authorization": f"Bearer {token}"})
        self.resp = self.conn.getresponse()

    def next(self) -> dict:
        fields: dict[str, str] = {}
        while True:
            line = self.resp.readline().decode("utf-8").rstrip("\n")
            if not line:
                if "data" in fields:
                    data = json.loads(fields["data"])
                    data["_sse_id"] = fields.get("id")
                    return data
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")

    def until(self, kind: str, **match: object) -> dict:
        while True:
            ev = self.next()
            if ev["type"] == kind and all(ev.get(k) == v for k, v in match.items()):
                return ev

    def close(self) -> None:
        self.conn.close()


def by_code(items: list[dict]) -> dict[str, dict]:
    return {i["code"]: i for i in items}


def test_ticket_events_carry_the_waiting_count_and_the_units_summary(live_hub, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(1)  # counter 1 serves the premium unit (PR1..PR3)
    stream = Stream(live_hub.url, live_hub.app.config["DISPLAY_TOKEN"])
    try:
        for _ in range(3):
            actions.issue("PR1")
        actions.issue("PR2")
        issued = [stream.until("ticket.issued") for _ in range(4)]
        assert [by_code(e["queue"]["services"])[e["service"]]["waiting"] for e in issued] == [1, 2, 3, 1]
        last = issued[-1]["queue"]
        assert [s["code"] for s in last["services"]] == ["PR2"]  # only what the event touched
        (premium,) = last["units"]
        assert premium["code"] == "premium" and premium["waiting"] == 4 and premium["open_counters"] == 1
        assert premium["note"] in (None, "no_wait")

        called = actions.client.post(f"{API}/counters/1/next", headers=clerk).json
        ev = stream.until("ticket.called", ticket=called["id"])
        assert by_code(ev["queue"]["services"])[called["service"]]["waiting"] == (2 if called["service"] == "PR1"
                                                                                  else 0)
        assert ev["queue"]["units"][0]["waiting"] == 3

        # a counter closing: every sub-service it serves, and their units, in one event
        actions.client.post(f"{API}/counters/1/done", headers=clerk)
        actions.client.post(f"{API}/counters/1/close", headers=clerk)
        changed = stream.until("counter.changed", state="closed")
        served_by_1 = {s.code for s in live_hub.app.extensions["navbat.hub"].branch.counter(1).services}
        assert served_by_1 <= set(by_code(changed["queue"]["services"]))
        pr1 = by_code(changed["queue"]["services"])["PR1"]
        assert pr1["open_counters"] == 0 and pr1["note"] == "not_open" and pr1["estimated_wait"] is None

        # what the events said is what GET /services says now
        services = by_code(actions.client.get(f"{API}/services").json["services"])
        for code, summary in by_code(changed["queue"]["services"]).items():
            assert {k: services[code][k] for k in summary} == summary
    finally:
        stream.close()


def test_estimate_refreshes_arrive_as_queue_changed_without_an_id(live_hub, actions) -> None:  # noqa: ANN001
    hub = live_hub.app.extensions["navbat.hub"]
    actions.open_counter(3)
    stream = Stream(live_hub.url, live_hub.app.config["DISPLAY_TOKEN"])
    try:
        actions.issue("IN1")
        msg = stream.until("queue.changed")
        while by_code(msg["queue"]["services"])["IN1"]["waiting"] == 0:  # the opening's refresh, come late
            assert msg["_sse_id"] is None
            msg = stream.until("queue.changed")
        assert msg["_sse_id"] is None  # not in the log: Last-Event-ID is not moved by it
        in1 = by_code(msg["queue"]["services"])["IN1"]
        assert in1["waiting"] == 1 and in1["estimated_wait"] is not None
        hub.estimates.settled()
        now = by_code(actions.client.get(f"{API}/services").json["services"])["IN1"]
        assert now["waiting"] == 1 and now["open_counters"] == 1
    finally:
        stream.close()


def test_events_read_back_from_the_log_have_no_summaries(client, actions, hub) -> None:  # noqa: ANN001
    """Summaries are derived, never stored: a catch-up from the log carries none (a display then
    reads GET /services once)."""
    actions.open_counter(2)
    actions.issue("PR1")
    rows = hub.events_since(0)
    assert rows and all(isinstance(e, Event) and e.queue is None for e in rows)
    with hub.read() as db:
        stored = [json.loads(r[0]) for r in db.execute("SELECT data FROM events")]
    assert not any("queue" in d for d in stored)


def test_unit_summary_is_the_range_of_its_sub_services(hub, actions) -> None:  # noqa: ANN001
    actions.open_counter(1)
    for code in ("PR1", "PR1", "PR2", "PR3"):
        actions.issue(code)
    newcomers = hub.estimates.settled()[1]
    with hub.read() as db:
        queue = summarise(hub.branch, Facts.read(db, hub.branch, newcomers))
    services, units = by_code(queue["services"]), by_code(queue["units"])
    minutes = [services[c]["estimated_wait"]["minutes"] for c in ("PR1", "PR2", "PR3")]
    assert units["premium"]["estimated_wait"] == {"low": min(minutes), "high": max(minutes)}
    assert units["premium"]["waiting"] == 4
    # a unit nobody has opened a counter for yet says so, with no number
    assert units["pension"]["note"] == "not_open" and units["pension"]["estimated_wait"] is None


def kept(queue: dict) -> dict[str, dict[str, dict]]:
    """What a display keeps: per kind, code -> summary."""
    return {kind: {s["code"]: dict(s) for s in queue.get(kind, [])} for kind in ("services", "units")}


def apply(display: dict[str, dict[str, dict]], message: dict) -> None:
    """A display applying one message: `changes` (field by field) or a whole `queue` (summary by summary)."""
    for kind, moved in message.get("changes", {}).items():
        for code, fields in moved.items():
            display[kind].setdefault(code, {"code": code}).update(fields)
    for kind, summaries in message.get("queue", {}).items():
        display[kind].update({s["code"]: dict(s) for s in summaries})


def test_a_display_that_keeps_the_summaries_is_sent_only_what_moved(live_hub, actions) -> None:  # noqa: ANN001
    hub = live_hub.app.extensions["navbat.hub"]
    clerk = actions.open_counter(1)
    hub.estimates.settled()
    display = kept(actions.client.get(f"{API}/services").json)  # what it read when it started
    stream = Stream(live_hub.url, live_hub.app.config["DISPLAY_TOKEN"], "?changes=1")
    try:
        for code in ("PR1", "PR1", "PR2"):
            actions.issue(code)
        called = actions.client.post(f"{API}/counters/1/next", headers=clerk).json
        actions.client.post(f"{API}/counters/1/done", headers=clerk)
        actions.client.post(f"{API}/counters/1/close", headers=clerk)
        hub.estimates.settled()
        messages = []
        while not any(m["type"] == "counter.changed" for m in messages):
            messages.append(stream.next())
        stream.conn.sock.settimeout(1.5)  # and whatever refreshes follow, until the stream is quiet
        try:
            while True:
                messages.append(stream.next())
        except TimeoutError:
            pass
    finally:
        stream.close()
    events = [m for m in messages if m["_sse_id"] is not None and m["type"] != "ticket.promised"]  # slips' ranges
    assert [e["type"] for e in events] == ["ticket.issued"] * 3 + ["ticket.called", "ticket.done", "counter.changed"]
    assert all("queue" not in m for m in messages) and all("changes" in e for e in events)
    # a slip's range moves no summary and says so: before, it came bare, as an event replayed from the
    # log does, and every wall re-read GET /services after each ticket issued
    promised = [m for m in messages if m["type"] == "ticket.promised"]
    assert len(promised) == 3 and all(m["changes"] == {} for m in promised)
    wall = WallModel(lang="en")
    assert not any(wall.handle(m).refresh for m in messages if m["_sse_id"] is not None)
    second = events[1]["changes"]  # a second PR1 ticket: PR1's count and its unit's, not every field
    assert second["services"]["PR1"]["waiting"] == 2 and second["units"]["premium"]["waiting"] == 2
    assert set(second["services"]) == {"PR1"} and "name" not in second["units"]["premium"]
    assert events[3]["ticket"] == called["id"]
    for message in messages:
        apply(display, message)
    assert display == kept(actions.client.get(f"{API}/services").json)  # the same picture as a fresh read


def test_changes_reach_a_late_subscriber_in_the_order_they_were_published() -> None:
    def queue(waiting: int, minutes: int) -> dict:
        return {"services": [{"code": "A", "waiting": waiting, "estimated_wait_minutes": minutes}], "units": []}

    bus = EventBus(lambda since: [], changes=changes)
    display = kept(queue(0, 0))
    bus.publish_queue(queue(0, 0))  # what the display read
    start = bus.queue_version
    bus.publish([Event(1, "ticket.issued", "t", {"service": "A"}, queue(1, 0))])
    bus.publish_queue(queue(1, 9))  # the refresh after it
    bus.publish([Event(2, "ticket.issued", "t", {"service": "A"}, queue(2, 9))])
    bus.publish_queue(queue(2, 18))
    bus.publish([Event(3, "ticket.called", "t", {"service": "A"}, queue(1, 18))])  # newest: waiting 1
    _, _, data = bus.chunk(0, start, with_queue=True, changes=True)
    messages = [json.loads(line[6:]) for line in data.decode().splitlines() if line.startswith("data: ")]
    assert [m.get("id") for m in messages] == [1, None, 2, None, 3]  # as published, not events first
    for message in messages:
        apply(display, message)
    assert display["services"]["A"] == {"code": "A", "waiting": 1, "estimated_wait_minutes": 18}

    for minutes in range(KEEP_QUEUE_CHANGES + 1):  # a subscriber further behind: the whole summaries
        bus.publish_queue(queue(1, 20 + minutes))
    _, _, data = bus.chunk(3, start, with_queue=True, changes=True)
    [message] = [json.loads(line[6:]) for line in data.decode().splitlines() if line.startswith("data: ")]
    assert message["queue"]["services"][0]["estimated_wait_minutes"] == 20 + KEEP_QUEUE_CHANGES
