"""What one more ticket costs the hub as the hall fills up (issue 27), and FQM's load shape.

    .venv/bin/python benchmarks/hall_size.py [--sizes 0,50,200,1000] [--seconds 20] [--rate 4] [--runs 3]
    .venv/bin/python benchmarks/hall_size.py --fqm [--runs 3]     # 500 tickets from 8 threads, left waiting

Starts `navbat hub` (the installed package) on a fresh database with the demo branch's eight
windows open and nobody calling, so every ticket stays waiting. For each hall size in turn it
fills the hall to that many waiting (kiosks issuing as fast as the hub answers, not measured),
lets the estimates settle, then one kiosk issues `--rate` tickets/s (Poisson) for `--seconds`:
p50/p99 of POST /tickets, and the hub's CPU time per ticket (/proc/<pid>/stat over the measured
period, its periodic refreshes and any worker process under it included), each with its ratio
to the empty hall's. The hall grows by the measured tickets too (about rate × seconds). Each run
is a new hub; figures are printed per run and as the median of the runs.

--fqm: FQM's own load (mrf345/FQM's test of concurrent issuing): 500 tickets from 8 threads as
fast as each thread's answers come back, every ticket left waiting: tickets/s and p50/p99.

Targets (issue 27): with 1,000 waiting, issue p99 within 1.5× and CPU per ticket within 2× of
the empty hall's; the FQM shape at >= 200 tickets/s with p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import hub_load
import requests
from hub_load import branch_file, pct, pin, prepare
from seed_month import branch_services

WINDOWS = 8


def installed_env() -> dict[str, str]:
    """The hub and the CLI run the installed navbat (scripts/install-wheel.sh), as the tests do."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def navbat(*args: str) -> str:
    """`python -m navbat ARGS` of the installed package (run outside the checkout, whose navbat/ would shadow it)."""
    done = subprocess.run([sys.executable, "-m", "navbat", *args], cwd=tempfile.gettempdir(), env=installed_env(),
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"navbat {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


hub_load.navbat = navbat  # hub_load.prepare's CLI calls follow


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}").glob("task/*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time of the hub and every process under it (a worker for the estimates, if any), and
    of those it has reaped."""
    total, todo, first = 0, [pid], True
    while todo:
        p = todo.pop()
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if first else 0)
        first = False
        todo += _children(p)
    return total / os.sysconf("SC_CLK_TCK")


class Hub:
    def __init__(self, kiosks: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="navbat-hall-"))
        db = self.folder / "hub.sqlite"
        config, raw = branch_file(self.folder, WINDOWS)
        self.services = [s["code"] for s in branch_services(raw)]
        self.tokens = prepare(db, WINDOWS, kiosks, False)
        self.log = (self.folder / "hub.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--config", str(config), "--db", str(db),
                                      "--port", "0", "--ignore-hours"], stdout=subprocess.PIPE, stderr=self.log,
                                     env=installed_env(), cwd=self.folder)
        line = select.select([self.proc.stdout], [], [], 30)[0] and self.proc.stdout.readline().decode()
        match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", line or "")
        if not match:
            self.close()
            raise SystemExit(f"the hub did not start; see {self.folder / 'hub.log'}")
        self.url = match[1] + hub_load.API
        self.copying = threading.Thread(target=shutil.copyfileobj, args=(self.proc.stdout, self.log), daemon=True)
        self.copying.start()
        requests.get(f"{self.url}/health", timeout=10).raise_for_status()

    def open_windows(self) -> None:
        for n in range(1, WINDOWS + 1):
            s = requests.Session()
            token = s.post(f"{self.url}/login", json={"username": f"clerk{n}", "pin": pin(n), "counter": n},
                           timeout=30).json()["token"]
            s.post(f"{self.url}/counters/{n}/open", headers={"Authorization": f"Bearer {token}"},
                   timeout=10).raise_for_status()

    def waiting(self) -> int:
        return sum(s["waiting"] for s in requests.get(f"{self.url}/services", timeout=30).json()["services"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if hasattr(self, "copying"):
            self.copying.join(5)  # the hub's last lines, before the log closes
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def issue(s: requests.Session, url: str, token: str, key: str, service: str, priority: str | None) -> float:
    t0 = time.perf_counter()
    r = s.post(f"{url}/tickets", json={"service": service, "priority": priority},
               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}, timeout=30)
    took = time.perf_counter() - t0
    if r.status_code != 201:
        raise SystemExit(f"POST /tickets answered {r.status_code}: {r.text[:200]}")
    return took


def burst(hub: Hub, kiosks: list[str], total: int, tag: str) -> tuple[float, list[float]]:
    """`total` tickets from len(kiosks) threads as fast as answers come; (seconds, latencies)."""
    lat: list[float] = []
    lock = threading.Lock()
    shares = [total // len(kiosks) + (i < total % len(kiosks)) for i in range(len(kiosks))]

    def work(i: int, name: str) -> None:
        s, rng = requests.Session(), random.Random(f"{tag}{i}")
        mine = []
        for n in range(shares[i]):
            mine.append(issue(s, hub.url, hub.tokens[name], f"{tag}-{i}-{n}", rng.choice(hub.services),
                              rng.choice([None] * 8 + ["elderly", "disability"])))
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=work, args=(i, k)) for i, k in enumerate(kiosks)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, lat


def measure(hub: Hub, kiosk: str, rate: float, seconds: float, tag: str) -> tuple[list[float], float]:
    """One kiosk at `rate` tickets/s for `seconds`: (latencies, hub CPU seconds per ticket)."""
    s, rng = requests.Session(), random.Random(tag)
    lat: list[float] = []
    cpu0 = cpu_seconds(hub.proc.pid)
    start = time.perf_counter()
    next_at = start
    n = 0
    while next_at < start + seconds:
        time.sleep(max(0.0, next_at - time.perf_counter()))
        lat.append(issue(s, hub.url, hub.tokens[kiosk], f"{tag}-{n}", rng.choice(hub.services),
                         rng.choice([None] * 8 + ["elderly", "disability"])))
        n += 1
        next_at += rng.expovariate(rate)
    time.sleep(max(0.0, start + seconds - time.perf_counter()))
    return lat, (cpu_seconds(hub.proc.pid) - cpu0) / max(n, 1)


def hall_run(sizes: list[int], rate: float, seconds: float, run: int) -> dict[int, tuple[float, float, float]]:
    hub = Hub(kiosks=4)
    try:
        hub.open_windows()
        kiosks = sorted(k for k in hub.tokens if k.startswith("kiosk-"))
        out = {}
        for size in sizes:
            have = hub.waiting()
            if size > have:
                burst(hub, kiosks, size - have, f"fill{run}-{size}")
            time.sleep(1.0)  # the estimates settle after the fill
            have = hub.waiting()
            lat, cpu = measure(hub, kiosks[0], rate, seconds, f"m{run}-{size}")
            out[size] = (pct(lat, 50), pct(lat, 99), cpu)
            print(f"  run {run}: {have:5d} waiting  issue p50 {pct(lat, 50) * 1000:6.1f} ms  p99 "
                  f"{pct(lat, 99) * 1000:6.1f} ms  CPU {cpu * 1000:6.1f} ms/ticket  (n={len(lat)})", flush=True)
        return out
    finally:
        hub.close()


def fqm_run(run: int) -> tuple[float, float, float]:
    hub = Hub(kiosks=8)
    try:
        hub.open_windows()
        kiosks = sorted(k for k in hub.tokens if k.startswith("kiosk-"))
        took, lat = burst(hub, kiosks, 500, f"fqm{run}")
        print(f"  run {run}: 500 tickets from 8 threads in {took:.2f} s = {500 / took:6.1f} tickets/s  p50 "
              f"{pct(lat, 50) * 1000:6.1f} ms  p99 {pct(lat, 99) * 1000:6.1f} ms", flush=True)
        return 500 / took, pct(lat, 50), pct(lat, 99)
    finally:
        hub.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="0,50,200,1000", help="hall sizes (tickets waiting), smallest first")
    p.add_argument("--rate", type=float, default=4.0, help="the measured kiosk's tickets per second")
    p.add_argument("--seconds", type=float, default=20.0, help="measured period at each size")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--fqm", action="store_true", help="FQM's load shape instead: 500 tickets from 8 threads")
    args = p.parse_args()
    print(f"{os.cpu_count()} CPUs shared with other work; load average {os.getloadavg()[0]:.2f}", flush=True)
    if args.fqm:
        runs = [fqm_run(r + 1) for r in range(args.runs)]
        rate, p50, p99 = (statistics.median(x) for x in zip(*runs, strict=True))
        print(f"FQM shape, median of {args.runs}: {rate:.1f} tickets/s  p50 {p50 * 1000:.1f} ms  "
              f"p99 {p99 * 1000:.1f} ms  (target >= 200 tickets/s, p99 < 100 ms: "
              f"{'met' if rate >= 200 and p99 < 0.1 else 'NOT met'})")
        print(f"RESULT fqm_tickets_per_s={rate:.1f} fqm_p99_ms={p99 * 1000:.1f}")
        return 0
    sizes = sorted(int(x) for x in args.sizes.split(","))
    runs = [hall_run(sizes, args.rate, args.seconds, r + 1) for r in range(args.runs)]
    med = {n: tuple(statistics.median(r[n][k] for r in runs) for k in range(3)) for n in sizes}
    base = med[sizes[0]]
    print(f"median of {args.runs} runs, one kiosk at {args.rate:g} tickets/s for {args.seconds:g} s per size:")
    print(f"{'waiting':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/ticket':>14} {'p99 ×':>7} {'CPU ×':>7}")
    for n in sizes:
        p50, p99, cpu = med[n]
        print(f"{n:8d} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {cpu * 1000:14.1f} {p99 / base[1]:7.2f}"
              f" {cpu / base[2]:7.2f}")
    top = med[sizes[-1]]
    print(f"RESULT p99_ratio={top[1] / base[1]:.2f} cpu_ratio={top[2] / base[2]:.2f} (targets 1.5 and 2; "
          f"{'met' if top[1] / base[1] <= 1.5 and top[2] / base[2] <= 2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
