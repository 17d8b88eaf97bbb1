"""What a navbat process costs before it does anything: CPU seconds from exec to its first answer.

    .venv/bin/python benchmarks/start_cost.py [--runs 8]

Every hub restart, every CLI command a head or a script runs, and each of the several hundred
processes the test suite starts pays it. Measured, each `--runs` times on a fresh folder:
`navbat hub` on the sample branch until GET /api/v1/health answers (its CPU from /proc, user and
system, read while it still runs), and `navbat check` of a fresh hub's database to its exit.
Printed: the minimum, median and maximum (the machine's other work moves single runs), and
whether numpy is importable here (sqlite-utils imports it when it is, at each start).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from calling import free_port
from hub_load import cpu_seconds


def hub_to_health(folder: Path) -> tuple[float, float]:
    """CPU and wall seconds of `navbat hub` from its start to its first health answer."""
    port = free_port()
    began = time.monotonic()
    hub = subprocess.Popen([sys.executable, "-P", "-m", "navbat", "hub", "--db", str(folder / "hub.sqlite"),
                            "--port", str(port)], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        http = requests.Session()
        while time.monotonic() - began < 30:
            try:
                if http.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    return cpu_seconds(hub.pid), time.monotonic() - began
            except requests.RequestException:
                pass
            time.sleep(0.01)
        raise SystemExit("the hub did not answer within 30 s")
    finally:
        hub.terminate()
        hub.wait(10)


def check_cpu(folder: Path) -> float:
    """CPU seconds of `navbat check` on the folder's hub database, to its exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-P", "-m", "navbat", "check", "--db", str(folder / "hub.sqlite")], cwd=folder,
                   check=True, capture_output=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _line(name: str, values: list[float]) -> str:
    return f"{name:<22} min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    hub_cpu, hub_wall, check = [], [], []
    for _ in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="navbat-start-"))
        cpu, wall = hub_to_health(folder)
        hub_cpu.append(cpu)
        hub_wall.append(wall)
        check.append(check_cpu(folder))
    print(f"numpy importable here: {importlib.util.find_spec('numpy') is not None}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.runs} runs")
    print(_line("hub to health, CPU s", hub_cpu))
    print(_line("hub to health, wall s", hub_wall))
    print(_line("check, CPU s", check))
    print(f"RESULT hub_start_cpu_median={statistics.median(hub_cpu):.2f} "
          f"check_cpu_median={statistics.median(check):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
