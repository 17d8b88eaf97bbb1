"""Branch -> HQ on a real PostgreSQL: in order, idempotent, and whole after HQ is killed or the WAN cut
(F4, D9). The branch's events come from its own Floor (tests/test_reports.py's day, or a busy day)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import make_app
from hq_support import HQProcess, branch_events, busy_day, connect, register, shipper_for, wait_until
from navbat.hq.ingest import BadBatch, Gap, ingest
from navbat.server.hqlink.shipping import backlog
from navbat.server.hub import Hub
from navbat.server.reports import build_report, parse_day
from reports_support import DAY, FakeClock, build_day

FIELDS = ("visitors", "called", "mean_wait", "p90_wait", "within_target_pct", "served", "mean_service", "no_shows",
          "transfers", "docs_incomplete", "docs_incomplete_pct", "ratings", "satisfaction", "satisfied_pct")


def hq_events(url: str, branch: str) -> list[tuple]:
    with connect(url) as conn:
        return [(r["id"], r["at"], r["type"], r["data"]) for r in conn.execute(
            "SELECT id, at, type, data FROM events WHERE branch=%s ORDER BY id", [branch])]


def assert_day_equal(hub: Hub, url: str, branch_id: str, day: dt.date) -> None:
    """The branch's report of the day against HQ's rollup rows, field by field."""
    with hub.read() as db:
        report = build_report(db, hub.branch, parse_day(day.isoformat()))
    with connect(url) as conn:
        rows = {r["service"]: r for r in conn.execute("SELECT * FROM daily WHERE branch=%s AND day=%s",
                                                       [branch_id, day])}
    assert rows, "HQ has no rollup for the day"
    for field in FIELDS:
        assert rows[""][field] == getattr(report.total, field), field
    for service in report.services:
        if service.visitors or service.called or service.served or service.no_shows or service.transfers:
            for field in FIELDS:
                assert rows[service.key][field] == getattr(service, field), (service.key, field)
        else:
            assert service.key not in rows


def test_batches_land_in_order_once_and_a_gap_is_refused(day_hub: Hub, hq_db: str) -> None:  # noqa: F811
    register(hq_db)
    shipper = shipper_for(day_hub, "http://127.0.0.1:9", "unused", batch=7).open()
    batches = []
    while True:
        body = shipper.batch_after()
        if not body["events"] and not body["ratings"]:
            break
        batches.append(body)
        last = body["events"][-1]["id"] if body["events"] else body["after"]
        last_r = body["ratings"][-1]["seq"] if body["ratings"] else body["ratings_after"]
        shipper._set(events_acked=last, ratings_acked=last_r)
    assert len(batches) >= 4
    with connect(hq_db) as conn:
        for body in batches:
            marks = ingest(conn, "tehran-01", body)
        assert marks["events_hwm"] == branch_events(day_hub)[-1][0]
        daily = conn.execute("SELECT * FROM daily ORDER BY day, service").fetchall()
        # the second batch again, and all of them again: nothing changes
        assert ingest(conn, "tehran-01", batches[1]) == marks
        for body in batches:
            assert ingest(conn, "tehran-01", body) == marks
        assert conn.execute("SELECT * FROM daily ORDER BY day, service").fetchall() == daily
        # a batch that starts past HQ's mark (HQ lost a commit) is refused with the mark
        with pytest.raises(Gap) as gap:
            ingest(conn, "tehran-01", {**batches[-1], "after": marks["events_hwm"] + 5})
        assert gap.value.marks == marks
        with pytest.raises(BadBatch):
            ingest(conn, "tehran-01", {"after": 0, "events": list(reversed(batches[0]["events"]))})
    assert hq_events(hq_db, "tehran-01") == branch_events(day_hub)
    assert_day_equal(day_hub, hq_db, "tehran-01", DAY)
    shipper.stop()


def test_branch_day_at_hq_equals_its_own_report(day_hub: Hub, hq_db: str, hq_process: HQProcess) -> None:  # noqa: F811
    token = register(hq_db)
    shipper = shipper_for(day_hub, hq_process.url, token, batch=5).open()
    while shipper.ship_once():
        pass
    with day_hub.read() as db:
        assert backlog(db)["events"] == 0 and backlog(db)["ratings"] == 0
    assert hq_events(hq_db, "tehran-01") == branch_events(day_hub)
    assert_day_equal(day_hub, hq_db, "tehran-01", DAY)
    assert_day_equal(day_hub, hq_db, "tehran-01", DAY + dt.timedelta(days=1))  # T7, issued the next day
    with connect(hq_db) as conn:
        total = conn.execute("SELECT complaints, ratings FROM daily WHERE day=%s AND service=''", [DAY]).fetchone()
    assert total == {"complaints": 1, "ratings": 3}  # T3's 2 is a complaint; 5 and 4 are not
    shipper.stop()


def test_hq_killed_mid_batch_loses_and_doubles_nothing(branch, tmp_path: Path, hq_db: str) -> None:  # noqa: ANN001, F811
    clock = FakeClock()
    app = make_app(branch, tmp_path / "busy.sqlite", CLOCK=clock)
    hub = app.extensions["navbat.hub"]
    busy_day(hub, clock, 400)
    total = branch_events(hub)[-1][0]
    token = register(hq_db)
    hq = HQProcess(hq_db).start()
    shipper = shipper_for(hub, hq.url, token, batch=50, idle_s=0.05, max_backoff_s=0.2).start()
    try:
        def acked() -> int:
            with hub.read() as db:
                return total - backlog(db)["events"]
        wait_until(lambda: acked() > 0)
        hq.kill()  # while the next batches are on their way
        assert acked() < total
        hq = HQProcess(hq_db, hq.port).start()
        wait_until(lambda: acked() == total)
    finally:
        shipper.stop()
        hq.stop()
        hub.stop()
    assert hq_events(hq_db, "tehran-01") == branch_events(hub)
    assert_day_equal(hub, hq_db, "tehran-01", DAY)


def test_wan_cut_for_a_day_then_restored(day_hub: Hub, hq_db: str) -> None:  # noqa: F811
    token = register(hq_db)
    hq = HQProcess(hq_db).start()
    shipper = shipper_for(day_hub, hq.url, token, batch=100, idle_s=0.05, max_backoff_s=0.2).start()

    def left() -> dict:
        with day_hub.read() as db:
            return backlog(db)

    try:
        wait_until(lambda: left()["events"] == 0)
        hq.stop()  # the WAN is cut: HQ unreachable
        next_day = DAY + dt.timedelta(days=2)
        busy_day(day_hub, day_hub.test_clock, 60, next_day)  # the branch works on, a whole day
        wait_until(lambda: left()["last_error"] is not None)
        assert left()["events"] >= 60 * 3  # the backlog, and nothing else, grew
        hq = HQProcess(hq_db, hq.port).start()  # the WAN is back
        wait_until(lambda: left()["events"] == 0)
    finally:
        shipper.stop()
        hq.stop()
    assert hq_events(hq_db, "tehran-01") == branch_events(day_hub)
    assert_day_equal(day_hub, hq_db, "tehran-01", DAY)
    assert_day_equal(day_hub, hq_db, "tehran-01", next_day)


def test_head_sees_the_backlog(day_hub: Hub, hq_db: str) -> None:  # noqa: F811
    """/head's link card reads backlog(): everything is behind before the first batch, nothing after."""
    token = register(hq_db)
    client = day_hub.test_app.test_client()
    r = client.post("/api/v1/login", json={"username": "head", "pin": "1404"})
    head = {"Authorization": f"Bearer {r.json['token']}"}
    assert client.get("/api/v1/head/hq-link", headers=head).json["configured"] is False
    shipper = shipper_for(day_hub, "http://127.0.0.1:9", token).open()
    link = client.get("/api/v1/head/hq-link", headers=head).json
    assert link["configured"] and link["events"] == len(branch_events(day_hub)) and link["ratings"] == 3
    with connect(hq_db) as conn:
        marks = ingest(conn, "tehran-01", shipper.batch_after())
    shipper._set(events_acked=marks["events_hwm"], ratings_acked=marks["ratings_hwm"])
    link = client.get("/api/v1/head/hq-link", headers=head).json
    assert (link["events"], link["ratings"]) == (0, 0)
    assert 'id="hq-link"' in client.get("/head").text
    shipper.stop()


