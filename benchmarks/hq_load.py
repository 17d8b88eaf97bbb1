"""Headquarters under a country's branches (issue 17, F5).

    .venv/bin/python benchmarks/hq_load.py [--branches 1000] [--days 30] [--cut 100] [--workers 8]
                                           [--database postgresql://...] [--check]

N simulated branches (31 provinces weighted by population, sizes by type: premium .. medical,
about 12,000 visitors a day in all as F5 says) push `days` days of events into one `navbat hq`
(its own process, over HTTP, as the branches' shippers drain a backlog: batches of at most 1,000
events, `workers` branches sending at once). The days come from the queueing simulator (the
hub's call rule on the demo branch file's counters), one simulated day per size class and seed,
replayed under every branch's own ids and dates. Printed:
- events/s ingested (rollups updated on each batch, as in production);
- the drain time of a 24-hour WAN cut of `cut` branches: their last day is held back, then
  sent at once;
- p50/p95 of the dashboard's queries (national month, one province, one branch's sub-services)
  on the month, and on a year: the month's rollup rows copied into the eleven months before it
  (rollups only: the events are not copied, the dashboard never reads them).
With --check, the scrape of HQ's /metrics and `navbat check --database` on the month are timed too.
Without --database it starts a PostgreSQL cluster of its own in a temporary folder.
Targets: >= 5,000 events/s; dashboard p95 < 300 ms for a month and < 1 s for a year.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests
from navbat.foundation import event_types as E
from navbat.foundation.config import load_config  # noqa: E402
from navbat.hq.accounts import add_branch, add_user  # noqa: E402
from navbat.hq.dbcheck import check  # noqa: E402
from navbat.hq.months import refresh_month, split  # noqa: E402
from navbat.hq.pgcluster import Cluster  # noqa: E402
from navbat.hq.simulated import day_events, simulated_day  # noqa: E402
from navbat.hq.store import migrate  # noqa: E402
from navbat.server.hqlink.shipping import profile  # noqa: E402

# Provinces by population (millions, 2016 census, rounded): where the branches are.
PROVINCES = {"تهران": 13.3, "خراسان رضوی": 6.4, "اصفهان": 5.1, "فارس": 4.9, "خوزستان": 4.7, "آذربایجان شرقی": 3.9,
             "مازندران": 3.3, "آذربایجان غربی": 3.3, "کرمان": 3.2, "سیستان و بلوچستان": 2.8, "البرز": 2.7,
             "گیلان": 2.5, "کرمانشاه": 1.95, "گلستان": 1.9, "لرستان": 1.8, "هرمزگان": 1.8, "همدان": 1.7,
             "کردستان": 1.6, "مرکزی": 1.4, "قم": 1.3, "اردبیل": 1.3, "قزوین": 1.3, "یزد": 1.1, "زنجان": 1.06,
             "بوشهر": 1.16, "چهارمحال و بختیاری": 0.95, "خراسان شمالی": 0.86, "کهگیلویه و بویراحمد": 0.71,
             "خراسان جنوبی": 0.77, "سمنان": 0.7, "ایلام": 0.58}
# Type -> (share of branches, visitors a day): D1's premium, grades 1-5 and medical-document offices.
TYPES = {"premium": (0.03, 60), "1": (0.12, 25), "2": (0.2, 15), "3": (0.25, 10), "4": (0.2, 7), "5": (0.1, 5),
         "medical": (0.1, 6)}
SEEDS = 6  # simulated days per size class; branch-days reuse them under their own ids and dates
FIRST_DAY = dt.date(2025, 9, 23)  # 1 Mehr 1404: a Jalali month from here


def make_branches(n: int, rng: random.Random) -> list[tuple[str, str, str, str, int]]:
    provinces, weights = list(PROVINCES), list(PROVINCES.values())
    types, shares = list(TYPES), [s for s, _ in TYPES.values()]
    out = []
    for i in range(n):
        province = rng.choices(provinces, weights)[0]
        type_ = rng.choices(types, shares)[0]
        out.append((f"b{i:04d}", province, f"{province} {1 + rng.randrange(4)}", type_, TYPES[type_][1]))
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Fleet:
    """The simulated branches: their days, and where each one's shipper stands."""

    def __init__(self, branches: list, days: int) -> None:
        self.config = load_config()
        self.profile = profile(self.config)
        self.sims = {(size, s): simulated_day(self.config, size, 1000 * size + s)
                     for size in {b[4] for b in branches} for s in range(SEEDS)}
        self.branches, self.days = branches, days
        self.after = {b[0]: 0 for b in branches}
        self.ticket = {b[0]: 0 for b in branches}
        self.rseq = {b[0]: 0 for b in branches}
        self.tokens: dict[str, str] = {}

    def send_days(self, url: str, branch: tuple, day_numbers: range) -> int:
        """One branch's days as its shipper drains a backlog: the log in batches of at most 1,000
        events, the ratings with the last batch; returns the events sent."""
        bid, size = branch[0], branch[4]
        events, ratings = [], []
        for d in day_numbers:
            sim = self.sims[(size, (hash(bid) + d) % SEEDS)]
            day, day_ratings = day_events(self.config, FIRST_DAY + dt.timedelta(days=d), sim,
                                          self.after[bid] + len(events) + 1, self.ticket[bid] + 1, d)
            self.ticket[bid] += sum(e["type"] == E.TICKET_ISSUED for e in day)
            events += day
            ratings += day_ratings
        ratings_after = self.rseq[bid]
        for r in ratings:
            self.rseq[bid] += 1
            r["seq"] = self.rseq[bid]
        last_id = events[-1]["id"] if events else self.after[bid]
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.tokens[bid]}"
        for start in range(0, max(len(events), 1), 1000):
            chunk, final = events[start:start + 1000], start + 1000 >= len(events)
            body = {"after": self.after[bid], "ratings_after": ratings_after, "last_id": last_id, "events": chunk,
                    "ratings": ratings if final else [], "profile": self.profile}
            r = http.post(f"{url}/api/v1/hq/ingest", json=body, timeout=300)
            r.raise_for_status()
            self.after[bid] = r.json()["events_hwm"]
        http.close()
        return len(events)


