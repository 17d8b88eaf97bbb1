"""Copies of the hub's database taken while it runs, and putting one back.

SQLite's online backup API copies the pages inside one read transaction: under WAL the hub
keeps writing meanwhile and the copy is the database as of one commit, never half of one.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from navbat.server.floor.holder import hold, release

PREFIX = "navbat-"
SUFFIX = ".sqlite"


def _copy(source: sqlite3.Connection, target: Path) -> None:
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)  # all pages in one step: one snapshot
        dest.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dest.close()


def backup(db: str | Path, to_dir: str | Path, keep: int | None = None,
           now: dt.datetime | None = None) -> Path:
    """Writes DIR/navbat-<UTC time>.sqlite, then keeps only the newest `keep` of them."""
    db, to_dir = Path(db), Path(to_dir)
    if not db.is_file():
        raise FileNotFoundError(f"no database at {db}")
    to_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    final = to_dir / f"{PREFIX}{stamp}{SUFFIX}"
    part = final.with_name(final.name + ".part")
    source = sqlite3.connect(str(db))  # read only; a mode=ro handle cannot open a WAL file without its -shm
    try:
        _copy(source, part)
    finally:
        source.close()
    os.replace(part, final)  # a half-written copy never looks like a backup
    if keep is not None:
        for old in sorted(to_dir.glob(f"{PREFIX}*{SUFFIX}"))[:-keep or None]:
            old.unlink()
    return final


def restore(backup_file: str | Path, db: str | Path) -> None:
    """Replaces the database at `db` by the backup; HeldByHub if a running hub holds `db`."""
    backup_file, db = Path(backup_file), Path(db)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise ValueError(f"{backup_file} is not a sound SQLite database")
        db.parent.mkdir(parents=True, exist_ok=True)
        held = hold(db)  # held while restoring, so no hub starts on a half-restored file
        try:
            dest = sqlite3.connect(str(db))
            try:
                source.backup(dest)  # through SQLite, so a leftover -wal of the old file is not replayed over it
                mark_restored(dest)
            finally:
                dest.close()
        finally:
            release(held)
    finally:
        source.close()


def mark_restored(db: sqlite3.Connection) -> None:
    """Tells the shipper (server.shipping) its next batch comes from a restored branch: HQ may then
    forget the events it has that this log lost, and only then (hq.ingest)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='hq_shipping'").fetchone():
        with db:
            db.execute("INSERT OR REPLACE INTO hq_shipping (name, value) VALUES ('restored', '1')")
