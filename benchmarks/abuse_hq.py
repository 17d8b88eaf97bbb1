"""HQ under issue 23's slow and silent connections (run as `benchmarks/abuse.py --hq`).

    .venv/bin/python benchmarks/abuse.py --hq [--seconds 30] [--idle-connections 2000] [--slow-heads 50]
                                              [--slow-bodies 50] [--slow-every 1] [--hq-workers 1]

Starts a PostgreSQL cluster of its own and `navbat hq` on it (its log in a file), a national
manager and ten branches with a month each. A dashboard client asks, one request after another,
for the national month's summary and HQ's health: `seconds` calm, then `seconds` while the
attackers of benchmarks/slow_clients.py hold HQ (silent connections, slow heads, slow bodies of
/api/v1/hq/login, as the issue measured them: 17 such stopped HQ's health for 30 s). Printed:
p50/p99 calm and attacked, every 5xx, HQ's peak memory and how much its log grew.
Targets: attacked p99 within 2x of calm and < 300 ms, no 5xx, memory < 500 MB, a log of kilobytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg
import requests
from hub_load import pct, peak_memory_mb
from navbat.foundation import event_types as E
from slow_clients import SlowClients


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str) -> tuple[dt.date, dt.date]:
    """A national manager and ten branches with a simulated month each; the month's span."""
    from navbat.foundation.config import load_config
    from navbat.hq.accounts import add_branch, add_user
    from navbat.hq.ingest import ingest
    from navbat.hq.simulated import day_events, simulated_day
    from navbat.server.hqlink.shipping import profile

    branch = load_config()
    first = dt.date(2025, 9, 23)
    days = [first + dt.timedelta(days=d) for d in range(30)]
    with psycopg.connect(url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        add_user(conn, "bench", "national", "0000")
        for n in range(10):
            bid = f"b{n:02d}"
            add_branch(conn, bid, "تهران", "مرکزی", "1")
            after = ticket = 0
            for d, day in enumerate(days):
                events, _ = day_events(branch, day, simulated_day(branch, 60, 10 * n + d), after + 1, ticket + 1, n)
                ingest(conn, bid, {"after": after, "ratings_after": 0, "events": events, "ratings": [],
                                   "profile": profile(branch)})
                after, ticket = events[-1]["id"], ticket + sum(e["type"] == E.TICKET_ISSUED for e in events)
    return days[0], days[-1]


def _measure(url: str, token: str, span: str, seconds: float) -> tuple[list[float], Counter[str]]:
    http = requests.Session()
    auth = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    status: Counter[str] = Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path, headers in ((f"/api/v1/hq/summary?{span}", auth), ("/api/v1/health", {})):
            t = time.perf_counter()
            try:
                status[str(http.get(url + path, headers=headers, timeout=10).status_code)] += 1
            except requests.RequestException as exc:
                status[type(exc).__name__] += 1
            times.append(time.perf_counter() - t)
    return times, status


def main(ours: argparse.Namespace, rest: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--hq-workers", type=int, default=1)
    args = ap.parse_args(rest)
    from navbat.hq.pgcluster import Cluster
    from navbat.hq.store import migrate

    folder = tempfile.mkdtemp(prefix="navbat-hq-abuse-")
    Path(folder).chmod(0o755)
    cluster = Cluster(folder)
    cluster.start()
    db = cluster.create_database("hq_abuse")
    migrate(db)
    start, end = _seed(db)
    port = _free_port()
    log_path = Path(folder) / "hq.log"
    log = log_path.open("wb")
    hq = subprocess.Popen([sys.executable, "-m", "navbat", "hq", "--database", db, "--port", str(port),
                           "--workers", str(args.hq_workers)], stdout=log, stderr=subprocess.STDOUT,
                          env={**os.environ, "PYTHONSAFEPATH": "1"})  # the installed navbat, not ./navbat
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        token = requests.post(f"{url}/api/v1/hq/login", json={"username": "bench", "pin": "0000"},
                              timeout=10).json()["token"]
        span = f"from={start}&to={end}"
        calm, calm_status = _measure(url, token, span, args.seconds)
        log_before = log_path.stat().st_size
        slow = SlowClients("127.0.0.1", port, ours.idle_connections, ours.slow_heads, ours.slow_bodies,
                           "/api/v1/hq/login", ours.slow_every)
        slow.start()
        hit, hit_status = _measure(url, token, span, args.seconds)
        slow.stop()
        peak = peak_memory_mb(hq.pid)
        log_grew = log_path.stat().st_size - log_before
    finally:
        hq.terminate()
        hq.wait(10)
        log.close()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    errors = sum(n for s, n in hit_status.items() if not s.isdigit() or int(s) >= 500) + slow.server_errors()
    p99 = (pct(calm, 99) * 1000, pct(hit, 99) * 1000)
    ok = p99[1] <= 2 * p99[0] and p99[1] < 300 and not errors and peak < 500
    print(f"HQ, {args.hq_workers} process(es): dashboard summary + health, one after another, {args.seconds:g} s each")
    print(f"calm:     p50 {pct(calm, 50) * 1000:.1f} ms  p99 {p99[0]:.1f} ms  n={len(calm)} {dict(calm_status)}")
    print(f"attacked: p50 {pct(hit, 50) * 1000:.1f} ms  p99 {p99[1]:.1f} ms  n={len(hit)} {dict(hit_status)}")
    for line in slow.lines("HQ"):
        print(line)
    print(f"HQ peak memory {peak:.0f} MB; its log grew {log_grew:,} bytes under attack; 5xx or failures {errors}")
    print(f"targets (attacked p99 within 2x of calm and < 300 ms, no 5xx, < 500 MB): {'met' if ok else 'NOT met'}")
    print(f"RESULT calm_p50={pct(calm, 50) * 1000:.1f} calm_p99={p99[0]:.1f} attacked_p50={pct(hit, 50) * 1000:.1f}"
          f" attacked_p99={p99[1]:.1f} peak_mb={peak:.0f} server_errors={errors} log_bytes={log_grew}")
    return 0
