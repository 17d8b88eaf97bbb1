"""The `navbat` console script: one command, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys

from navbat.commands._common import Refused

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


class _Version(argparse.Action):
    """--version, read from the installed distribution only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from navbat.foundation.version import VERSION

        print(f"navbat {VERSION}")  # on stdout, as argparse's own version action
        parser.exit()


def _raised(exc: BaseException, module: str, name: str) -> bool:
    """Whether `exc` is a `module`.`name`, without importing the module: one never imported raised
    nothing (the branch file's and the database's modules cost a command ~0.3 s that `--help` or a
    wrong option never needs)."""
    kind = getattr(sys.modules.get(module), name, None)
    return isinstance(kind, type) and isinstance(exc, kind)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="navbat", description="Navbat queue and service-desk system")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the installed version and exit")
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
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if _raised(exc, "navbat.foundation.config", "ConfigError"):
            text = str(exc)  # one line per problem
            print(f"navbat {_name(args)}: bad branch file:{chr(10) if chr(10) in text else ' '}{text}",
                  file=sys.stderr)
            return 2
        if _raised(exc, "navbat.server.floor.holder", "HeldByHub") or _raised(
                exc, "navbat.foundation.migrations", "NewerDatabase"):
            print(f"navbat: {exc}", file=sys.stderr)  # a database a running hub holds, or a newer release wrote
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
