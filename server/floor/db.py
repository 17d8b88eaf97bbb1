"""The hub's SQLite file: the one list of migrations, the writer and the readers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlite_utils
from navbat.foundation import sqlite_db
from navbat.foundation.migrations import MigrationList, NewerDatabase
from navbat.foundation.workers import Loop
from navbat.server.floor import log_record_migration

__all__ = ["NewerDatabase", "Reader", "Store", "checkpointer", "migrations", "open_db"]

# What a part that only reads is handed (`Store.read`, the hub's `read`): a snapshot on this thread's reader.
Reader = Callable[[], AbstractContextManager[sqlite_utils.Database]]

# The hub's tables, one numbered migration each (navbat.foundation.migrations, as a printer's queue).
migrations = MigrationList("navbat-hub")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            branch_day TEXT NOT NULL,          -- YYYY-MM-DD in the branch's time zone
            service TEXT NOT NULL,             -- current sub-service (changes on transfer)
            first_service TEXT NOT NULL,
            seq INTEGER NOT NULL,              -- n-th ticket of its service that day
            number TEXT NOT NULL,              -- as printed: A-012 or 212
            priority TEXT,
            state TEXT NOT NULL,               -- waiting|called|serving|done|no_show|cancelled
            tracking_code TEXT NOT NULL UNIQUE,
            idempotency_key TEXT UNIQUE,
            device TEXT,
            issued_at TEXT NOT NULL,           -- ISO 8601, UTC
            arrived_at TEXT NOT NULL,          -- queue order; a transfer keeps it
            called_at TEXT, started_at TEXT, finished_at TEXT,
            counter INTEGER,
            clerk TEXT,
            recalls INTEGER NOT NULL DEFAULT 0,
            transfers INTEGER NOT NULL DEFAULT 0,
            outcome TEXT,                      -- e.g. documents_incomplete
            reason TEXT,                       -- why the policy called this ticket
            UNIQUE (first_service, branch_day, seq)
        )""")
    db.execute("CREATE INDEX tickets_waiting ON tickets(state, service, arrived_at)")
    db.execute("""
        CREATE TABLE sequences (
            service TEXT NOT NULL, branch_day TEXT NOT NULL, last INTEGER NOT NULL,
            PRIMARY KEY (service, branch_day))""")
    db.execute("""
        CREATE TABLE counters (
            number INTEGER PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'closed',   -- open|paused|closed
            clerk TEXT,
            current_ticket INTEGER,
            skills TEXT,                            -- JSON {code: weight}; NULL = as configured
            changed_at TEXT)""")
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,   -- the SSE event id, never reused
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            actor TEXT,
            ticket_id INTEGER,
            counter INTEGER,
            data TEXT NOT NULL)""")
    db.execute("CREATE INDEX events_ticket ON events(ticket_id)")
    db.execute("CREATE INDEX events_at ON events(at)")
    db.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY, role TEXT NOT NULL, pin_hash TEXT NOT NULL,
            display_name TEXT, created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE devices (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, counter INTEGER,
            created_at TEXT NOT NULL, ended_at TEXT)""")
    db.execute("""
        CREATE TABLE device_status (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
            detail TEXT, at TEXT NOT NULL)""")


@migrations()
def m002_ratings(db: sqlite_utils.Database) -> None:
    # Satisfaction ratings (F2, V4), one per visit. IF NOT EXISTS: hubs from before this list
    # made the table through a second migration set of their own ("navbat-ratings").
    db.execute("""
        CREATE TABLE IF NOT EXISTS ratings (
            ticket_id INTEGER PRIMARY KEY,     -- one rating per visit
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            source TEXT NOT NULL,              -- tablet | tracking
            counter INTEGER,                   -- the counter that finished the visit
            clerk TEXT,
            service TEXT,
            at TEXT NOT NULL)""")
    db.execute("CREATE INDEX IF NOT EXISTS ratings_at ON ratings(at)")


@migrations()
def m003_counter_services(db: sqlite_utils.Database) -> None:
    # One word for what a counter serves, as in the branch file and the API.
    db.execute("ALTER TABLE counters RENAME COLUMN skills TO services")


