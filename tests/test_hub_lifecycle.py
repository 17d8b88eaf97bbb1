"""A visit from ticket to done through API v1 (D5, F1): issue, call, recall, start, done,
no-show, transfer, pause; the tracking lookup; /services, /counters and the OpenAPI file.

Each flow runs through Flask's test client; the core flow runs again over a real socket.
"""

from __future__ import annotations

import json
import re

import requests

API = "/api/v1"


def sse_events(body: str) -> list[dict]:
    """The data of every event in an SSE body (comments and retry lines skipped)."""
    out = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "data" in lines:
            data = json.loads(lines["data"])
            assert int(lines["id"]) == data["id"] and lines["event"] == data["type"]
            out.append(data)
    return out


def backlog(client, since: int = 0) -> list[dict]:  # noqa: ANN001
    r = client.get(f"{API}/events?once=1&last_event_id={since}")
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    return sse_events(r.get_data(as_text=True))


def test_issue_call_recall_start_done(client, actions):  # noqa: ANN001
    clerk = actions.open_counter(1)
    r = actions.issue("PR1", key="visit-1")
    assert r.status_code == 201
    t = r.json
    assert t["number"] == "A-001" and t["service"] == "PR1" and t["state"] == "waiting"
    assert t["priority"] is None and t["people_ahead"] == 0 and t["position"] == 1 and t["unit"] == "premium"
    assert re.fullmatch(r"[A-Z2-9]{8}", t["tracking_code"]) and t["issued_at"].endswith("+00:00")
    assert isinstance(t["estimated_wait_minutes"], int)
    assert t["estimated_wait"]["low"] <= t["estimated_wait"]["minutes"] <= t["estimated_wait"]["high"]

    # F1: the visitor looks the ticket up while waiting...
    look = client.get(f"{API}/tickets/{t['tracking_code'].lower()}").json
    assert (look["id"], look["state"], look["position"], look["counter"]) == (t["id"], "waiting", 1, None)
    assert isinstance(look["estimated_wait_minutes"], int)

    called = client.post(f"{API}/counters/1/next", headers=clerk)
    assert called.status_code == 200
    assert called.json["id"] == t["id"] and called.json["state"] == "called" and called.json["counter"] == 1
    assert {"code": "primary_service"} in called.json["reason"] and "primary skill" in called.json["reason_text"]["en"]
    # ... and, once called, sees the window and no estimate.
    look = client.get(f"{API}/tickets/{t['tracking_code']}").json
    assert (look["state"], look["counter"], look["position"], look["estimated_wait_minutes"]) == ("called", 1, None,
                                                                                                  None)

    recalled = client.post(f"{API}/counters/1/recall", headers=clerk)
    assert recalled.status_code == 200 and recalled.json["recalls"] == 1 and recalled.json["state"] == "called"
    assert client.post(f"{API}/counters/1/recall", headers=clerk).json["recalls"] == 2

    assert client.post(f"{API}/counters/1/start", headers=clerk).json["state"] == "serving"
    # A window busy with a visitor can be neither closed nor paused, nor call another.
    for action in ("close", "pause", "next"):
        r = client.post(f"{API}/counters/1/{action}", headers=clerk)
        assert r.status_code == 409 and r.json["error"] == "ticket_in_progress", action

    win = client.get(f"{API}/counters/1").json
    assert win["current_ticket"]["id"] == t["id"] and win["current_ticket"]["state"] == "serving"
    assert "tracking_code" not in win["current_ticket"]

    done = client.post(f"{API}/counters/1/done", headers=clerk, json={"outcome": "documents_incomplete"})
    assert done.json["state"] == "done" and done.json["outcome"] == "documents_incomplete"
    assert client.get(f"{API}/counters/1").json["current_ticket"] is None
    assert client.post(f"{API}/counters/1/next", headers=clerk).status_code == 204  # nobody waits
    assert client.post(f"{API}/counters/1/close", headers=clerk).json["state"] == "closed"

    logged = [e for e in backlog(client) if e.get("ticket") == t["id"]]
    # the range its slip printed is kept once, right after the issue (issue 24); the rest is the visit
    assert [e["type"] for e in logged].count("ticket.promised") <= 1
    events = [e for e in logged if e["type"] != "ticket.promised"]
    assert [e["type"] for e in events] == ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.recalled",
                                           "ticket.started", "ticket.done"]
    assert all(e["number"] == "A-001" for e in events)
    assert events[1]["counter"] == 1 and events[-1]["outcome"] == "documents_incomplete"


