"""Requests answered later at HQ (issues 16 and 17: F3 per province): a branch's request events,
shipped and folded by the branch's own code, give HQ the same on-time share and mean working days
to answer as the branch's report; an answer counts on the day it was given; a replay adds nothing."""

from __future__ import annotations

from pathlib import Path

from hq_support import connect, register
from navbat.hq import dbcheck, figures
from navbat.hq.ingest import ingest
from navbat.server.hqlink.shipping import Shipper
from requests_support import Desk, tehran


def ship_all(desk: Desk, url: str) -> list[dict]:
    """Every batch the branch's shipper would send, ingested in order; the batches, to replay."""
    shipper = Shipper(desk.hub.store.path, desk.hub.branch, "http://127.0.0.1:9", "unused", batch=4).open()
    batches = []
    with connect(url) as conn:
        while True:
            body = shipper.batch_after()
            if not body["events"] and not body["ratings"]:
                break
            marks = ingest(conn, "tehran-01", body)
            shipper._set(events_acked=marks["events_hwm"], ratings_acked=marks["ratings_hwm"])
            batches.append(body)
    shipper.stop()
    return batches


def branch_month(desk: Desk) -> dict:
    head = desk.login("head")
    return desk.client.get("/api/v1/reports/monthly?month=1405-02", headers=head).json["requests"]["total"]


def test_request_figures_at_hq_equal_the_branchs(branch, tmp_path: Path, hq_db: str) -> None:  # noqa: ANN001, F811
    register(hq_db, "tehran-01", "تهران")
    desk = Desk(branch, tmp_path, tehran("1405-02-09", 10))
    try:
        codes = [desk.register("RG3"), desk.register("RG3"), desk.register("PN4", counter=6)]
        for code, when in ((codes[0], "1405-02-12"), (codes[1], "1405-02-20")):  # on time for RG3 (3 days); late
            desk.clock.now = tehran(when, 9)
            r = desk.client.post(f"/api/v1/requests/{code}/answer", json={"result": "ok"},
                                 headers=desk.login("head"))
            assert r.status_code == 200, r.json
        batches = ship_all(desk, hq_db)
        ours = branch_month(desk)
        with connect(hq_db) as conn:
            month = tehran("1405-02-01", 12).date(), tehran("1405-02-31", 12).date()
            at_hq = figures.summary(conn, *month)
            [province], [row] = at_hq["provinces"], at_hq["branches"]
            assert province["province"] == "تهران" and row["branch"] == "tehran-01"
            for r in (province, row):
                assert (r["requests_opened"], r["requests_answered"]) == (ours["opened"], ours["answered"]) == (3, 2)
                assert r["requests_on_time_pct"] == round(ours["on_time_pct"], 2) == 50.0
                assert r["requests_mean_days"] == round(ours["mean_days_to_answer"], 2)
            # an answer counts on the day it was given, not on its visit's day
            answer_day = tehran("1405-02-20", 12).date()
            days = conn.execute("SELECT day, sum(opened) AS o, sum(answered) AS a FROM request_daily "
                                "GROUP BY day ORDER BY day").fetchall()
            assert [(d["day"], d["o"], d["a"]) for d in days] == [
                (tehran("1405-02-09", 12).date(), 3, 0), (tehran("1405-02-12", 12).date(), 0, 1), (answer_day, 0, 1)]
            before = conn.execute("SELECT * FROM request_daily ORDER BY day, service").fetchall()
            for body in batches:  # a replay changes nothing
                ingest(conn, "tehran-01", body)
            assert conn.execute("SELECT * FROM request_daily ORDER BY day, service").fetchall() == before
            # a province manager's scope: another province has none of them
            other = figures.summary(conn, *month, province="فارس")
            assert other["provinces"] == [] and other["branches"] == []
        # `navbat check --database` re-derives these rollups too, and names a tampered one
        assert dbcheck.check(hq_db) == []
        with connect(hq_db) as conn:
            conn.execute("UPDATE request_daily SET answered = 5 WHERE day=%s", [answer_day])
        [problem] = dbcheck.check(hq_db)
        assert problem.startswith(f"request_daily branch='tehran-01', day={answer_day.isoformat()}")
        assert "answered is 5, the events say 1" in problem
    finally:
        desk.hub.stop()
