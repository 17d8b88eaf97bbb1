"""Remote turns with a hanging SMS gateway (issue 18 A): requests never wait for SMS.

    .venv/bin/python benchmarks/remote_turns.py [--phones 200] [--threads 8] [--hang 5]

Runs the hub (server.serve's uvicorn, a temporary database) against a fake gateway on 127.0.0.1
that holds every request for --hang seconds before failing it. --phones phones each ask for a code
(POST /remote/verify) and take a turn with it (POST /remote/tickets, the code read from the
outbox, as a phone reads its SMS); --threads at a time. Printed: p50/p99 of both requests, and
how many SMS the outbox holds for retrying at the end. Target: p99 of both well under the gateway's
hang (a send happens only on the worker).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from navbat.foundation.config import load_config  # noqa: E402
from navbat.foundation.remote import Sms, SmsGateway  # noqa: E402
from navbat.server.hub import EXTENSION  # noqa: E402
from navbat.server.visitors import verify  # noqa: E402
from navbat.server.web.app import create_app  # noqa: E402
from navbat.server.web.serve import HubServer  # noqa: E402


def hanging_gateway(hang: float) -> ThreadingHTTPServer:
    class Hang(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            time.sleep(hang)
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--phones", type=int, default=200)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--hang", type=float, default=5.0)
    args = p.parse_args()
    verify.ADDRESS_PER_HOUR = 10**6  # every phone here shares 127.0.0.1; the limit is tested in tests/test_sms.py
    gateway = hanging_gateway(args.hang)
    cfg = SmsGateway(url=f"http://127.0.0.1:{gateway.server_address[1]}/send?to={{to}}&text={{text}}",
                     timeout_s=args.hang + 5)
    branch = load_config()
    # every code and "joined" SMS of the run in one hour: past the branch's SMS budget (tests/test_budgets.py's)
    branch = branch.model_copy(update={"sms": Sms(gateway=cfg), "budgets": branch.budgets.model_copy(
        update={"sms_per_hour": 10**6, "sms_per_day": 10**6})})
    tmp = tempfile.mkdtemp(prefix="navbat-bench-")
    app = create_app({"BRANCH": branch, "DB_PATH": f"{tmp}/hub.sqlite", "IGNORE_HOURS": True})
    server = HubServer(app, "127.0.0.1", 0)
    stop = server.start_in_thread()
    url = f"http://127.0.0.1:{server.port}/api/v1"
    hub = app.extensions[EXTENSION]
    services = [s.code for s in branch.services]
    verify_ms: list[float] = []
    join_ms: list[float] = []

    def one(n: int) -> None:
        phone = f"0935{n:07d}"
        with requests.Session() as s:
            t0 = time.perf_counter()
            r = s.post(f"{url}/remote/verify", json={"phone": phone}, timeout=30)
            verify_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 202, r.text
            with hub.read() as db:  # the phone reads its SMS: here, the outbox's row
                text = db.execute("SELECT text FROM sms_outbox WHERE phone=? ORDER BY id DESC", [phone]).fetchone()[0]
            code = "".join(str("۰۱۲۳۴۵۶۷۸۹".index(c)) for c in text if c in "۰۱۲۳۴۵۶۷۸۹")
            t0 = time.perf_counter()
            r = s.post(f"{url}/remote/tickets", json={"service": services[n % len(services)], "phone": phone,
                                                       "code": code}, timeout=30)
            join_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code in (201, 409), r.text  # 409: a sub-service no counter serves today

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(one, range(args.phones)))
    took = time.perf_counter() - started
    with hub.read() as db:
        status = hub.outbox.status(db)
        unsent = db.execute("SELECT count(*) FROM sms_outbox WHERE sent_at IS NULL").fetchone()[0]
    stop()
    gateway.shutdown()
    print(f"{args.phones} phones, {args.threads} at a time, gateway hanging {args.hang:.0f} s per SMS: {took:.1f} s")
    print(f"POST /remote/verify   p50 {statistics.median(verify_ms):6.1f} ms   p99 {pct(verify_ms, 99):6.1f} ms")
    print(f"POST /remote/tickets  p50 {statistics.median(join_ms):6.1f} ms   p99 {pct(join_ms, 99):6.1f} ms")
    print(f"SMS unsent at the end: {unsent} (retrying {status['retrying']}, latest error: {status['last_error']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
