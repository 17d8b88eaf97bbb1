"""`navbat restore BACKUP --db PATH`: put a backup back; refused while a hub holds PATH."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from navbat.commands._common import add_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="replace the hub's database by a backup (the hub must be stopped)")
    p.add_argument("backup", help="a file `navbat backup` wrote")
    add_db(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from navbat.commands._common import Refused, hub_problem
    from navbat.server.floor.backup import restore
    from navbat.server.floor.holder import HeldByHub

    source = Path(args.backup)
    if not source.is_file():
        raise Refused(f"no backup file at {source}")
    if hub_problem(source):
        raise Refused(hub_problem(source))
    if Path(args.db).is_dir():
        raise Refused(f"--db {args.db} is a folder, not a database file")
    try:
        restore(args.backup, args.db)
    except HeldByHub as exc:
        print(f"navbat restore: {exc}; stop it first (systemctl stop navbat-hub)", file=sys.stderr)
        return 1
    except (OSError, ValueError, sqlite3.Error) as exc:
        print(f"navbat restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.backup} into {args.db}")
    return 0
