"""The print queue: a worker prints, an offline printer is retried, nothing is lost or printed twice,
and the printer's status reaches the caller (who forwards it to the hub)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import sqlite3
import time
from contextlib import closing

import pytest
from navbat.foundation.config import Printer, load_config
from navbat.foundation.migrations import NewerDatabase
from navbat.printer.demo import demo_slip
from navbat.printer.fakes import FakeNetworkPrinter
from navbat.printer.layout import ticket_bytes
from navbat.printer.queue import PrintQueue, migrations

WHEN = dt.datetime(2026, 11, 22, 6, 35, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def slips():
    base = demo_slip(load_config(), when=WHEN)
    return [dataclasses.replace(base, number=f"A-{n:03d}", tracking_code=f"TRK{n:05d}") for n in range(1, 6)]


@pytest.fixture
def port():
    """A port nothing listens on yet: the printer starts switched off."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Statuses(list):
    def __call__(self, name: str, status: str, detail: str) -> None:
        self.append((name, status))

    def wait_for(self, status: str, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(s == status for _, s in self):
                return True
            time.sleep(0.02)
        return False


def make_queue(tmp_path, port, statuses=None) -> PrintQueue:
    cfg = Printer(name="lobby", type="network", host="127.0.0.1", port=port, width_mm=80, profile="TM-T88V")
    return PrintQueue(tmp_path / "spool.sqlite", cfg, statuses, retry_first=0.05, retry_max=0.2, status_timeout=0.5)


def expected(slips) -> list[bytes]:
    return [ticket_bytes(s, 80, "TM-T88V") for s in slips]


def test_offline_printer_comes_back_nothing_lost_nothing_twice(tmp_path, port, slips):
    statuses = Statuses()
    queue = make_queue(tmp_path, port, statuses).start()
    try:
        for n, slip in enumerate(slips[:3], start=1):
            assert queue.submit(n, slip)
        assert statuses.wait_for("offline")
        time.sleep(0.3)  # a few retries against the dead port
        assert len(queue.pending()) == 3
        assert not queue.submit(2, slips[1])  # the kiosk retrying its request does not make a second job
        with FakeNetworkPrinter(port=port) as fake:
            assert queue.wait_idle(15)
            assert fake.jobs == expected(slips[:3])  # each once, in order
            assert queue.submit(4, slips[3])
            assert queue.wait_idle(15) and fake.wait_for_jobs(4)
            time.sleep(0.2)
            assert fake.jobs == expected(slips[:4])
    finally:
        queue.stop()
    assert [s for _, s in statuses] == ["offline", "ok"]  # changes only, not every retry
    jobs = queue.jobs()
    assert [j["state"] for j in jobs] == ["done"] * 4
    assert jobs[0]["attempts"] == 1  # connection refused never counted as a send


def test_restart_loses_nothing_and_prints_nothing_twice(tmp_path, port, slips):
    first = make_queue(tmp_path, port).start()
    for n, slip in enumerate(slips[:2], start=1):
        first.submit(n, slip)
    time.sleep(0.2)
    first.stop()  # the kiosk is switched off while the printer is still off
    assert first.pending() == ["1", "2"]

    with FakeNetworkPrinter(port=port) as fake:
        second = make_queue(tmp_path, port).start()
        assert second.wait_idle(15)
        second.stop()
        third = make_queue(tmp_path, port).start()  # and once more: done jobs stay done
        third.submit(1, slips[0])
        time.sleep(0.5)
        third.stop()
        assert fake.jobs == expected(slips[:2])


def test_job_caught_mid_send_by_a_crash_is_printed_again(tmp_path, port, slips):
    """The one window left: bytes may or may not have left; a lost ticket is worse than a duplicate."""
    queue = make_queue(tmp_path, port)
    queue.submit(1, slips[0])
    with sqlite3.connect(tmp_path / "spool.sqlite") as db:
        db.execute("UPDATE jobs SET state = 'sending' WHERE id = '1'")
    with FakeNetworkPrinter(port=port) as fake:
        queue.start()
        assert queue.wait_idle(15) and fake.wait_for_jobs(1)
        queue.stop()
    assert fake.jobs == expected(slips[:1])


def test_paper_out_holds_the_job_until_paper_is_loaded(tmp_path, port, slips):
    statuses = Statuses()
    with FakeNetworkPrinter(port=port) as fake:
        fake.paper = "out"
        queue = make_queue(tmp_path, port, statuses).start()
        try:
            queue.submit(1, slips[0])
            assert statuses.wait_for("paper_out")
            time.sleep(0.3)
            assert fake.jobs == [] and queue.pending() == ["1"]
            fake.paper = "near_end"  # a new roll... that is nearly used up
            assert queue.wait_idle(15)
            assert fake.jobs == expected(slips[:1])
            fake.paper = "ok"
            queue.submit(2, slips[1])
            assert queue.wait_idle(15) and fake.wait_for_jobs(2)
            assert statuses.wait_for("ok")
        finally:
            queue.stop()
    assert statuses == [("lobby", "paper_out"), ("lobby", "paper_near_end"), ("lobby", "ok")]


def test_a_job_that_cannot_be_rendered_does_not_block_the_rest(tmp_path, port, slips):
    queue = make_queue(tmp_path, port)
    queue.submit("broken", slips[0])
    with sqlite3.connect(tmp_path / "spool.sqlite") as db:
        db.execute("UPDATE jobs SET slip = '{\"number\": 1}' WHERE id = 'broken'")
    queue.submit("good", slips[1])
    with FakeNetworkPrinter(port=port) as fake:
        queue.start()
        assert queue.wait_idle(15) and fake.wait_for_jobs(1)
        queue.stop()
    assert fake.jobs == expected(slips[1:2])
    states = {j["id"]: (j["state"], j["last_error"]) for j in queue.jobs()}
    assert states["good"] == ("done", None)
    assert states["broken"][0] == "failed" and "issued_at" in states["broken"][1]


def test_file_printer_queue(tmp_path, monkeypatch, slips):
    """The demo kiosk's printer: var/tickets/<number>.bin and .png, written by the worker."""
    monkeypatch.chdir(tmp_path)
    cfg = Printer(name="kiosk-1-printer", type="file", path="var/tickets", width_mm=58, profile="TM-T88V")
    statuses = Statuses()
    queue = PrintQueue(tmp_path / "var/print-queue.sqlite", cfg, statuses).start()
    try:
        queue.submit(1, slips[0])
        assert queue.wait_idle(15)
    finally:
        queue.stop()
    assert (tmp_path / "var/tickets/A-001.bin").read_bytes() == ticket_bytes(slips[0], 58, "TM-T88V")
    assert (tmp_path / "var/tickets/A-001.png").exists()
    assert statuses == [("kiosk-1-printer", "ok")]


def test_idle_queue_keeps_an_eye_on_the_printer(tmp_path, port):
    """The branch head sees a nearly empty roll, or a printer switched off, before the next visitor."""
    statuses = Statuses()
    cfg = Printer(name="lobby", type="network", host="127.0.0.1", port=port)
    with FakeNetworkPrinter(port=port) as fake:
        fake.paper = "near_end"
        queue = PrintQueue(tmp_path / "spool.sqlite", cfg, statuses, probe_every=0.1).start()
        try:
            assert statuses.wait_for("paper_near_end")
            fake.stop()
            assert statuses.wait_for("offline")
            fake.paper = "ok"
            fake.start()
            assert statuses.wait_for("ok")
        finally:
            queue.stop()
    assert fake.jobs == []  # probing prints nothing
    assert [s for _, s in statuses] == ["paper_near_end", "offline", "ok"]


def test_reused_ticket_id_with_a_new_tracking_code_still_prints(tmp_path, port, slips):
    """After the hub's database is reset, ticket ids start again; those tickets are new and must print."""
    queue = make_queue(tmp_path, port)
    assert queue.submit(1, slips[0])
    assert not queue.submit(1, slips[0])
    assert queue.submit(1, slips[1])  # same id, another ticket
    assert queue.submit("1/reprint-1", slips[0])  # a reprint asked for on purpose
    with FakeNetworkPrinter(port=port) as fake:
        queue.start()
        assert queue.wait_idle(15) and fake.wait_for_jobs(3)
        queue.stop()
    assert fake.jobs == expected([slips[0], slips[1], slips[0]])
    assert queue.job("1")["tracking_code"] == slips[1].tracking_code  # the latest ticket under that id
    assert queue.job("1/reprint-1")["state"] == "done" and queue.job("nope") is None


# The queue's file as navbat 0.2.0 made it (printer/queue.py's CREATE TABLE IF NOT EXISTS, before
# the queue's tables became numbered migrations): a kiosk upgraded mid-day keeps its waiting jobs.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    slip TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    printed_at REAL,
    bytes INTEGER,
    last_error TEXT,
    UNIQUE (id, tracking_code)
)
"""


def _applied(path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = "
                                         "'navbat-print-queue' ORDER BY rowid")]


def test_a_queue_from_the_old_code_upgrades_in_place(tmp_path, port, slips):
    path = tmp_path / "spool.sqlite"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(OLD_SCHEMA)
        rows = [("1", slips[0], "done", time.time()), ("2", slips[1], "sending", None),
                ("3", slips[2], "pending", None)]
        for job_id, slip, state, printed in rows:
            db.execute("INSERT INTO jobs (id, tracking_code, slip, state, created_at, printed_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (job_id, slip.tracking_code,
                                                     json.dumps(slip.to_json(), ensure_ascii=False), state,
                                                     time.time(), printed))
    queue = make_queue(tmp_path, port)
    assert _applied(path) == migrations.names == ["m001_jobs", "m002_jobs_waiting"]
    assert queue.pending() == ["2", "3"]  # the old file's waiting jobs survive the upgrade
    assert not queue.submit(1, slips[0])  # and its printed ones still count: no second slip
    with FakeNetworkPrinter(port=port) as fake:
        queue.start()
        try:
            assert queue.wait_idle(15) and fake.wait_for_jobs(2)
        finally:
            queue.stop()
        assert fake.jobs == expected(slips[1:3])
    make_queue(tmp_path, port)  # opened again: nothing left to apply, nothing applied twice
    assert _applied(path) == migrations.names


def test_a_queue_a_newer_release_migrated_is_refused_untouched(tmp_path, port):
    path = tmp_path / "spool.sqlite"
    make_queue(tmp_path, port)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                   "VALUES ('navbat-print-queue', 'm999_from_the_future', '2030-01-01')")
    before = path.read_bytes()
    with pytest.raises(NewerDatabase, match="m999_from_the_future"):
        make_queue(tmp_path, port)
    assert path.read_bytes() == before