@migrations()
def m004_login_limits(db: sqlite_utils.Database) -> None:
    # Wrong PINs (server/web/auth.py): one row per attempt not (yet) proven right, and the lockouts
    # they led to, per username and per address. Kept in the file: a restart forgets nothing.
    db.execute("""
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            address TEXT NOT NULL,
            at TEXT NOT NULL)""")
    db.execute("CREATE INDEX login_failures_username ON login_failures(username, at)")
    db.execute("CREATE INDEX login_failures_address ON login_failures(address, at)")
    db.execute("""
        CREATE TABLE login_lockouts (
            kind TEXT NOT NULL,                -- username | address
            name TEXT NOT NULL,                -- the username or the address
            lockouts INTEGER NOT NULL,         -- in a row: each one lasts twice the last
            since TEXT NOT NULL,               -- failures before this no longer count
            until TEXT NOT NULL,
            address TEXT,                      -- the last address that failed
            PRIMARY KEY (kind, name))""")


@migrations()
def m005_sessions_end_tablets(db: sqlite_utils.Database) -> None:
    # A session ends when its user's credential changes (PIN reset, role change, disable):
    # the session keeps the user's credential version it was made with.
    db.execute("ALTER TABLE users ADD COLUMN credential INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sessions ADD COLUMN credential INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sessions ADD COLUMN last_used_at TEXT")
    db.execute("ALTER TABLE devices ADD COLUMN counter INTEGER")  # a tablet's own counter
    # The public sees a clerk's display name, never the username: a display name that is the
    # username was only the old default (`navbat user add --name` gives a real one).
    db.execute("UPDATE users SET display_name=NULL WHERE display_name=username")


@migrations()
def m006_requests(db: sqlite_utils.Database) -> None:
    # Requests answered later by a back office (F1, F3): one per visit that ended "registered",
    # folded from the request.* events like tickets from ticket.* events.
    db.execute("""
        CREATE TABLE requests (
            ticket_id INTEGER PRIMARY KEY,
            tracking_code TEXT NOT NULL UNIQUE,
            number TEXT NOT NULL,
            service TEXT NOT NULL,
            unit TEXT,
            opened_at TEXT NOT NULL,           -- UTC
            opened_day TEXT NOT NULL,          -- YYYY-MM-DD, branch day
            due TEXT NOT NULL,                 -- YYYY-MM-DD, branch day: answered by its end
            working_days INTEGER NOT NULL,
            answered_at TEXT,                  -- UTC
            result TEXT,
            answered_by TEXT,                  -- who marked it answered
            on_time INTEGER,
            days_taken INTEGER)                -- working days from registration to answer""")
    db.execute("CREATE INDEX requests_open ON requests(answered_at, due)")


@migrations()
def m007_hq_shipping(db: sqlite_utils.Database) -> None:
    # Store and forward to headquarters (server/hqlink/shipping.py): what HQ has acknowledged, and an
    # outbox of ratings (they are not in the event log), filled by a trigger in the rating's own
    # transaction so none is missed, whatever writes it.
    db.execute("CREATE TABLE IF NOT EXISTS hq_shipping (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS hq_rating_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
               "ticket_id INTEGER NOT NULL)")
    db.execute("INSERT INTO hq_rating_outbox (ticket_id) SELECT ticket_id FROM ratings ORDER BY at, ticket_id")
    db.execute("""CREATE TRIGGER IF NOT EXISTS hq_rating_outbox_fill AFTER INSERT ON ratings
                  BEGIN INSERT INTO hq_rating_outbox (ticket_id) VALUES (new.ticket_id); END""")


