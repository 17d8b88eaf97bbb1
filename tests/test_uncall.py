"""A call made by mistake is taken back (issue 24): an event in the log, decided by the hub within a
few seconds; the visitor keeps their place and the walls drop the call."""

from __future__ import annotations

import requests
from navbat.server.reports import build_report, parse_day
from remote_support import Live


def test_a_call_taken_back_keeps_the_visitor_s_place(live: Live) -> None:  # noqa: F811
    first, second = live.walk_in("w1"), live.walk_in("w2")
    clerk = live.login("clerk1", 1)
    assert live.post("/counters/1/open", headers=clerk).status_code == 200
    called = live.post("/counters/1/next", headers=clerk).json()
    assert called["number"] == first["number"]
    live.clock.advance(seconds=5)
    r = live.post("/counters/1/uncall", headers=clerk)
    assert r.status_code == 200, r.text
    back = r.json()
    assert (back["state"], back["counter"], back["people_ahead"]) == ("waiting", None, 0)  # first in line again
    hub = live.app.extensions["navbat.hub"]
    with hub.read() as db:
        types = [t for (t,) in db.execute("SELECT type FROM events WHERE ticket_id=? ORDER BY id", [first["id"]])]
        assert types == ["ticket.issued", "ticket.called", "ticket.uncalled"]
        assert db.execute("SELECT current_ticket FROM counters WHERE number=1").fetchone()[0] is None
    calls = requests.get(f"{live.url}/api/v1/calls", timeout=5).json()["calls"]
    assert first["id"] not in [c["ticket"] for c in calls]  # a wall restarted now shows no such call
    # the next call is the same visitor, in the place they had
    again = live.post("/counters/1/next", headers=clerk).json()
    assert again["id"] == first["id"] and second["id"] != again["id"]
    live.clock.advance(seconds=16)
    late = live.post("/counters/1/uncall", headers=clerk)
    assert late.status_code == 409 and late.json()["error"] == "too_late_to_uncall"
    assert live.post("/counters/2/uncall", headers=clerk).status_code in (403, 409)  # not this clerk's counter
    # the report counts the visitor's wait to the call that stood, once
    with hub.read() as db:
        report = build_report(db, hub.branch, parse_day(hub.branch.branch_day(hub.clock()).isoformat()))
    # w1 waited 5 s to the call that stood, not 0 s to the one taken back
    assert report.total.called == 1 and round(report.total.mean_wait * 60) == 5


def test_a_visit_already_started_is_not_uncalled(live: Live) -> None:  # noqa: F811
    live.walk_in("w1")
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    live.post("/counters/1/next", headers=clerk)
    live.post("/counters/1/start", headers=clerk)
    r = live.post("/counters/1/uncall", headers=clerk)
    assert r.status_code == 409 and r.json()["error"] == "invalid_state"
