"""A branch's requests desk at a hand-set Tehran time (the requests' tests)."""

from __future__ import annotations

import datetime as dt
import json

import jdatetime
from conftest import PINS, HandClock, make_app
from navbat.server.hub import EXTENSION

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))  # Asia/Tehran, no summer time since 2022


def tehran(jalali: str, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    y, m, d = (int(p) for p in jalali.split("-"))
    return dt.datetime.combine(jdatetime.date(y, m, d).togregorian(), dt.time(hour, minute, second), tzinfo=TEHRAN)


class Desk:
    """A hub on a hand-moved clock, with a clerk at counter 5 (registration) and one at 6 (pensions)."""

    def __init__(self, branch, tmp_path, when: dt.datetime) -> None:  # noqa: ANN001
        self.clock = HandClock(when)
        self.app = make_app(branch, tmp_path / "r.sqlite", CLOCK=self.clock)
        self.hub = self.app.extensions[EXTENSION]
        self.client = self.app.test_client()
        self.kiosk = {"Authorization": f"Bearer {self.app.config['KIOSK_TOKEN']}"}
        self.auth = {n: self.login(f"clerk{n}", n) for n in (5, 6)}
        for n in (5, 6):
            assert self.client.post(f"/api/v1/counters/{n}/open", headers=self.auth[n]).status_code == 200
        self.keys = 0

    def login(self, user: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": user, "pin": PINS[user], **({"counter": counter} if counter else {})}
        return {"Authorization": f"Bearer {self.client.post('/api/v1/login', json=body).json['token']}"}

    def register(self, service: str = "RG3", counter: int = 5) -> str:
        """A visit of `service` that ends registered; returns its tracking code."""
        self.keys += 1
        r = self.client.post("/api/v1/tickets", json={"service": service},
                             headers={**self.kiosk, "Idempotency-Key": f"k{self.keys}"})
        code = r.json["tracking_code"]
        auth = self.auth[counter]
        assert self.client.post(f"/api/v1/counters/{counter}/next", headers=auth).status_code == 200
        r = self.client.post(f"/api/v1/counters/{counter}/done", json={"outcome": "registered"}, headers=auth)
        assert r.status_code == 200 and r.json["outcome"] == "registered", r.json
        return code

    def request(self, code: str) -> dict:
        r = self.client.get(f"/api/v1/tickets/{code}")
        assert r.status_code == 200
        return r.json["request"]

    def events(self, type_: str) -> list[dict]:
        return [json.loads(r[0]) for r in self.hub.store.writer.execute(
            "SELECT data FROM events WHERE type=? ORDER BY id", [type_])]
