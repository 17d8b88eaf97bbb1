"""A branch hub relaying remote turns to a real `navbat hq` (tests/test_hq_relay.py and its kin)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import HandClock, make_app, serve_in_thread
from flask import Flask
from hq_support import HQProcess, connect, wait_until
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from navbat.server.hqlink.relay import RelayClient
from navbat.server.hqlink.shipping import profile
from psycopg.types.json import Jsonb
from sms_support import code_from

BRANCH_ID = "tehran-01"


SERVICE = "PN1"


SATURDAY = dt.date(2026, 11, 28)


@dataclass
class Setup:
    hq: HQProcess
    app: Flask
    log: Path
    clock: HandClock
    token: str
    client: RelayClient | None = None

    @property
    def base(self) -> str:
        return f"{self.hq.url}/b/{BRANCH_ID}"

    def connect(self) -> None:
        self.client = RelayClient(self.app, self.hq.url, self.token, poll_wait_s=2).start()
        wait_until(lambda: self.online() is True, timeout=10)

    def disconnect(self) -> None:
        self.client.stop()
        self.client = None

    def online(self) -> bool:
        """The branch's relay state as HQ's API reports it to a national user."""
        login = requests.post(f"{self.hq.url}/api/v1/hq/login", json={"username": "nat", "pin": "1234"}, timeout=5)
        rows = requests.get(f"{self.hq.url}/api/v1/hq/branches", timeout=5,
                            headers={"Authorization": f"Bearer {login.json()['token']}"}).json()["branches"]
        return next(b for b in rows if b["branch"] == BRANCH_ID)["relay_online"]

    def tickets(self) -> int:
        with self.app.extensions["navbat.hub"].read() as db:
            return db.execute("SELECT count(*) FROM tickets").fetchone()[0]

    def code(self, phone: str, count: int = 1) -> str:
        """The code in the newest of the first `count` texts to `phone` (the worker sends after the commit)."""
        def texts() -> list[dict]:
            lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
            return [m for m in map(json.loads, lines) if m["to"] == phone]

        wait_until(lambda: len(texts()) >= count, timeout=5)
        return code_from(texts()[count - 1])


@pytest.fixture
def relayed(branch: Branch, tmp_path: Path, hq_process: HQProcess) -> Iterator[Setup]:  # noqa: F811
    from navbat.hq.accounts import add_branch, add_user

    with connect(hq_process.db_url) as conn:
        token = add_branch(conn, BRANCH_ID, "تهران", "مرکزی", "1")
        add_user(conn, "nat", "national", "1234")
        # the name, as the branch's shipper sends it with its first batch
        conn.execute("UPDATE branches SET profile=%s WHERE id=%s", [Jsonb(profile(branch)), BRANCH_ID])
    branch = branch.model_copy(update={"appointments": Appointments(share=0.2, booking_hours="06:00-22:00",
                                                                     slot_minutes=60, shares={"PR2": 0.9})})
    clock = HandClock(dt.datetime(2026, 11, 28, 7, 0, tzinfo=ZoneInfo("Asia/Tehran")))
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), CLOCK=clock)
    _, stop = serve_in_thread(app)  # the hub serves its own hall as ever; HQ reaches it only by the relay
    setup = Setup(hq_process, app, log, clock, token)
    setup.connect()
    yield setup
    if setup.client:
        setup.disconnect()
    stop()