def test_head_submits_the_month_through_the_hub(day_hub: Hub, hq_db: str, hq_process: HQProcess) -> None:  # noqa: F811
    token = register(hq_db)
    client = day_hub.test_app.test_client()
    head = {"Authorization": "Bearer " + client.post("/api/v1/login", json={"username": "head", "pin": "1404"}
                                                     ).json["token"]}
    body = {"month": "1404-07", "note": "همه چیز رو به راه بود"}
    assert client.post("/api/v1/head/monthly-submission", json=body, headers=head).json["error"] == "no_headquarters"
    day_hub.attach(shipper_for(day_hub, hq_process.url, token))  # the hub's link, and one of its workers
    assert "hq-shipping" in [h.name for h in day_hub.workers.health()]
    r = client.post("/api/v1/head/monthly-submission", json=body, headers=head)
    assert r.status_code == 200 and r.json["month"] == "1404-07"
    bad = client.post("/api/v1/head/monthly-submission", json={"month": "1404-99"}, headers=head)
    assert bad.status_code == 400
    assert day_hub.stop() == []  # the shipper stopped with the hub's other workers, within the bound
    with connect(hq_db) as conn:
        row = conn.execute("SELECT note, submitted_by FROM submissions WHERE branch='tehran-01'").fetchone()
    assert row == {"note": "همه چیز رو به راه بود", "submitted_by": "head"}


