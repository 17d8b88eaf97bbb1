"""The event log is the record of every fact of the floor (issue 25): after a day of walk-ins, remote
turns ("come now", check-in, a call's SMS, a pass-over and expiry, a cancel), bookings (checked in,
cancelled, missed), the head's settings and shares and device reports, `rebuild()` gives back every
state table, `navbat check` says ok and names a tampered remote turn, no phone number is in any
event, and HQ takes the new events typed (refusing one that carries a field its type has not)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import PINS, HandClock, make_app
from flask.testing import FlaskClient
from hq_support import connect, hq_db, pg_cluster  # noqa: F401
from navbat.foundation import event_types as E
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from navbat.foundation.persian import latin_digits
from navbat.hq.accounts import add_branch
from navbat.hq.ingest import BadBatch, ingest
from navbat.server.floor import keys, projection
from navbat.server.floor.db import Store
from navbat.server.floor.dbcheck import check
from navbat.server.hqlink.shipping import Shipper
from navbat.server.hub import Hub
from navbat.server.visitors import remote_sweep

TEHRAN = ZoneInfo("Asia/Tehran")
NAVBAT = str(Path(sys.executable).parent / "navbat")
PHONES = {"booked": "09124440001", "cancels": "09124440002", "misses": "09124440003",
          "comes": "09121110001", "expires": "09121110002", "cancelled": "09121110003"}
API = "/api/v1"


class Day:
    """One hub on a hand-moved clock (a working Saturday in Tehran), driven as its clients drive it."""

    def __init__(self, branch: Branch, tmp: Path) -> None:
        self.log, self.clock = tmp / "sms.log", HandClock(dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN))
        self.app = make_app(branch, tmp / "hub.sqlite", SMS_LOG=str(self.log), CLOCK=self.clock)
        self.hub: Hub = self.app.extensions["navbat.hub"]
        self.client: FlaskClient = self.app.test_client()
        self.kiosk = {"Authorization": f"Bearer {self.app.config['KIOSK_TOKEN']}"}

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             status: int = 200) -> dict:
        r = self.client.open(f"{API}{path}", method=method, json=body or {}, headers=headers or {})
        assert r.status_code == status, (path, r.get_data(as_text=True))
        return r.get_json() or {}

    def login(self, name: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": name, "pin": PINS[name], **({"counter": counter} if counter else {})}
        return {"Authorization": f"Bearer {self.call('POST', '/login', body)['token']}"}

    def code(self, phone: str) -> str:
        self.clock.advance(seconds=61)  # one code a minute per phone
        self.call("POST", "/remote/verify", {"phone": phone}, status=202)
        end = time.monotonic() + 5
        while time.monotonic() < end:  # the outbox's worker writes the log after the commit
            lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
            sent = [json.loads(line) for line in lines if json.loads(line)["to"] == phone]
            if sent and "کد" in sent[-1]["text"]:
                return "".join(ch for ch in latin_digits(sent[-1]["text"]) if ch.isdigit())
            time.sleep(0.02)
        raise AssertionError(f"no code for {phone}")

    def sweep(self) -> None:
        hub = self.hub
        remote_sweep.sweep(hub.floor, hub.read, hub.branch, hub.estimates, hub.outbox)

    def tables(self) -> dict[str, list[tuple]]:
        with self.hub.read() as db:
            return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY {', '.join(keys)}")]  # noqa: S608
                    for t, keys in projection.STATE_TABLES.items()}


def every_feature(day: Day) -> dict[str, dict]:
    """The day; returns what it made, by name."""
    floor, made = day.hub.floor, {}
    for status in ("ok", "ok", "paper_out", "paper_out", "ok"):  # repeats are heartbeats, not events
        day.clock.advance(seconds=30)
        day.call("POST", "/devices/status", {"status": status}, day.kiosk)
    head = day.login("head")
    day.call("PUT", "/remote/settings", {"grace_minutes": 5, "come_now_people": 1}, head)
    day.call("PUT", "/appointments/shares", {"shares": {"PR2": 0.8}}, head)
    for name, start in (("booked", "08:30"), ("cancels", "09:30"), ("misses", "10:30")):
        phone = PHONES[name]
        made[name] = day.call("POST", "/appointments", {"service": "PR2", "date": "2026-11-28", "start": start,
                                                        "phone": phone, "code": day.code(phone)}, status=201)
    floor.set_services(3, {"IN1": 1.0}, "head")
    floor.set_services(1, {"PR2": 1.0}, "head")
    clerk3, clerk1 = day.login("clerk3", 3), day.login("clerk1", 1)
    day.call("POST", "/counters/3/open", headers=clerk3)
    day.call("POST", "/counters/1/open", headers=clerk1)

    def walk_in(key: str) -> dict:
        return day.call("POST", "/tickets", {"service": "IN1"}, {**day.kiosk, "Idempotency-Key": key}, status=201)

    def join(name: str) -> dict:
        phone = PHONES[name]
        return day.call("POST", "/remote/tickets", {"service": "IN1", "phone": phone, "code": day.code(phone)},
                        {"Idempotency-Key": f"page-{name}"}, status=201)  # as the join page sends it

    made["w1"] = walk_in("w1")
    made["comes"] = join("comes")  # one ahead: "come now" at once
    made["w2"], made["w3"] = walk_in("w2"), walk_in("w3")
    made["expires"] = join("expires")  # three ahead: told later
    made["cancelled"] = join("cancelled")
    floor.cancel(made["cancelled"]["id"], "head")
    day.call("POST", f"/tickets/{made['comes']['tracking_code']}/check-in", headers=day.kiosk)
    for _ in range(3):  # w1, then the checked-in turn (told its counter by SMS), then w2
        called = floor.call_next(3, "clerk3")
        day.sweep()
        floor.act(3, "done", "clerk3")
    assert called is not None and called["id"] == made["w2"]["id"]
    floor.call_next(3, "clerk3")  # w3
    floor.act(3, "done", "clerk3")
    assert floor.call_next(3, "clerk3") is None  # the unchecked turn is passed over, its grace starts
    day.sweep()  # passed over: "come now"
    day.clock.advance(minutes=6)
    day.sweep()  # past its grace: expired
    day.clock.now = dt.datetime(2026, 11, 28, 8, 20, tzinfo=TEHRAN)
    made["visit"] = day.call("POST", f"/appointments/{made['booked']['code']}/check-in", headers=day.kiosk,
                             status=201)
    day.call("POST", f"/appointments/{made['cancels']['code']}/cancel")
    assert floor.call_next(1, "clerk1")["id"] == made["visit"]["id"]
    floor.act(1, "start", "clerk1")
    floor.act(1, "done", "clerk1")
    day.clock.now = dt.datetime(2026, 11, 28, 11, 0, tzinfo=TEHRAN)  # the 10:30 booking's window has closed
    day.call("POST", "/devices/status", {"status": "ok"}, day.kiosk)
    return made


@pytest.fixture
def day(branch: Branch, tmp_path: Path) -> Day:
    branch = branch.model_copy(update={"appointments": Appointments(
        share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={"PR2": 0.9})})
    day = Day(branch, tmp_path)
    yield day
    day.hub.stop()


def navbat_check(db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NAVBAT, "check", "--db", str(db)], capture_output=True, text=True, timeout=60)


def test_a_day_of_every_feature_is_in_the_log_and_rebuilds(day: Day, tmp_path: Path) -> None:
    made = every_feature(day)
    with day.hub.read() as db:
        kinds = {r[0] for r in db.execute("SELECT type FROM events")}
        turns = {r[0]: r[1:] for r in db.execute(
            "SELECT ticket_id, checked_in_at IS NOT NULL, passed_at IS NOT NULL, come_now_at IS NOT NULL, "
            "called_sms_at IS NOT NULL, ended FROM remote_turns")}
        bookings = dict(db.execute("SELECT code, state FROM appointments").fetchall())
        settings = dict(db.execute("SELECT key, value FROM remote_settings").fetchall())
        shares = dict(db.execute("SELECT service, share FROM appointment_shares").fetchall())
    assert {E.REMOTE_COME_NOW, E.REMOTE_CALL_SENT, E.TICKET_CHECKED_IN, E.TICKET_PASSED_OVER, E.APPOINTMENT_BOOKED,
            E.APPOINTMENT_CANCELLED, E.APPOINTMENT_CHECKED_IN, E.APPOINTMENT_SHARES_SET, E.SETTINGS_CHANGED,
            E.DEVICE_STATUS} <= kinds
    # the day happened as planned: each turn's life, each booking's, the head's values
    assert turns[made["comes"]["id"]] == (1, 0, 1, 1, "done")
    assert turns[made["expires"]["id"]] == (0, 1, 1, 0, "expired")
    assert turns[made["cancelled"]["id"]][-1] == "cancelled"
    assert bookings == {made["booked"]["code"]: "checked_in", made["cancels"]["code"]: "cancelled",
                        made["misses"]["code"]: "booked"}  # missed: booked, its window over
    assert settings == {"grace_minutes": "5", "come_now_people": "1"} and shares == {"PR2": 0.8}

    before = day.tables()
    assert day.hub.floor.rebuild() > 0
    assert day.tables() == before

    db_path = day.hub.store.path
    done = navbat_check(db_path)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stdout + done.stderr
    tampered = tmp_path / "tampered.sqlite"
    with closing(sqlite3.connect(db_path)) as source, closing(sqlite3.connect(tampered)) as copy:
        source.backup(copy)
    with closing(sqlite3.connect(tampered)) as conn, conn:
        conn.execute("UPDATE remote_turns SET ended=NULL WHERE ticket_id=?", [made["expires"]["id"]])
        conn.execute("UPDATE appointments SET state='booked' WHERE code=?", [made["cancels"]["code"]])
    out = navbat_check(tampered)
    assert out.returncode == 1
    assert f"remote_turns ticket_id={made['expires']['id']}: ended is None, the event log says 'expired'" in out.stdout
    assert "appointments id=2: state is 'booked', the event log says 'cancelled'" in out.stdout


def test_no_phone_number_is_in_any_event(day: Day) -> None:
    every_feature(day)
    with day.hub.read() as db:
        log = [r[0] + " " + (r[1] or "") + " " + r[2] for r in db.execute("SELECT type, actor, data FROM events")]
        hashes = [r[0] for r in db.execute("SELECT phone_hash FROM remote_phones")]
        kept = {r[0] for r in db.execute("SELECT phone FROM remote_phones UNION SELECT phone FROM "
                                         "appointment_contacts")}
    assert kept == set(PHONES.values())  # they are kept, beside the log
    assert len(hashes) == 3 and all(hashes)
    for line in log:
        # not inside a hex run: a remote turn's random key ("remote:f3f8ed9098190218") is no phone
        assert not re.search(r"(?<![0-9a-f])0?9\d{9}(?![0-9a-f])", latin_digits(line)), line
        assert not any(h in line for h in hashes), line


def test_hq_takes_the_new_events_typed(day: Day, hq_db: str) -> None:  # noqa: F811
    every_feature(day)
    shipper = Shipper(day.hub.store.path, day.hub.branch, "http://127.0.0.1:9", "unused").open()
    try:
        body = shipper.batch_after()
    finally:
        shipper.stop()
    with connect(hq_db) as conn:
        add_branch(conn, "tehran-01", "تهران", "مرکزی", "1")
        marks = ingest(conn, "tehran-01", body)
        assert marks["events_hwm"] == body["events"][-1]["id"]
        stored = {r["type"]: r["data"] for r in conn.execute("SELECT type, data FROM events WHERE branch=%s "
                                                              "ORDER BY id", ["tehran-01"])}
        assert {E.REMOTE_COME_NOW, E.REMOTE_CALL_SENT, E.APPOINTMENT_BOOKED, E.APPOINTMENT_CANCELLED,
                E.APPOINTMENT_CHECKED_IN, E.APPOINTMENT_SHARES_SET, E.SETTINGS_CHANGED} <= stored.keys()
        assert set(stored[E.APPOINTMENT_BOOKED]) == {"appointment", "booking", "service", "day", "start", "due_at"}
        booked = next(e for e in body["events"] if e["type"] == E.APPOINTMENT_BOOKED)
        last = body["events"][-1]["id"]
        for bad, path in (({**booked["data"], "phone": PHONES["booked"]}, "data.phone"),
                          ({**booked["data"], "appointment": "one"}, "data.appointment"),
                          ({k: v for k, v in booked["data"].items() if k != "due_at"}, "data.due_at")):
            batch = {**body, "after": last, "events": [{**booked, "id": last + 1, "data": bad}], "ratings": []}
            with pytest.raises(BadBatch) as refused:
                ingest(conn, "tehran-01", batch)
            assert refused.value.path == f"events[0].{path}"
        assert conn.execute("SELECT max(id) AS id FROM events WHERE branch=%s", ["tehran-01"]).fetchone()["id"] == last


def test_a_0_2_0_database_upgrades_with_its_facts_in_the_log(tmp_path: Path) -> None:
    """Release 0.2.0 kept remote turns, bookings, settings and shares outside its log
    (tests/fixtures/make_remote_fixture.py): m011 writes those facts to the log, moves the phones
    beside it, and the tables are then what the log folds to (navbat check rebuilds and compares)."""
    db = tmp_path / "hub.sqlite"
    shutil.copyfile(Path(__file__).resolve().parent / "fixtures" / "hub-0.2.0-remote.sqlite", db)
    facts = {"remote_turns": "ticket_id, branch_day, joined_at, checked_in_at, passed_at, come_now_at, "
                             "called_sms_at, ended",
             "appointments": "id, code, service, day, start, due_at, state, booked_at, cancelled_at, checked_in_at, "
                             "ticket_id",
             "remote_settings": "*", "appointment_shares": "*", "device_status": "name, kind, status, detail"}

    def read(table: str, columns: str) -> list[tuple]:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()  # noqa: S608

    before = {t: read(t, c) for t, c in facts.items()}
    phones = read("remote_turns", "ticket_id, phone, phone_hash") + read("appointments", "id, phone, address")
    assert [r[-1] for r in before["remote_turns"]] == ["done", "expired", "cancelled"] and len(phones) == 6
    assert check(db) == []  # an old file is checked as this release reads it (a migrated copy)
    Store(db).close()  # opens and migrates the file itself
    assert check(db) == []
    assert {t: read(t, c) for t, c in facts.items()} == before
    assert read("remote_phones", "*") + read("appointment_contacts", "*") == phones
    kinds = [r[0] for r in read("events", "type")]
    for kind, count in ((E.REMOTE_COME_NOW, 2), (E.REMOTE_CALL_SENT, 1), (E.APPOINTMENT_BOOKED, 3),
                        (E.APPOINTMENT_CANCELLED, 1), (E.APPOINTMENT_CHECKED_IN, 1), (E.SETTINGS_CHANGED, 2),
                        (E.APPOINTMENT_SHARES_SET, 1)):
        assert kinds.count(kind) == count, kind
    for (data,) in read("events", "data"):
        assert not re.search(r"0?9\d{9}", data), data


def test_a_remote_turns_key_with_its_phone_is_rewritten_in_the_log(tmp_path: Path) -> None:
    """Until 0.3.1 a remote turn joined with an Idempotency-Key (the join page always sends one) kept
    "remote:<phone>:<key>" in its ticket.issued event, so the phone went to HQ: m013 rewrites those
    keys in the log and the tickets alike (the log still folds to the tables) and drops the
    checkpoints that hold the old ones."""
    db = tmp_path / "hub.sqlite"
    shutil.copyfile(Path(__file__).resolve().parent / "fixtures" / "hub-0.2.0-remote.sqlite", db)
    phone, old = "09121234567", "remote:09121234567:0f7a-page-key"
    with closing(sqlite3.connect(db)) as conn, conn:  # a turn as 0.2.0 and 0.3.0 kept it
        conn.execute("UPDATE tickets SET idempotency_key=? WHERE id=2", [old])
        conn.execute("UPDATE events SET data=json_set(data, '$.idempotency_key', ?) WHERE type='ticket.issued' "
                     "AND ticket_id=2", [old])
    checks = Path(f"{db}.checks")
    checks.mkdir()
    (checks / "00000000000000000011.sqlite").write_bytes(b"a checkpoint with the old key")
    Store(db).close()  # migrates
    new = keys.remote_key(phone, "0f7a-page-key")
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT idempotency_key FROM tickets WHERE id=2").fetchone()[0] == new
        issued = conn.execute("SELECT data FROM events WHERE type='ticket.issued' AND ticket_id=2").fetchone()[0]
        others = [r[0] for r in conn.execute("SELECT idempotency_key FROM tickets WHERE id IN (5, 6) ORDER BY id")]
    assert json.loads(issued)["idempotency_key"] == new and phone not in issued
    assert others == ["remote:eb098fd8d926c19a", "remote:eadfea5b3c35f8c7"]  # keys without a phone: as they were
    assert not list(checks.glob("*.sqlite"))
    assert check(db) == []


def test_hq_rewrites_the_remote_keys_branches_shipped_with_phones(hq_db: str) -> None:  # noqa: F811
    """HQ's migration 0012 gives the turns branches shipped before 0.3.1 the key the hub's m013 gives
    them (the same digest: keys.remote_key), and leaves every other key as it was."""
    from importlib.resources import files

    sql = files("navbat.hq").joinpath("migrations/0012_no_phone_in_keys.sql").read_text(encoding="utf-8")
    kept = {1: "remote:09121234567:0f7a-page-key", 2: "remote:c2b9170b13fb7436", 3: "kiosk-1:k-9",
            4: "remote:09350000001:key\nwith a line"}
    with connect(hq_db) as conn:
        add_branch(conn, "tehran-01", "تهران", "مرکزی", "1")
        for ticket, key in kept.items():
            conn.execute("INSERT INTO events (branch, id, at, type, actor, ticket_id, data) VALUES "
                         "('tehran-01', %s, '2026-12-01T08:00:00+00:00', 'ticket.issued', 'remote', %s, %s)",
                         [ticket, ticket, json.dumps({"ticket": ticket, "idempotency_key": key})])
        conn.execute(sql.split("\n\n", 1)[1])  # past the migration's comments: its statement, applied again
        now = {r["ticket_id"]: r["data"]["idempotency_key"] for r in conn.execute("SELECT ticket_id, data FROM events")}
    assert now == {1: keys.remote_key("09121234567", "0f7a-page-key"), 2: kept[2], 3: kept[3],
                   4: keys.remote_key("09350000001", "key\nwith a line")}
