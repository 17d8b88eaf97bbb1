"""`navbat demo`: demo users and devices, then the hub on the demo branch (hours ignored)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from navbat.commands._common import add_config, add_db, hub_database, port

DEMO_USERS = [("head", "head", "1404"), *[(f"clerk{n}", "clerk", f"{n}{n}{n}{n}") for n in range(1, 9)]]
# What visitors see of a clerk (never the username): clerk1 is Maryam, and so on.
DISPLAY_NAMES = {"head": "رئیس شعبه", **{f"clerk{n}": name for n, name in enumerate(
    ("مریم", "علی", "زهرا", "رضا", "فاطمه", "حسین", "نرگس", "مهدی"), start=1)}}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="set up demo users and devices and run the demo branch")
    add_config(p)
    add_db(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8080)
    p.add_argument("--no-gui", action="store_true", help="do not start the kiosk and wall display")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config
    from navbat.server.floor.db import open_db
    from navbat.server.settings import Settings
    from navbat.server.web.auth import add_device, add_user
    from navbat.server.web.serve import serve

    branch = load_config(args.config)
    if Path(args.db).exists():
        hub_database(args.db)  # a file that is not a hub's is refused, never migrated into one
    db = open_db(args.db)
    for name, role, pin in DEMO_USERS:
        add_user(db, name, role, pin, DISPLAY_NAMES[name])
    tokens = {name: add_device(db, name, "kiosk") for name in [k.name for k in branch.kiosks] or ["kiosk-1"]}
    tokens["hall"] = add_device(db, "hall", "display")
    tablets = {c.number: add_device(db, f"tablet-{c.number}", "tablet", c.number) for c in branch.counters}
    db.conn.close()
    url = f"http://{args.host}:{args.port}"
    print(f"Navbat demo: {branch.branch.name.en}")
    print(f"  hub            {url}   (API {url}/api/v1/openapi.json)")
    print(f"  clerk console  {url}/counter    wall display {url}/display?token={tokens['hall']}    "
          f"branch head {url}/head")
    print("  users (PIN):   " + ", ".join(f"{n} ({p})" for n, _, p in DEMO_USERS))
    for name, token in tokens.items():
        print(f"  device {name}: {token}")
    for number, token in tablets.items():  # open once on the counter's tablet; it keeps the token
        print(f"  tablet of counter {number}: {url}/rate/{number}?token={token}")
    children = [] if args.no_gui else _start_gui(url, tokens)
    # SIGTERM (make's Ctrl-C, a service manager) must also stop the kiosk and display.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(Settings.build(branch, os.environ, db_path=args.db, host=args.host, port=args.port, ignore_hours=True))
    finally:
        for child in children:
            child.terminate()
    return 0


def _start_gui(url: str, tokens: dict[str, str]) -> list[subprocess.Popen]:
    """The kiosk and the wall display beside the hub, when there is a screen to show them."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("  (no display: kiosk and wall display not started; open the web display instead)")
        return []
    navbat = shutil.which("navbat") or sys.argv[0]
    kiosk_token = next(t for n, t in tokens.items() if n != "hall")
    children = []
    for cmd in ([navbat, "kiosk", "--hub", url, "--token", kiosk_token],
                [navbat, "display", "--hub", url, "--token", tokens["hall"]]):
        if subprocess.run([navbat, cmd[1], "--help"], capture_output=True).returncode == 0:
            children.append(subprocess.Popen(cmd))
    return children
