"""`navbat device add NAME --role kiosk|display|tablet [--counter N]`: prints the device token and
nothing else. A tablet (the satisfaction faces at /rate/N) is bound to its counter."""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import add_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("device", help="register kiosks, displays and counter tablets")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register a device (or re-key it) and print its token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("kiosk", "display", "tablet", "monitor"))
    add.add_argument("--counter", type=int, help="a tablet's counter: it rates the visitors of this one only")
    add_db(add)
    add.set_defaults(run=run_add)


def run_add(args: argparse.Namespace) -> int:
    from navbat.server.auth import add_device
    from navbat.server.db import open_db

    try:
        token = add_device(open_db(args.db), args.name, args.role, args.counter)
    except ValueError as exc:
        print(f"navbat device add: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
