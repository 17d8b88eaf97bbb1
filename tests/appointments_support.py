"""A hub on a real socket with appointments open, at a hand-set time (appointments' tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from conftest import HandClock, make_app, serve_in_thread
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from sms_support import code_from, read_log

TEHRAN = ZoneInfo("Asia/Tehran")


SATURDAY = dt.date(2026, 11, 28)  # a working day; Fridays are closed


class Live:
    def __init__(self, url: str, log: Path, clock: HandClock, app: object) -> None:
        self.url, self.log, self.clock, self.app = url, log, clock, app
        self.sent = 0
        self.phones: set[str] = set()

    def code(self, phone: str) -> str:
        if phone in self.phones:
            self.clock.advance(seconds=61)  # one code a minute per phone
        self.phones.add(phone)
        r = requests.post(f"{self.url}/api/v1/remote/verify", json={"phone": phone}, timeout=10)
        assert r.status_code == 202, r.text
        self.sent += 1
        return code_from([m for m in read_log(self.log, self.sent) if m["to"] == phone][-1])

    def slots(self, service: str = "PR2", day: dt.date = SATURDAY) -> requests.Response:
        return requests.get(f"{self.url}/api/v1/appointments/slots",
                            params={"service": service, "date": day.isoformat()}, timeout=10)

    def free(self, start: str, service: str = "PR2") -> int:
        return next(s["free"] for s in self.slots(service).json()["slots"] if s["start"] == start)

    def book(self, phone: str, start: str, service: str = "PR2", code: str | None = None) -> requests.Response:
        body = {"service": service, "date": SATURDAY.isoformat(), "start": start, "phone": phone,
                "code": code or self.code(phone)}
        return requests.post(f"{self.url}/api/v1/appointments", json=body, timeout=10)


def _live(branch: Branch, tmp_path: Path, when: dt.datetime, **appointments: object) -> Iterator[Live]:
    cfg = Appointments(**{"share": 0.2, "booking_hours": "06:00-22:00", **appointments})
    branch = branch.model_copy(update={"appointments": cfg})
    clock = HandClock(when)
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), CLOCK=clock)
    url, stop = serve_in_thread(app)
    yield Live(url, log, clock, app)
    stop()
