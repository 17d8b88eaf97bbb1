"""The kiosk's journal: its number leases and the tickets it issued alone, in one SQLite file (issue 26).

A lease is a block of numbers the hub set aside for this kiosk and one sub-service
(`POST /api/v1/leases`); a ticket issued while the hub does not answer takes the lowest
unused place of the oldest lease still good for today, and is written here, in the same
transaction that uses the number, before the slip is printed. The journal keeps, too, the
last branch data the kiosk got from the hub (names, sub-services with their documents and
steps), so a kiosk restarted while the hub is down can still draw its screens and slips.

The file is in WAL mode with `synchronous=FULL`: a ticket written here survives a power cut
the moment `issue()` returns. A ticket is `pending` until the hub answers for it (merged,
already there, or refused); a crash between sending and the answer leaves it pending, and
it is sent again under the same idempotency key, which the hub answers "already".

How big it gets: one row per lease (a few dozen numbers each) and one per ticket issued
alone (about 300 bytes); merged tickets and returned leases older than `keep_days` are
dropped when the journal opens, so the file stays in the hundreds of kilobytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from navbat.foundation import sqlite_db
from navbat.foundation.migrations import MigrationList

migrations = MigrationList("navbat-kiosk-journal")
PENDING, MERGED, ALREADY, REFUSED = "pending", "merged", "already", "refused"
KEEP_DAYS = 7.0
MARGIN = dt.timedelta(minutes=5)  # a lease is not used in its last minutes (docs/leases.md)


@migrations()
def m001_journal(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE leases (
            id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            branch_day TEXT NOT NULL,
            numbers TEXT NOT NULL,            -- JSON [{"seq", "number"}], in the hub's order
            size INTEGER NOT NULL,
            expires_at TEXT NOT NULL,         -- ISO, the hub's clock
            got_at TEXT NOT NULL,             -- ISO, UTC, the kiosk's clock
            use_until TEXT NOT NULL,          -- got_at + (expires_at - granted_at) - margin, the kiosk's clock
            returned_at TEXT
        )""")
    db.execute("""
        CREATE TABLE tickets (
            idempotency_key TEXT PRIMARY KEY,
            lease TEXT NOT NULL REFERENCES leases(id),
            seq INTEGER NOT NULL,
            number TEXT NOT NULL,
            service TEXT NOT NULL,
            priority TEXT,
            issued_at TEXT NOT NULL,          -- ISO, UTC: the kiosk's clock when the visitor took it
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'merged', 'already', 'refused')),
            hub_ticket TEXT,                  -- JSON: the hub's ticket, once merged
            error TEXT,
            answered_at TEXT,
            unanswered_key TEXT,              -- the visit's key of a POST /tickets the hub never answered
            UNIQUE (lease, seq)
        )""")
    db.execute("CREATE INDEX tickets_state ON tickets(state)  -- rowid, the issue order, is in every index")
    db.execute("CREATE TABLE branch_data (name TEXT PRIMARY KEY, data TEXT NOT NULL, saved_at TEXT NOT NULL)")


def lease_id(stored: str) -> int | str:
    """A lease's id as the hub gave it (a number), from the text the journal keeps."""
    return int(stored) if stored.isdigit() else stored


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


class NoNumber(Exception):
    """No lease of this sub-service has a number left that is good today."""


