"""`navbat service unit|install ROLE [the command's own options]`: systemd units for a branch.

    navbat service unit hub --host 0.0.0.0 --port 8080      # prints the unit
    sudo navbat service install hub --host 0.0.0.0           # writes, enables and starts it
    navbat service install --root /tmp/img kiosk --hub ...   # into an image: written and enabled only

Roles: hub, kiosk, display, hq, backup (a .service and its nightly .timer). See _units.py.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from navbat.commands._units import ROLES

    p = sub.add_parser("service", help="systemd units: print them, or install and enable them")
    actions = p.add_subparsers(dest="action", required=True)
    for name, helptext in (("unit", "print the unit(s) for a role"),
                           ("install", "write the unit(s) for a role into /etc/systemd/system and enable them")):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("--navbat", default=str(Path(sys.executable).parent / "navbat"),
                       help="the navbat command the unit runs (default: this one)")
        a.add_argument("--cage", default="/usr/bin/cage", help="cage, for kiosk and display (default /usr/bin/cage)")
        a.add_argument("--tty", type=int, default=1, help="the kiosk's or display's console (default 1)")
        if name == "install":
            a.add_argument("--root", default="/", help="install into this root (an image); then nothing is started")
        a.add_argument("role", choices=ROLES)
        a.add_argument("args", nargs=argparse.REMAINDER, help="the role's own options, as `navbat ROLE` takes them")
        a.set_defaults(run=run_unit if name == "unit" else run_install)


def _units(args: argparse.Namespace) -> dict[str, str]:
    from navbat.commands._units import units

    _check_options(args.role, args.args)
    return units(args.role, args.navbat, args.args, cage=args.cage, tty=args.tty)


def _check_options(role: str, options: list[str]) -> None:
    """A typo in the role's options fails here, with that command's own message, not at boot."""
    from navbat.cli import COMMANDS, build_parser

    command = ["backup", "--to", "x"] if role == "backup" else [role]
    if command[0] in COMMANDS:  # `navbat hq` comes with the hq extra
        build_parser().parse_args([*command, *options])  # exits 2 with the usage line if they are wrong


def run_unit(args: argparse.Namespace) -> int:
    print("\n".join(f"# {name}\n{text}" for name, text in _units(args).items()), end="")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from navbat.commands._units import SYSUSERS

    root = Path(args.root)
    live = root.resolve() == Path("/")
    written = _units(args)
    unit_dir = root / "etc/systemd/system"
    sysusers = root / "etc/sysusers.d/navbat.conf"
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        sysusers.parent.mkdir(parents=True, exist_ok=True)
        sysusers.write_text(SYSUSERS)
        for name, text in written.items():
            (unit_dir / name).write_text(text)
    except OSError as exc:
        print(f"navbat service install: {exc} (run it as root)", file=sys.stderr)
        return 1
    enable = [n for n in written if n.endswith(".timer")] or list(written)
    steps = [["systemctl", f"--root={root}", "enable", *enable]]
    if live:  # the real machine: the users first, then systemd reads the units and starts them
        steps = [["systemd-sysusers"], ["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", *enable]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"navbat service install: {' '.join(step)}: {done.stderr.strip()}", file=sys.stderr)
            return 1
    for name in written:
        print(unit_dir / name)
    return 0
