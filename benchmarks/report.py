"""Report generation time for a month of a busy branch (issue 8: 25,000 visits, target < 2 s).

Writes a month of plausible events (issue, call, recall, start, transfer, no-show, done
with outcomes, ratings) for the demo branch into a temporary hub database, then times
the monthly report (events -> figures), its CSV and its XLSX.

    .venv/bin/python benchmarks/report.py [--visits 25000] [--month 1404-07] [--repeat 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from foundation.config import load_config  # noqa: E402
from server import ratings  # noqa: E402
from server.db import open_db  # noqa: E402
from server.floor import iso  # noqa: E402
from server.reports import build_report, parse_month  # noqa: E402
from server.reports.export import to_csv, to_xlsx  # noqa: E402


def month_of_events(branch, month: str, visits: int, seed: int = 1) -> tuple[list[tuple], list[tuple]]:  # noqa: ANN001
    rnd = random.Random(seed)
    period = parse_month(month)
    days = [d for d in period.days() if d.weekday() != 4]  # Fridays closed
    services = branch.services
    serving = {s.code: [c.number for c in branch.counters if c.weight_of(s.code) > 0] for s in services}
    events, rates = [], []
    for ticket in range(1, visits + 1):
        day = rnd.choice(days)
        svc = rnd.choice(services)
        minute = rnd.triangular(0, 390, 120)  # 07:30 to 14:00, peaking mid-morning
        t = dt.datetime.combine(day, dt.time(7, 30), tzinfo=branch.tz) + dt.timedelta(minutes=minute)
        seq = ticket
        events.append((t, "ticket.issued", "kiosk-1", ticket, None, {
            "ticket": ticket, "number": svc.numbering.format(seq % 900 + 1), "seq": seq, "service": svc.code,
            "priority": "elderly" if rnd.random() < 0.2 else None, "tracking_code": f"B{ticket:07d}",
            "idempotency_key": f"k{ticket}", "device": "kiosk-1", "branch_day": day.isoformat()}))
        service, counter = svc.code, rnd.choice(serving[svc.code])
        t += dt.timedelta(minutes=rnd.expovariate(1 / 12))
        for leg in range(2):
            clerk = f"clerk{counter}"
            base = {"ticket": ticket, "number": "x", "service": service, "counter": counter}
            events.append((t, "ticket.called", clerk, ticket, counter, {**base, "clerk": clerk, "reason": "bench"}))
            if rnd.random() < 0.1:
                t += dt.timedelta(minutes=1)
                events.append((t, "ticket.recalled", clerk, ticket, counter, base))
            if rnd.random() < 0.05:
                events.append((t + dt.timedelta(minutes=2), "ticket.no_show", clerk, ticket, counter, base))
                break
            t += dt.timedelta(minutes=0.5)
            events.append((t, "ticket.started", clerk, ticket, counter, base))
            t += dt.timedelta(minutes=rnd.lognormvariate(2.1, 0.5))
            if leg == 0 and rnd.random() < 0.04:
                to = rnd.choice(services).code
                events.append((t, "ticket.transferred", clerk, ticket, counter, {**base, "from_service": service,
                                                                                   "service": to}))
                service, counter = to, rnd.choice(serving[to])
                t += dt.timedelta(minutes=rnd.expovariate(1 / 8))
                continue
            outcome = "documents_incomplete" if rnd.random() < 0.08 else "served"
            events.append((t, "ticket.done", clerk, ticket, counter, {**base, "outcome": outcome}))
            if rnd.random() < 0.3:
                rates.append((ticket, rnd.choice((1, 3, 5, 5, 5, 4)), None, "tablet", counter, clerk, service,
                              iso(t + dt.timedelta(minutes=1))))
            break
    events.sort(key=lambda e: e[0])
    rows = [(iso(at), type_, actor, tid, counter, json.dumps(data, ensure_ascii=False))
            for at, type_, actor, tid, counter, data in events]
    return rows, rates


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=25000)
    ap.add_argument("--month", default="1404-07")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    branch = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.sqlite")
        ratings.ensure(db)
        t0 = time.perf_counter()
        rows, rates = month_of_events(branch, args.month, args.visits)
        db.execute("BEGIN")
        db.conn.executemany("INSERT INTO events (at, type, actor, ticket_id, counter, data) VALUES (?,?,?,?,?,?)",
                            rows)
        db.conn.executemany("INSERT INTO ratings VALUES (?,?,?,?,?,?,?,?)", rates)
        db.execute("COMMIT")
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
