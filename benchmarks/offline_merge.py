"""How long the hub takes to merge a kiosk's journal of 500 tickets issued while it was away (issue 26).

    .venv/bin/python -P benchmarks/offline_merge.py [--tickets 500] [--rounds 3]

Each round starts `navbat hub` in a subprocess on a fresh temporary database (the demo branch, its
kiosk budget lifted), makes one sub-service busy for an hour's worth of tickets so that its leases are
full-sized, takes the kiosk's leases over the demo's sub-services until they hold `--tickets` numbers,
and sends them in one POST /api/v1/offline-tickets (issue order interleaved over sub-services, issue
times over the last half hour). Measured from the client: the merge (every ticket appended, folded and
published in one write) and the same journal sent again (every ticket "already"). Printed per round and
as the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml
from navbat.foundation.config import load_config
from navbat.server.floor.db import open_db
from navbat.server.web.auth import add_device

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"


def start_hub(folder: Path) -> tuple[subprocess.Popen, str, str]:
    db = folder / "bench.sqlite"
    writer = open_db(db)
    token = add_device(writer, "kiosk-1", "kiosk")
    writer.conn.close()
    raw = yaml.safe_load((ROOT / "config" / "branches.yaml").read_text(encoding="utf-8"))
    raw["budgets"] = {**raw.get("budgets", {}), "kiosk_tickets_per_minute": 600, "kiosk_burst": 600}
    config = folder / "branch.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = folder / "hub.out"  # a file, not a pipe: the hub logs a line per event, and a full pipe would stall it
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--db", str(db), "--config", str(config),
                            "--port", "0", "--ignore-hours"], cwd=ROOT, env={**os.environ, "PYTHONSAFEPATH": "1"},
                           stdout=out.open("wb"), stderr=subprocess.STDOUT)
    end = time.monotonic() + 30
    while not (match := re.search(r"navbat hub on (http://127\.0\.0\.1:\d+) ", out.read_text())):
        if time.monotonic() > end or hub.poll() is not None:
            hub.kill()
            raise SystemExit(f"the hub did not start: {out.read_text()[-2000:]}")
        time.sleep(0.1)
    return hub, match[1], token


def journal(http: requests.Session, url: str, token: str, count: int) -> list[dict]:
    """Leases until they hold `count` numbers, then one ticket per number, interleaved over the leases."""
    auth = {"Authorization": f"Bearer {token}"}
    services = [s.code for u in load_config().units for s in u.services]
    for i in range(60):  # an hour's tickets of the first sub-service: its leases are full-sized (60)
        http.post(f"{url}{API}/tickets", json={"service": services[0]},
                  headers={**auth, "Idempotency-Key": f"busy-{i}"}).raise_for_status()
    leases, held = [], 0
    for service in services:
        for _ in range(4):  # live leases per sub-service
            if held >= count:
                break
            r = http.post(f"{url}{API}/leases", json={"service": service}, headers=auth)
            if r.status_code != 201:
                break
            leases.append(r.json())
            held += len(leases[-1]["numbers"])
    now = dt.datetime.now(dt.UTC)
    entries = []
    k = 0
    while len(entries) < count:
        lease = leases[k % len(leases)]
        i = k // len(leases)
        k += 1
        if i >= len(lease["numbers"]):
            if k > 10 * count:
                raise SystemExit(f"the leases held only {len(entries)} numbers")
            continue
        n = lease["numbers"][i]
        entries.append({"idempotency_key": f"j-{lease['lease']}-{n['seq']}", "lease": lease["lease"], "seq": n["seq"],
                        "number": n["number"], "service": lease["service"], "priority": None, "issued_at": ""})
    for j, e in enumerate(entries):  # issue order: spread over the last half hour
        e["issued_at"] = (now - dt.timedelta(minutes=30) + dt.timedelta(seconds=j * 1800 / count)).isoformat()
    return entries


def one_round(count: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="navbat-merge-") as tmp:
        hub, url, token = start_hub(Path(tmp))
        try:
            http = requests.Session()
            entries = journal(http, url, token, count)
            auth = {"Authorization": f"Bearer {token}"}
            body = {"sent_at": dt.datetime.now(dt.UTC).isoformat(), "tickets": entries}
            t = time.perf_counter()
            r = http.post(f"{url}{API}/offline-tickets", json=body, headers=auth, timeout=120)
            merge_s = time.perf_counter() - t
            r.raise_for_status()
            merged = sum(1 for x in r.json()["results"] if x["status"] == "merged")
            t = time.perf_counter()
            again = http.post(f"{url}{API}/offline-tickets", json=body, headers=auth, timeout=120)
            resend_s = time.perf_counter() - t
            assert all(x["status"] == "already" for x in again.json()["results"])
            return merge_s, resend_s, merged
        finally:
            hub.terminate()
            hub.wait(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=500, help="tickets in the journal (default 500, the most "
                                                                  "one request may carry)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    merges, resends = [], []
    for n in range(args.rounds):
        merge_s, resend_s, merged = one_round(args.tickets)
        merges.append(merge_s)
        resends.append(resend_s)
        print(f"round {n + 1}: {merged} tickets merged in {merge_s * 1000:.0f} ms; sent again (all already) "
              f"in {resend_s * 1000:.0f} ms")
    print(f"merge of {args.tickets} offline tickets: median {statistics.median(merges) * 1000:.0f} ms "
          f"({statistics.median(merges) / args.tickets * 1e6:.0f} µs a ticket); resend median "
          f"{statistics.median(resends) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
