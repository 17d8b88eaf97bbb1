"""Reports built in a process of their own.

A busy month is about a second of pure Python (folding 100,000 events). In the hub's process
that second would be taken from every kiosk and clerk, whatever the locks, since one
interpreter runs one thread at a time; in a worker process it runs beside them, on its own
connection and its own snapshot of the file. The process is the hub's `reports` worker
(foundation/worker_process.py's ProcessWorker): made on the first report, stopped with the hub.
"""

from __future__ import annotations

import sqlite3

from navbat.foundation import sqlite_db
from navbat.foundation.config import Branch
from navbat.foundation.worker_process import ProcessWorker, Unavailable
from navbat.server.floor.db import Store
from navbat.server.reports.figures import Report, build_report
from navbat.server.reports.period import Period

TIMEOUT_S = 600.0  # a year's report on a slow PC; the head's request waits for it


def reports_worker() -> ProcessWorker:
    return ProcessWorker("reports", timeout_s=TIMEOUT_S)


def _build(db_path: str, branch: Branch, period: Period) -> Report:
    """In the worker: one read-only connection, one snapshot, the same build_report as in process."""
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only=ON")
        db = sqlite_db.database(conn)
        db.execute("BEGIN")
        return build_report(db, branch, period)
    finally:
        conn.close()


def report(worker: ProcessWorker, store: Store, branch: Branch, period: Period, in_process: bool = False) -> Report:
    """The period's report, from the worker process (or, asked or if the worker is unavailable, from a
    snapshot here)."""
    if not in_process:
        try:
            return worker.call(_build, str(store.path), branch, period)
        except Unavailable:
            pass  # the worker died (it is made again after its back-off) or is stopping: here this time
    with store.read() as db:
        return build_report(db, branch, period)
