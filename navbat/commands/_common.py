"""Options several subcommands share, and the checks that make them honest on wrong input:
a command that only reads a database never creates one, a command that may make one says so,
and a refusal is one line naming what is wrong (Refused, printed by navbat/cli.py, exit 2)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_DB = "var/navbat.sqlite"
# Jalali years a branch's month or day can be in: the first hubs ran in 1404; a year after this one
# is a typo, and a Gregorian year (2026) is refused with a hint rather than read as an empty month.
FIRST_JALALI_YEAR = 1400


class Refused(Exception):
    """Wrong input, said in one line; nothing was created or written."""


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="branch file (default config/branches.yaml)")


def port(text: str) -> int:
    """An argparse type: a TCP port, 1-65535 (0 for the hub's tests: any free one)."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return int(text)


def hub_database(path: str | Path) -> Path:
    """The existing hub database at `path`, or Refused: never creates one (a typo'd --db)."""
    path = Path(path)
    if path.is_dir():
        raise Refused(f"--db {path} is a folder, not a database file")
    if not path.is_file():
        raise Refused(f"no database at {path} (use --db PATH)")
    problem = hub_problem(path)
    if problem:
        raise Refused(problem)
    return path


def hub_problem(path: Path) -> str | None:
    """Why the file at `path` is no hub database, or None if it is one (read only)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"{path} is not a SQLite database ({exc})"
    return None if found else f"{path} is not a Navbat hub database (no events table)"


def open_existing(path: str | Path) -> Any:  # noqa: ANN401 - a sqlite_utils.Database
    """The hub database at `path`, migrated; Refused if there is none (see hub_database)."""
    from navbat.server.floor.db import open_db

    return open_db(hub_database(path))


@contextmanager
def open_or_make(path: str | Path, command: str) -> Iterator[Any]:
    """The hub database at `path`; a new one if there is none, which is said on stderr once the
    command succeeded. If the command fails, what this made (the file, its folders) is removed."""
    from navbat.server.floor.db import open_db

    path = Path(path)
    if path.exists():
        hub_database(path)
        db = open_db(path)
        try:
            yield db
        finally:
            db.conn.close()
        return
    made = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    try:
        db = open_db(path)
    except (OSError, sqlite3.Error) as exc:
        _remove(path, made)
        raise Refused(f"cannot make a database at {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        yield db
    except BaseException:
        db.conn.close()
        _remove(path, made)
        raise
    db.conn.close()
    print(f"navbat {command}: there was no database at {path}; made a new one there", file=sys.stderr)


def _remove(path: Path, folders: list[Path]) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    for folder in folders:  # innermost first
        try:
            folder.rmdir()
        except OSError:
            break


def jalali_year_ok(year: int) -> None:
    """Refused unless `year` is a Jalali year a branch can have figures for."""
    import datetime as dt

    from navbat.foundation.persian import jalali

    this_year = jalali(dt.datetime.now(dt.UTC)).year
    if year > 1700:
        raise Refused(f"{year} is a Gregorian year: months and days are Jalali, e.g. {this_year}-07")
    if not FIRST_JALALI_YEAR <= year <= this_year + 1:
        raise Refused(f"no branch figures in the Jalali year {year} (years {FIRST_JALALI_YEAR} to {this_year + 1})")


def writable_file(path: str | Path, option: str) -> Path:
    """`path` can be written: its folder is there and is a folder. Refused otherwise."""
    path = Path(path)
    if path.is_dir():
        raise Refused(f"{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise Refused(f"{option} {path}: no folder {path.parent}")
    return path
