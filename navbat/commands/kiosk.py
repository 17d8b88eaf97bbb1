"""`navbat kiosk`: the touchscreen ticket kiosk (Kivy), or one screen of it as a PNG."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
from pathlib import Path

from navbat.commands._common import add_config

SCREENS = ("home", "unit", "service", "ticket")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kiosk", help="the touchscreen ticket kiosk")
    p.add_argument("--hub", default="http://127.0.0.1:8080", help="hub URL (default http://127.0.0.1:8080)")
    p.add_argument("--token", default=os.environ.get("NAVBAT_KIOSK_TOKEN"),
                   help="the kiosk's device token (`navbat device add kiosk-1 --role kiosk`; "
                        "default $NAVBAT_KIOSK_TOKEN)")
    add_config(p)
    p.add_argument("--printer", metavar="NAME", help="printer from the branch file (default: the first kiosk's)")
    p.add_argument("--no-printer", action="store_true", help="run without a printer (the number is on screen)")
    p.add_argument("--queue-db", metavar="PATH", help="print queue file (default var/print-queue-<printer>.sqlite)")
    p.add_argument("--journal", metavar="PATH", default="var/kiosk-journal.sqlite",
                   help="the kiosk's journal: its number leases and the tickets it issued while the hub did not "
                        "answer (default var/kiosk-journal.sqlite, beside the print queue)")
    p.add_argument("--lang", choices=("fa", "en"), default="fa", help="language at start (default fa)")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--screenshot", type=Path, metavar="PATH", help="render one screen against the hub, write a PNG, "
                   "exit (the ticket screen takes a real ticket)")
    p.add_argument("--screen", choices=SCREENS, default="home", help="screen for --screenshot (default home)")
    p.add_argument("--unit", metavar="CODE", help="unit for --screen unit/service/ticket (default: the first)")
    p.add_argument("--service", metavar="CODE", help="sub-service for --screen service/ticket (default: the "
                   "unit's first available one)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.hub.startswith(("http://", "https://")):
        print(f"navbat kiosk: --hub must be an http:// URL, not {args.hub!r}", file=sys.stderr)
        return 2
    if not args.token:
        print("navbat kiosk: give the kiosk's device token with --token or NAVBAT_KIOSK_TOKEN "
              "(make one with `navbat device add kiosk-1 --role kiosk`)", file=sys.stderr)
        return 2
    from navbat.foundation.config import load_config

    branch = load_config(args.config)  # only for this kiosk's printer; every name shown comes from the hub
    if not args.no_printer and args.printer and branch.printer(args.printer) is None:
        known = ", ".join(p.name for p in branch.printers) or "none"
        print(f'navbat kiosk: no printer "{args.printer}" in the branch file (printers: {known})', file=sys.stderr)
        return 2
    from navbat.foundation.migrations import NewerDatabase
    from navbat.kiosk.journal import Journal

    try:
        journal = Journal(args.journal)
    except (OSError, sqlite3.Error, NewerDatabase) as exc:
        print(f"navbat kiosk: cannot open the journal {args.journal}: {exc}", file=sys.stderr)
        return 2
    from navbat.kiosk.launch import configure

    configure(fullscreen=args.fullscreen and not args.screenshot)  # wrong input is said before Kivy starts

    from navbat.foundation.hub_client import HubClient
    from navbat.kiosk.leases import LeaseKeeper, leasable
    from navbat.kiosk.printing import kiosk_printer
    from navbat.kiosk.viewmodel import KioskModel

    hub = HubClient(args.hub, args.token)
    printer = None
    if not args.no_printer:
        name = args.printer or (branch.kiosks[0].printer if branch.kiosks else None)
        if name:
            queue_db = args.queue_db or f"var/print-queue-{name}.sqlite"
            printer = kiosk_printer(branch, name, args.hub, queue_db, report=hub.report_printer).start()
    model = KioskModel(hub, printer, lang=args.lang, journal=journal)
    # No keeper for a screenshot: a picture must not take leases, nor give back those the kiosk holds.
    keeper = None if args.screenshot else LeaseKeeper(hub, journal, lambda: leasable(model.services),
                                                           model.branch_day)

    from navbat.kiosk.app import KioskApp

    app = KioskApp(model, keeper)
    if args.screenshot:
        from navbat.kiosk.snapshot import prepare, shoot

        problem = prepare(model, args.screen, args.unit, args.service)
        if problem:
            # sys.__stderr__: with KIVY_NO_CONSOLELOG set, Kivy sends sys.stderr to its log file.
            print(f"navbat kiosk: {problem}", file=sys.__stderr__)
            if printer is not None:
                printer.stop()
            return 1
        shoot(app, args.screenshot)
        print(args.screenshot)
        return 0
    # `systemctl stop` sends SIGTERM: stop the app as its window would, so the keeper sends what is left
    # and gives the leases back (on_stop) rather than leaving them to expire on the hub.
    from kivy.clock import Clock

    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))
    app.run()
    return 0
