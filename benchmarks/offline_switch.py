"""A kiosk working alone (issue 26): how long the visitor waits for the first offline ticket, how fast
the kiosk then issues, and how long the hub takes to merge the journal.

    .venv/bin/python -P benchmarks/offline_switch.py [--online 30]

`navbat hub` runs as a process (a fresh database, the demo branch with the kiosk's ticket budget loosened
so the numbers below measure the kiosk and not the rate limit). The kiosk is the view-model with its
journal and lease keeper, in this process, with no printer (paper has its own benchmark, kiosk.py).
It reaches the hub through a TCP hop that can cut the link (hold every connection, answer nothing) as a
dead LAN switch does. Figures:

- an online ticket (touch to answer), median of `--online`;
- the first ticket after a cut (the kiosk's own bound decides: target at most 3 s more than online);
- the first ticket after the hub is killed -9 (connections refused: no wait);
- the rate of tickets issued alone from the journal;
- the merge of the journal (up to 500 tickets, one request) once the hub is back.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
import yaml


class Hop:
    """A TCP hop to the hub that can cut the link: connections are then held and nothing is forwarded."""

    def __init__(self, port: int) -> None:
        self.port, self.cut_off, self.held = port, False, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(client)
            if self.cut_off:
                continue
            try:
                up = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            except OSError:
                client.close()
                continue
            up.settimeout(None)
            self.held.append(up)
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=self._copy, args=(a, b), daemon=True).start()

    def _copy(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.cut_off:
                    dst.sendall(data)
        except OSError:
            pass
        src.close()
        dst.close()

    def restore(self) -> None:
        self.cut_off = False
        held, self.held = self.held, []
        for s in held:
            s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(folder: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-P", "-m", "navbat", "hub", "--db", str(folder / "hub.sqlite"),
                             "--config", str(folder / "branch.yaml"), "--port", str(port), "--ignore-hours"],
                            stdout=subprocess.DEVNULL, stderr=(folder / "hub.log").open("ab"))
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=0.5)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("the hub did not start")


def main() -> None:
    hubs: list[subprocess.Popen] = []
    folder = Path(tempfile.mkdtemp(prefix="navbat-offline-"))
    try:
        run(hubs, folder)
    finally:  # whatever failed, no hub and no files are left behind
        for hub in hubs:
            if hub.poll() is None:
                hub.kill()
                hub.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def run(hubs: list[subprocess.Popen], folder: Path) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--online", type=int, default=30, help="online tickets timed (default 30)")
    args = p.parse_args()

    from navbat.foundation.config import DEFAULT_CONFIG
    from navbat.foundation.hub_client import HubClient, HubUnreachable
    from navbat.kiosk.journal import Journal
    from navbat.kiosk.leases import LeaseKeeper, leasable
    from navbat.kiosk.viewmodel import KioskModel

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["budgets"].update(kiosk_tickets_per_minute=600, kiosk_burst=600)
    (folder / "branch.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    token = subprocess.run([sys.executable, "-P", "-m", "navbat", "device", "add", "kiosk-1", "--role", "kiosk",
                            "--db", str(folder / "hub.sqlite")], capture_output=True, text=True,
                           check=True).stdout.strip()
    port = free_port()
    hub = start_hub(folder, port)
    hubs.append(hub)
    hop = Hop(port)
    model = KioskModel(HubClient(hop.url, token, timeout=(1.0, 3.0)), journal=Journal(folder / "journal.sqlite"))
    model.refresh()
    services = leasable(model.services)

    def take(service: str) -> tuple[float, dict | None]:
        started = time.perf_counter()
        model.home()
        model.open_unit(next(s["unit"] for s in model.services if s["code"] == service))
        model.open_service(service)
        ticket = model.take_ticket()
        return time.perf_counter() - started, ticket

    online = [take(services[i % len(services)])[0] for i in range(args.online)]
    # The hall's recent rate sets a lease's size: some online traffic first, so the leases are full-sized.
    raw_hub = HubClient(f"http://127.0.0.1:{port}", token)
    for service in services:
        for i in range(24):
            raw_hub.issue_ticket(service, None, f"warm-{service}-{i}")
    keeper = LeaseKeeper(model.hub, model.journal, lambda: services, model.branch_day, on_hub=model.hub_state)
    keeper.step()
    for service in services[:30 - len(services)]:  # a second lease where the hub's 30 an hour allow: 500 tickets
        model.journal.add_lease(raw_hub.lease(service))
    held = sum(lz["size"] for lz in model.journal.leases())

    hop.cut_off = True  # the LAN switch dies
    first_cut, ticket = take(services[0])
    assert ticket is not None and ticket.get("offline"), ticket
    hop.restore()
    for _ in range(10):  # the first request may meet a connection the cut left half-open
        keeper.step()  # merge the one ticket, back to the hub
        if not model.alone:
            break
    assert not model.alone

    os.kill(hub.pid, signal.SIGKILL)  # the hub's PC loses power
    hub.wait()
    first_kill, ticket = take(services[1])
    assert ticket is not None and ticket.get("offline"), ticket
    alone, i = [], 0
    while len(model.journal.pending()) < 500 and i < 2000:
        took, ticket = take(services[i % len(services)])
        i += 1
        if ticket is not None:
            alone.append(took)
    pending = len(model.journal.pending())
    hub = start_hub(folder, port)
    hubs.append(hub)
    hop.restore()
    for _ in range(3):  # a pooled connection to the killed hub fails once
        try:
            merge_started = time.perf_counter()
            merged = keeper.merge()
            break
        except HubUnreachable:
            continue
    merge_s = time.perf_counter() - merge_started
    hub.terminate()
    hub.wait(10)

    med = statistics.median(online)
    print(f"online ticket: median {med * 1000:.0f} ms over {len(online)}")
    print(f"first ticket after a cut link: {first_cut:.2f} s ({first_cut - med:.2f} s more than online; "
          f"target at most 3 s)")
    print(f"first ticket after the hub is killed -9: {first_kill * 1000:.0f} ms")
    print(f"alone: {len(alone)} tickets, median {statistics.median(alone) * 1000:.1f} ms, "
          f"{len(alone) / sum(alone):.0f} tickets/s (from {held} leased numbers)")
    print(f"merge of {pending} tickets in one request: {merge_s:.2f} s ({merged} merged)")


if __name__ == "__main__":
    main()
