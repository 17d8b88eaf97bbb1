"""`navbat report`: the monthly service-desk report (D9) as CSV or XLSX, from the events table."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from navbat.commands._common import Refused, add_config, add_db, hub_database, jalali_year_ok, writable_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="monthly report (Jalali month) as CSV or XLSX")
    p.add_argument("--month", required=True, help="Jalali month, e.g. 1404-07")
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    p.add_argument("--out", default=None, help="output file (default: stdout for csv, navbat-<month>.xlsx)")
    p.add_argument("--lang", choices=("en", "fa"), default="en", help="language of the sub-service names")
    add_db(p)
    add_config(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.foundation import sqlite_db
    from navbat.foundation.config import load_config
    from navbat.server.reports import build_report, parse_month
    from navbat.server.reports.export import to_csv, to_xlsx

    try:
        period = parse_month(args.month)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    jalali_year_ok(int(period.label.split("-")[0]))
    out = None
    if args.out or args.format == "xlsx":
        out = writable_file(args.out or f"navbat-{period.label}.xlsx", "--out")
    db_path = hub_database(args.db)
    branch = load_config(args.config)
    db = sqlite_db.database(db_path)
    report = build_report(db, branch, period)
    if out is None:
        sys.stdout.write(to_csv(report, args.lang))
        return 0
    data = to_csv(report, args.lang).encode("utf-8") if args.format == "csv" else to_xlsx(report, args.lang)
    _write_whole(out, data)
    print(f"{period.label}: {report.total.visitors} visitors, {report.total.served} served -> {out}", file=sys.stderr)
    return 0


def _write_whole(out: Path, data: bytes) -> None:
    """All of the file or none of it: a temporary file beside it, renamed over it."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as exc:
        raise Refused(f"--out {out}: cannot write in {out.parent} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise Refused(f"--out {out}: {exc.strerror or exc}") from None
