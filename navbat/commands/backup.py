"""`navbat backup --db PATH --to DIR [--keep N]`: a consistent copy while the hub runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from navbat.commands._common import Refused, add_db, hub_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="copy the hub's database while it runs (prints the copy's path)")
    add_db(p)
    p.add_argument("--to", required=True, metavar="DIR", help="folder for the copies")
    p.add_argument("--keep", type=int, default=None, metavar="N", help="keep only the newest N copies")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.server.floor.backup import backup

    if args.keep is not None and args.keep < 1:
        print("navbat backup: --keep must be 1 or more", file=sys.stderr)
        return 2
    hub_database(args.db)
    if Path(args.to).exists() and not Path(args.to).is_dir():
        raise Refused(f"--to {args.to} is a file, not a folder")
    try:
        print(backup(args.db, args.to, args.keep))
    except OSError as exc:
        print(f"navbat backup: {exc.filename or args.to}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"navbat backup: {exc}", file=sys.stderr)
        return 1
    return 0
