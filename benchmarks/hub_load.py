"""Load on the hub over real sockets: kiosks issuing, clerks calling, displays listening.

    .venv/bin/python benchmarks/hub_load.py [--seconds 60] [--kiosks 8] [--clerks 20] [--subscribers 30]

Starts `navbat hub` in a subprocess on 127.0.0.1 (a fresh database in a temporary folder,
--ignore-hours) on a branch file derived from config/branches.yaml with as many windows
as clerks (the demo branch has 8; window n gets the skills of demo window ((n-1) % 8) + 1).
Kiosks issue at a steady (Poisson) pace and refresh GET /services every 15 s; each clerk
calls next, starts, finishes and calls again; every subscriber reads GET /api/v1/events.
Prints throughput, p50/p99 latency of issue and call-next, and the delay from a call to its
ticket.called event reaching every subscriber. Clients connect and clerks log in and open
their windows before the measured period starts.
Targets (issue 3, 2-core machine): issue and next p99 < 50 ms at 50 requests/s; event delivery p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navbat.config import DEFAULT_CONFIG, load_config  # noqa: E402
from navbat.persian import fa_digits  # noqa: E402

API = "/api/v1"


def branch_file(folder: Path, windows: int) -> Path:
    """The demo branch with `windows` windows, skills repeated from the demo's eight."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    demo = raw["counters"]
    raw["counters"] = [{**demo[(n - 1) % len(demo)], "number": n,
                        "name": {"fa": f"باجه {fa_digits(n)}", "en": f"Window {n}"}} for n in range(1, windows + 1)]
    path = folder / "branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_config(path)  # refuse to benchmark a broken file
    return path


def prepare(db: Path, clerks: int, kiosks: int) -> dict[str, str]:
    """Users clerk1..N (PIN n repeated) and kiosk tokens, written before the hub starts."""
    from server.auth import add_device, add_user
    from server.db import open_db

    database = open_db(db)
    for n in range(1, clerks + 1):
        add_user(database, f"clerk{n}", "clerk", pin(n))
    tokens = {f"kiosk-{k}": add_device(database, f"kiosk-{k}", "kiosk") for k in range(1, kiosks + 1)}
    database.conn.close()
    return tokens


def pin(n: int) -> str:
    return f"{n:04d}"


