"""How long `navbat hub` takes to stop on SIGTERM, busy, and what it leaves (issue 25).

Starts `navbat hub` as its unit does (the console script; linked to an HQ address nobody answers, so
the link's workers run too), has kiosks issue tickets flat out and a head build a month's report (the
report process running), sends SIGTERM in the middle, and measures the time to exit, the hub's own
account of its workers ("navbat hub stopped: …") and any child process left.

    .venv/bin/python benchmarks/stop.py [--runs 5] [--kiosks 4]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

NAVBAT = str(Path(sys.executable).parent / "navbat")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    return [int(p) for task in Path(f"/proc/{pid}/task").iterdir() for p in (task / "children").read_text().split()]


def one(folder: Path, kiosks: int) -> tuple[float, str, int]:
    db = folder / "hub.sqlite"
    run = {"capture_output": True, "text": True, "check": True, "timeout": 60}
    token = subprocess.run([NAVBAT, "device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)],
                           **run).stdout.strip()
    subprocess.run([NAVBAT, "user", "add", "head", "--role", "head", "--pin", "140414", "--db", str(db)], **run)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NAVBAT_HQ_TOKEN": "unused"}
    proc = subprocess.Popen([NAVBAT, "hub", "--db", str(db), "--port", "0", "--ignore-hours",
                             "--hq", f"http://127.0.0.1:{free_port()}", "--sms-log", str(folder / "sms.log")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    select.select([proc.stdout], [], [], 60)
    url = re.match(r"navbat hub on (\S+) ", proc.stdout.readline().decode())[1]
    stop = threading.Event()

    def kiosk(n: int) -> None:
        with requests.Session() as s:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    s.post(f"{url}/api/v1/tickets", json={"service": "PR1"}, timeout=5,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{n}-{i}"})
                except requests.RequestException:
                    return
    load = [threading.Thread(target=kiosk, args=(n,), daemon=True) for n in range(kiosks)]
    for t in load:
        t.start()
    head = requests.post(f"{url}/api/v1/login", json={"username": "head", "pin": "140414"}, timeout=10).json()["token"]
    requests.get(f"{url}/api/v1/reports/monthly", headers={"Authorization": f"Bearer {head}"}, timeout=60)
    time.sleep(1.0)
    kids = children(proc.pid)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    took = time.monotonic() - started
    stop.set()
    said = [line for line in proc.stdout.read().decode().splitlines() if line.startswith("navbat hub stopped")]
    left = sum(1 for pid in kids if Path(f"/proc/{pid}").exists())
    return took, said[-1] if said else "(no account)", left


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kiosks", type=int, default=4)
    args = ap.parse_args()
    times = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            took, said, left = one(Path(tmp), args.kiosks)
        times.append(took)
        print(f"run {n + 1}: exit {took:.2f} s after SIGTERM, {left} child processes left; {said}", flush=True)
    print(f"SIGTERM to exit: median {statistics.median(times):.2f} s, max {max(times):.2f} s ({args.runs} runs, "
          f"{args.kiosks} kiosks issuing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
