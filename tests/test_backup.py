"""Backups while 8 kiosks issue over real sockets, restore, and `navbat check` (issue 14, Must show)."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests
from hub_process_support import API, SERVICES, Hub, navbat

from navbat.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navbat", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def hub(tmp_path: Path):  # noqa: ANN201
    db = tmp_path / "hub.sqlite"
    # The first kiosk by the console script (it makes the database); the other seven by the same
    # command in this process (a process start costs most of a second of CPU, eight of them per test).
    tokens = [navbat("device", "add", "kiosk-0", "--role", "kiosk", "--db", str(db)).stdout.strip()]
    for k in range(1, 8):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["device", "add", f"kiosk-{k}", "--role", "kiosk", "--db", str(db)]) == 0
        tokens.append(out.getvalue().strip())
    started = Hub(db, tmp_path / "hub.log")
    yield started, db, tokens
    started.stop()


def test_backup_during_load_restores_every_ticket_issued_before_it(tmp_path, hub) -> None:  # noqa: ANN001
    hub, db, tokens = hub
    issued: list[tuple[float, str]] = []  # (when the 201 came back, tracking code)
    stop = threading.Event()
    lock = threading.Lock()

    def kiosk(k: int) -> None:
        s, i = requests.Session(), 0
        while not stop.is_set() and i < 30:  # 240 at most: each sub-service's 99 numbers last the test
            i += 1
            r = s.post(f"{hub.url}{API}/tickets", json={"service": SERVICES[i % len(SERVICES)]}, timeout=30,
                       headers={"Authorization": f"Bearer {tokens[k]}", "Idempotency-Key": f"k{k}-{i}"})
            assert r.status_code == 201, r.text
            with lock:
                issued.append((time.monotonic(), r.json()["tracking_code"]))

    threads = [threading.Thread(target=kiosk, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        while len(issued) < 40:
            threading.Event().wait(0.05)
        began = time.monotonic()
        out = run("backup", "--db", str(db), "--to", str(tmp_path / "backups"), "--keep", "2")
        while len(issued) < 80:  # the kiosks keep issuing after the backup too
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert out.returncode == 0, out.stderr
    backup = Path(out.stdout.strip())
    assert backup.parent == tmp_path / "backups" and backup.is_file()

    # A running hub holds its database: restore refuses to overwrite it.
    refused = run("restore", str(backup), "--db", str(db))
    assert refused.returncode == 1 and "in use by a running hub" in refused.stderr

    restored = tmp_path / "restored" / "hub.sqlite"
    done = run("restore", str(backup), "--db", str(restored))
    assert done.returncode == 0, done.stderr
    checked = run("check", "--db", str(restored))
    assert (checked.returncode, checked.stdout) == (0, "ok\n"), checked.stdout + checked.stderr
    with closing(sqlite3.connect(restored)) as conn:
        codes = {r[0] for r in conn.execute("SELECT tracking_code FROM tickets")}
        logged = conn.execute("SELECT count(*) FROM events WHERE type='ticket.issued'").fetchone()[0]
    before = {code for at, code in issued if at < began}
    assert len(before) >= 40 and before <= codes
    assert logged == len(codes)  # every ticket in the copy has its event: one snapshot, not half of a write
    assert run("check", "--db", str(db)).stdout == "ok\n"  # the live database, beside the running hub

    # --keep 2: a third and fourth backup leave the newest two.
    paths = [Path(run("backup", "--db", str(db), "--to", str(tmp_path / "backups"), "--keep", "2").stdout.strip())
             for _ in range(2)]
    assert sorted((tmp_path / "backups").glob("navbat-*.sqlite")) == paths


def test_check_reports_a_tampered_state_table(tmp_path, hub) -> None:  # noqa: ANN001
    hub, db, tokens = hub
    s = requests.Session()
    for i in range(3):
        r = s.post(f"{hub.url}{API}/tickets", json={"service": "PR1"}, timeout=10,
                   headers={"Authorization": f"Bearer {tokens[0]}", "Idempotency-Key": f"t-{i}"})
        assert r.status_code == 201
    copy = Path(run("backup", "--db", str(db), "--to", str(tmp_path / "b")).stdout.strip())
    assert run("check", "--db", str(copy)).stdout == "ok\n"
    with closing(sqlite3.connect(copy)) as conn, conn:
        first = conn.execute("SELECT min(id) FROM tickets").fetchone()[0]
        conn.execute("UPDATE tickets SET state='done' WHERE id=?", [first])
        conn.execute("DELETE FROM sequences")
    out = run("check", "--db", str(copy))
    assert out.returncode == 1
    assert f"tickets id={first}: state is 'done', the event log says 'waiting'" in out.stdout
    assert "sequences service='PR1'" in out.stdout and "missing from the table" in out.stdout


def test_a_second_hub_on_the_same_database_is_refused(hub) -> None:  # noqa: ANN001
    _, db, _ = hub
    out = run("hub", "--db", str(db), "--port", "0")
    assert out.returncode == 2 and out.stderr == f"navbat hub: {db} is in use by a running hub\n"
