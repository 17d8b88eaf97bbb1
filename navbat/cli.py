"""The `navbat` console script: one command, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys

from navbat.commands._common import Refused
from navbat.foundation.config import ConfigError
from navbat.foundation.version import VERSION
from navbat.server.floor.db import NewerDatabase
from navbat.server.floor.holder import HeldByHub

# name -> module; each module defines register(subparsers) and keeps heavy imports
# (Kivy, Flask) inside its run function so `navbat --help` stays quick.
COMMANDS = {
    "hub": "navbat.commands.hub",
    "demo": "navbat.commands.demo",
    "user": "navbat.commands.user",
    "device": "navbat.commands.device",
    "simulate": "navbat.commands.simulate",
    "printer": "navbat.commands.printer",
    "kiosk": "navbat.commands.kiosk",
    "display": "navbat.commands.display",
    "report": "navbat.commands.report",
    # issue 14: deploying a branch
    "init-branch": "navbat.commands.init_branch",
    "backup": "navbat.commands.backup",
    "restore": "navbat.commands.restore",
    "check": "navbat.commands.check",
    "service": "navbat.commands.service",
    "hq": "navbat.commands.hq",
    "hq-demo": "navbat.commands.hq_demo",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="navbat", description="Navbat queue and service-desk system")
    parser.add_argument("--version", action="version", version=f"navbat {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def _name(args: argparse.Namespace) -> str:
    """`user add`, `hq branch add`: the subcommand as typed, for its messages."""
    words = [args.command, getattr(args, "what", None), getattr(args, "action", None)]
    return " ".join(w for w in words if isinstance(w, str))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except Refused as exc:  # wrong input, said in one line (navbat/commands/_common.py)
        print(f"navbat {_name(args)}: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        text = str(exc)  # one line per problem
        print(f"navbat {_name(args)}: bad branch file:{chr(10) if chr(10) in text else ' '}{text}", file=sys.stderr)
        return 2
    except (HeldByHub, NewerDatabase) as exc:  # a database a running hub holds, or a newer release wrote
        print(f"navbat: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
