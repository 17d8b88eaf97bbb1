"""PIN logins at the hub under guessing (issue 23): what a guess costs the branch.

    .venv/bin/python benchmarks/logins.py [--seconds 20] [--guessers 40] [--issue-rate 8]
    .venv/bin/python benchmarks/logins.py --hq     # HQ on a PostgreSQL cluster of its own: known vs unknown

Starts `navbat hub` as hub_load.py does (fresh database, clerks clerk1..4, a head, kiosk tokens)
and measures, over real sockets:
1. a wrong PIN for a known username against one for an unknown username (each from an address
   of its own, so no lock-out answers first): median and p90 of the answer time;
2. kiosks issuing tickets (--issue-rate a second) for --seconds, calm, then with --guessers
   guessers, each from a loopback address of its own, sending wrong PINs for made-up usernames
   one after the other as fast as answered (the attack that costs a full PIN check each time):
   kiosk issue p50/p99, and a clerk's right PIN from their own PC every second (a known device:
   it logged in there before): the time its login answered, and the time until it was in,
   following Retry-After.

With --hq: `navbat hq` on a PostgreSQL cluster of its own (as hq_load.py), and (1) against
/api/v1/hq/login. The hub's part imports nothing from the project but hub_load.py's helpers (the
command line and the HTTP API): run in an older checkout, it measures that tree.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from hub_load import API, ROOT, branch_file, child_env, pct, prepare
from seed_month import branch_services


def post(port: int, path: str, body: dict, source: str, cookie: str | None = None) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request("POST", API + path, json.dumps(body), headers)
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def timed_login(port: int, username: str, pin: str, source: str, counter: int | None = None,
                path: str = "/login") -> tuple[int, float]:
    t0 = time.perf_counter()
    status, _ = post(port, path, {"username": username, "pin": pin, "counter": counter}, source)
    return status, time.perf_counter() - t0


def ms(v: float) -> str:
    return f"{v * 1000:.0f} ms"


def known_vs_unknown(port: int, n: int, path: str = "/login", users: tuple[str, ...] = ("clerk1", "clerk2", "clerk3",
                                                                                     "clerk4")) -> None:
    known, unknown = [], []
    for i in range(n):
        _, t = timed_login(port, users[i % len(users)], "0000", f"127.0.1.{i + 1}", 1, path)
        known.append(t)
        _, t2 = timed_login(port, f"nobody{i}", "0000", f"127.0.1.{i + 101}", 1, path)
        unknown.append(t2)
    print(f"wrong PIN, known username:   median {ms(pct(known, 50))}, p90 {ms(pct(known, 90))} ({n} tries)")
    print(f"wrong PIN, unknown username: median {ms(pct(unknown, 50))}, p90 {ms(pct(unknown, 90))} ({n} tries)")


def kiosks(port: int, token: str, rate: float, seconds: float, services: list[str]) -> list[float]:
    times: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += 1
        t0 = time.perf_counter()
        conn.request("POST", API + "/tickets", json.dumps({"service": services[n % len(services)]}),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                      "Idempotency-Key": f"bench-{time.time()}-{n}"})
        r = conn.getresponse()
        r.read()
        if r.status == 201:
            times.append(time.perf_counter() - t0)
        time.sleep(max(0.0, 1 / rate - (time.perf_counter() - t0)))
    conn.close()
    return times


CLERK = {"username": "clerk2", "pin": "0002", "counter": 2}


def clerk_logins(port: int, cookie: str | None, stop: threading.Event, first: list[float], until_in: list[float],
                 refusals: dict[int, int]) -> None:
    """clerk2 at their own PC, which they logged in from before (its device cookie, where the hub gives one)."""
    body = CLERK
    while not stop.is_set():
        t0 = time.perf_counter()
        answered = None
        while not stop.is_set():
            status, headers = post(port, "/login", body, "127.0.3.1", cookie)
            answered = answered or time.perf_counter() - t0
            refusals[status] = refusals.get(status, 0) + 1
            if status == 200:
                until_in.append(time.perf_counter() - t0)
                break
            time.sleep(float(headers.get("retry-after", "1")))
        first.append(answered or 0.0)
        time.sleep(1)


def guesser(port: int, index: int, stop: threading.Event, answers: dict[int, int]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        try:
            status, _ = post(port, "/login", {"username": f"guess{index}-{n}", "pin": f"{n % 10000:04d}",
                                              "counter": 1}, f"127.0.2.{index + 1}")
        except OSError:
            status = 0
        answers[status] = answers.get(status, 0) + 1


def run(args: argparse.Namespace, port: int, tokens: dict[str, str], services: list[str]) -> None:
    known_vs_unknown(port, 20)
    calm = kiosks(port, tokens["kiosk-1"], args.issue_rate, args.seconds, services)
    print(f"calm: kiosk issue p50 {ms(pct(calm, 50))}, p99 {ms(pct(calm, 99))} ({len(calm)} tickets)")
    stop, answers = threading.Event(), {}
    threads = [threading.Thread(target=guesser, args=(port, i, stop, answers), daemon=True)
               for i in range(args.guessers)]
    first, until_in, clerk_answers = [], [], {}
    _, headers = post(port, "/login", CLERK, "127.0.3.1")  # an earlier day, at the clerk's PC
    cookie = headers.get("set-cookie", "").split(";")[0] or None
    threads.append(threading.Thread(target=clerk_logins, args=(port, cookie, stop, first, until_in, clerk_answers),
                                    daemon=True))
    for t in threads:
        t.start()
    time.sleep(1)
    attacked = kiosks(port, tokens["kiosk-1"], args.issue_rate, args.seconds, services)
    stop.set()
    for t in threads:
        t.join(35)
    print(f"{args.guessers} guessers: kiosk issue p50 {ms(pct(attacked, 50))}, p99 {ms(pct(attacked, 99))} "
          f"({len(attacked)} tickets); guesses answered {dict(sorted(answers.items()))}")
    if first:
        print(f"a clerk's right PIN meanwhile: answered in p50 {ms(pct(first, 50))}, max {ms(max(first))}; "
              f"in after p50 {ms(pct(until_in, 50))}, max {ms(max(until_in or [0]))} ({len(until_in)} logins; "
              f"answers {dict(sorted(clerk_answers.items()))})")


def hq() -> None:
    import socket

    import psycopg
    import requests

    sys.path.insert(0, str(ROOT))
    from navbat.hq.accounts import add_user
    from navbat.hq.pgcluster import Cluster
    from navbat.hq.store import migrate

    folder = tempfile.mkdtemp(prefix="navbat-logins-hq-")
    Path(folder).chmod(0o755)
    cluster = Cluster(folder)
    cluster.start()
    process = None
    try:
        url = cluster.create_database("hq_logins")
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            for n in range(1, 5):
                add_user(conn, f"manager{n}", "national", "1404")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen([sys.executable, "-m", "navbat", "hq", "--database", url, "--port", str(port)],
                                   stdout=subprocess.DEVNULL, cwd=ROOT, env=child_env())
        for _ in range(150):
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        print("HQ:")
        known_vs_unknown(port, 20, "/hq/login", tuple(f"manager{n}" for n in range(1, 5)))
    finally:
        if process:
            process.terminate()
            process.wait(20)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--guessers", type=int, default=40)
    p.add_argument("--issue-rate", type=float, default=8.0)
    p.add_argument("--hq", action="store_true", help="HQ's login instead: known against unknown usernames")
    args = p.parse_args()
    if args.hq:
        hq()
        return 0
    folder = Path(tempfile.mkdtemp(prefix="navbat-logins-"))
    db = folder / "hub.sqlite"
    config, raw = branch_file(folder, 4)
    tokens = prepare(db, 4, 1, True)
    services = [s["code"] for s in branch_services(raw)]
    log = (folder / "hub.log").open("wb")
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--config", str(config), "--db", str(db),
                            "--port", "0", "--ignore-hours"], stdout=subprocess.PIPE, stderr=log, cwd=ROOT,
                           env=child_env())
    try:
        ready = select.select([hub.stdout], [], [], 30)[0] and hub.stdout.readline().decode()
        match = re.match(r"navbat hub on http://127\.0\.0\.1:(\d+) ", ready or "")
        if not match:
            raise SystemExit(f"the hub did not start; see {folder / 'hub.log'}")
        threading.Thread(target=shutil.copyfileobj, args=(hub.stdout, log), daemon=True).start()
        run(args, int(match[1]), tokens, services)
    finally:
        hub.terminate()
        hub.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
