"""The print queue: tickets are printed by a worker thread, never inside a request or on the UI thread.

    queue = PrintQueue("var/print-kiosk-1.sqlite", branch.printer("kiosk-1-printer"), on_status).start()
    queue.submit(ticket["id"], slip_from_ticket(ticket, hub_url))   # returns at once

Jobs live in a small SQLite file, so a restart loses nothing. A job is one ticket:
(ticket id, tracking code) is its key, so submitting the same ticket twice makes one
job (a hub whose database was reset may reuse an id, but not with the same tracking
code, so that new ticket still prints). A reprint is submitted under its own job id,
e.g. "41/reprint-1". A job is marked done only after its bytes were handed to the
printer and flushed, so retrying an offline printer never prints a ticket twice. The
one window left is a crash *during* the write: that job is printed again on restart,
as a lost ticket is worse than a second slip of paper.

Status changes (ok / offline / paper_out / paper_near_end) go to `on_status(printer,
status, detail)` on the worker thread (a Kivy kiosk hops to the UI with @mainthread and
forwards them to the hub: POST /api/v1/devices/status). When idle, the worker asks the
printer every `probe_every` seconds, so an empty roll shows before the next visitor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import sqlite_utils
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from navbat.foundation import sqlite_db
from navbat.foundation.config import Printer
from navbat.foundation.migrations import MigrationList
from navbat.printer import status as st
from navbat.printer.devices import open_printer, send_ticket
from navbat.printer.slip import TicketSlip

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, str, str], None]
OFFLINE_ERRORS = (OSError, DeviceNotFoundError)  # PrinterOffline and serial/socket errors are OSErrors

# The queue's tables, one numbered migration each (navbat.foundation.migrations: the hub's mechanism).
migrations = MigrationList("navbat-print-queue")


@migrations()
def m001_jobs(db: sqlite_utils.Database) -> None:
    # IF NOT EXISTS: a queue from before this list (0.2.0 and older) made the table itself, and
    # its waiting jobs must print after the upgrade.
    db.execute("""
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
        )""")


@migrations()
def m002_jobs_waiting(db: sqlite_utils.Database) -> None:
    # The worker asks for the oldest waiting job after every print, and a week of printed ones stays
    # in the file: the index finds it without reading them.
    db.execute("CREATE INDEX jobs_state ON jobs(state, seq)")


_WAITING = "state IN ('pending', 'sending')"


class _Held(Exception):
    """The printer answered but cannot print now (no paper, cover open)."""


class PrintQueue:
    """One printer's queue and its worker thread."""

    def __init__(
        self,
        db_path: str | Path,
        printer: Printer,
        on_status: StatusCallback | None = None,
        *,
        opener: Callable[[Printer], Escpos] = open_printer,
        retry_first: float = 1.0,
        retry_max: float = 30.0,
        status_timeout: float = 0.5,
        probe_every: float | None = 60.0,
        keep_days: float = 7.0,
    ) -> None:
        self.db_path = Path(db_path)
        self.printer = printer
        self.on_status = on_status
        self._opener = opener
        self._retry_first, self._retry_max = retry_first, retry_max
        self._status_timeout = status_timeout
        self._probe_every = probe_every
        self._answers_status = True  # until the printer shows it does not
        self._last_status: tuple[str, str] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        migrations.refuse_if_newer(self.db_path)  # before WAL mode or a migration writes to the file
        with closing(self._db()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            migrations.apply(sqlite_db.database(db))
            # Printed tickets are history after a while; waiting ones are never dropped.
            db.execute("DELETE FROM jobs WHERE state = 'done' AND printed_at < ?", (time.time() - keep_days * 86400,))

    def _db(self) -> sqlite3.Connection:
        # A connection per call: the kiosk submits from one thread, the worker prints from another.
        return sqlite3.connect(self.db_path, timeout=10, isolation_level=None)

    # -- the caller's side -------------------------------------------------------------
    def submit(self, job_id: str | int, slip: TicketSlip) -> bool:
        """Queue a ticket and return at once; False if this ticket was queued before (it prints once)."""
        with closing(self._db()) as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO jobs (id, tracking_code, slip, created_at) VALUES (?, ?, ?, ?)",
                (str(job_id), slip.tracking_code, json.dumps(slip.to_json(), ensure_ascii=False), time.time()),
            )
        self._wake.set()
        return cur.rowcount == 1

    def jobs(self) -> list[dict]:
        """Every job, oldest first (for status pages and tests)."""
        with closing(self._db()) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, tracking_code, state, attempts, printed_at, bytes, last_error FROM jobs ORDER BY seq"
            )
            return [dict(r) for r in rows]

    def job(self, job_id: str | int) -> dict | None:
        """One job's state (the latest under that id), without reading the whole history."""
        with closing(self._db()) as db:
            db.row_factory = sqlite3.Row
            row = db.execute(
                "SELECT id, tracking_code, state, attempts, printed_at, bytes, last_error FROM jobs"
                " WHERE id = ? ORDER BY seq DESC LIMIT 1", (str(job_id),)
            ).fetchone()
        return dict(row) if row is not None else None

    def pending(self) -> list[str]:
        """Ids of the jobs still to print, oldest first."""
        with closing(self._db()) as db:
            return [r[0] for r in db.execute(f"SELECT id FROM jobs WHERE {_WAITING} ORDER BY seq")]

    def start(self) -> PrintQueue:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"print-{self.printer.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is waiting; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # -- the worker --------------------------------------------------------------------
    def _run(self) -> None:
        delay = self._retry_first
        next_probe = time.monotonic()  # say how the printer is as soon as the kiosk starts
        while not self._stop.is_set():
            job = self._next_job()
            if job is None:
                if self._probe_every is not None and time.monotonic() >= next_probe:
                    self._probe()
                    next_probe = time.monotonic() + self._probe_every
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            seq, job_id, stored = job
            try:
                self._print_one(seq, stored)
                delay = self._retry_first
                continue
            except _Held as exc:
                why = str(exc)
                self._set(seq, "state = 'pending', last_error = ?", why)
            except OFFLINE_ERRORS as exc:
                why = str(exc)
                self._set(seq, "state = 'pending', last_error = ?", why)
                self._report(st.OFFLINE, why)
            except Exception as exc:
                # Not the printer: this job cannot be rendered and would fail again, so it must not
                # hold up the tickets behind it. It stays in the file; the hub can reprint the ticket.
                log.exception("printer %s: job %s cannot be printed", self.printer.name, job_id)
                self._set(seq, "state = 'failed', last_error = ?", f"{type(exc).__name__}: {exc}")
                continue
            log.info("printer %s: job %s waits %.1fs (%s)", self.printer.name, job_id, delay, why)
            self._stop.wait(delay)
            delay = min(delay * 2, self._retry_max)
            next_probe = time.monotonic() + (self._probe_every or 0)  # the attempt was a probe

    def _next_job(self) -> tuple[int, str, str] | None:
        with closing(self._db()) as db:
            row = db.execute(f"SELECT seq, id, slip, state FROM jobs WHERE {_WAITING} ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        if row[3] == "sending":
            log.warning("printer %s: job %s was being sent when the kiosk stopped; printing it again",
                        self.printer.name, row[1])
        return row[0], row[1], row[2]

    def _set(self, seq: int, sql: str, *args: object) -> None:
        with closing(self._db()) as db:
            db.execute(f"UPDATE jobs SET {sql} WHERE seq = ?", (*args, seq))

    def _report(self, status: str, detail: str = "") -> None:
        if (status, detail) == self._last_status:
            return  # the hub hears about changes, not every attempt
        self._last_status = (status, detail)
        if self.on_status is not None:
            try:
                self.on_status(self.printer.name, status, detail)
            except Exception:  # a broken callback must not stop printing
                log.exception("printer %s: status callback failed", self.printer.name)

    def _ask(self, device: Escpos) -> tuple[str, str] | None:
        if not self._answers_status:
            return None
        answer = st.query_status(device, self._status_timeout)
        if answer is None and self.printer.type in ("serial", "network"):
            self._answers_status = False  # do not wait for a silent printer before every ticket
        return answer

    def _probe(self) -> None:
        try:
            device = self._opener(self.printer)
        except OFFLINE_ERRORS as exc:
            self._report(st.OFFLINE, str(exc))
            return
        try:
            answer = self._ask(device)
        except OFFLINE_ERRORS as exc:
            answer = (st.OFFLINE, str(exc))
        finally:
            with contextlib.suppress(Exception):
                device.close()
        self._report(*(answer or (st.OK, "")))

    def _print_one(self, seq: int, stored: str) -> None:
        """Print one job, or raise; the job is marked done only once the printer has all its bytes."""
        slip = TicketSlip.from_json(json.loads(stored))
        device = self._opener(self.printer)
        try:
            answer = self._ask(device)
            if answer is not None and answer[0] in (st.PAPER_OUT, st.OFFLINE):
                self._report(*answer)
                raise _Held(answer[1])
            self._set(seq, "state = 'sending', attempts = attempts + 1")
            sent = send_ticket(device, slip, self.printer.width_mm)
            device.close()  # flushes a serial line before the job counts as printed
        except BaseException:
            with contextlib.suppress(Exception):  # it failed already; keep the first error
                device.close()
            raise
        self._set(seq, "state = 'done', printed_at = ?, bytes = ?, last_error = NULL", time.time(), sent)
        self._report(*(answer or (st.OK, "")))
