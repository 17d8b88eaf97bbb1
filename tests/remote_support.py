"""A hub on a real socket with an SMS log, for remote turns (tests/test_remote_turns.py and its kin)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import PINS, HandClock, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.server.visitors import remote_sweep
from sms_support import code_from, read_log

SERVICE = "IN1"


@dataclass
class Live:
    url: str
    log: Path
    app: object
    kiosk: dict[str, str]
    clock: HandClock

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> requests.Response:
        return requests.post(f"{self.url}/api/v1{path}", json=body or {}, headers=headers or {}, timeout=10)

    def login(self, name: str, counter: int | None = None) -> dict[str, str]:
        r = self.post("/login", {"username": name, "pin": PINS[name], "counter": counter})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def messages(self, count: int) -> list[dict]:
        return read_log(self.log, count)

    def join(self, phone: str, service: str = SERVICE) -> requests.Response:
        before = len(self.log.read_text(encoding="utf-8").splitlines()) if self.log.exists() else 0
        self.clock.advance(seconds=61)  # one code a minute per phone
        assert self.post("/remote/verify", {"phone": phone}).status_code == 202
        code = code_from(self.messages(before + 1)[before])
        return self.post("/remote/tickets", {"service": service, "phone": phone, "code": code})

    def walk_in(self, key: str) -> dict:
        r = self.post("/tickets", {"service": SERVICE}, {**self.kiosk, "Idempotency-Key": key})
        assert r.status_code == 201, r.text
        return r.json()

    def sweep(self) -> None:
        """What the sweeper thread does after each change, run now (the test need not wait for it)."""
        hub = self.app.extensions["navbat.hub"]
        remote_sweep.sweep(hub.floor, hub.read, hub.branch, hub.estimates, hub.outbox)


@pytest.fixture
def live(branch: Branch, tmp_path: Path) -> Iterator[Live]:
    log, clock = tmp_path / "sms.log", HandClock(dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.UTC))
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), CLOCK=clock)
    url, stop = serve_in_thread(app)
    yield Live(url, log, app, {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}, clock)
    stop()
