"""`navbat check` on a healthy branch after a day of every feature, repeated device reports and
restarts says ok (issue 22); a tampered table, and tampered state kept beside the log, are named."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from conftest import PINS, HandClock, make_app, serve_in_thread
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from sms_support import code_from, read_log

TEHRAN = ZoneInfo("Asia/Tehran")
NAVBAT = str(Path(sys.executable).parent / "navbat")  # the installed console script


class Day:
    """One hub over a real socket on a hand-moved clock (a working Saturday in Tehran)."""

    def __init__(self, branch: Branch, db: Path, log: Path, clock: HandClock) -> None:
        self.app = make_app(branch, db, SMS_LOG=str(log), CLOCK=clock)
        self.url, self.stop = serve_in_thread(self.app)
        self.log, self.clock, self.keys = log, clock, 0
        self.kiosk = {"Authorization": f"Bearer {self.app.config['KIOSK_TOKEN']}"}

    def post(self, path: str, body: dict | None = None, headers: dict | None = None, put: bool = False,
             status: int = 200) -> dict:
        r = (requests.put if put else requests.post)(f"{self.url}/api/v1{path}", json=body or {},
                                                     headers=headers or {}, timeout=10)
        assert r.status_code == status, (path, r.text)
        return r.json() if r.content else {}

    def login(self, name: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": name, "pin": PINS[name], **({"counter": counter} if counter else {})}
        return {"Authorization": f"Bearer {self.post('/login', body)['token']}"}

    def code(self, phone: str) -> str:
        self.clock.advance(seconds=61)  # one code a minute per phone
        before = len(read_log(self.log, 0))
        self.post("/remote/verify", {"phone": phone}, status=202)
        return code_from([m for m in read_log(self.log, before + 1) if m["to"] == phone][-1])

    def walk_in(self, service: str) -> dict:
        self.keys += 1
        return self.post("/tickets", {"service": service}, {**self.kiosk, "Idempotency-Key": f"k{self.keys}"},
                         status=201)

    def report(self, status: str, times: int = 2, printer: str | None = None) -> None:
        for _ in range(times):  # the same status again: only its `at` moves, no event
            self.clock.advance(seconds=30)
            self.post("/devices/status", {"status": status, **({"printer": printer} if printer else {})},
                      self.kiosk)


def navbat_check(db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NAVBAT, "check", "--db", str(db)], capture_output=True, text=True, timeout=60)


def test_a_day_of_every_feature_with_restarts_and_repeated_reports_checks_ok(branch: Branch, tmp_path: Path) -> None:
    branch = branch.model_copy(update={"appointments": Appointments(
        share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={"PR2": 0.9})})
    db, log = tmp_path / "hub.sqlite", tmp_path / "sms.log"
    clock = HandClock(dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN))
    day = Day(branch, db, log, clock)
    try:
        day.report("ok", 3)
        day.report("ok", 2, printer="kiosk1")
        booking = day.post("/appointments", {"service": "PR2", "date": "2026-11-28", "start": "08:30",
                                             "phone": "09124444444", "code": day.code("09124444444")}, status=201)
        turn = day.post("/remote/tickets", {"service": "IN1", "phone": "09121110001",
                                            "code": day.code("09121110001")}, status=201)
        head = day.login("head")
        day.post("/remote/settings", {"grace_minutes": 20}, head, put=True)
        day.post("/appointments/shares", {"shares": {"PR2": 0.8}}, head, put=True)
        day.post("/counters/2/services", {"services": ["PR1", "PR2"]}, head, put=True)
        clerks = {n: day.login(f"clerk{n}", n) for n in (1, 3, 5)}
        for n, auth in clerks.items():
            day.post(f"/counters/{n}/open", headers=auth)
        day.report("paper_out", 2)
    finally:
        day.stop()
    assert navbat_check(db).stdout == "ok\n"

    day = Day(branch, db, log, clock)  # a restart on the same file
    try:
        day.report("paper_out", 2)  # the same status as before the restart
        day.report("ok", 2)
        clock.now = dt.datetime(2026, 11, 28, 8, 20, tzinfo=TEHRAN)
        appointment = day.post(f"/appointments/{booking['code']}/check-in", headers=day.kiosk, status=201)
        day.post(f"/tickets/{turn['tracking_code']}/check-in", headers=day.kiosk)
        walk = day.walk_in("PR1")
        registered = day.walk_in("RG3")
        clerks = {n: day.login(f"clerk{n}", n) for n in (5, 3, 1)}
        clock.now = dt.datetime(2026, 11, 28, 8, 31, tzinfo=TEHRAN)
        called = {n: day.post(f"/counters/{n}/next", headers=auth)["id"] for n, auth in clerks.items()}
        assert called[5] == registered["id"] and called[1] in (appointment["id"], walk["id"])
        for n, auth in clerks.items():
            day.post(f"/counters/{n}/start", headers=auth)
        day.post("/counters/1/done", headers=clerks[1])
        day.post("/counters/3/done", headers=clerks[3])
        day.post("/counters/5/done", {"outcome": "registered"}, clerks[5])
        tablet = {"Authorization": f"Bearer {day.app.config['TABLET_TOKENS'][1]}"}
        day.post("/ratings", {"counter": 1, "ticket": called[1], "score": 5}, tablet, status=201)
        day.post("/ratings", {"tracking_code": turn["tracking_code"], "score": 4}, status=201)
        day.post(f"/requests/{registered['tracking_code']}/answer", {"result": "approved"}, clerks[5])
        day.post("/counters/1/next", headers=clerks[1])
        day.report("ok", 2)
    finally:
        day.stop()
    day = Day(branch, db, log, clock)  # and once more, reporting nothing new
    try:
        day.report("ok", 2)
    finally:
        day.stop()

    done = navbat_check(db)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stdout + done.stderr
    with closing(sqlite3.connect(db)) as conn:
        kinds = {r[0] for r in conn.execute("SELECT type FROM events")}
        assert {"ticket.issued", "ticket.called", "ticket.done", "counter.changed", "request.opened",
                "request.answered", "device.status"} <= kinds
        for table in ("ratings", "remote_turns", "appointments", "remote_settings", "appointment_shares"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 1, table

    # Tampered: a state column the log decides, and a last-seen time before the device's last report.
    tampered = tmp_path / "tampered.sqlite"
    with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(tampered)) as copy:
        source.backup(copy)  # the WAL's pages too
    with closing(sqlite3.connect(tampered)) as conn, conn:
        conn.execute("UPDATE tickets SET state='cancelled' WHERE id=?", [walk["id"]])
        conn.execute("UPDATE device_status SET at='2020-01-01T00:00:00Z' WHERE name='kiosk-1'")
        conn.execute("DELETE FROM tickets WHERE id=?", [registered["id"]])
    out = navbat_check(tampered)
    assert out.returncode == 1
    assert f"tickets id={walk['id']}: state is 'cancelled'" in out.stdout
    assert "device_status name='kiosk-1': at is '2020-01-01T00:00:00Z', before its last report" in out.stdout
    assert f"ratings ticket_id={registered['id']}" not in out.stdout  # not rated: no such line
    assert f"tickets id={registered['id']}: in the event log, missing from the table" in out.stdout
