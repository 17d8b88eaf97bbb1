"""`navbat user add NAME --role clerk|head --pin PIN`."""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import add_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="manage clerks and branch heads")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user or reset their PIN")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "head"))
    add.add_argument("--pin", required=True, help="4 to 12 digits; stored hashed")
    add_db(add)
    add.set_defaults(run=run_add)
    ls = actions.add_parser("list", help="list users")
    add_db(ls)
    ls.set_defaults(run=run_list)


def run_add(args: argparse.Namespace) -> int:
    from server.auth import add_user
    from server.db import open_db

    try:
        add_user(open_db(args.db), args.name, args.role, args.pin)
    except ValueError as exc:
        print(f"navbat user add: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name} ({args.role}) saved")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from server.db import open_db

    for row in open_db(args.db).query("SELECT username, role, created_at FROM users ORDER BY username"):
        print(f"{row['username']}\t{row['role']}\t{row['created_at']}")
    return 0
