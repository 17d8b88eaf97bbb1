"""Upgrades (issue 14, Must show): a database written by release 0.1.0 (tests/fixtures/, made by
tests/fixtures/make_upgrade_fixture.py) opens with this code, migrates, and the hub works on it.
It asserts no exact list of migrations, so it keeps passing as later ones are added."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from conftest import PINS
from navbat.server.app import create_app
from navbat.server.auth import add_device
from navbat.server.db import migrations
from navbat.server.dbcheck import check
from navbat.server.hub import EXTENSION
from test_reports import DAY, FakeClock

from navbat.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def applied(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set='navbat-hub' "
                                           "ORDER BY rowid")]


def month_total(db: Path, capsys) -> dict[str, str]:  # noqa: ANN001
    assert main(["report", "--month", "1404-07", "--db", str(db)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    return dict(zip(rows[0], rows[-1], strict=True))


def test_a_0_1_0_database_migrates_and_the_hub_works_on_it(branch, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    db = tmp_path / "hub.sqlite"
    shutil.copyfile(FIXTURES / "hub-0.1.0.sqlite", db)
    old = applied(db)
    names = [m.name for m in migrations._migrations]
    assert old and old == [n for n in names if n in old]  # the release's migrations are this code's, in order
    before = month_total(db, capsys)  # the report command itself opens (and migrates) the file

    clock = FakeClock()
    clock.at("09:00", DAY + dt.timedelta(days=1))
    app = create_app({"BRANCH": branch, "DB_PATH": str(db), "IGNORE_HOURS": True, "TESTING": True, "CLOCK": clock})
    hub = app.extensions[EXTENSION]
    try:
        assert applied(db)[:len(old)] == old and set(applied(db)) == set(names)  # every later migration ran
        client = app.test_client()
        kiosk = {"Authorization": f"Bearer {add_device(hub.store.writer, 'kiosk-2', 'kiosk')}"}
        # The old day's tickets are still there for their visitors.
        with closing(sqlite3.connect(db)) as conn:
            code = conn.execute("SELECT tracking_code FROM tickets ORDER BY id LIMIT 1").fetchone()[0]
        assert client.get(f"/api/v1/tickets/{code}").json["state"] == "done"
        # A clerk of the old database logs in with the old PIN, opens, calls, serves.
        r = client.post("/api/v1/login", json={"username": "clerk1", "pin": PINS["clerk1"], "counter": 1})
        assert r.status_code == 200, r.json
        clerk = {"Authorization": f"Bearer {r.json['token']}"}
        # clerk1 left counter 1 open at the end of the fixture's day: the state came through.
        assert client.post("/api/v1/counters/1/open", headers=clerk).json["message"] == "counter 1 is open; cannot open"
        issued = client.post("/api/v1/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": "u1"})
        assert issued.status_code == 201, issued.json
        with closing(sqlite3.connect(db)) as conn:
            waiting = [r[0] for r in conn.execute("SELECT id FROM tickets WHERE state='waiting' ORDER BY arrived_at")]
        assert waiting[-1] == issued.json["id"] and len(waiting) == 2  # one left waiting by the fixture, then ours
        for expected in waiting:  # the old visitor first: they arrived first
            called = client.post("/api/v1/counters/1/next", headers=clerk)
            assert called.status_code == 200 and called.json["id"] == expected, called.json
            for action in ("start", "done"):
                assert client.post(f"/api/v1/counters/1/{action}", headers=clerk, json={}).status_code == 200
    finally:
        hub.stop()
        hub.store.close()
    assert check(db) == []
    after = month_total(db, capsys)  # Mehr 1404's report: the old figures, plus the two served today
    assert (before["visitors"], before["served"], before["no_shows"]) == ("7", "4", "1")
    assert (after["visitors"], after["served"], after["no_shows"]) == ("8", "6", "1")
