"""The print queue: tickets are printed by a worker thread, never inside a request or on the UI thread.

Jobs live in a small SQLite file, so a restart loses nothing. The job id is the
ticket id: submitting the same ticket twice makes one job, and a job is marked done
only after its bytes were handed to the printer (and flushed), so retries after an
offline printer never print it twice. The one window left is a crash *during* the
write: such a job is printed again on restart, since a lost ticket is worse than a
second slip of paper.

Status changes (ok / offline / paper_out / paper_near_end) go to `on_status(printer,
status, detail)`; the kiosk forwards them to the hub (POST /api/v1/devices/status).
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

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError

from navbat.config import Printer
from printer import status as st
from printer.devices import open_printer, send_ticket
from printer.slip import TicketSlip

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, str, str], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    slip TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    printed_at REAL,
    bytes INTEGER,
    last_error TEXT
)
"""


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
    ) -> None:
        self.db_path = Path(db_path)
        self.printer = printer
        self.on_status = on_status
        self._opener = opener
        self._retry_first, self._retry_max = retry_first, retry_max
        self._status_timeout = status_timeout
        self._answers_status = True  # until the printer shows it does not
        self._last_status: tuple[str, str] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._db()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        # A connection per call: the kiosk submits from one thread, the worker prints from another.
        return sqlite3.connect(self.db_path, timeout=10, isolation_level=None)

    # -- the caller's side -------------------------------------------------------------
    def submit(self, job_id: str | int, slip: TicketSlip) -> bool:
        """Queue a ticket; False if that job id was queued before (it is not printed again)."""
        with closing(self._db()) as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO jobs (id, slip, created_at) VALUES (?, ?, ?)",
                (str(job_id), json.dumps(slip.to_json(), ensure_ascii=False), time.time()),
            )
        self._wake.set()
        return cur.rowcount == 1

    def jobs(self) -> list[dict]:
        """Every job, oldest first (for status pages and tests)."""
        with closing(self._db()) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT id, state, attempts, printed_at, bytes, last_error FROM jobs ORDER BY seq")
            return [dict(r) for r in rows]

    def pending(self) -> list[str]:
        return [j["id"] for j in self.jobs() if j["state"] in ("pending", "sending")]

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
        with self._idle:
            while self.pending():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.2))
        return True

    # -- the worker --------------------------------------------------------------------
    def _next_job(self) -> tuple[str, str] | None:
        with closing(self._db()) as db:
            row = db.execute(
                "SELECT id, slip, state FROM jobs WHERE state IN ('pending', 'sending') ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        if row[2] == "sending":
            log.warning("ticket job %s was being sent when the kiosk stopped; printing it again", row[0])
        return row[0], row[1]

    def _set(self, job_id: str, sql: str, *args: object) -> None:
        with closing(self._db()) as db:
            db.execute(f"UPDATE jobs SET {sql} WHERE id = ?", (*args, job_id))

    def _report(self, status: str, detail: str = "") -> None:
        if (status, detail) == self._last_status:
            return  # the hub hears about changes, not every attempt
        self._last_status = (status, detail)
        if self.on_status is not None:
            try:
                self.on_status(self.printer.name, status, detail)
            except Exception:  # a broken callback must not stop printing
                log.exception("status callback failed")

    def _print_one(self, job_id: str, stored: str) -> None:
        """Print a job or raise PrinterOffline; marks it done only after the printer has the bytes."""
        slip = TicketSlip.from_json(json.loads(stored))
        device = self._opener(self.printer)
        try:
            answer = None
            if self._answers_status:
                answer = st.query_status(device, self._status_timeout)
                if answer is None and self.printer.type in ("usb", "serial", "network"):
                    self._answers_status = False  # do not wait for a silent printer before every ticket
            if answer is not None and answer[0] in (st.PAPER_OUT, st.OFFLINE):
                self._report(*answer)
                raise _Held(answer[1])
            self._set(job_id, "state = 'sending', attempts = attempts + 1")
            sent = send_ticket(device, slip, self.printer.width_mm)
            device.close()  # flushes a serial line before the job counts as printed
            self._set(job_id, "state = 'done', printed_at = ?, bytes = ?, last_error = NULL", time.time(), sent)
        except BaseException:
            with contextlib.suppress(Exception):  # it already failed; keep the first error
                device.close()
            raise
        self._report(*(answer if answer is not None else (st.OK, "")))

    def _run(self) -> None:
        delay = self._retry_first
        while not self._stop.is_set():
            job = self._next_job()
            if job is None:
                with self._idle:
                    self._idle.notify_all()
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            job_id, slip = job
            try:
                self._print_one(job_id, slip)
                delay = self._retry_first
            except _Held as exc:
                self._back_off(job_id, str(exc), delay)
                delay = min(delay * 2, self._retry_max)
            except (OSError, DeviceNotFoundError) as exc:  # PrinterOffline is an OSError
                self._set(job_id, "state = 'pending', last_error = ?", str(exc))
                self._report(st.OFFLINE, str(exc))
                self._back_off(job_id, str(exc), delay)
                delay = min(delay * 2, self._retry_max)
            except Exception as exc:
                # Not the printer: this job cannot be rendered (it would fail again), so it must not
                # hold up the tickets behind it. It stays in the file; the hub can reprint the ticket.
                log.exception("printing job %s failed", job_id)
                self._set(job_id, "state = 'failed', last_error = ?", f"{type(exc).__name__}: {exc}")
        with self._idle:
            self._idle.notify_all()

    def _back_off(self, job_id: str, why: str, delay: float) -> None:
        log.info("printer %s: job %s waits %.1fs (%s)", self.printer.name, job_id, delay, why)
        self._stop.wait(delay)


class _Held(Exception):
    """The printer answered but cannot print now (no paper, cover open)."""

