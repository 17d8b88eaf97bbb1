"""A branch's public pages through HQ's relay (issue 18): what the relay costs a visitor.

    .venv/bin/python benchmarks/hq_relay.py [--requests 200] [--threads 8]

Starts a PostgreSQL cluster in a temporary folder, `navbat hq` in its own process, and a branch
hub (server.serve's uvicorn, a temporary database) whose relay client long-polls that HQ. Then
GET /join?service=PN1 (the page a phone opens first) `--requests` times one after another straight
from the hub and through HQ (/b/<branch>/join), and again with `--threads` visitors at once
through HQ; then cuts the branch's link and times HQ's refusal (503). Printed: p50/p95 ms and
pages a second. Loopback only: a real WAN adds its round trip to every relayed request.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import requests
from navbat.foundation.config import load_config
from navbat.hq.accounts import add_branch
from navbat.hq.pgcluster import Cluster
from navbat.hq.store import migrate
from navbat.server.app import create_app
from navbat.server.relay import RelayClient
from navbat.server.serve import HubServer

BRANCH = "tehran-01"
PORT = 8097


_local = threading.local()  # one keep-alive session per visitor thread


def timed(url: str, n: int, threads: int = 1) -> tuple[list[float], float, set[int]]:
    def one(_: int) -> tuple[float, int]:
        if not hasattr(_local, "http"):
            _local.http = requests.Session()
        t = time.perf_counter()
        status = _local.http.get(url, timeout=30).status_code
        return (time.perf_counter() - t) * 1000, status

    start = time.perf_counter()
    with cf.ThreadPoolExecutor(threads) as pool:
        got = list(pool.map(one, range(n)))
    return [g[0] for g in got], n / (time.perf_counter() - start), {g[1] for g in got}


def line(what: str, ms: list[float], rate: float, statuses: set[int]) -> None:
    q = statistics.quantiles(ms, n=20)
    print(f"{what:<38} p50 {statistics.median(ms):6.1f} ms  p95 {q[18]:6.1f} ms  {rate:6.0f}/s",
          f"HTTP {sorted(statuses)}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="navbat-relay-bench-")
    Path(folder).chmod(0o755)
    cluster = Cluster(folder)
    cluster.start()
    hq = client = server = None
    try:
        url = cluster.create_database("hq_relay")
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            from psycopg.rows import dict_row

            conn.row_factory = dict_row
            token = add_branch(conn, BRANCH, "تهران", "مرکزی", "1")
        hq = subprocess.Popen([sys.executable, "-m", "navbat", "hq", "--database", url, "--port", str(PORT)],
                              stdout=subprocess.DEVNULL)
        hq_url = f"http://127.0.0.1:{PORT}"
        for _ in range(300):
            try:
                if requests.get(f"{hq_url}/api/v1/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        app = create_app({"BRANCH": load_config(), "DB_PATH": f"{folder}/hub.sqlite", "IGNORE_HOURS": True,
                          "SMS_LOG": f"{folder}/sms.log"})
        server = HubServer(app, "127.0.0.1", 0)
        stop_server = server.start_in_thread()
        hub_url = f"http://127.0.0.1:{server.port}"
        client = RelayClient(app, hq_url, token).start()
        time.sleep(1.0)
        page = "/join?service=PN1"
        timed(f"{hq_url}/b/{BRANCH}{page}", 20)  # warm both up
        line("straight from the hub", *timed(f"{hub_url}{page}", args.requests))
        line("through HQ, one visitor at a time", *timed(f"{hq_url}/b/{BRANCH}{page}", args.requests))
        line(f"through HQ, {args.threads} visitors at once", *timed(f"{hq_url}/b/{BRANCH}{page}", args.requests,
                                                                   args.threads))
        client.stop()
        client = None
        time.sleep(25)  # the poll held at HQ ends (20 s) and the grace passes (3 s)
        line("branch offline: HQ's refusal", *timed(f"{hq_url}/b/{BRANCH}{page}", args.requests))
        stop_server()
    finally:
        if client:
            client.stop()
        if hq:
            hq.terminate()
            hq.wait(10)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
