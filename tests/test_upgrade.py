"""Upgrades (issue 14, Must show): a database written by release 0.1.0 (tests/fixtures/, made by
tests/fixtures/make_upgrade_fixture.py) opens with this code, migrates, and the hub works on it.
It asserts no exact list of migrations, so it keeps passing as later ones are added."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import requests
from bundle_support import build_bundle, fresh_venv, pip_offline
from conftest import PINS
from hub_process_support import readable
from navbat.server.floor.db import migrations
from navbat.server.floor.dbcheck import check
from navbat.server.hub import EXTENSION
from navbat.server.web.app import create_app
from navbat.server.web.auth import add_device
from reports_support import DAY, FakeClock
from sms_support import code_from, read_log

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
    names = migrations.names
    assert old and old == [n for n in names if n in old]  # the release's migrations are this code's, in order
    before = month_total(db, capsys)  # the report command itself opens (and migrates) the file

    clock = FakeClock()
    clock.at("09:00", DAY + dt.timedelta(days=1))
    app = create_app({"BRANCH": branch, "DB_PATH": str(db), "IGNORE_HOURS": True, "TESTING": True, "CLOCK": clock})
    hub = app.extensions[EXTENSION]
    try:
        assert applied(db)[:len(old)] == old and set(applied(db)) == set(names)  # every later migration ran
        client = app.test_client()
        with hub.floor.write() as tx:  # beside the running workers
            kiosk = {"Authorization": f"Bearer {add_device(tx.db, 'kiosk-2', 'kiosk')}"}
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


# --- From the tagged release to this one, as a branch upgrades (issue 22) -------------------------------

RELEASES = FIXTURES / "releases.txt"  # "<version> <commit>": where each earlier release was made
REPO = FIXTURES.parent.parent
PHONES = iter(f"0912{n:07d}" for n in range(3000000, 3999999))


def _git(*args: str) -> str | None:
    try:
        r = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def release_commit(version: str) -> str:
    """The tag's commit; without tags in this clone, the commit releases.txt records; neither: skip."""
    if _git("rev-parse", "--git-dir") is None:
        pytest.skip("no git history here (an exported tree): the earlier release cannot be built")
    tagged = _git("rev-parse", "-q", "--verify", f"v{version}^{{commit}}")
    if tagged:
        return tagged
    recorded = dict(line.split() for line in RELEASES.read_text(encoding="utf-8").splitlines() if line.strip())
    commit = recorded[version]
    if _git("cat-file", "-e", f"{commit}^{{commit}}") is None:
        pytest.skip(f"neither tag v{version} nor its commit {commit[:10]} is in this clone (a shallow clone?)")
    return commit


def build_release_wheel(version: str, where: Path) -> Path:
    """The wheel of an earlier release, built from `git archive` of its commit."""
    src = where / f"navbat-{version}"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", release_commit(version)],
                             capture_output=True, check=True, timeout=120).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True, timeout=120)
    domains = " ".join(sorted({po.stem for po in src.glob("foundation/locale/*/LC_MESSAGES/*.po")}))
    subprocess.run([sys.executable, "-P", "-m", "babel.messages.frontend", "-q", "compile", "-d",
                    str(src / "foundation/locale"), "-D", domains], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(where / "dist"), str(src)], check=True, capture_output=True, timeout=300, cwd=where)
    (wheel,) = (where / "dist").glob(f"navbat-{version}-*.whl")
    return wheel


