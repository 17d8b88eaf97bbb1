"""The kiosk's own printer: tickets go through printer/'s queue, the visitor hears the outcome.

The paper is laid out from the hub's ticket JSON alone (names included), so it says what
the screen says; the kiosk's branch file only picks the printer and, for the warm-up
before the first visitor, a sample ticket.

The queue prints from its own worker and retries an offline printer, so no ticket is
lost; the kiosk only waits a moment to tell the visitor whether paper came out. If it
did not, the screen says to note the number, and the hub is told (POST /devices/status).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from navbat.foundation.config import Branch, Printer
from navbat.printer.queue import PrintQueue
from navbat.printer.slip import slip_from_ticket

log = logging.getLogger(__name__)
BAD = ("offline", "paper_out", "error")
Reporter = Callable[[str, str, str], None]


@dataclasses.dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    status: str  # ok | offline | paper_out | slow | error
    detail: str = ""


class KioskPrinter:
    """Prints one visitor's ticket and says within `wait` seconds whether it came out.

    `cfg` is the printer from the kiosk's branch file; `branch` is used only for the warm-up sample.
    """

    def __init__(self, cfg: Printer, branch: Branch, hub_url: str, queue_db: str | Path,
                 report: Reporter | None = None, wait: float = 4.0, **queue_options: Any) -> None:
        self.cfg, self.branch, self.hub_url, self.wait_seconds = cfg, branch, hub_url, wait
        self._report = report
        self.status, self.detail = "ok", ""
        self._changed = threading.Condition()
        self.queue = PrintQueue(queue_db, cfg, on_status=self._on_status, **queue_options)

    @property
    def name(self) -> str:
        return self.cfg.name

    def start(self, warm_up: bool = True) -> KioskPrinter:
        self.queue.start()
        if warm_up:
            threading.Thread(target=self.warm_up, name="print-warm-up", daemon=True).start()
        return self

    def warm_up(self) -> None:
        """Lay out one ticket without sending it, so fonts, QR and barcode code are loaded before the first
        visitor (otherwise the first ticket of the day pays for them)."""
        from navbat.printer.demo import hub_ticket
        from navbat.printer.layout import ticket_bytes

        try:
            sample = hub_ticket(self.branch, self.branch.services[0].code, tracking_code="WARMUP00",
                                estimated_wait={"minutes": 0, "low": 0, "high": 0})
            for lang in ("fa", "en"):
                ticket_bytes(slip_from_ticket(sample, self.hub_url, lang), self.cfg.width_mm, self.cfg.profile)
        except Exception as exc:  # only a head start; printing itself reports real problems
            log.warning("printer warm-up failed: %s", exc)

    def stop(self) -> None:
        self.queue.stop()

    def _on_status(self, printer: str, status: str, detail: str) -> None:
        # Called on the queue's worker thread; the hub report goes on its own thread so a slow
        # hub never holds up paper.
        with self._changed:
            self.status, self.detail = status, detail
            self._changed.notify_all()
        if self._report is not None:
            threading.Thread(target=self._send_report, args=(printer, status, detail), daemon=True).start()

    def _send_report(self, printer: str, status: str, detail: str) -> None:
        try:
            self._report(printer, status, detail)
        except Exception as exc:  # the hub may be down too; the next change is reported again
            log.warning("could not report printer %s %s to the hub: %s", printer, status, exc)

    def job_id(self, ticket: dict[str, Any]) -> str:
        # The tracking code is unique for ever (ticket ids restart with a fresh hub database); a ticket
        # issued alone has neither yet, and its idempotency key is unique for ever too.
        if ticket.get("offline"):
            return f"alone-{ticket['idempotency_key']}"
        return f"{ticket['id']}-{ticket['tracking_code']}"

    def submit(self, ticket: dict[str, Any], lang: str = "fa") -> str:
        """Queue the ticket for printing (once, however often called); returns its job id. Any thread."""
        job = self.job_id(ticket)
        self.queue.submit(job, slip_from_ticket(ticket, self.hub_url, lang))
        return job

    def wait(self, job: str) -> PrintOutcome:
        """Wait briefly for the paper to come out. Blocking: call it off the UI thread."""
        start = time.monotonic()
        deadline = start + self.wait_seconds
        while True:
            row = next((j for j in self.queue.jobs() if j["id"] == job), None)
            if row is None or row["state"] == "failed":
                return PrintOutcome(False, "error", (row or {}).get("last_error") or "job lost")
            if row["state"] == "done":
                return PrintOutcome(True, "ok")
            if row["last_error"]:  # tried and the printer was not there; the queue keeps retrying
                return PrintOutcome(False, self.status if self.status in BAD else "offline", row["last_error"])
            if self.status in BAD and time.monotonic() - start > 1.0:
                return PrintOutcome(False, self.status, self.detail)  # held: no paper, cover open
            left = deadline - time.monotonic()
            if left <= 0:
                return PrintOutcome(False, "slow", "the printer did not print in time")
            with self._changed:
                self._changed.wait(min(left, 0.02))

    def print_ticket(self, ticket: dict[str, Any], lang: str = "fa") -> PrintOutcome:
        """Submit and wait: the whole print, blocking."""
        return self.wait(self.submit(ticket, lang))


def kiosk_printer(branch: Branch, name: str | None, hub_url: str, queue_db: str | Path,
                  report: Reporter | None = None, **options: Any) -> KioskPrinter | None:
    """The configured printer by name (default: the first kiosk's), or None when the kiosk has none."""
    if name is None:
        name = branch.kiosks[0].printer if branch.kiosks else None
    if name is None:
        return None
    cfg = branch.printer(name)
    if cfg is None:
        raise ValueError(f'no printer "{name}" in the branch file')
    return KioskPrinter(cfg, branch, hub_url, queue_db, report, **options)