def test_no_show_frees_the_window(client, actions):  # noqa: ANN001
    clerk = actions.open_counter(3)
    first = actions.issue("IN1").json
    second = actions.issue("IN1").json
    assert (first["number"], second["number"]) == ("101", "102")
    assert second["people_ahead"] == 1 and second["position"] == 2

    assert client.post(f"{API}/counters/3/next", headers=clerk).json["id"] == first["id"]
    # A no-show is only for a called visitor, not one already being served.
    r = client.post(f"{API}/counters/3/no-show", headers=clerk)
    assert r.status_code == 200 and r.json["state"] == "no_show"
    assert client.get(f"{API}/tickets/{first['tracking_code']}").json["state"] == "no_show"
    assert client.get(f"{API}/tickets/{second['tracking_code']}").json["position"] == 1

    assert client.post(f"{API}/counters/3/next", headers=clerk).json["id"] == second["id"]
    client.post(f"{API}/counters/3/start", headers=clerk)
    r = client.post(f"{API}/counters/3/no-show", headers=clerk)
    assert r.status_code == 409 and r.json["error"] == "invalid_state"
    assert [e["type"] for e in backlog(client) if e.get("ticket") == first["id"]][-1] == "ticket.no_show"


def test_transfer_keeps_arrival_number_and_code(client, actions, floor):  # noqa: ANN001
    premium = actions.open_counter(1)
    insured = actions.open_counter(3)
    moved = actions.issue("PR1").json
    later = actions.issue("IN1").json  # arrives after `moved`, at the service it is moved to

    assert client.post(f"{API}/counters/1/next", headers=premium).json["id"] == moved["id"]
    client.post(f"{API}/counters/1/start", headers=premium)
    r = client.post(f"{API}/counters/1/transfer", headers=premium, json={"service": "IN1"})
    assert r.status_code == 200
    t = r.json
    assert (t["id"], t["number"], t["tracking_code"]) == (moved["id"], "A-001", moved["tracking_code"])
    assert (t["state"], t["service"], t["unit"], t["counter"], t["transfers"]) == ("waiting", "IN1", "insured",
                                                                                   None, 1)
    assert t["position"] == 1 and t["people_ahead"] == 0  # its original arrival puts it ahead of `later`
    assert client.get(f"{API}/tickets/{later['tracking_code']}").json["position"] == 2
    row = floor.db.execute("SELECT issued_at, arrived_at, first_service FROM tickets WHERE id=?",
                           [moved["id"]]).fetchone()
    assert row[0] == row[1] and row[2] == "PR1"
    assert client.get(f"{API}/counters/1").json["current_ticket"] is None

    ev = [e for e in backlog(client) if e["type"] == "ticket.transferred"]
    assert len(ev) == 1 and (ev[0]["from_service"], ev[0]["service"], ev[0]["counter"]) == ("PR1", "IN1", 1)

    # The window that serves IN1 calls it before the later visitor.
    called = client.post(f"{API}/counters/3/next", headers=insured).json
    assert called["id"] == moved["id"] and called["number"] == "A-001" and called["service"] == "IN1"

    r = client.post(f"{API}/counters/3/transfer", headers=insured, json={"service": "IN1"})
    assert r.status_code == 409 and r.json["error"] == "same_service"


def test_pause_and_resume(client, actions):  # noqa: ANN001
    clerk = actions.open_counter(2)
    actions.issue("PR2")
    r = client.post(f"{API}/counters/2/pause", headers=clerk)
    assert r.status_code == 200 and r.json["state"] == "paused"
    r = client.post(f"{API}/counters/2/next", headers=clerk)
    assert r.status_code == 409 and r.json["error"] == "counter_paused"
    assert client.post(f"{API}/counters/2/pause", headers=clerk).status_code == 409
    assert client.post(f"{API}/counters/2/resume", headers=clerk).json["state"] == "open"
    assert client.post(f"{API}/counters/2/resume", headers=clerk).status_code == 409
    assert client.post(f"{API}/counters/2/next", headers=clerk).json["number"] == "B-001"
    states = [e["state"] for e in backlog(client) if e["type"] == "counter.changed" and e["counter"] == 2]
    assert states[-3:] == ["open", "paused", "open"]