class BranchPC:
    """A virtual environment in an empty folder, its `navbat` run as the systemd unit would."""

    def __init__(self, venv: Path, cwd: Path) -> None:
        self.venv, self.cwd = venv, cwd
        self.db, self.config, self.sms = cwd / "hub.sqlite", cwd / "site/branches.yaml", cwd / "sms.log"

    def navbat(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.venv / "bin/navbat"), *args], cwd=self.cwd, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "KIVY_NO_ARGS": "1"})

    @contextmanager
    def hub(self) -> Iterator[str]:
        proc = subprocess.Popen([str(self.venv / "bin/navbat"), "hub", "--config", str(self.config), "--db",
                                 str(self.db), "--port", "0", "--ignore-hours", "--sms-log", str(self.sms)],
                                cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline() if readable(proc.stdout, 60) else ""
        match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", line)
        try:
            assert match, f"hub did not start: {line!r} {proc.stderr.read()[-2000:] if proc.poll() is not None else ''}"
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # its log line per event
            yield match[1]
            assert proc.poll() is None, proc.stderr.read()[-2000:]  # still running when stopped
        finally:
            proc.terminate()  # as systemd stops it
            proc.wait(30)


class Desk:
    """The branch's staff and visitors over the hub's API on a real socket."""

    def __init__(self, url: str, pc: BranchPC, kiosk: str, tablet: str) -> None:
        self.url, self.pc = url, pc
        self.kiosk, self.tablet = {"Authorization": f"Bearer {kiosk}"}, {"Authorization": f"Bearer {tablet}"}
        self.keys = 0

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             status: int = 200) -> dict:
        r = requests.request(method, f"{self.url}/api/v1{path}", json=body, headers=headers or {}, timeout=15)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        return r.json()

    def login(self, user: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": user, "pin": PINS[user], **({"counter": counter} if counter else {})}
        return {"Authorization": f"Bearer {self.call('POST', '/login', body)['token']}"}

    def issue(self, service: str) -> dict:
        self.keys += 1
        return self.call("POST", "/tickets", {"service": service},
                         {**self.kiosk, "Idempotency-Key": f"day-{self.keys}"}, status=201)

    def sms_code(self, phone: str) -> str:
        sent = len(self.pc.sms.read_text(encoding="utf-8").splitlines()) if self.pc.sms.exists() else 0
        self.call("POST", "/remote/verify", {"phone": phone}, status=202)
        return code_from([m for m in read_log(self.pc.sms, sent + 1) if m["to"] == phone][-1])


def busy_day(desk: Desk) -> dict[str, object]:
    """Every feature's tables get rows: tickets issued, called, served, a no-show; requests (one
    answered); a rating; a remote turn; an appointment; the head's settings; a device's status."""
    head = desk.login("head")
    clerks = {n: desk.login(f"clerk{n}", n) for n in (1, 5, 6)}
    for n, auth in clerks.items():
        desk.call("POST", f"/counters/{n}/open", headers=auth)
    desk.call("PUT", "/counters/1/services", {"services": ["PR1", "PR2"]}, head)
    desk.call("PUT", "/remote/settings", {"come_now_people": 2}, head)
    desk.call("PUT", "/appointments/shares", {"shares": {"PR2": 0.3}}, head)
    desk.call("POST", "/devices/status", {"status": "paper_near_end", "detail": "roll low"}, desk.kiosk)
    served, requests_opened = [], []
    for i in range(6):
        served.append(desk.issue("PR1" if i % 2 else "PN1")["tracking_code"])
        counter = 1 if i % 2 else 6
        desk.call("POST", f"/counters/{counter}/next", headers=clerks[counter])
        desk.call("POST", f"/counters/{counter}/done", {}, clerks[counter])
    for _ in range(2):
        requests_opened.append(desk.issue("RG3")["tracking_code"])
        desk.call("POST", "/counters/5/next", headers=clerks[5])
        desk.call("POST", "/counters/5/done", {"outcome": "registered"}, clerks[5])
    desk.call("POST", f"/requests/{requests_opened[0]}/answer", {"result": "Records merged"}, head)
    missed = desk.issue("PN1")["tracking_code"]
    desk.call("POST", "/counters/6/next", headers=clerks[6])
    desk.call("POST", "/counters/6/no-show", {}, clerks[6])
    desk.call("POST", "/ratings", {"tracking_code": served[0], "score": 5, "comment": "سریع"}, status=201)
    phone = next(PHONES)
    remote = desk.call("POST", "/remote/tickets", {"service": "PR1", "phone": phone, "code": desk.sms_code(phone)},
                       status=201)
    waiting = desk.issue("PN1")["tracking_code"]  # left waiting over the upgrade
    booking = None
    for ahead in range(1, 9):
        day = (dt.date.today() + dt.timedelta(days=ahead)).isoformat()
        r = requests.get(f"{desk.url}/api/v1/appointments/slots", params={"service": "PR2", "date": day}, timeout=15)
        free = [s for s in r.json().get("slots", []) if s["free"] > 0] if r.status_code == 200 else []
        if free:
            phone = next(PHONES)
            booking = desk.call("POST", "/appointments", {"service": "PR2", "date": day, "start": free[0]["start"],
                                                          "phone": phone, "code": desk.sms_code(phone)}, status=201)
            break
    assert booking, "no bookable slot in the next 8 days"
    return {"served": served, "requests": requests_opened, "missed": missed, "remote": remote["tracking_code"],
            "waiting": waiting, "booking": booking["code"]}


# Rows a login rewrites (its counters of wrong PINs, a session's last use): the logins after the upgrade
# change them, as they would have without it.
LOGIN_STATE = {"login_lockouts", "sessions"}


# Columns a later migration moved to a table beside (m011: phones and booking addresses out of the
# tables the event log folds to): read back through the join that puts them together again.
MOVED = {"remote_turns": "SELECT r.*, p.phone, p.phone_hash FROM remote_turns r "
                         "LEFT JOIN remote_phones p ON p.ticket_id = r.ticket_id",
         "appointments": "SELECT a.*, c.phone, c.address FROM appointments a "
                         "LEFT JOIN appointment_contacts c ON c.appointment_id = a.id"}


def tables(db: Path, columns: dict[str, list[str]] | None = None) -> dict[str, tuple[list[str], set[tuple]]]:
    """Every table's columns and rows; with `columns`, only those tables' columns (a later migration
    may add columns or move them beside (MOVED), never take the old values away)."""
    with closing(sqlite3.connect(db)) as conn:
        names = columns or {r[0]: None for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
        out = {}
        for name in names:
            cols = (columns or {}).get(name) or [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            listed = ", ".join(f'"{c}"' for c in cols)
            source = f"({MOVED[name]})" if columns and name in MOVED and _has(conn, "remote_phones") else f'"{name}"'
            out[name] = (cols, set(conn.execute(f"SELECT {listed} FROM {source}").fetchall()))  # noqa: S608
        return out


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table]).fetchone() is not None


@pytest.mark.slow
def test_pip_upgrade_from_the_tagged_release_keeps_the_branch(tmp_path_factory: pytest.TempPathFactory) -> None:
    old = "0.1.0"
    where = tmp_path_factory.mktemp("upgrade")
    began = time.monotonic()
    old_wheel = build_release_wheel(old, where / "release")
    print(f"wheel of {old}: {time.monotonic() - began:.1f} s")
    bundle = build_bundle(tmp_path_factory)
    print(f"bundle (shared with test_install): {time.monotonic() - began:.1f} s")
    assert bundle.version != old
    # The branch PC on the old release, its dependencies from the bundle's wheelhouse: no index.
    cwd = where / "branch"
    cwd.mkdir()
    pc = BranchPC(fresh_venv(where / "venv"), cwd)
    installed = pip_offline(pc.venv, "install", "-q", "--no-index", "--find-links", str(bundle.wheelhouse),
                            str(old_wheel))
    assert installed.returncode == 0, installed.stderr[-3000:]
    print(f"{old} installed: {time.monotonic() - began:.1f} s")
    assert pc.navbat("--version").stdout.strip() in (f"navbat {old}", "")  # 0.1.0 had no --version
    assert pc.navbat("init-branch", "site").returncode == 0
    text = pc.config.read_text(encoding="utf-8")
    pc.config.write_text(re.sub(r'booking_hours: "[^"]*"', 'booking_hours: "00:00-24:00"', text), encoding="utf-8")
    for name in ("head", "clerk1", "clerk5", "clerk6"):
        r = pc.navbat("user", "add", name, "--role", "head" if name == "head" else "clerk", "--pin", PINS[name],
                      "--db", str(pc.db))
        assert r.returncode == 0, r.stderr
    kiosk = pc.navbat("device", "add", "kiosk-1", "--role", "kiosk", "--db", str(pc.db)).stdout.strip()
    tablet = pc.navbat("device", "add", "tablet-1", "--role", "tablet", "--counter", "1", "--db", str(pc.db))
    with pc.hub() as url:
        day = busy_day(Desk(url, pc, kiosk, tablet.stdout.strip()))
    before = tables(pc.db)
    print(f"busy day on {old}: {time.monotonic() - began:.1f} s")
    old_migrations = applied(pc.db)
    empty = [name for name, (_, rows) in before.items() if not rows and not name.startswith("_")]
    assert len(empty) <= len(before) // 3, f"the day left too many tables empty: {empty}"

    # The upgrade, as docs/deploy.md says: the newer bundle, pip install --upgrade, no index.
    upgraded = pip_offline(pc.venv, "install", "-q", "--upgrade", "--no-index", "--find-links", str(bundle.wheelhouse),
                           "navbat")
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    print(f"upgraded: {time.monotonic() - began:.1f} s")
    assert pc.navbat("--version").stdout.strip() == f"navbat {bundle.version}"
    names = json.loads(subprocess.check_output(
        [str(pc.venv / "bin/python"), "-c", "import json; from navbat.server.floor.db import migrations; "
         "print(json.dumps([m.name for m in migrations._migrations]))"], cwd=cwd, timeout=60))
    for _ in range(2):  # started twice: the later migrations run on the first start only
        with pc.hub() as url:
            desk = Desk(url, pc, kiosk, tablet.stdout.strip())
            assert desk.call("GET", "/health")["version"] == bundle.version
            for code in day["served"]:
                assert desk.call("GET", f"/tickets/{code}")["state"] == "done"
            assert desk.call("GET", f"/tickets/{day['waiting']}")["state"] == "waiting"
            assert desk.call("GET", f"/tickets/{day['remote']}")["state"] == "remote"  # not yet come in
            answered, still_open = (desk.call("GET", f"/tickets/{c}")["request"] for c in day["requests"])
            assert answered["state"] == "answered" and still_open["state"] == "open"
            assert desk.call("GET", f"/appointments/{day['booking']}")["state"] == "booked"
            head = desk.login("head")  # the old PIN, the old user
            assert desk.call("GET", "/remote/settings", headers=head)["settings"]["come_now_people"] == 2
        with closing(sqlite3.connect(pc.db)) as conn:
            rows = conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set='navbat-hub' ORDER BY rowid")
            assert [r[0] for r in rows] == old_migrations + [n for n in names if n not in old_migrations]
        assert sorted(applied(pc.db)) == sorted(names)
    after = tables(pc.db, {name: cols for name, (cols, _) in before.items()})
    lost = {name: len(rows - after[name][1]) for name, (_, rows) in before.items()
            if rows - after[name][1] and name not in LOGIN_STATE}
    assert lost == {}, f"rows changed or gone in the upgrade: {lost}"
    check = pc.navbat("check", "--db", str(pc.db))
    assert check.returncode == 0 and check.stdout.strip() == "ok", check.stdout + check.stderr
