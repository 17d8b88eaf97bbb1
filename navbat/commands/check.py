"""`navbat check --db PATH`: integrity check, then the state tables against the event log."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from navbat.commands._common import add_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="is the database sound? (exit 0 and `ok`, or the differences and 1)")
    add_db(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.server.dbcheck import check

    try:
        problems = check(args.db)
    except sqlite3.Error as exc:  # not a database at all, or one too damaged to open
        problems = [f"sqlite: {exc}"]
    if not problems:
        print("ok")
        return 0
    print("\n".join(problems), file=sys.stdout)
    return 1