def test_services_shape(client, actions, branch):  # noqa: ANN001
    actions.open_counter(5)
    for _ in range(3):
        actions.issue("RG1")
    services = client.get(f"{API}/services").json["services"]
    assert [s["code"] for s in services] == [s.code for s in branch.services]
    keys = {"code", "name", "unit", "unit_name", "documents", "steps", "expected_minutes", "target_wait_minutes",
            "waiting", "available", "open_counters", "counters", "note", "estimated_wait_minutes", "estimated_wait"}
    for s in services:
        assert keys <= s.keys(), s["code"]
        assert s["name"]["fa"] and s["name"]["en"] and s["unit"] == branch.unit_of(s["code"]).code
        assert s["documents"] and all(d["fa"] and d["en"] for d in s["documents"] + s["steps"])  # D6
        assert s["available"] and s["counters"] == [c.number for c in branch.counters if c.weight_of(s["code"]) > 0]
        if s["open_counters"]:
            assert isinstance(s["estimated_wait_minutes"], int) and s["note"] in (None, "no_wait")
        else:  # served today, but no counter open for it yet: no number, and the reason why
            assert s["estimated_wait"] is None and s["note"] == "not_open"
    rg1 = next(s for s in services if s["code"] == "RG1")
    assert rg1["waiting"] == 3 and rg1["open_counters"] == 1
    assert sum(s["waiting"] for s in services) == 3


def test_counters_list(client, actions, branch):  # noqa: ANN001
    clerk = actions.open_counter(4)
    actions.issue("IN2")
    client.post(f"{API}/counters/4/next", headers=clerk)
    counters = client.get(f"{API}/counters", headers=clerk).json["counters"]  # staff see usernames
    assert [c["number"] for c in counters] == [c.number for c in branch.counters]
    four = next(c for c in counters if c["number"] == 4)
    assert (four["state"], four["clerk"], four["unit"]) == ("open", "clerk4", "insured")
    assert "clerk" not in client.get(f"{API}/counters/4").json  # the public does not (issue 15)
    assert four["name"] == {"fa": "باجه ۴", "en": "Counter 4"}
    assert {"code": "IN2", "weight": 1.0} in four["services"] and {"code": "RG1", "weight": 0.5} in four["services"]
    assert four["current_ticket"]["number"] == "201" and "tracking_code" not in four["current_ticket"]
    assert all(c["state"] == "closed" and c["current_ticket"] is None for c in counters if c["number"] != 4)


