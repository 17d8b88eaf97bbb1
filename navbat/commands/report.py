"""`navbat report`: the monthly service-desk report (D9) as CSV or XLSX, from the events table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from navbat.commands._common import add_config, add_db


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
    import sqlite_utils

    from navbat.foundation.config import load_config
    from navbat.server.reports import build_report, parse_month
    from navbat.server.reports.export import to_csv, to_xlsx

    try:
        period = parse_month(args.month)
    except ValueError as exc:
        print(f"navbat report: {exc}", file=sys.stderr)
        return 2
    db_path = Path(args.db)
    if not db_path.is_file():
        print(f"navbat report: no database at {db_path} (use --db PATH)", file=sys.stderr)
        return 2
    branch = load_config(args.config)
    db = sqlite_utils.Database(db_path)
    if "events" not in db.table_names():
        print(f"navbat report: {db_path} is not a Navbat hub database (no events table)", file=sys.stderr)
        return 2
    report = build_report(db, branch, period)
    if args.format == "csv":
        text = to_csv(report, args.lang)
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        out = Path(args.out or f"navbat-{period.label}.xlsx")
        out.write_bytes(to_xlsx(report, args.lang))
    if args.out or args.format == "xlsx":
        where = args.out or f"navbat-{period.label}.xlsx"
        print(f"{period.label}: {report.total.visitors} visitors, {report.total.served} served -> {where}",
              file=sys.stderr)
    return 0