def push(fleet: Fleet, url: str, branches: list, days: range, workers: int) -> tuple[int, float]:
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(workers) as pool:
        sent = sum(pool.map(lambda b: fleet.send_days(url, b, days), branches))
    return sent, time.perf_counter() - start


def queries(url: str, token: str, start: dt.date, end: dt.date, province: str, branch: str, n: int = 30) -> dict:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    span = f"from={start}&to={end}"
    paths = {"national": f"/api/v1/hq/summary?{span}", "province": f"/api/v1/hq/summary?{span}&province={province}",
             "branch": f"/api/v1/hq/branches/{branch}/services?{span}"}
    out = {}
    for name, path in paths.items():
        times = []
        for _ in range(n):
            t = time.perf_counter()
            r = http.get(url + path, timeout=60)
            r.raise_for_status()
            times.append(1000 * (time.perf_counter() - t))
        out[name] = (p(times, 0.5), p(times, 0.95))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--branches", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--cut", type=int, default=100, help="branches whose last day is held back (WAN cut)")
    ap.add_argument("--workers", type=int, default=8, help="branches sending at once")
    ap.add_argument("--database", help="an empty PostgreSQL database (default: a cluster of our own)")
    ap.add_argument("--port", type=int, default=8097)
    ap.add_argument("--hq-workers", type=int, default=1, help="HQ's processes (navbat hq --workers)")
    ap.add_argument("--check", action="store_true", help="time navbat check --database on the month (issue 14)")
    args = ap.parse_args()

    cluster = None
    if not args.database:
        folder = tempfile.mkdtemp(prefix="navbat-hq-bench-")
        Path(folder).chmod(0o755)
        cluster = Cluster(folder)
        cluster.start()
        args.database = cluster.create_database("hq_bench")
    migrate(args.database)
    rng = random.Random(17)
    branches = make_branches(args.branches, rng)
    fleet = Fleet(branches, args.days)
    with psycopg.connect(args.database, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        for b in branches:
            fleet.tokens[b[0]] = add_branch(conn, b[0], b[1], b[2], b[3])
        add_user(conn, "bench", "national", "0000")
    hq = subprocess.Popen([sys.executable, "-m", "navbat", "hq", "--database", args.database, "--port", str(args.port),
                           "--workers", str(args.hq_workers)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        print(f"{args.branches} branches, {args.days} days, {args.workers} sending at once, {args.hq_workers} HQ "
              "processes, "
              f"{sum(b[4] for b in branches)} visitors a day nominal")
        cut = branches[: args.cut]
        sent, took = push(fleet, url, branches, range(args.days - 1), args.workers)
        sent2, took2 = push(fleet, url, branches[args.cut:], range(args.days - 1, args.days), args.workers)
        total, seconds = sent + sent2, took + took2
        print(f"ingested: {total} events in {seconds:.1f} s = {total / seconds:,.0f} events/s")
        drained, drain = push(fleet, url, cut, range(args.days - 1, args.days), args.workers)
        print(f"WAN cut of {len(cut)} branches for 24 h: backlog of {drained} events drained in {drain:.1f} s "
              f"({drained / drain:,.0f} events/s)")
        token = requests.post(f"{url}/api/v1/hq/login", json={"username": "bench", "pin": "0000"}).json()["token"]
        took = time.perf_counter()
        scrape = requests.get(f"{url}/metrics", timeout=60)
        print(f"/metrics: {len(scrape.content):,} bytes in {(time.perf_counter() - took) * 1000:.0f} ms")
        if args.check:  # every rollup folded again from the events (issue 14): before the year's copied rows
            took = time.perf_counter()
            problems = check(args.database)
            print(f"navbat check --database: {'ok' if not problems else problems[:3]} in "
                  f"{time.perf_counter() - took:.1f} s")
        end = FIRST_DAY + dt.timedelta(days=args.days - 1)
        busiest = max(branches, key=lambda b: b[4])
        month = queries(url, token, FIRST_DAY, end, "تهران", busiest[0])
        with psycopg.connect(args.database, autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM daily").fetchone()[0]
            for k in range(1, 12):  # a year of rollups: the month's rows, moved back k months
                conn.execute("INSERT INTO daily SELECT branch, day - %s, service, unit, visitors, called, mean_wait, "
                             "p90_wait, within_target, within_target_pct, served, mean_service, no_shows, transfers, "
                             "docs_incomplete, docs_incomplete_pct, ratings, satisfaction, satisfied, satisfied_pct, "
                             "complaints, waits FROM daily WHERE day >= %s", [31 * k, FIRST_DAY])
            year_start = FIRST_DAY - dt.timedelta(days=31 * 11)
            months, _ = split(year_start, end + dt.timedelta(days=31))
            for month_start in months:  # and their monthly rollups, as ingest keeps them
                refresh_month(conn, None, month_start)
            conn.execute("ANALYZE daily")
            conn.execute("ANALYZE monthly")
        year = queries(url, token, year_start, end, "تهران", busiest[0])
        print(f"rollup rows: {rows} for the month, {rows * 12} for the year")
        for label, result in (("month", month), ("year", year)):
            print(f"dashboard, {label}: " + ", ".join(f"{k} p50 {v[0]:.0f} ms p95 {v[1]:.0f} ms"
                                                     for k, v in result.items()))
    finally:
        hq.terminate()
        hq.wait(10)
        if cluster:
            cluster.stop()
            shutil.rmtree(cluster.folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
