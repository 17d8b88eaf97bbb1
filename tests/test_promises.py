"""The printed wait, measured (issue 24): each ticket keeps the range its slip said, once, in the log
(`ticket.promised`); the day's report says per sub-service how many were called inside their range
and the mean error of the estimate, counting those still uncalled past their range as missed."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from conftest import make_app
from navbat.server.reports import build_report, parse_day
from reports_support import DAY, FakeClock


@pytest.fixture
def day(branch, tmp_path):  # noqa: ANN001, ANN201
    clock = FakeClock()
    app = make_app(branch, tmp_path / "hub.sqlite", CLOCK=clock)
    hub = app.extensions["navbat.hub"]
    yield app, hub, clock
    hub.stop()


def test_each_ticket_keeps_its_printed_range_and_the_report_says_how_often_it_held(day) -> None:  # noqa: ANN001
    play_day(*day)


def play_day(app, hub, clock) -> dict:  # noqa: ANN001
    """Four PR1 tickets: called inside, past, inside after a call taken back, never; the report's promises."""
    client = app.test_client()
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    r = client.post("/api/v1/login", json={"username": "clerk1", "pin": "1111", "counter": 1})
    clerk = {"Authorization": f"Bearer {r.json['token']}"}
    clock.at("08:00")
    assert client.post("/api/v1/counters/1/open", headers=clerk).status_code == 200
    shown = []
    for n in range(4):
        clock.at(f"08:0{n}")
        hub.estimates.settled(5.0)  # the estimate a kiosk would have now
        r = client.post("/api/v1/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": f"k{n}"})
        assert r.status_code == 201 and r.json["estimated_wait"] is not None, r.json
        shown.append(r.json)
    again = client.post("/api/v1/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": "k0"})
    assert again.status_code == 200  # a retried press: the same ticket, no second promise
    kept = {row[0]: row[1:] for row in hub.floor.db.execute(
        "SELECT ticket_id, json_extract(data, '$.low'), json_extract(data, '$.high'), count(*) OVER "
        "(PARTITION BY ticket_id) FROM events WHERE type = 'ticket.promised'")}
    assert sorted(kept) == sorted(t["id"] for t in shown)
    for t in shown:  # the very range the kiosk printed, once per ticket
        assert kept[t["id"]] == (t["estimated_wait"]["low"], t["estimated_wait"]["high"], 1)

    issued = [dt.datetime.combine(DAY, dt.time(8, n), tzinfo=clock.now.tzinfo) for n in range(4)]

    def call_at(when: dt.datetime) -> None:
        clock.now = when
        assert client.post("/api/v1/counters/1/next", headers=clerk).status_code == 200
        assert client.post("/api/v1/counters/1/done", headers=clerk).status_code == 200

    # the first inside its range (at its middle), the second 3 minutes past its top, the third taken back
    # and called again inside; the fourth never called (past its range by the day's end: missed)
    first, second, third = shown[0]["estimated_wait"], shown[1]["estimated_wait"], shown[2]["estimated_wait"]
    t1 = issued[0] + dt.timedelta(minutes=(math.floor(first["low"]) + math.ceil(first["high"])) / 2)
    t2 = max(t1, issued[1] + dt.timedelta(minutes=math.ceil(second["high"]) + 3))
    call_at(t1)
    call_at(t2)
    t3 = issued[2] + dt.timedelta(minutes=math.ceil(third["high"]))
    assert t3 >= t2, "the third's range must end after the second was called"
    clock.now = t3 - dt.timedelta(minutes=max(1, math.ceil(third["high"]) + 1))  # an early call, taken back
    client.post("/api/v1/counters/1/next", headers=clerk)
    assert client.post("/api/v1/counters/1/uncall", headers=clerk).status_code == 200
    call_at(t3)

    report = build_report(hub.floor.db, hub.branch, parse_day(DAY.isoformat())).as_dict()
    pr1 = next(r for r in report["promises"] if r["key"] == "PR1")
    assert (pr1["promised"], pr1["judged"], pr1["inside"]) == (4, 4, 2)
    assert pr1["inside_pct"] == pytest.approx(50.0)
    waited = [(t1 - issued[0]).total_seconds() / 60, (t2 - issued[1]).total_seconds() / 60,
              (t3 - issued[2]).total_seconds() / 60]
    errors = [w - s["estimated_wait"]["minutes"] for w, s in zip(waited, shown, strict=False)]
    assert pr1["mean_error"] == pytest.approx(sum(errors) / 3)
    assert pr1["label"]["fa"] == hub.branch.service("PR1").name.fa
    total = report["promises"][-1]
    assert total["key"] == "total" and total["judged"] == 4 and total["inside"] == 2
    return total


def test_hq_counts_the_promises_as_the_branch_does(day, hq_db: str) -> None:  # noqa: ANN001, F811
    """HQ folds the shipped events with the hub's own code: per branch and province, the same figures."""
    from hq_support import connect, ship_log
    from navbat.hq.accounts import add_user
    from navbat.hq.app import create_app as hq_app

    app, hub, clock = day
    total = play_day(app, hub, clock)
    with connect(hq_db) as conn:
        ship_log(hub, conn, "tehran-14", "تهران", "مرکزی", "1")
        add_user(conn, "boss", "national", "9999")
    hq = hq_app({"DATABASE": hq_db, "TESTING": True})
    try:
        client = hq.test_client()
        token = client.post("/api/v1/hq/login", json={"username": "boss", "pin": "9999"}).json["token"]
        r = client.get(f"/api/v1/hq/promises?from={DAY}&to={DAY}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.json
        [branch], [province] = r.json["branches"], r.json["provinces"]
        for row in (branch, province):
            for key in ("promised", "judged", "inside", "inside_pct", "mean_error"):
                assert row[key] == pytest.approx(total[key]), key
        assert branch["key"] == "tehran-14" and province["key"] == "تهران"
        far = client.get("/api/v1/hq/promises?from=2025-01-01&to=2025-12-31",
                         headers={"Authorization": f"Bearer {token}"})
        assert far.status_code == 400 and far.json["error"] == "bad_period"
    finally:
        hq.extensions["navbat.hq"].close()