def _api_paths(app, blueprints: set[str] | None = None) -> set[tuple[str, str]]:  # noqa: ANN001
    """Every (method, path) routed under /api/v1 (by these blueprints), in OpenAPI spelling."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or (blueprints and rule.endpoint.split(".")[0] not in blueprints):
            continue
        path = rule.rule.removeprefix(API)
        path = re.sub(r"<int:\w+>", "{n}", path)
        path = re.sub(r"<(\w+)>", r"{\1}", path)
        choices = re.search(r"<any\(([^)]*)\):\w+>", path)
        paths = [path.replace(choices[0], c.strip(" '")) for c in choices[1].split(",")] if choices else [path]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out |= {(method.lower(), p) for p in paths}
    return out


def test_openapi_lists_every_path(client, app):  # noqa: ANN001
    spec = client.get(f"{API}/openapi.json").json
    assert spec["openapi"].startswith("3.") and spec["servers"] == [{"url": API}]
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    # Every route under /api/v1 is documented (the head console's too), and nothing else is made up.
    routed = _api_paths(app) - {("get", "/openapi.json")}
    assert routed - documented == set()
    assert documented - _api_paths(app) == set()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert op["summary"] and any(code.startswith("2") for code in op["responses"]), path


def test_lifecycle_over_a_real_socket(live_hub):  # noqa: ANN001
    """The same visit over a real socket on 127.0.0.1, as the kiosk and the clerk's console make it."""
    url, app = live_hub.url + API, live_hub.app
    s = requests.Session()
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    assert s.get(f"{url}/health", timeout=5).json()["status"] == "ok"
    token = s.post(f"{url}/login", json={"username": "clerk6", "pin": "6666", "counter": 6}, timeout=5).json()["token"]
    clerk = {"Authorization": f"Bearer {token}"}
    me = s.get(f"{url}/me", headers=clerk, timeout=5).json()
    assert me == {"name": "clerk6", "display_name": None, "role": "clerk", "counter": 6}
    assert s.post(f"{url}/counters/6/open", headers=clerk, timeout=5).json()["state"] == "open"

    r = s.post(f"{url}/tickets", json={"service": "PN1", "priority": "elderly"},
               headers={**kiosk, "Idempotency-Key": "socket-1"}, timeout=5)
    assert r.status_code == 201 and r.json()["number"] == "501" and r.json()["priority"] == "elderly"
    again = s.post(f"{url}/tickets", json={"service": "PN1", "priority": "elderly"},
                   headers={**kiosk, "Idempotency-Key": "socket-1"}, timeout=5)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    code = r.json()["tracking_code"]

    called = s.post(f"{url}/counters/6/next", headers=clerk, timeout=5).json()
    assert called["number"] == "501"
    assert any(p["code"] == "priority" and p["class"] == "elderly" for p in called["reason"])
    assert s.get(f"{url}/tickets/{code}", timeout=5).json()["counter"] == 6
    assert s.post(f"{url}/counters/6/recall", headers=clerk, timeout=5).json()["recalls"] == 1
    assert s.post(f"{url}/counters/6/start", headers=clerk, timeout=5).json()["state"] == "serving"
    moved = s.post(f"{url}/counters/6/transfer", headers=clerk, json={"service": "FN1"}, timeout=5).json()
    assert (moved["state"], moved["service"], moved["number"]) == ("waiting", "FN1", "501")
    assert s.post(f"{url}/counters/6/next", headers=clerk, timeout=5).json()["id"] == called["id"]  # 6 serves FN1
    client_done = s.post(f"{url}/counters/6/done", headers=clerk, timeout=5).json()
    assert client_done["state"] == "done" and client_done["outcome"] == "served"
    assert s.post(f"{url}/counters/6/pause", headers=clerk, timeout=5).json()["state"] == "paused"
    assert s.post(f"{url}/counters/6/resume", headers=clerk, timeout=5).json()["state"] == "open"
    assert s.post(f"{url}/logout", headers=clerk, timeout=5).json() == {"status": "logged_out"}
    assert s.get(f"{url}/me", headers=clerk, timeout=5).status_code == 401
    win = s.get(f"{url}/counters/6", timeout=5).json()
    assert (win["state"], win["clerk_name"]) == ("closed", None)  # logging out frees and closes the window
    s.close()


def test_a_clerk_cannot_walk_away_from_a_visitor(client, actions) -> None:  # noqa: ANN001
    """Logging in elsewhere or out with a visitor at the window would orphan the ticket."""
    auth = actions.open_counter(3)
    actions.issue("IN1")
    called = client.post("/api/v1/counters/3/next", headers=auth).json
    r = client.post("/api/v1/login", json={"username": "clerk3", "pin": "3333", "counter": 4})
    assert r.status_code == 409 and r.json["error"] == "ticket_in_progress"
    r = client.post("/api/v1/logout", headers=auth)
    assert r.status_code == 409 and r.json["error"] == "ticket_in_progress"
    assert client.post("/api/v1/counters/3/done", headers=auth).json["id"] == called["id"]
    assert client.post("/api/v1/logout", headers=auth).status_code == 200
    window = client.get("/api/v1/counters/3").json
    assert window["clerk_name"] is None and window["state"] == "closed"


def test_people_ahead_are_the_people_called_first(client, actions):  # noqa: ANN001
    """A later elderly visitor goes ahead of an earlier regular one: the ticket says so (issue 13)."""
    clerk = actions.open_counter(3)
    actions.issue("IN1")
    assert client.post(f"{API}/counters/3/next", headers=clerk).status_code == 200  # counter 3 is busy
    regular = actions.issue("IN1").json
    elderly = actions.issue("IN1", priority="elderly").json
    regular = client.get(f"{API}/tickets/{regular['tracking_code']}").json
    elderly = client.get(f"{API}/tickets/{elderly['tracking_code']}").json
    assert elderly["people_ahead"] == 0 and elderly["position"] == 1
    assert regular["people_ahead"] >= 1 and regular["position"] == regular["people_ahead"] + 1
    low, high = regular["people_ahead_range"]["low"], regular["people_ahead_range"]["high"]
    assert low <= regular["people_ahead"] <= high
