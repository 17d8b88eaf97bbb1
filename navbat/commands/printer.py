"""`navbat printer test [--printer NAME] [--config PATH]`: print a full demo ticket.

With no --printer it uses the branch's first printer; on the demo branch that is a
file printer, so a fresh checkout gets var/tickets/<number>.bin and .png.
"""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import add_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("printer", help="ticket printers")
    actions = p.add_subparsers(dest="action", required=True)
    test = actions.add_parser("test", help="print a demo ticket (Persian text, QR code, barcode, cut)")
    test.add_argument("--printer", default=None, metavar="NAME", help="printer name from the branch file")
    test.add_argument("--lang", default="fa", choices=("fa", "en"), help="ticket language (default fa)")
    add_config(test)
    test.set_defaults(run=run_test)
    preview = actions.add_parser("preview", help="draw the demo ticket as a PNG (what the paper will show)")
    preview.add_argument("out", help="PNG file to write")
    preview.add_argument("--width", type=int, default=80, choices=(58, 80), help="paper width in mm (default 80)")
    preview.add_argument("--profile", default="TM-T88V", help="python-escpos printer profile (default TM-T88V)")
    preview.add_argument("--lang", default="fa", choices=("fa", "en"))
    preview.add_argument("--at", default=None, metavar="ISO_TIME", help="issue time (default now): 2026-11-22T06:35Z")
    add_config(preview)
    preview.set_defaults(run=run_preview)
    listing = actions.add_parser("list", help="USB printers and serial ports here, with the line for the branch file")
    listing.add_argument("--sysfs", default=None, help=argparse.SUPPRESS)  # tests: a sysfs tree of their own
    listing.set_defaults(run=run_list)


def run_list(args: argparse.Namespace) -> int:
    from pathlib import Path

    from navbat.printer.discover import SYSFS_USB, discover

    found = discover(Path(args.sysfs) if args.sysfs else SYSFS_USB)
    if not found:
        print("no USB printer or serial port found", file=sys.stderr)
        return 1
    for f in found:
        print(f"# {f.kind} {f.where}: {f.description}")
        print(f"  {f.line()}")
    print("# paste the lines under `printers:` in the branch file; set width_mm and profile to the printer's")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config
    from navbat.printer.demo import demo_slip
    from navbat.printer.devices import PrinterOffline, TicketFolder, open_printer, send_ticket
    from navbat.printer.status import query_status

    branch = load_config(args.config)
    if not branch.printers:
        print("navbat printer test: the branch file lists no printers", file=sys.stderr)
        return 2
    cfg = branch.printer(args.printer) if args.printer else branch.printers[0]
    if cfg is None:
        names = ", ".join(p.name for p in branch.printers)
        print(f'navbat printer test: no printer "{args.printer}" (the branch has: {names})', file=sys.stderr)
        return 2
    slip = demo_slip(branch, lang=args.lang, specimen=True)
    try:
        device = open_printer(cfg)
        answer = query_status(device)
        if answer is not None and answer[0] in ("paper_out", "offline"):
            print(f"navbat printer test: {cfg.name} cannot print: {answer[1]}", file=sys.stderr)
            return 1
        sent = send_ticket(device, slip, cfg.width_mm)
        device.close()
    except (PrinterOffline, OSError) as exc:
        print(f"navbat printer test: {cfg.name}: {exc}", file=sys.stderr)
        return 1
    where = ""
    if isinstance(device, TicketFolder) and device.last_files:
        where = ": " + " and ".join(str(p) for p in device.last_files)
    print(f"printed test ticket {slip.number} on {cfg.name} ({cfg.type}, {cfg.width_mm} mm), {sent} bytes{where}")
    if answer is not None and answer[0] != "ok":
        print(f"warning: {answer[1]}")
    return 0


def run_preview(args: argparse.Namespace) -> int:
    import datetime as dt

    from navbat.foundation.config import load_config
    from navbat.printer.demo import demo_slip
    from navbat.printer.layout import preview_png, ticket_bytes

    when = None
    if args.at:
        try:
            when = dt.datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        except ValueError:
            print(f"navbat printer preview: --at {args.at!r} is not an ISO 8601 time", file=sys.stderr)
            return 2
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    from navbat.commands._common import writable_file

    out = writable_file(args.out, "OUT")
    slip = demo_slip(load_config(args.config), when=when, lang=args.lang)
    try:
        image = preview_png(slip, args.width, args.profile)
        size = len(ticket_bytes(slip, args.width, args.profile))
        image.save(out, format="PNG", optimize=True)
    except (ValueError, OSError) as exc:
        print(f"navbat printer preview: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({image.width}x{image.height}); the ticket is {size} bytes of ESC/POS")
    return 0
