"""sqlite-utils' Database over a SQLite connection or file, without sqlite-utils' plugins.

By default sqlite-utils loads every installed plugin (a scan of every package's entry points:
25 ms at each process start in the test venv) and lets each one prepare the connection. A
branch's databases are opened by navbat's own code only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils


def database(source: sqlite3.Connection | str | Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(source, execute_plugins=False)
