"""What requests answered later (issue 16) add to a busy month's report: the seeded month of
visits (benchmarks/seed_month.py) plus one request per `--share` of the visits, most answered;
times the requests' figures alone (events -> figures) and the whole monthly report.

    .venv/bin/python benchmarks/request_figures.py [--visits 25000] [--share 0.1] [--month 1404-07] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml
from navbat.foundation import event_types as E
from navbat.foundation.config import DEFAULT_CONFIG, load_config  # noqa: E402
from navbat.server.floor.db import open_db  # noqa: E402
from navbat.server.reports import build_report, parse_month  # noqa: E402
from navbat.server.reports.requests import load_events, request_figures  # noqa: E402
from seed_month import month_of_events, seed_events


def request_rows(rows: list[tuple], share: float, rnd: random.Random) -> list[tuple]:
    """A request.opened for a share of the visits' done events, and most of them answered days later."""
    out = []
    for at, type_, actor, ticket, counter, data in rows:
        if type_ != E.TICKET_DONE or rnd.random() >= share:
            continue
        d = json.loads(data)
        when = dt.datetime.fromisoformat(at)
        days = rnd.choice((3, 7, 10))
        opened = {"ticket": ticket, "tracking_code": f"T{ticket:07d}", "number": d.get("number", ""),
                  "service": d["service"], "unit": None, "opened_day": when.date().isoformat(),
                  "due": (when + dt.timedelta(days=days)).date().isoformat(), "working_days": days}
        out.append((at, E.REQUEST_OPENED, actor, ticket, counter, json.dumps(opened)))
        if rnd.random() < 0.8:
            taken = rnd.randint(1, 12)
            answered = {**opened, "result": "ok", "on_time": taken <= days, "days_taken": taken}
            out.append(((when + dt.timedelta(days=taken * 1.3)).isoformat(timespec="microseconds"),
                        E.REQUEST_ANSWERED, actor, ticket, None, json.dumps(answered)))
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=25000)
    ap.add_argument("--share", type=float, default=0.1)
    ap.add_argument("--month", default="1404-07")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    branch = load_config()
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        db = open_db(path)
        rows, rates = month_of_events(raw, args.month, args.visits, rate=True)
        extra = request_rows(rows, args.share, random.Random(16))
        seed_events(path, rows + extra, rates)
        period = parse_month(args.month)
        start, end = period.bounds_utc(branch.tz)
        best_fig, best_all = 1e9, 1e9
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            figures = request_figures(load_events(db, start, end, branch.tz), period.start, period.end)
            t1 = time.perf_counter()
            build_report(db, branch, period)
            t2 = time.perf_counter()
            best_fig, best_all = min(best_fig, t1 - t0), min(best_all, t2 - t1)
        total = figures["total"]
        print(f"{args.visits:,} visits, {len(rows):,} visit events + {len(extra):,} request events; "
              f"{total['opened']:,} opened, {total['answered']:,} answered in {args.month}, "
              f"{total['on_time_pct']:.1f} % on time, mean {total['mean_days_to_answer']:.2f} working days")
        print(f"best of {args.repeat}: requests' figures {best_fig:.3f} s; whole monthly report {best_all:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
