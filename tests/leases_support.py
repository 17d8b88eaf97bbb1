"""A hub over real sockets on a hand-moved clock, with two kiosks, for the lease tests (issue 26)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PINS, HandClock, make_app, serve_in_thread
from flask import Flask
from navbat.foundation.config import Branch
from navbat.server.hub import EXTENSION, Hub
from navbat.server.web.auth import add_device

API = "/api/v1"
START = dt.datetime(2026, 12, 7, 10, 0)  # a Monday morning, branch time


@dataclass
class Hall:
    app: Flask
    url: str
    clock: HandClock
    db_path: Path
    kiosks: dict[str, dict[str, str]]
    _keys: list[int] = field(default_factory=lambda: [0])

    @property
    def hub(self) -> Hub:
        return self.app.extensions[EXTENSION]

    def post(self, path: str, body: Any = None, who: str = "kiosk-1", **kw: Any) -> requests.Response:
        headers = self.kiosks[who] if who in self.kiosks else {}
        return requests.post(f"{self.url}{API}{path}", json=body, headers={**headers, **kw.pop("headers", {})},
                             timeout=30, **kw)

    def lease(self, service: str = "PR1", who: str = "kiosk-1") -> dict[str, Any]:
        r = self.post("/leases", {"service": service}, who)
        assert r.status_code == 201, r.text
        return r.json()

    def issue(self, service: str = "PR1", who: str = "kiosk-1") -> dict[str, Any]:
        self._keys[0] += 1
        self.last_key = f"online-{self._keys[0]}"
        r = self.post("/tickets", {"service": service}, who, headers={"Idempotency-Key": self.last_key})
        assert r.status_code == 201, r.text
        return r.json()

    def merge(self, tickets: list[dict[str, Any]], who: str = "kiosk-1", sent_at: dt.datetime | None = None
              ) -> list[dict[str, Any]]:
        sent = (sent_at or self.clock()).isoformat()
        r = self.post("/offline-tickets", {"sent_at": sent, "tickets": tickets}, who)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def login(self, name: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": name, "pin": PINS[name], **({"counter": counter} if counter else {})}
        r = requests.post(f"{self.url}{API}/login", json=body, timeout=10)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def rows(self, sql: str, args: list[Any] | None = None) -> list[tuple]:
        with self.hub.read() as db:
            return [tuple(r) for r in db.execute(sql, args or [])]


def offline(lease: dict[str, Any], index: int, issued_at: dt.datetime, key: str | None = None,
            priority: str | None = None) -> dict[str, Any]:
    """The journal entry of the kiosk's `index`-th ticket from `lease`."""
    n = lease["numbers"][index]
    return {"idempotency_key": key or f"L{lease['lease']}-{n['seq']}", "lease": lease["lease"], "seq": n["seq"],
            "number": n["number"], "service": lease["service"], "priority": priority,
            "issued_at": issued_at.isoformat()}


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the condition never held"
        time.sleep(0.05)


@pytest.fixture
def hall(branch: Branch, tmp_path: Path) -> Iterator[Hall]:
    clock = HandClock(START.replace(tzinfo=branch.tz))
    db_path = tmp_path / "navbat.sqlite"
    app = make_app(branch, db_path, CLOCK=clock)
    with app.extensions[EXTENSION].floor.write() as tx:  # beside the running workers (conftest.make_app)
        second = add_device(tx.db, "kiosk-2", "kiosk")
    kiosks = {"kiosk-1": {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"},
              "kiosk-2": {"Authorization": f"Bearer {second}"},
              "display": {"Authorization": f"Bearer {app.config['DISPLAY_TOKEN']}"}}
    url, stop = serve_in_thread(app)
    yield Hall(app, url, clock, db_path, kiosks)
    stop()
