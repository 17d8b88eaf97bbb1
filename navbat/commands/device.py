"""`navbat device add NAME --role kiosk|display|tablet [--counter N]`: prints the device token and
nothing else. A tablet (the satisfaction faces at /rate/N) is bound to its counter."""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import Refused, add_config, add_db, open_or_make


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("device", help="register kiosks, displays and counter tablets")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register a device (or re-key it) and print its token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("kiosk", "display", "tablet", "monitor"))
    add.add_argument("--counter", type=int, help="a tablet's counter: it rates the visitors of this one only")
    add_db(add)
    add_config(add)
    add.set_defaults(run=run_add)


def run_add(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config
    from navbat.server.web.auth import add_device

    if args.counter is not None:
        branch = load_config(args.config)
        if args.counter not in {c.number for c in branch.counters}:
            known = ", ".join(str(c.number) for c in branch.counters) or "none"
            raise Refused(f"no counter {args.counter} in the branch file (counters: {known})")
    try:
        with open_or_make(args.db, "device add") as db:
            token = add_device(db, args.name, args.role, args.counter)
    except ValueError as exc:
        print(f"navbat device add: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
