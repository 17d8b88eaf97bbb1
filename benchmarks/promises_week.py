"""The printed wait, measured live on a simulated week, next to what the simulator says (issue 24).

The simulator (queueing/) draws a busy week's visitors for the demo branch; the same visitors are
then driven through a real hub (its API, its call rule, its estimates) on a hand-moved clock: each
takes a ticket at the kiosk when they arrive (the hub keeps the range it printed: `ticket.promised`),
the counters call next when free and finish after the visitor's service time. The hub's own report
then says, per sub-service, how often the call fell inside the printed range and the mean error of
the printed estimate; the simulator's run of the same visitors says what it expected.

    .venv/bin/python -P benchmarks/promises_week.py [--days 6] [--seed 1] [--json] [--hq]

With --hq the week is then shipped to a real `navbat hq` (its own process on a PostgreSQL cluster of
its own, started here) by the hub's shipper, and HQ's dashboard figures for the same days are printed
beside the head's: GET /api/v1/hq/promises (the branch and its province) and the in-target share of
GET /api/v1/hq/summary.

Slow on purpose: before every ticket the hub's estimate is brought up to date (as a kiosk that
waited for it), which is one engine replay per visitor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import requests
from navbat.foundation.config import load_config
from navbat.queueing.branch import counters_from_branch, rules_from_branch
from navbat.queueing.figures import summarise
from navbat.queueing.profiles import busy_day
from navbat.queueing.simulate import DAY, draw_visitors, run_policy
from navbat.server.hqlink.shipping import Shipper
from navbat.server.hub import EXTENSION
from navbat.server.reports import build_report, parse_month
from navbat.server.web.app import create_app
from navbat.server.web.auth import add_device, add_user

FIRST_DAY = dt.date(2026, 11, 22)  # 1 Azar 1405: a week inside one Jalali month (the report's period)
MONTH = "1405-09"


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


def at_hq(hub: Any, days: int) -> dict[str, Any]:
    """Ships the hub's log to a `navbat hq` of its own (as a linked hub does) and asks HQ's API for the
    days' promise figures and in-target share: what the national manager's dashboard shows."""
    from navbat.hq.accounts import add_branch, add_user
    from navbat.hq.pgcluster import Cluster
    from navbat.hq.store import migrate
    from psycopg.rows import dict_row

    folder = Path(tempfile.mkdtemp(prefix="navbat-promises-hq-"))
    folder.chmod(0o755)
    cluster = Cluster(folder)
    cluster.start()
    database = cluster.create_database("hq_promises")
    migrate(database)
    with psycopg.connect(database, autocommit=True, row_factory=dict_row) as conn:
        token = add_branch(conn, hub.branch.branch.id, "تهران", "مرکزی", "1")
        add_user(conn, "bench", "national", "0000")
    port = free_port()
    hq = subprocess.Popen([sys.executable, "-P", "-m", "navbat", "hq", "--database", database, "--port", str(port)],
                          stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    shipper = Shipper(hub.store.path, hub.branch, url, token, batch=1000).open()
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts HQ slowly
        while True:
            try:
                if requests.get(f"{url}/api/v1/health", timeout=5).ok:
                    break
            except requests.ConnectionError:
                if hq.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"navbat hq did not start (exit {hq.poll()})") from None
                time.sleep(0.2)
        while shipper.ship_once():  # full batches: more to send
            pass
        boss = {"Authorization": "Bearer " + requests.post(f"{url}/api/v1/hq/login", timeout=30,
                                                           json={"username": "bench", "pin": "0000"}).json()["token"]}
        span = {"from": FIRST_DAY.isoformat(), "to": (FIRST_DAY + dt.timedelta(days=days - 1)).isoformat()}
        promises = requests.get(f"{url}/api/v1/hq/promises", params=span, headers=boss, timeout=120).json()
        summary = requests.get(f"{url}/api/v1/hq/summary", params=span, headers=boss, timeout=120).json()
    finally:
        shipper.stop()
        hq.terminate()
        hq.wait(10)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return {"branch": promises["branches"], "province": promises["provinces"],
            "sla_pct": [b["sla_pct"] for b in summary["branches"]]}


def free_port() -> int:
    """A free loopback port (closed again before HQ binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(days: int, seed: int, hq: bool = False) -> dict[str, Any]:
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules)
    visitors = draw_visitors(profile, days, seed)
    counters = counters_from_branch(branch, 2)
    outcomes, busy = run_policy("navbat", visitors, counters, rules, profile, estimate=True)
    simulated = summarise(outcomes, busy, len(counters), days, profile, rules)

    opening = dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=branch.tz) + dt.timedelta(minutes=profile.open_minute)
    clock = Clock(opening)
    folder = Path(tempfile.mkdtemp(prefix="navbat-promises-"))
    app = create_app({"BRANCH": branch, "DB_PATH": str(folder / "hub.sqlite"), "IGNORE_HOURS": True, "CLOCK": clock})
    hub = app.extensions[EXTENSION]
    db = hub.store.writer
    kiosk = {"Authorization": f"Bearer {add_device(db, 'kiosk-1', 'kiosk')}"}
    client = app.test_client()
    clerks = {}
    for c in counters:
        add_user(db, f"clerk{c.number}", "clerk", "1234")

    def morning() -> None:
        """Each clerk logs in at their counter and opens it: a session ends with its branch day, so
        a week needs a login a day (before, days 2..6 were never called and their tickets expired)."""
        for c in counters:
            r = client.post("/api/v1/login", json={"username": f"clerk{c.number}", "pin": "1234", "counter": c.number})
            assert r.status_code == 200, r.json
            clerks[c.number] = {"Authorization": f"Bearer {r.json['token']}"}
            opened = client.post(f"/api/v1/counters/{c.number}/open", headers=clerks[c.number])
            assert opened.status_code in (200, 409), opened.json  # 409: still open from the day before

    morning()

    def at(seconds: float) -> dt.datetime:
        day, rest = divmod(seconds, DAY)
        return opening + dt.timedelta(days=day, seconds=rest)

    by_ticket: dict[int, Any] = {}
    heap: list[tuple[float, int, str, Any]] = [(v.arrival, 0, "arrive", v) for v in visitors]
    heapq.heapify(heap)
    order = 1
    idle = {c.number for c in counters}

    def call(number: int, now: float) -> None:
        nonlocal order
        r = client.post(f"/api/v1/counters/{number}/next", headers=clerks[number])
        if r.status_code != 200 or not r.json:
            assert r.status_code in (200, 204, 404, 409), (r.status_code, r.json)  # an empty queue, not a refusal
            idle.add(number)
            return
        idle.discard(number)
        v = by_ticket[r.json["id"]]
        if v.no_show:
            client.post(f"/api/v1/counters/{number}/no-show", headers=clerks[number])
            heapq.heappush(heap, (now + profile.no_show_min * 60, order, "free", number))
        else:
            heapq.heappush(heap, (now + v.minutes * 60, order, "done", number))
        order += 1

    today = 0
    while heap:
        now, _, kind, item = heapq.heappop(heap)
        clock.now = at(now)
        if int(now // DAY) != today:
            today = int(now // DAY)
            morning()
        if kind == "arrive":
            hub.estimates.settled(5.0)  # the kiosk shows the latest estimate
            r = client.post("/api/v1/tickets", json={"service": item.service, "priority": item.priority},
                            headers={**kiosk, "Idempotency-Key": f"v{item.id}"})
            assert r.status_code == 201, r.json
            by_ticket[r.json["id"]] = item
            for number in sorted(idle):
                call(number, now)
        else:
            if kind == "done":
                client.post(f"/api/v1/counters/{item}/done", headers=clerks[item])
            call(item, now)
    report = build_report(hub.floor.db, branch, parse_month(MONTH)).as_dict()
    hq_figures = at_hq(hub, days) if hq else None
    hub.stop()
    return {"days": days, "seed": seed, "visitors": len(visitors), "hub": report["promises"],
            "hub_in_target_pct": report["total"]["within_target_pct"], "hq": hq_figures,
            "simulator": {k: simulated[k] for k in ("visitors", "mean_wait_min", "estimate_mae_min",
                                                    "estimate_range_coverage_pct", "range_coverage_waited_pct")}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/promises_week.py")
    p.add_argument("--days", type=int, default=6)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.add_argument("--hq", action="store_true", help="ship the week to a navbat hq of its own and print its figures")
    args = p.parse_args(argv)
    out = drive(args.days, args.seed, args.hq)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"{out['visitors']} visitors over {out['days']} days (seed {out['seed']})")
    print(f"{'sub-service':<12}{'promised':>9}{'judged':>8}{'inside %':>10}{'mean err':>10}{'mean |err|':>11}")
    for r in out["hub"]:
        pct = "-" if r["inside_pct"] is None else f"{r['inside_pct']:.1f}"
        err = "-" if r["mean_error"] is None else f"{r['mean_error']:+.1f}"
        mae = "-" if r["mean_abs_error"] is None else f"{r['mean_abs_error']:.1f}"
        print(f"{r['key']:<12}{r['promised']:>9}{r['judged']:>8}{pct:>10}{err:>10}{mae:>11}")
    s = out["simulator"]
    print(f"simulator, same visitors: in range {s['estimate_range_coverage_pct']} % (all), "
          f"{s['range_coverage_waited_pct']} % (those who waited); estimate MAE {s['estimate_mae_min']} min; "
          f"mean wait {s['mean_wait_min']} min")
    print(f"in target (the head's report): {out['hub_in_target_pct']:.1f} %")
    if out["hq"] is not None:
        for level in ("branch", "province"):
            for r in out["hq"][level]:
                pct = "-" if r["inside_pct"] is None else f"{r['inside_pct']:.1f}"
                err = "-" if r["mean_error"] is None else f"{r['mean_error']:+.1f}"
                print(f"HQ {level} {r['key']}: promised {r['promised']}, judged {r['judged']}, inside {pct} %, "
                      f"mean error {err} min")
        print(f"HQ in target: {out['hq']['sla_pct']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
