"""SMS, behind one small interface: `queue(tx, phone, text)` inside a write, or `send(phone, text)`.

A message is first a row of `sms_outbox`, written in the same transaction as what caused it
(a code, a turn, a "come now"), so it is sent once however often a request is retried. A
background worker (the hub's `sms` worker) sends due rows through the backend and retries failures (backing off, up
to MAX_ATTEMPTS), so no request ever waits for a gateway; /head shows what is failing
(`status()`).

Backends (`Backend.deliver(phone, text)`, raising `SendFailed`):
- `FileLog`: one JSON line `{"to", "text"}` per message in a file (`navbat hub --sms-log PATH`),
  the demo's default and what tests read codes from;
- `HttpGateway`: the branch file's `sms.gateway` (URL template, GET or POST, credentials), as the
  Iranian gateways take them.

The hub builds its one outbox (server/hub.py, `hub.outbox`) and hands it to what sends SMS.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import requests
from navbat.foundation.remote import SmsGateway
from navbat.foundation.workers import Loop
from navbat.server.floor.db import Reader
from navbat.server.floor.floor import Floor, Write
from navbat.server.floor.times import Clock, iso, parse_iso

MAX_ATTEMPTS = 12  # about an hour of retries (BACKOFF doubling, capped), then it shows as failed
BACKOFF_S = (5, 10, 20, 40, 60, 120, 300)
BATCH = 20
log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The backend could not hand the message over; the worker tries again later."""


class Backend(Protocol):
    def deliver(self, phone: str, text: str) -> None: ...


class FileLog:
    """Each message as one JSON line {"to", "text"}, appended (the demo's SMS centre)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def deliver(self, phone: str, text: str) -> None:
        line = json.dumps({"to": phone, "text": text}, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as exc:
            raise SendFailed(f"cannot write {self.path}: {exc.strerror or exc}") from exc


class HttpGateway:
    """An HTTP(S) gateway: {to}, {text}, {username}, {password} filled into the URL (encoded)
    and, for POST, into the form fields; any 2xx is accepted."""

    def __init__(self, cfg: SmsGateway) -> None:
        self.cfg = cfg
        self.session = requests.Session()

    def deliver(self, phone: str, text: str) -> None:
        values = {"to": phone, "text": text, "username": self.cfg.username, "password": self.cfg.password}
        url = self.cfg.url.format_map({k: quote(v, safe="") for k, v in values.items()})
        try:
            if self.cfg.method == "GET":
                r = self.session.get(url, timeout=self.cfg.timeout_s)
            else:
                form = {k: v.format_map(values) for k, v in self.cfg.form.items()}
                r = self.session.post(url, data=form, timeout=self.cfg.timeout_s)
        except requests.RequestException as exc:
            raise SendFailed(f"gateway unreachable: {type(exc).__name__}") from exc
        if not 200 <= r.status_code < 300:
            raise SendFailed(f"gateway answered {r.status_code}")


def backend_for(gateway: SmsGateway | None, log_path: str | Path | None) -> Backend:
    """The file log when a path is given (or no gateway is configured), else the gateway."""
    if log_path is not None or gateway is None:
        return FileLog(log_path or "var/sms.log")
    return HttpGateway(gateway)


class Outbox:
    """Writes through the floor's write path, reads its due rows with `read`, dates them by `clock`."""

    def __init__(self, floor: Floor, read: Reader, clock: Clock, backend: Backend,
                 backoff_s: tuple[float, ...] = BACKOFF_S) -> None:
        self.floor, self.read, self.clock, self.backend, self.backoff_s = floor, read, clock, backend, backoff_s
        self.worker = Loop("sms", self.send_due, every=60.0)  # the hub starts and stops it with its others

    # ---- the interface ------------------------------------------------------------

    def queue(self, tx: Write, phone: str, text: str, kind: str | None = None) -> None:
        """Inside a write: the message leaves after that write's commit, which wakes the worker (a
        rolled-back message never leaves). A flag shared by every commit lost wake-ups: the estimate
        refresh's publish, between this write's INSERT and its COMMIT, took it and woke the worker
        too early to see the message, which then waited for the next minute's step."""
        tx.db.execute("INSERT INTO sms_outbox (phone, text, kind, created_at, next_try_at) VALUES (?, ?, ?, ?, ?)",
                      [phone, text, kind, iso(tx.now), iso(tx.now)])
        tx.after.append(self.wake)

    def send(self, phone: str, text: str, kind: str | None = None) -> None:
        with self.floor.write() as tx:
            self.queue(tx, phone, text, kind)

    def status(self, db: Any) -> dict[str, Any]:
        """For /head: messages waiting to be retried, given up on, and the latest error."""
        pending, failed = db.execute(
            "SELECT sum(sent_at IS NULL AND failed_at IS NULL AND attempts > 0), sum(failed_at IS NOT NULL) "
            "FROM sms_outbox").fetchone()
        last = db.execute("SELECT last_error, coalesce(failed_at, next_try_at) FROM sms_outbox "
                          "WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
        sent = db.execute("SELECT count(*) FROM sms_outbox WHERE sent_at IS NOT NULL").fetchone()[0]
        return {"sent": sent, "retrying": pending or 0, "failed": failed or 0,
                "last_error": last[0] if last else None, "last_error_at": last[1] if last else None}

    # ---- the worker -------------------------------------------------------------------

    def wake(self) -> None:
        self.worker.wake()

    def send_due(self) -> float:
        """Sends every due message once; returns seconds until the next retry is due."""
        now = self.clock()
        with self.read() as db:
            due = list(db.query("SELECT id, phone, text, attempts FROM sms_outbox WHERE sent_at IS NULL AND "
                                "failed_at IS NULL AND next_try_at <= ? ORDER BY id LIMIT ?", [iso(now), BATCH]))
        for row in due:  # the gateway is called outside the write lock
            try:
                self.backend.deliver(row["phone"], row["text"])
                error = None
            except SendFailed as exc:
                error = str(exc)[:200]
            self._record(row, error)
        if len(due) == BATCH:
            return 0.0
        with self.read() as db:
            nxt = db.execute("SELECT min(next_try_at) FROM sms_outbox WHERE sent_at IS NULL AND "
                             "failed_at IS NULL").fetchone()[0]
        if nxt is None:
            return 60.0
        return min(60.0, max(0.2, (parse_iso(nxt) - self.clock()).total_seconds()))

    def _record(self, row: dict[str, Any], error: str | None) -> None:
        with self.floor.write() as tx:
            attempts = row["attempts"] + 1
            if error is None:
                tx.db.execute("UPDATE sms_outbox SET sent_at=?, attempts=?, last_error=NULL WHERE id=?",
                              [iso(tx.now), attempts, row["id"]])
                return
            log.warning("sms to %s…: %s (attempt %d)", row["phone"][:4], error, attempts)
            delay = dt.timedelta(seconds=self.backoff_s[min(attempts, len(self.backoff_s)) - 1])
            failed = iso(tx.now) if attempts >= MAX_ATTEMPTS else None
            tx.db.execute("UPDATE sms_outbox SET attempts=?, last_error=?, next_try_at=?, failed_at=? WHERE id=?",
                          [attempts, error, iso(tx.now + delay), failed, row["id"]])

