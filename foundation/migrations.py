"""The one way an SQLite file of ours changes shape: a numbered list of migrations per file.

The hub's database (server/floor/db.py) and each kiosk printer's queue (printer/queue.py) keep their
tables as a list of functions m001_..., m002_..., applied in order when the file opens, each in
one transaction with the record of it (sqlite-utils' migration sets, table `_sqlite_migrations`).
A file migrated by a newer release is refused before anything writes to it: this code would
misread its tables, and a downgrade must not touch a branch's data.

    migrations = MigrationList("navbat-hub")

    @migrations()
    def m001_initial(db: sqlite_utils.Database) -> None: ...

    migrations.refuse_if_newer(path)        # read-only, before WAL mode or anything else writes
    migrations.apply(sqlite_db.database(conn))

HQ's PostgreSQL database has its own list (hq/migrations, yoyo): one mechanism per database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from navbat.foundation.version import VERSION
from sqlite_utils.migrations import Migrations


class NewerDatabase(Exception):
    """The file carries migrations this release does not know: a newer navbat wrote it."""


class MigrationList(Migrations):
    """One file's migrations, by name (a migration set); the decorator adds the next one."""

    @property
    def names(self) -> list[str]:
        """The migrations this release knows, in the order they are applied."""
        return [m.name for m in self._migrations]

    def applied_names(self, db: sqlite_utils.Database) -> list[str]:
        return [m.name for m in self.applied(db)]

    def refuse_if_newer(self, path: Path) -> None:
        """Raises NewerDatabase, having only read the file (read-only), if a newer release migrated it."""
        if not path.is_file():
            return
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return  # not a readable database: the open that follows says so
        try:
            names = [r[0] for r in conn.execute(
                f"SELECT name FROM {self.migrations_table} WHERE migration_set = ? ORDER BY rowid", [self.name])]
        except sqlite3.Error:
            return  # no migrations table yet (a file from before this list, or not a database): nothing newer
        finally:
            conn.close()
        unknown = [name for name in names if name not in set(self.names)]
        if unknown:
            raise NewerDatabase(f"{path} was written by a newer release of navbat (its migration {unknown[-1]} "
                                f"is unknown to navbat {VERSION}); install that release or a newer one to open it")