class Journal:
    """One kiosk's journal file; safe from several threads (a connection per call, writes serialised)."""

    def __init__(self, path: str | Path, keep_days: float = KEEP_DAYS) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        migrations.refuse_if_newer(self.path)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            # One opener at a time (its busy timeout waits): the kiosk and a reader opening a new journal
            # together both created its schema, and the second got "database is locked" at once.
            db.execute("BEGIN IMMEDIATE")
            try:
                migrations.apply(sqlite_db.database(db))
                old = _iso(_now() - dt.timedelta(days=keep_days))
                db.execute("DELETE FROM tickets WHERE state != 'pending' AND answered_at < ?", (old,))
                db.execute("DELETE FROM leases WHERE returned_at < ? AND id NOT IN (SELECT lease FROM tickets)",
                           (old,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA synchronous=FULL")  # a ticket on paper is a ticket on disk
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ---- the last branch data ----------------------------------------------------------
    def save_branch(self, branch: dict[str, Any], queue: dict[str, Any]) -> None:
        """GET /branch and GET /services as the hub last sent them."""
        now = _iso(_now())
        with self._write() as db:
            for name, data in (("branch", branch), ("queue", queue)):
                db.execute("INSERT OR REPLACE INTO branch_data VALUES (?, ?, ?)",
                           (name, json.dumps(data, ensure_ascii=False), now))

    def load_branch(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        with self._db() as db:
            rows = {r["name"]: json.loads(r["data"]) for r in db.execute("SELECT name, data FROM branch_data")}
        if "branch" not in rows or "queue" not in rows:
            return None
        return rows["branch"], rows["queue"]

    # ---- leases -----------------------------------------------------------------------
    def add_lease(self, lease: dict[str, Any]) -> None:
        """A lease as `POST /api/v1/leases` answered it (once: the same lease twice is one)."""
        numbers = [{"seq": int(n["seq"]), "number": str(n["number"])} for n in lease["numbers"]]
        now = _now()
        # How long it lasts, counted on the kiosk's own clock: a kiosk clock that is off does not matter.
        granted = _aware(lease.get("granted_at") or _iso(now))
        use_until = now + (_aware(lease["expires_at"]) - granted) - MARGIN
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO leases (id, service, branch_day, numbers, size, expires_at, got_at, "
                       "use_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (str(lease["lease"]), lease["service"], str(lease["branch_day"]), json.dumps(numbers),
                        len(numbers), lease["expires_at"], _iso(now), _iso(use_until)))

    def _good_leases(self, db: sqlite3.Connection, service: str | None, branch_day: str, now: dt.datetime
                     ) -> list[sqlite3.Row]:
        """Leases not returned, of today, not expired, oldest first."""
        sql = ("SELECT * FROM leases WHERE returned_at IS NULL AND branch_day = ?"
               + (" AND service = ?" if service else "") + " ORDER BY got_at, id")
        args: tuple[Any, ...] = (branch_day, service) if service else (branch_day,)
        return [r for r in db.execute(sql, args) if _aware(r["use_until"]) > now]

    @staticmethod
    def _used(db: sqlite3.Connection, lease: str) -> set[int]:
        return {r[0] for r in db.execute("SELECT seq FROM tickets WHERE lease = ?", (lease,))}

    def unused(self, service: str, branch_day: str, now: dt.datetime | None = None) -> tuple[int, int]:
        """(numbers left, size of the newest lease) of a sub-service's good leases."""
        now = now or _now()
        with self._db() as db:
            leases = self._good_leases(db, service, branch_day, now)
            left = sum(r["size"] - len(self._used(db, r["id"])) for r in leases)
            return left, (leases[-1]["size"] if leases else 0)

    def issue(self, key: str, service: str, priority: str | None, branch_day: str,
              now: dt.datetime | None = None, unanswered_key: str | None = None) -> dict[str, Any]:
        """Take the next number of the sub-service's oldest good lease and write the ticket (durable on
        return). The same key again returns the ticket written the first time. Raises NoNumber.
        `unanswered_key`: this visit's request to the hub went unanswered under that key (the hub may
        have issued it), sent with the ticket so the hub can tell."""
        now = now or _now()
        with self._write() as db:
            old = db.execute("SELECT * FROM tickets WHERE idempotency_key = ?", (key,)).fetchone()
            if old is not None:
                return dict(old)
            for lease in self._good_leases(db, service, branch_day, now):
                used = self._used(db, lease["id"])
                free = [n for n in json.loads(lease["numbers"]) if n["seq"] not in used]
                if free:
                    row = {"idempotency_key": key, "lease": lease["id"], "seq": free[0]["seq"],
                           "number": free[0]["number"], "service": service, "priority": priority,
                           "issued_at": _iso(now), "unanswered_key": unanswered_key}
                    db.execute("INSERT INTO tickets (idempotency_key, lease, seq, number, service, priority, "
                               "issued_at, unanswered_key) VALUES (:idempotency_key, :lease, :seq, :number, "
                               ":service, :priority, :issued_at, :unanswered_key)", row)
                    return {**row, "state": PENDING}
        raise NoNumber(service)

    def returnable(self) -> list[str]:
        """Leases not yet returned whose every ticket the hub has answered for."""
        with self._db() as db:
            return [r[0] for r in db.execute(
                "SELECT id FROM leases WHERE returned_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM tickets t WHERE t.lease = leases.id AND t.state = 'pending') ORDER BY got_at")]

    def returned(self, lease: str) -> None:
        with self._write() as db:
            db.execute("UPDATE leases SET returned_at = ? WHERE id = ?", (_iso(_now()), lease))

    def leases(self) -> list[dict[str, Any]]:
        with self._db() as db:
            out = []
            for r in db.execute("SELECT * FROM leases ORDER BY got_at, id"):
                lease = dict(r)
                lease["numbers"] = json.loads(lease["numbers"])
                lease["used"] = len(self._used(db, r["id"]))
                out.append(lease)
            return out

    # ---- the tickets issued alone, and their merge ------------------------------------------
    def pending(self, limit: int = 500) -> list[dict[str, Any]]:
        """Tickets the hub has not answered for, in the order they were issued."""
        with self._db() as db:
            return [dict(r) for r in db.execute(
                "SELECT * FROM tickets WHERE state = 'pending' ORDER BY rowid LIMIT ?", (limit,))]

    def answered(self, results: list[dict[str, Any]]) -> None:
        """The hub's answers (`POST /api/v1/offline-tickets` results), in one transaction."""
        now = _iso(_now())
        with self._write() as db:
            for r in results:
                if r.get("status") not in (MERGED, ALREADY, REFUSED):
                    continue
                db.execute("UPDATE tickets SET state = ?, hub_ticket = ?, error = ?, answered_at = ? "
                           "WHERE idempotency_key = ? AND state = 'pending'",
                           (r["status"], json.dumps(r.get("ticket"), ensure_ascii=False) if r.get("ticket") else None,
                            r.get("error"), now, r["idempotency_key"]))

    def tickets(self) -> list[dict[str, Any]]:
        with self._db() as db:
            return [dict(r) for r in db.execute("SELECT * FROM tickets ORDER BY rowid")]


def _aware(iso: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