class Recorder:
    """Latencies and counts from every client thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)  # kind -> seconds
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.calls: list[tuple[int, float, float]] = []  # (ticket id, sent at, answered at)
        self.seen: list[dict[int, float]] = []  # per subscriber: ticket id of a call -> received at
        self.issued: set[int] = set()
        self.errors: list[str] = []

    def request(self, kind: str, started: float, status: int) -> None:
        with self.lock:
            self.latency[kind].append(time.perf_counter() - started)
            self.status[kind][status] += 1


def kiosk(url: str, token: str, name: str, rate: float, refresh_s: float, services: list[str],
          go: threading.Barrier, stop: threading.Event, rec: Recorder) -> None:
    s = requests.Session()
    rng = random.Random(name)
    auth = {"Authorization": f"Bearer {token}"}
    n = 0
    go.wait()
    next_at = time.perf_counter() + rng.random() / rate
    refresh_at = time.perf_counter() + rng.random() * refresh_s
    while not stop.is_set():
        if refresh_at <= next_at:  # the kiosk's home screen refreshes waiting counts and estimates
            time.sleep(max(0.0, refresh_at - time.perf_counter()))
            refresh_at += refresh_s
            t0 = time.perf_counter()
            try:
                rec.request("services", t0, s.get(f"{url}/services", timeout=10).status_code)
            except requests.RequestException as exc:
                if not stop.is_set():
                    rec.errors.append(f"services: {exc}")
            continue
        time.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += rng.expovariate(rate)  # Poisson arrivals
        n += 1
        body = {"service": rng.choice(services), "priority": rng.choice([None] * 8 + ["elderly", "disability"])}
        t0 = time.perf_counter()
        try:
            r = s.post(f"{url}/tickets", json=body, headers={**auth, "Idempotency-Key": f"{name}-{n}"}, timeout=10)
        except requests.RequestException as exc:
            if not stop.is_set():
                rec.errors.append(f"issue: {exc}")
            continue
        rec.request("issue", t0, r.status_code)
        if r.status_code == 201:
            with rec.lock:
                rec.issued.add(r.json()["id"])
    s.close()


def clerk(url: str, n: int, serve_s: float, go: threading.Barrier, stop: threading.Event, rec: Recorder) -> None:
    s = requests.Session()
    rng = random.Random(n)
    # Logging in (a PIN hash) and opening the window happen before the measured period.
    token = s.post(f"{url}/login", json={"username": f"clerk{n}", "pin": pin(n), "counter": n}, timeout=30).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    s.post(f"{url}/counters/{n}/open", headers=auth, timeout=10)
    go.wait()
    stop.wait(rng.random() * serve_s)  # clerks do not all press at the same moment

    def post(kind: str, action: str) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = s.post(f"{url}/counters/{n}/{action}", headers=auth, timeout=10)
        except requests.RequestException as exc:
            if not stop.is_set():
                rec.errors.append(f"{action}: {exc}")
            return None
        rec.request(kind, t0, r.status_code)
        return r

    while not stop.is_set():
        sent = time.perf_counter()
        r = post("next", "next")
        if r is None or r.status_code != 200:
            stop.wait(1.0)  # nobody waits: look again in a second
            continue
        answered = time.perf_counter()
        with rec.lock:
            rec.calls.append((r.json()["id"], sent, answered))
        stop.wait(serve_s * 0.3)  # the visitor walks to the window
        post("start", "start")
        stop.wait(serve_s * rng.uniform(0.5, 0.9))
        post("done", "done")
    s.close()


def subscriber(url: str, index: int, ready: threading.Barrier, rec: Recorder) -> None:
    """Reads the event stream until the hub goes away; notes when each call arrives."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("GET", f"{API}/events", headers={"Accept": "text/event-stream"})
    resp = conn.getresponse()
    seen = rec.seen[index]
    ready.wait()
    data = None
    try:
        while True:
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                data = line[6:]
            elif line == b"\n" and data is not None:
                now = time.perf_counter()
                ev = json.loads(data)
                if ev["type"] == "ticket.called":
                    seen[ev["ticket"]] = now
                data = None
    except (OSError, http.client.HTTPException):
        pass  # the hub was stopped
    finally:
        conn.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--kiosks", type=int, default=8)
    p.add_argument("--clerks", type=int, default=20)
    p.add_argument("--subscribers", type=int, default=30)
    p.add_argument("--issue-rate", type=float, default=12.0, help="tickets per second, all kiosks together")
    p.add_argument("--serve-seconds", type=float, default=1.3, help="a clerk's cycle: next, start, done")
    p.add_argument("--refresh-seconds", type=float, default=15.0, help="each kiosk's GET /services period")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, hub log)")
    args = p.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="navbat-load-"))
    db = folder / "hub.sqlite"
    config = branch_file(folder, args.clerks)
    tokens = prepare(db, args.clerks, args.kiosks)
    services = [s.code for s in load_config(config).services]
    log = (folder / "hub.log").open("wb")
    # --port 0: the hub binds a free port itself and prints it (no race with other servers on this machine).
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--config", str(config), "--db", str(db),
                            "--port", "0", "--ignore-hours"], stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
    try:
        ready_line = select.select([hub.stdout], [], [], 30)[0] and hub.stdout.readline().decode()
        match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", ready_line or "")
        if not match:
            raise SystemExit(f"the hub did not start; see {folder / 'hub.log'}")
        url = match[1] + API
        requests.get(f"{url}/health", timeout=10).raise_for_status()

        rec = Recorder()
        rec.seen = [{} for _ in range(args.subscribers)]
        stop = threading.Event()
        ready = threading.Barrier(args.subscribers + 1)
        subs = [threading.Thread(target=subscriber, args=(url, i, ready, rec), daemon=True)
                for i in range(args.subscribers)]
        for t in subs:
            t.start()
        ready.wait(30)
        go = threading.Barrier(args.kiosks + args.clerks + 1)
        workers = [threading.Thread(target=kiosk, args=(url, tokens[name], name, args.issue_rate / args.kiosks,
                                                          args.refresh_seconds, services, go, stop, rec))
                   for name in tokens]
        workers += [threading.Thread(target=clerk, args=(url, n, args.serve_seconds, go, stop, rec))
                    for n in range(1, args.clerks + 1)]
        for t in workers:
            t.start()
        go.wait(120)  # every window open, every client connected
        load = os.getloadavg()[0]
        cpu0, me0, t0 = cpu_seconds(hub.pid), time.process_time(), time.perf_counter()
        time.sleep(args.seconds)
        stop.set()
        elapsed = time.perf_counter() - t0
        cpu, mine = cpu_seconds(hub.pid) - cpu0, time.process_time() - me0
        for t in workers:
            t.join(15)
        time.sleep(0.5)  # let the last events reach the displays
        waiting = requests.get(f"{url}/services", timeout=10).json()["services"]
    finally:
        hub.terminate()
        hub.wait(10)
        hub.stdout.close()
        log.close()
    for t in subs:
        t.join(5)

    total = sum(len(v) for v in rec.latency.values())
    print(f"hub load: {args.kiosks} kiosks, {args.clerks} clerks, {args.subscribers} subscribers, {elapsed:.0f} s "
          f"(load average at start {load:.2f}; {os.cpu_count()} CPUs shared with other work)")
    print(f"throughput      {total / elapsed:6.1f} requests/s  ("
          + ", ".join(f"{k} {len(v) / elapsed:.1f}/s" for k, v in sorted(rec.latency.items())) + ")")
    print(f"CPU             hub {cpu / elapsed * 100:.0f} %, load clients {mine / elapsed * 100:.0f} % of one core")
    for kind in ("issue", "next", "start", "done", "services"):
        v = rec.latency.get(kind, [])
        codes = dict(sorted(rec.status[kind].items()))
        print(f"{kind:<8} latency  p50 {ms(pct(v, 50))}  p90 {ms(pct(v, 90))}  p99 {ms(pct(v, 99))}"
              f"  max {ms(max(v, default=0))}"
              f"  n={len(v)} status={codes}")
    delays_sent, delays_answered, missing = [], [], 0
    for ticket, sent, answered in rec.calls:
        got = [seen.get(ticket) for seen in rec.seen]
        if any(t is None for t in got):
            missing += 1
            continue
        delays_sent.append(max(got) - sent)
        delays_answered.append(max(got) - answered)
    print(f"call -> every subscriber has ticket.called: p50 {ms(pct(delays_sent, 50))}  p99 {ms(pct(delays_sent, 99))}"
          f"  max {ms(max(delays_sent, default=0))}  (from the request; n={len(delays_sent)})")
    print(f"call answered -> every subscriber has it:   p50 {ms(pct(delays_answered, 50))}"
          f"  p99 {ms(pct(delays_answered, 99))}  (negative: the displays had it before the clerk's answer)")
    print(f"calls some subscriber never received: {missing}; client errors: {len(rec.errors)}; "
          f"tickets issued {len(rec.issued)}, still waiting {sum(s['waiting'] for s in waiting)}")
    issue_p99, next_p99 = pct(rec.latency["issue"], 99), pct(rec.latency["next"], 99)
    ok = issue_p99 < 0.05 and next_p99 < 0.05 and pct(delays_sent, 99) < 0.1 and not missing
    print(f"targets (issue/next p99 < 50 ms, event p99 < 100 ms): {'met' if ok else 'NOT met'}"
          f" ({args.issue_rate:g} tickets/s offered)")
    for e in rec.errors[:5]:
        print("  error:", e)
    if args.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
