"""Reports built in a process of their own.

A busy month is about a second of pure Python (folding 100,000 events). In the hub's process
that second would be taken from every kiosk and clerk, whatever the locks, since one
interpreter runs one thread at a time; in a worker process it runs beside them, on its own
connection and its own snapshot of the file.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import sqlite_utils
from navbat.foundation.config import Branch
from navbat.server.db import Store
from navbat.server.reports.figures import Report, build_report
from navbat.server.reports.period import Period

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn, not fork: the hub has threads (and their locks) that a forked child would inherit mid-use
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_leave_with, initargs=(os.getpid(),))
        return _pool


def _leave_with(hub_pid: int) -> None:
    """In the worker: exit when the hub is gone. A hub killed by a signal never tells its pool, and
    the worker would wait on its queue for ever."""
    def watch() -> None:
        while os.getppid() == hub_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="navbat-report-parent", daemon=True).start()


def _build(db_path: str, branch: Branch, period: Period) -> Report:
    """In the worker: one read-only connection, one snapshot, the same build_report as in process."""
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only=ON")
        db = sqlite_utils.Database(conn)
        db.execute("BEGIN")
        return build_report(db, branch, period)
    finally:
        conn.close()


def report(store: Store, branch: Branch, period: Period, in_process: bool = False) -> Report:
    """The period's report, from a worker process (or, asked or if the worker died, from a snapshot here)."""
    if not in_process:
        try:
            return _executor().submit(_build, str(store.path), branch, period).result()
        except BrokenProcessPool:
            global _pool
            log.exception("the report worker died; building this report in the hub's process")
            with _pool_lock:
                _pool = None
    with store.read() as db:
        return build_report(db, branch, period)