@migrations()
def m008_remote_turns(db: sqlite_utils.Database) -> None:
    # Issue 18 A. SMS leave through an outbox written in the same transaction as what caused
    # them (a "come now" is sent once), and a worker sends and retries them (server/visitors/sms.py).
    db.execute("""
        CREATE TABLE sms_outbox (
            id INTEGER PRIMARY KEY,
            phone TEXT NOT NULL,
            text TEXT NOT NULL,
            kind TEXT,                         -- code | joined | come_now | called | expired
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            sent_at TEXT,
            failed_at TEXT,                    -- given up after too many attempts
            last_error TEXT)""")
    db.execute("CREATE INDEX sms_outbox_due ON sms_outbox(sent_at, failed_at, next_try_at)")
    # One-time codes proving a phone (server/visitors/verify.py): the latest code per phone, hashed.
    db.execute("""
        CREATE TABLE phone_codes (
            phone TEXT PRIMARY KEY, code_hash TEXT NOT NULL, expires_at TEXT NOT NULL,
            tries INTEGER NOT NULL DEFAULT 0)""")
    db.execute("CREATE TABLE phone_code_sends (id INTEGER PRIMARY KEY, phone TEXT NOT NULL, address TEXT NOT NULL, "
               "at TEXT NOT NULL)")
    db.execute("CREATE INDEX phone_code_sends_phone ON phone_code_sends(phone, at)")
    db.execute("CREATE INDEX phone_code_sends_address ON phone_code_sends(address, at)")
    # A remote turn's own facts (server/visitors/remote.py); kept out of the event log, which displays see.
    db.execute("""
        CREATE TABLE remote_turns (
            ticket_id INTEGER PRIMARY KEY, phone TEXT NOT NULL, branch_day TEXT NOT NULL, joined_at TEXT NOT NULL,
            checked_in_at TEXT, passed_at TEXT, come_now_at TEXT, called_sms_at TEXT, ended TEXT)""")
    db.execute("CREATE INDEX remote_turns_phone ON remote_turns(phone, branch_day)")
    # Values the branch head set on /head (remote hours, grace, "come now"): key -> JSON.
    db.execute("CREATE TABLE remote_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL)")


@migrations()
def m009_appointments(db: sqlite_utils.Database) -> None:
    # Issue 18 B: a booked time slot (server/visitors/appointments.py). Written only through the floor's
    # write path, so a slot's count and the new booking are one transaction (never overbooked).
    db.execute("""
        CREATE TABLE appointments (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,         -- the booking's code: cancel, check in
            service TEXT NOT NULL,
            day TEXT NOT NULL,                 -- YYYY-MM-DD, branch time
            start TEXT NOT NULL,               -- HH:MM, branch time
            due_at TEXT NOT NULL,              -- the slot's start, ISO 8601 UTC (the engine's due time)
            phone TEXT NOT NULL,
            state TEXT NOT NULL,               -- booked | cancelled | checked_in
            booked_at TEXT NOT NULL,
            cancelled_at TEXT,
            checked_in_at TEXT,
            ticket_id INTEGER UNIQUE)""")
    db.execute("CREATE INDEX appointments_slot ON appointments(day, service, start, state)")
    db.execute("CREATE INDEX appointments_phone ON appointments(phone, state)")
    # The head's shares of the plan kept for appointments (server/visitors/appointment_shares.py); '*' = all.
    db.execute("CREATE TABLE appointment_shares (service TEXT PRIMARY KEY, share REAL NOT NULL, at TEXT NOT NULL)")


@migrations()
def m010_budgets(db: sqlite_utils.Database) -> None:
    # Issue 23: budgets are counted from the database, so a restart forgets nothing (server/visitors/budgets.py):
    # SMS queued per hour and day, bookings per address; and a remote turn's phone as a slow hash,
    # which is what the hub ships to HQ to keep one open turn per phone across branches.
    db.execute("CREATE INDEX sms_outbox_created ON sms_outbox(created_at)")
    db.execute("ALTER TABLE appointments ADD COLUMN address TEXT")
    db.execute("CREATE INDEX appointments_address ON appointments(address, booked_at)")
    db.execute("ALTER TABLE remote_turns ADD COLUMN phone_hash TEXT")


@migrations()
def m011_log_is_the_record(db: sqlite_utils.Database) -> None:
    # Issue 25: remote turns, bookings, the head's settings and shares become folds of the event log;
    # phones, booking addresses and device heartbeats move beside it (server/floor/log_record_migration.py).
    log_record_migration.apply(db)


