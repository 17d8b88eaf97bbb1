"""What a few addresses or one kiosk token can make a branch spend (issue 23), against `navbat hub`
over real sockets, each attacker address a loopback address of its own (127.0.0.k):

    .venv/bin/python benchmarks/budgets.py [--kiosk-seconds 30]

1. 600 SMS codes to 600 numbers from 30 addresses (20 each: the per-address limit lets them all
   through): how many codes were sent, against the branch's SMS budget;
2. a booking flood from 4 addresses (a fresh phone and its code per attempt): how many of the
   day's places they took;
3. 99 tickets from one kiosk token at once, then a kiosk at 1 ticket / 3 s: how many were issued.

The branch file is the demo's with bookings taken at any hour (so that the run works at night) and 90 %
of the plan kept for them (a day of some 75 places, as in the measured flood).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent


class FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", FromAddress(address))
    return s


def navbat(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "navbat", *args], check=True, capture_output=True, text=True,
                          cwd=ROOT).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sms_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def code_for(log: Path, phone: str, timeout: float = 10.0) -> str | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [m for m in sms_lines(log) if m["to"] == phone]
        if found:
            return "".join(str("۰۱۲۳۴۵۶۷۸۹".index(c)) for c in found[-1]["text"] if c in "۰۱۲۳۴۵۶۷۸۹")
        time.sleep(0.02)
    return None


def sms_flood(url: str, log: Path) -> None:
    def flood(k: int) -> list[int]:
        with session_from(f"127.0.0.{k + 2}") as s:
            return [s.post(f"{url}/api/v1/remote/verify", json={"phone": f"0912{20 * k + i:07d}"}, timeout=30
                           ).status_code for i in range(20)]

    started = time.perf_counter()
    with ThreadPoolExecutor(30) as pool:
        codes = [c for cs in pool.map(flood, range(30)) for c in cs]
    took = time.perf_counter() - started
    time.sleep(2)  # the outbox's worker sends after each commit
    print(f"SMS flood: 600 codes from 30 addresses in {took:.1f} s: {codes.count(202)} accepted, "
          f"{codes.count(429)} refused (429), {len(sms_lines(log))} SMS left the hub")


def booking_day(url: str, services: list[str]) -> tuple[str, str, int]:
    """The sub-service and coming day with the most free places (a whole working day, not what is left
    of today): (service, day, places)."""
    today, best = dt.date.today(), ("", "", 0)
    for service in services:
        for k in range(10):
            day = (today + dt.timedelta(days=k)).isoformat()
            r = requests.get(f"{url}/api/v1/appointments/slots", params={"service": service, "date": day}, timeout=10)
            places = sum(s["free"] for s in r.json()["slots"]) if r.ok else 0
            best = max(best, (service, day, places), key=lambda b: b[2])
    if not best[2]:
        raise SystemExit("no day with free places in the coming ten")
    return best


def booking_flood(url: str, log: Path, services: list[str]) -> None:
    service, day, places = booking_day(url, services)

    def flood(k: int) -> list[int]:
        out = []
        with session_from(f"127.0.1.{k + 1}") as s:
            for i in range(20):  # the address's 20 codes an hour
                phone = f"0935{1000 * k + i:07d}"
                if s.post(f"{url}/api/v1/remote/verify", json={"phone": phone}, timeout=10).status_code != 202:
                    out.append(0)
                    continue
                code = code_for(log, phone)
                slots = s.get(f"{url}/api/v1/appointments/slots", params={"service": service, "date": day},
                              timeout=10).json()["slots"]
                free = next((x["start"] for x in slots if x["free"] > 0), None)
                if free is None:
                    break
                body = {"service": service, "date": day, "start": free, "phone": phone, "code": code}
                out.append(s.post(f"{url}/api/v1/appointments", json=body, timeout=10).status_code)
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        per_address = list(pool.map(flood, range(4)))
    took = time.perf_counter() - started
    booked = [codes.count(201) for codes in per_address]
    print(f"booking flood: 4 addresses, {sum(len(c) for c in per_address)} attempts in {took:.1f} s: booked "
          f"{sum(booked)} of {day}'s {places} {service} places ({' + '.join(map(str, booked))}), "
          f"answers {dict(sorted(Counter(c for cs in per_address for c in cs).items()))} (0: no code sent)")


def kiosk_drain(url: str, token: str, seconds: float) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with requests.Session() as s:
        codes = [s.post(f"{url}/api/v1/tickets", json={"service": "IN1"}, headers={**auth, "Idempotency-Key": f"d{i}"},
                        timeout=10).status_code for i in range(99)]
        print(f"kiosk drain: 99 IN1 tickets from one token at once: {codes.count(201)} issued, "
              f"{codes.count(429)} refused (429)")
        time.sleep(20)  # the bucket refills
        busy, n = [], 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            busy.append(s.post(f"{url}/api/v1/tickets", json={"service": ("IN2", "PR1", "RG1")[n % 3]},
                               headers={**auth, "Idempotency-Key": f"b{n}"}, timeout=10).status_code)
            n += 1
            time.sleep(3)
        print(f"busy kiosk: 1 ticket / 3 s for {seconds:.0f} s: {busy.count(201)} of {len(busy)} issued")


@contextmanager
def running_hub(folder: Path, config: Path) -> Iterator[tuple[str, Path, str]]:
    """A fresh `navbat hub` (its own database and SMS log): (url, SMS log, kiosk token)."""
    folder.mkdir()
    db, log = folder / "hub.sqlite", folder / "sms.log"
    token = navbat("device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)).splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--config", str(config), "--db", str(db),
                            "--port", str(port), "--ignore-hours", "--sms-log", str(log)], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield url, log, token
    finally:
        hub.terminate()
        hub.wait(10)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--kiosk-seconds", type=float, default=30.0)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="navbat-budgets-"))
    raw = yaml.safe_load((ROOT / "config" / "branches.yaml").read_text(encoding="utf-8"))
    # bookings at any hour (the run works at night), and most of the plan kept for them: a day of some
    # 75 places, as in the measured flood (the demo keeps 0.2: some 9 a day per sub-service)
    raw["appointments"] = {**raw["appointments"], "booking_hours": "00:00-23:59", "share": 0.9}
    config = tmp / "branch.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with running_hub(tmp / "sms", config) as (url, log, _):
        sms_flood(url, log)
    with running_hub(tmp / "book", config) as (url, log, _):
        booking_flood(url, log, [s["code"] for u in raw["units"] for s in u["services"]])
    with running_hub(tmp / "kiosk", config) as (url, _, token):
        kiosk_drain(url, token, args.kiosk_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
