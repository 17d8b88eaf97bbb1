"""`navbat service unit|install ROLE [the command's own options]`: systemd units for a branch.

    navbat service unit hub --host 0.0.0.0 --port 8080      # prints the unit
    sudo navbat service install hub --host 0.0.0.0           # writes, enables and starts it
    navbat service install --root /tmp/img kiosk --hub ...   # into an image: written and enabled only

Roles: hub, kiosk, display, hq, backup (a .service and its nightly .timer). See _units.py.
Secrets given as options (the hub's --hq-token, a kiosk's or display's --token) never reach the
unit's command line: `install` writes them to /etc/navbat/ROLE.env, mode 0600, which the unit reads.
"""

from __future__ import annotations

import argparse
import os
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

    _check_options(args.role, args.args, Path(args.root) if args.action == "install" else None)
    return units(args.role, args.navbat, args.args, cage=args.cage, tty=args.tty)


def _check_options(role: str, options: list[str], root: Path | None) -> None:
    """A typo in the role's options fails here, with that command's own message, not at boot;
    so does, for `install`, a branch file (--config, inside --root) that is missing or wrong."""
    from navbat.cli import COMMANDS, build_parser

    command = ["backup", "--to", "x"] if role == "backup" else [role]
    if command[0] in COMMANDS:  # `navbat hq` comes with the hq extra
        parsed = build_parser().parse_args([*command, *options])  # exits 2 with the usage line if they are wrong
        if root is not None and getattr(parsed, "config", None) is not None:
            from navbat.foundation.config import load_config

            config = Path(parsed.config)
            load_config(root / config.relative_to("/") if config.is_absolute() else config)  # ConfigError: exit 2


def _secrets_note(args: argparse.Namespace) -> dict[str, str]:
    from navbat.commands._units import env_file, split_secrets

    secrets = split_secrets(args.role, args.args)[1]
    if secrets and args.action == "unit":
        print(f"navbat service unit: {', '.join(secrets)} left out of the unit's command line (ps shows it to "
              f"every user); `navbat service install` writes it to {env_file(args.role)} (mode 0600)",
              file=sys.stderr)
    return secrets


def write_env(path: Path, values: dict[str, str]) -> None:
    """KEY=value lines into a root-only file (0600 from the start), keeping its other lines."""
    lines = [ln for ln in (path.read_text().splitlines() if path.exists() else [])
             if ln.split("=", 1)[0].strip() not in values]
    lines += [f"{key}={value}" for key, value in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps no wider mode
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_unit(args: argparse.Namespace) -> int:
    _secrets_note(args)
    print("\n".join(f"# {name}\n{text}" for name, text in _units(args).items()), end="")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from navbat.commands._units import SYSUSERS

    root = Path(args.root)
    live = root.resolve() == Path("/")
    written = _units(args)
    secrets = _secrets_note(args)
    unit_dir = root / "etc/systemd/system"
    sysusers = root / "etc/sysusers.d/navbat.conf"
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        sysusers.parent.mkdir(parents=True, exist_ok=True)
        sysusers.write_text(SYSUSERS)
        for name, text in written.items():
            (unit_dir / name).write_text(text)
        if secrets:
            from navbat.commands._units import env_file

            write_env(root / env_file(args.role).lstrip("/"), secrets)
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
