"""Kiosk speed: cold start to a usable home screen, and touch to ticket bytes sent (issue 6).

    .venv/bin/python benchmarks/kiosk.py [--runs 5] [--loops 30]

A hub runs in this process on 127.0.0.1 (a fresh database); the kiosk runs as a real
window in a subprocess (python -m navbat.kiosk.autopilot, under xvfb-run when there is no
display) and taps through a visit. "Bytes sent" is when the demo's file printer
received the ticket's ESC/POS bytes (its <number>.bin was written; the queue then also
draws a PNG preview, reported separately as "job done"). A windowless loop then measures the same path through the
view-model alone, many times. Targets: start < 5 s, touch to bytes sent < 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_hub(db: Path) -> tuple[str, str, object]:
    from navbat.foundation.config import load_config
    from navbat.server.web.app import create_app
    from navbat.server.web.auth import add_device
    from waitress.server import create_server

    app = create_app({"BRANCH": load_config(), "DB_PATH": str(db), "IGNORE_HOURS": True})
    token = add_device(app.extensions["navbat.hub"].store.writer, "kiosk-1", "kiosk")
    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", token, server


def window_run(url: str, token: str, work: Path, n: int) -> dict:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "SDL_AUDIODRIVER": "dummy",
           "KIVY_HOME": str(work / "kivy-home"), "PYTHONSAFEPATH": "1"}
    queue_db = work / f"queue-{n}.sqlite"
    cmd = ["timeout", "-k", "5", "90", sys.executable, "-m", "navbat.kiosk.autopilot", "--hub", url, f"--token={token}",
           "--printer-folder", str(work / "tickets"), "--queue-db", str(queue_db),
           "--unit", "pension", "--service", "PN1"]
    if not os.environ.get("DISPLAY"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *cmd]
    spawned = time.time()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"kiosk run failed:\n{out.stderr[-2000:]}")
    log = json.loads(lines[-1])
    if log["error"]:
        raise SystemExit(f"kiosk run failed: {log['error']}")
    with sqlite3.connect(queue_db) as db:
        printed_at = db.execute("SELECT printed_at FROM jobs WHERE state='done'").fetchone()[0]
    from navbat.foundation.persian import latin_digits

    written = bin_written(work / "tickets", latin_digits(log["number"]))
    return {"start": log["home_ready_epoch"] - spawned,
            "bytes_sent": written - log["touch_epoch"],
            "job_done": printed_at - log["touch_epoch"],
            "ticket": log["timings_ms"]["touch_to_ticket"] / 1000}


def bin_written(folder: Path, number: str) -> float:
    """When the file printer received the ticket's bytes (its .bin appears before the PNG preview is drawn)."""
    return (folder / f"{re.sub(r'[^A-Za-z0-9_-]', '_', number)}.bin").stat().st_mtime


def windowless(url: str, token: str, work: Path, loops: int) -> list[float]:
    from navbat.foundation.config import load_config
    from navbat.foundation.hub_client import HubClient
    from navbat.kiosk.printing import KioskPrinter
    from navbat.kiosk.viewmodel import KioskModel

    branch = load_config()
    hub = HubClient(url, token)
    cfg = branch.printer(branch.kiosks[0].printer).model_copy(update={"path": str(work / "vm-tickets")})
    printer = KioskPrinter(cfg, branch, url, work / "vm-queue.sqlite").start()
    model = KioskModel(hub, printer)
    model.refresh()
    times = []
    try:
        for i in range(loops):
            model.home()
            model.open_unit("finance")
            model.open_service(("FN1", "FN2", "FN3")[i % 3])
            touched = time.time()
            ticket = model.take_ticket()
            assert ticket is not None and model.printed.printed, model.printed
            times.append(bin_written(work / "vm-tickets", ticket["number"]) - touched)
    finally:
        printer.stop()
    return times


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (f"median {statistics.median(values) * 1000:6.0f} ms   p95 {p95 * 1000:6.0f} ms   "
            f"max {values[-1] * 1000:6.0f} ms   (n={len(values)})")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="kiosk windows started (default 5)")
    p.add_argument("--loops", type=int, default=30, help="windowless tickets (default 30)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "kivy-home").mkdir()
        url, token, server = start_hub(work / "hub.sqlite")
        try:
            runs = [window_run(url, token, work, n) for n in range(args.runs)]
            loop = windowless(url, token, work, args.loops)
        finally:
            server.close()
    print(f"kiosk benchmark: hub on {url.rsplit(':', 1)[0]} (loopback), demo file printer, 1280x800 window")
    print(f"cold start to usable home   first {runs[0]['start'] * 1000:6.0f} ms   {ms([r['start'] for r in runs])}")
    print(f"touch to ticket on screen   {ms([r['ticket'] for r in runs])}")
    print(f"touch to ticket bytes sent  {ms([r['bytes_sent'] for r in runs])}   (real window)")
    print(f"touch to print job done     {ms([r['job_done'] for r in runs])}   (bytes + the file printer's PNG preview)")
    print(f"touch to ticket bytes sent  {ms(loop)}   (view-model, no window)")
    worst_start = max(r["start"] for r in runs)
    worst_sent = max(max(r["bytes_sent"] for r in runs), max(loop))
    ok = worst_start < 5 and worst_sent < 0.5
    print(f"targets: start < 5 s, touch to bytes sent < 500 ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
