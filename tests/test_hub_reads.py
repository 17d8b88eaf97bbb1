"""Reads never hold the write lock: a month's report (or any page) runs on its own connection,
from one snapshot, while kiosks go on issuing tickets over real sockets."""

from __future__ import annotations

import threading

import navbat.server.reports.worker  # noqa: F401
import requests
from navbat.server.reports import build_report, parse_month

from navbat import server

API = "/api/v1"


def test_kiosks_issue_while_a_monthly_report_is_running(live_hub, actions, monkeypatch) -> None:  # noqa: ANN001
    """The report is held inside its read snapshot until the kiosks are done: if it held the
    floor's lock, not one ticket could be issued, and the test would hang, not pass."""
    actions.open_counter(1)
    for _ in range(3):
        actions.issue("PR1")
    inside, release = threading.Event(), threading.Event()
    counted: list[int] = []

    def slow_report(db, branch, period):  # noqa: ANN001, ANN202
        report = build_report(db, branch, period)
        counted.append(report.total.visitors)
        inside.set()
        assert release.wait(30), "the kiosks never finished"
        # the same snapshot, after the kiosks' commits: it still sees only what was there at its start
        counted.append(build_report(db, branch, period).total.visitors)
        return report

    monkeypatch.setattr(server.reports.worker, "build_report", slow_report)
    live_hub.app.config["REPORTS_IN_PROCESS"] = True  # to look inside the report while it runs
    head = actions.login("head")
    answer: list[requests.Response] = []
    reporter = threading.Thread(target=lambda: answer.append(requests.get(
        f"{live_hub.url}{API}/reports/monthly", headers=head, timeout=60)))
    reporter.start()
    assert inside.wait(30)
    kiosk = {"Authorization": f"Bearer {live_hub.app.config['KIOSK_TOKEN']}"}
    with requests.Session() as s:
        issued = [s.post(f"{live_hub.url}{API}/tickets", json={"service": "PR2"}, timeout=10,
                         headers={**kiosk, "Idempotency-Key": f"during-report-{i}"}) for i in range(20)]
    assert [r.status_code for r in issued] == [201] * 20
    assert reporter.is_alive()  # the report was still running the whole time
    release.set()
    reporter.join(30)
    assert answer and answer[0].status_code == 200 and answer[0].json()["total"]["visitors"] == 3
    assert counted == [3, 3]  # one snapshot for the whole report
    r = requests.get(f"{live_hub.url}{API}/reports/monthly", headers=head, timeout=30)
    assert r.json()["total"]["visitors"] == 23


def test_a_reader_cannot_write(hub) -> None:  # noqa: ANN001
    """Writes have exactly one path: a page's connection refuses them."""
    import sqlite3

    import pytest

    with hub.read() as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM tickets")


def test_a_report_from_the_worker_process_equals_one_built_here(client, actions, hub) -> None:  # noqa: ANN001
    clerk = actions.open_counter(1)
    for _ in range(4):
        actions.issue("PR1")
    client.post(f"{API}/counters/1/next", headers=clerk)
    client.post(f"{API}/counters/1/done", headers=clerk)
    head = actions.login("head")
    from_worker = client.get(f"{API}/reports/monthly", headers=head).json
    with hub.read() as db:
        here = build_report(db, hub.branch, parse_month(from_worker["period"]["label"])).as_dict()
    from_worker.pop("generated_at")
    assert from_worker == here and here["total"]["visitors"] == 4 and here["total"]["served"] == 1