def test_a_branch_restored_from_a_backup(branch, tmp_path: Path, hq_db: str, hq_process: HQProcess) -> None:  # noqa: ANN001, F811
    """HQ had events the restored branch lost; the branch's new events reuse their ids. HQ ends with
    exactly the restored branch's log, and no figures of the lost day."""
    import sqlite3

    from navbat.server.floor.backup import restore
    from navbat.server.web.app import create_app

    clock = FakeClock()
    app = make_app(branch, tmp_path / "live.sqlite", CLOCK=clock)
    hub = app.extensions["navbat.hub"]
    token = register(hq_db)
    build_day(hub, clock)
    shipper = shipper_for(hub, hq_process.url, token).open()
    while shipper.ship_once():
        pass
    backup = sqlite3.connect(tmp_path / "backup.sqlite")
    with sqlite3.connect(hub.store.path) as live:
        live.backup(backup)
    backup.close()
    lost_day, new_day = DAY + dt.timedelta(days=3), DAY + dt.timedelta(days=4)
    busy_day(hub, clock, 12, lost_day)  # shipped, then lost with the machine
    while shipper.ship_once():
        pass
    shipper.stop()
    hub.stop()
    assert hq_events(hq_db, "tehran-01") == branch_events(hub)  # HQ has the day the branch is about to lose

    restore(tmp_path / "backup.sqlite", tmp_path / "restored.sqlite")  # as `navbat restore` does
    restored = create_app({"BRANCH": branch, "DB_PATH": str(tmp_path / "restored.sqlite"), "IGNORE_HOURS": True,
                           "TESTING": True, "CLOCK": clock}).extensions["navbat.hub"]
    shipper = shipper_for(restored, hq_process.url, token).open()
    while shipper.ship_once():  # nothing new yet: HQ forgets what the branch no longer has
        pass
    assert hq_events(hq_db, "tehran-01") == branch_events(restored)
    busy_day(restored, clock, 5, new_day)  # new events, under the lost ones' ids
    while shipper.ship_once():
        pass
    shipper.stop()
    assert hq_events(hq_db, "tehran-01") == branch_events(restored)
    assert_day_equal(restored, hq_db, "tehran-01", DAY)
    assert_day_equal(restored, hq_db, "tehran-01", new_day)
    with connect(hq_db) as conn:
        assert conn.execute("SELECT count(*) AS n FROM daily WHERE day=%s", [lost_day]).fetchone()["n"] == 0
    restored.stop()


def test_restored_branch_with_new_events_at_once(branch, tmp_path: Path, hq_db: str,  # noqa: ANN001, F811
                                                 hq_process: HQProcess) -> None:  # noqa: F811
    """The same, when the restored branch works before its shipper runs: the first replayed event
    that differs from HQ's shows the fork."""
    import sqlite3

    from navbat.server.floor.backup import restore
    from navbat.server.web.app import create_app

    clock = FakeClock()
    hub = make_app(branch, tmp_path / "live.sqlite", CLOCK=clock).extensions["navbat.hub"]
    token = register(hq_db)
    build_day(hub, clock)
    shipper = shipper_for(hub, hq_process.url, token).open()
    while shipper.ship_once():
        pass
    backup = sqlite3.connect(tmp_path / "backup.sqlite")
    with sqlite3.connect(hub.store.path) as live:
        live.backup(backup)
    backup.close()
    busy_day(hub, clock, 12, DAY + dt.timedelta(days=3))
    while shipper.ship_once():
        pass
    shipper.stop()
    hub.stop()
    restore(tmp_path / "backup.sqlite", tmp_path / "restored.sqlite")  # as `navbat restore` does
    restored = create_app({"BRANCH": branch, "DB_PATH": str(tmp_path / "restored.sqlite"), "IGNORE_HOURS": True,
                           "TESTING": True, "CLOCK": clock}).extensions["navbat.hub"]
    busy_day(restored, clock, 20, DAY + dt.timedelta(days=4))  # more than were lost: the ids run past HQ's
    shipper = shipper_for(restored, hq_process.url, token, batch=10).open()
    while shipper.ship_once():
        pass
    shipper.stop()
    assert hq_events(hq_db, "tehran-01") == branch_events(restored)
    assert_day_equal(restored, hq_db, "tehran-01", DAY + dt.timedelta(days=4))
    restored.stop()
