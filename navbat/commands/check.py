"""`navbat check --db PATH [--full]`: a hub's SQLite, its state tables against the event log (folded
from the last sound check's checkpoint, or with --full from the start).
`navbat check --database postgresql://...`: HQ's PostgreSQL, its migrations and rollups against its events."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from navbat.commands._common import add_db, hub_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="is the database sound? (exit 0 and `ok`, or the differences and 1)")
    add_db(p)
    p.add_argument("--database", default=None, metavar="postgresql://...",
                   help="check headquarters' PostgreSQL instead (needs the hq extra)")
    p.add_argument("--full", action="store_true",
                   help="fold the whole event log again, not only what came after the last sound check")
    p.set_defaults(run=run)


def _problems(args: argparse.Namespace) -> list[str]:
    if args.database:
        try:
            from navbat.hq.dbcheck import check as check_hq
        except ImportError as exc:  # psycopg or yoyo missing: a branch install without the hq extra
            return [f"navbat check --database needs the hq extra (pip install 'navbat[hq]'): {exc}"]
        return check_hq(args.database)
    from navbat.server.floor.dbcheck import check

    hub_database(args.db)  # a typo'd --db is refused, never created
    try:
        return check(args.db, full=args.full)
    except sqlite3.Error as exc:  # not a database at all, or one too damaged to open
        return [f"sqlite: {exc}"]


def run(args: argparse.Namespace) -> int:
    problems = _problems(args)
    if not problems:
        print("ok")
        return 0
    print("\n".join(problems), file=sys.stdout)
    return 1