@migrations()
def m012_leases(db: sqlite_utils.Database) -> None:
    # Issue 26: numbers set aside for a kiosk to issue alone while the hub is away, folded from the
    # lease.* events (server/floor/projection.py); one row per number, the ticket that used it once merged.
    db.execute("""
        CREATE TABLE leases (
            id INTEGER PRIMARY KEY, device TEXT NOT NULL, service TEXT NOT NULL, branch_day TEXT NOT NULL,
            size INTEGER NOT NULL, granted_at TEXT NOT NULL, expires_at TEXT NOT NULL,
            state TEXT NOT NULL,               -- live|returned|expired
            ended_at TEXT)""")
    db.execute("CREATE INDEX leases_live ON leases(state, expires_at)")
    db.execute("CREATE INDEX leases_device ON leases(device, granted_at)")
    db.execute("""
        CREATE TABLE lease_numbers (
            lease_id INTEGER NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL,
            service TEXT NOT NULL, branch_day TEXT NOT NULL,
            ticket_id INTEGER,                 -- the merged ticket that used it
            PRIMARY KEY (lease_id, seq))""")
    db.execute("CREATE INDEX lease_numbers_day ON lease_numbers(service, branch_day, seq)")
    db.execute("""
        CREATE TABLE lease_merges (
            event_id INTEGER PRIMARY KEY, device TEXT NOT NULL, tickets INTEGER NOT NULL, merged_at TEXT NOT NULL,
            first_issued_at TEXT NOT NULL, last_issued_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX tickets_issued ON tickets(first_service, issued_at)")


@migrations()
def m013_no_phone_in_keys(db: sqlite_utils.Database) -> None:
    # A remote turn joined with an Idempotency-Key kept "remote:<phone>:<key>" as its ticket's key,
    # in the log's ticket.issued and so at HQ: the key is now scoped by a digest (visitors/remote.py),
    # and the keys already kept are rewritten the same way in the log and in the tickets it folds to.
    log_record_migration.scrub_remote_keys(db)


def refuse_if_newer(path: Path) -> None:
    """Raises NewerDatabase, having only read the file, if a newer release migrated it."""
    migrations.refuse_if_newer(path)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in the one write path,
    # BEGIN for a reader's snapshot), so sqlite-utils' helpers nest inside them as savepoints.
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Store:
    """The hub's SQLite file, WAL on, migrations applied.

    One writer connection, used only inside the floor's write path (server/floor/floor.py), which
    holds the lock around it. Every other thread reads through a connection of its own
    (`read()`): WAL lets readers see the last commit while a write is under way, so a month's
    report or a page never waits for, nor holds up, a kiosk's ticket.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        refuse_if_newer(self.path)  # before WAL mode or any migration writes to the file
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = sqlite_db.database(_connect(self.path))
        self.writer.enable_wal()
        self.writer.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
        migrations.apply(self.writer)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closes = 0  # a thread's reader opened before the last close() is opened again

    def _reader(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None or self._local.closes != self._closes:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only=ON")  # a reader that tries to write is a bug: fail loudly
            db = self._local.db = sqlite_db.database(conn)
            self._local.depth, self._local.closes = 0, self._closes
            with self._readers_lock:
                self._readers.append(conn)
        return db

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """This thread's reader, inside one snapshot (a read transaction) for the whole block."""
        db = self._reader()
        outer = self._local.depth == 0
        if outer:
            db.execute("BEGIN")
        self._local.depth += 1
        try:
            yield db
        finally:
            self._local.depth -= 1
            if outer:
                db.execute("COMMIT")  # ends the read snapshot; nothing was written

    def close(self) -> None:
        """Closes every connection (again: nothing); a later read (a stopped hub's) opens a reader."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers, self._closes = [], self._closes + 1
        self.writer.conn.close()


def open_db(path: str | Path) -> sqlite_utils.Database:
    """The hub's database for the command line (users, devices): migrated, WAL on. A running
    hub writes through its floor instead; these tables are not part of the floor."""
    store = Store(path)
    return store.writer


def checkpointer(store: Store, every: float = 10.0) -> Loop:
    """For the running hub: checkpoints (copying the WAL back, with an fsync) would otherwise
    run inside some request's commit, under the floor's lock. A worker with its own connection
    does PASSIVE checkpoints instead, which never block the writer; the hub starts and stops it
    with its other workers (`navbat hub` only: a test's app keeps SQLite's own checkpoints)."""
    store.writer.execute("PRAGMA wal_autocheckpoint=0")  # here, before any write: the writer is not ours later
    conn: list[sqlite3.Connection] = []

    def step() -> float:
        if not conn:
            conn.append(sqlite3.connect(str(store.path), check_same_thread=False, isolation_level=None, timeout=5))
        try:
            conn[0].execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:  # busy: the next tick tries again
            pass
        return every

    def closing() -> None:
        for c in conn:
            c.close()

    return Loop("checkpoint", step, every=every, closing=closing)
