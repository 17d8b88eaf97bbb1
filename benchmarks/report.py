"""Report generation time for a month of a busy branch (issue 8: 25,000 visits, target < 2 s).

Writes a month of plausible events (issue, call, recall, start, transfer, no-show, done
with outcomes, ratings) for the demo branch into a temporary hub database, then times
the monthly report (events -> figures), its CSV and its XLSX.

    .venv/bin/python benchmarks/report.py [--visits 25000] [--month 1404-07] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml
from navbat.foundation.config import DEFAULT_CONFIG, load_config  # noqa: E402
from navbat.server.floor.db import open_db  # noqa: E402
from navbat.server.reports import build_report, parse_month  # noqa: E402
from navbat.server.reports.export import to_csv, to_xlsx  # noqa: E402
from seed_month import month_of_events, seed_events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=25000)
    ap.add_argument("--month", default="1404-07")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    branch = load_config()
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        db = open_db(path)  # the hub's schema
        t0 = time.perf_counter()
        rows, rates = month_of_events(raw, args.month, args.visits, rate=True)
        seed_events(path, rows, rates)
        print(f"wrote {args.visits:,} visits = {len(rows):,} events, {len(rates):,} ratings "
              f"in {time.perf_counter() - t0:.1f} s")
        period = parse_month(args.month)
        best = {"report": 1e9, "csv": 1e9, "xlsx": 1e9}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = build_report(db, branch, period)
            t1 = time.perf_counter()
            to_csv(report)
            t2 = time.perf_counter()
            to_xlsx(report)
            t3 = time.perf_counter()
            best = {"report": min(best["report"], t1 - t0), "csv": min(best["csv"], t2 - t1),
                    "xlsx": min(best["xlsx"], t3 - t2)}
        total = sum(best.values())
        print(f"month {args.month}: {report.total.visitors:,} visitors, {report.total.served:,} served, "
              f"mean wait {report.total.mean_wait:.1f} min, p90 {report.total.p90_wait:.1f} min")
        print(f"best of {args.repeat}: figures {best['report']:.3f} s, CSV {best['csv']:.3f} s, "
              f"XLSX {best['xlsx']:.3f} s; total {total:.3f} s (target < 2 s: {'OK' if total < 2 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
