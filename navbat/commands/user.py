"""`navbat user add NAME --role clerk|head --pin PIN [--name "Display name"]`, `user disable NAME`,
`user list`. Adding a user again resets their PIN and role; that, and disabling, ends every
session they have."""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import add_db, open_existing, open_or_make


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="manage clerks and branch heads")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user, or reset their PIN and role (their sessions end)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "head"))
    add.add_argument("--pin", required=True, help="4 to 12 digits; stored hashed")
    add.add_argument("--display-name", dest="display_name",
                     help="the name the public sees at the counter (never the username); kept if not given")
    add_db(add)
    add.set_defaults(run=run_add)
    disable = actions.add_parser("disable", help="no more logins for this user; their sessions end at once")
    disable.add_argument("name")
    add_db(disable)
    disable.set_defaults(run=run_disable)
    ls = actions.add_parser("list", help="list users")
    add_db(ls)
    ls.set_defaults(run=run_list)


def run_add(args: argparse.Namespace) -> int:
    from navbat.server.web.auth import add_user

    try:
        with open_or_make(args.db, "user add") as db:
            add_user(db, args.name, args.role, args.pin, args.display_name)
    except ValueError as exc:
        print(f"navbat user add: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name} ({args.role}) saved")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    from navbat.server.web.auth import disable_user

    if not disable_user(open_existing(args.db), args.name):
        print(f"navbat user disable: no user {args.name}", file=sys.stderr)
        return 2
    print(f"user {args.name} disabled; their sessions have ended (`navbat user add` enables them again)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    for row in open_existing(args.db).query("SELECT username, role, display_name, disabled, created_at FROM users "
                                      "ORDER BY username"):
        state = "disabled" if row["disabled"] else "active"
        print(f"{row['username']}\t{row['role']}\t{state}\t{row['display_name'] or '-'}\t{row['created_at']}")
    return 0
