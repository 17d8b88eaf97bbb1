"""Budgets the head sets and HQ sees (issue 23): what a few addresses or a kiosk token can make the
branch spend. Floods over real sockets, each address a loopback address of its own (127.0.0.k):
600 SMS codes from 30 addresses stop at the branch's budget; a booking flood from 4 addresses takes
a bounded share of the day; a kiosk token's drain is capped while a real kiosk's pace passes."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from axe import assert_accessible, axe_context
from conftest import PINS, HandClock, chromium, make_app, serve_in_thread
from hq_support import HQProcess, connect, wait_until
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch, load_config
from navbat.hq import budgets as hq_budgets
from navbat.hq.accounts import add_branch, add_user
from navbat.server.hqlink.shipping import Shipper, backlog
from navbat.server.hub import EXTENSION
from requests.adapters import HTTPAdapter
from sms_support import code_from, read_log

TEHRAN = ZoneInfo("Asia/Tehran")
SATURDAY_7 = dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN)  # a working day, within booking hours


class FromAddress(HTTPAdapter):
    """Connections from one loopback address: the hub sees each as its own visitor."""

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


def phone(n: int) -> str:
    return f"0912{n:07d}"


@pytest.fixture
def defaults() -> Branch:
    """The branch file as shipped: its budgets at their defaults (conftest loosens them for other tests)."""
    return load_config()


@pytest.fixture
def live(defaults: Branch, tmp_path: Path) -> Iterator[tuple[str, Path, object]]:
    log = tmp_path / "sms.log"
    app = make_app(defaults, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    url, stop = serve_in_thread(app, threads=32)
    yield url, log, app
    stop()


def sms_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def test_600_codes_from_30_addresses_send_at_most_the_budget(live: tuple[str, Path, object],
                                                             defaults: Branch) -> None:
    url, log, app = live
    budget = defaults.budgets.sms_per_hour

    def flood(k: int) -> list[requests.Response]:
        with session_from(f"127.0.0.{k + 2}") as s:  # 20 numbers each: the per-address limit lets them all through
            return [s.post(f"{url}/api/v1/remote/verify", json={"phone": phone(20 * k + i)}, timeout=30)
                    for i in range(20)]

    with ThreadPoolExecutor(30) as pool:
        answers = [r for rs in pool.map(flood, range(30)) for r in rs]
    sent = [r for r in answers if r.status_code == 202]
    refused = [r for r in answers if r.status_code == 429]
    assert len(sent) + len(refused) == 600, {r.status_code for r in answers}
    assert len(sent) == budget  # every code up to the budget, not one past it
    assert {r.json()["error"] for r in refused} == {"sms_budget_spent"}
    assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
    read_log(log, budget)
    assert len(sms_lines(log)) == budget  # and nothing past it left the hub
    # the head sees it spent (/head's remote page draws this)
    with app.test_client() as c:
        token = c.post("/api/v1/login", json={"username": "head", "pin": PINS["head"]}).json["token"]
        status = c.get("/api/v1/remote/sms-status", headers={"Authorization": f"Bearer {token}"}).json
    assert status["budget"]["state"] == "spent" and status["budget"]["hour"] == {"used": budget, "budget": budget}


def test_the_head_sets_the_budget_its_alarm_nears_and_a_restart_keeps_the_count(defaults: Branch,
                                                                                 tmp_path: Path) -> None:
    clock = HandClock(SATURDAY_7)
    db, log = tmp_path / "hub.sqlite", tmp_path / "sms.log"
    app = make_app(defaults, db, SMS_LOG=str(log), CLOCK=clock)
    c = app.test_client()
    head = {"Authorization": "Bearer " + c.post("/api/v1/login", json={"username": "head",
                                                                      "pin": PINS["head"]}).json["token"]}
    r = c.put("/api/v1/remote/settings", json={"sms_per_hour": 5, "sms_per_day": 8}, headers=head)
    assert r.status_code == 200, r.json
    assert r.json["budgets"]["sms_per_hour"] == 5
    assert c.put("/api/v1/remote/settings", json={"sms_per_hour": 0}, headers=head).json["error"] == "bad_setting"

    def ask(n: int):  # noqa: ANN202
        return c.post("/api/v1/remote/verify", json={"phone": phone(n)}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})

    for n in range(4):
        assert ask(n).status_code == 202
    status = c.get("/api/v1/remote/sms-status", headers=head).json["budget"]
    assert status["state"] == "near" and status["percent"] == 80.0  # 4 of 5: the alarm's 80 %
    assert ask(4).status_code == 202
    refused = ask(5)
    assert refused.status_code == 429 and refused.json["error"] == "sms_budget_spent"
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    read_log(log, 5)  # all sent before the restart (make_app's set-up writes outside the floor's lock)
    app.extensions[EXTENSION].stop()

    again = make_app(defaults, db, SMS_LOG=str(log), CLOCK=clock)  # a restart counts from the outbox
    c = again.test_client()
    assert ask(6).status_code == 429
    clock.advance(minutes=61)
    assert [ask(n).status_code for n in range(7, 11)] == [202, 202, 202, 429]  # the day's 8
    assert ask(11).json["error"] == "sms_budget_spent"
    page = c.post("/join/code", data={"service": "IN1", "phone": phone(12)}, environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert page.status_code == 429 and "نمی‌تواند کد دیگری بفرستد" in page.get_data(as_text=True)
    again.extensions[EXTENSION].stop()
    assert len(sms_lines(log)) <= 8


def test_a_kiosk_token_cannot_drain_numbers_but_a_busy_kiosk_never_meets_the_cap(defaults: Branch,
                                                                                 tmp_path: Path) -> None:
    clock = HandClock(SATURDAY_7)
    app = make_app(defaults, tmp_path / "hub.sqlite", CLOCK=clock)
    c, kiosk = app.test_client(), {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}

    def issue(key: str, service: str = "IN1"):  # noqa: ANN202
        return c.post("/api/v1/tickets", json={"service": service}, headers={**kiosk, "Idempotency-Key": key})

    drain = [issue(f"drain-{i}") for i in range(99)]  # 99 at one instant
    made = [r for r in drain if r.status_code == 201]
    assert len(made) == defaults.budgets.kiosk_burst
    refused = [r for r in drain if r.status_code == 429]
    assert len(refused) == 99 - len(made) and {r.json["error"] for r in refused} == {"too_many_tickets"}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    replay = issue("drain-0")  # a retry of a ticket made is free, even with the bucket empty
    assert replay.status_code == 200 and replay.json["number"] == made[0].json["number"]
    # others can still take IN1's numbers: a sub-service block of 99 is far from drained
    clock.advance(minutes=1)
    services = ["IN1", "IN2", "PR1", "RG1"]
    pace = [issue(f"busy-{i}", services[i % 4]).status_code for i in range(120)  # 6 minutes at 1 ticket / 3 s
            if not clock.advance(seconds=3)]
    assert pace == [201] * 120
    app.extensions[EXTENSION].stop()


class Booker:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log
        self.asked = 0

    def slots(self) -> list[dict]:
        r = requests.get(f"{self.url}/api/v1/appointments/slots", params={"service": "PR2", "date": "2026-11-28"},
                         timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["slots"]

    def attempt(self, s: requests.Session, number: str) -> requests.Response:
        """One booking as a flooder makes it: a code for a fresh phone, then the first free slot."""
        asked = s.post(f"{self.url}/api/v1/remote/verify", json={"phone": number}, timeout=10)
        if asked.status_code != 202:
            return asked
        code = code_from(_wait_code(self.log, number))
        free = next(x["start"] for x in self.slots() if x["free"] > 0)
        return s.post(f"{self.url}/api/v1/appointments", json={"service": "PR2", "date": "2026-11-28",
                                                                "start": free, "phone": number, "code": code},
                      timeout=10)


def _codes(log: Path, number: str) -> list[dict]:
    """The code messages sent to `number` (not its turn's other messages, which carry digits too)."""
    return [m for m in sms_lines(log) if m["to"] == number and m["text"].startswith("کد نوبت")]


def _wait_code(log: Path, number: str, seen: int = 0) -> dict:
    """The newest code sent to `number` once more than `seen` have been (the outbox sends after the commit)."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        found = _codes(log, number)
        if len(found) > seen:
            return found[-1]
        time.sleep(0.02)
    raise AssertionError(f"no code for {number}")


def test_a_booking_flood_from_4_addresses_takes_a_bounded_share_of_the_day(defaults: Branch,
                                                                           tmp_path: Path) -> None:
    cfg = Appointments(share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={"PR2": 0.9})
    branch = defaults.model_copy(update={"appointments": cfg})
    clock, log = HandClock(SATURDAY_7), tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), CLOCK=clock)
    url, stop = serve_in_thread(app)
    try:
        booker = Booker(url, log)
        places = sum(s["free"] for s in booker.slots())
        share = max(1, int(branch.budgets.address_day_share * places))

        def flood(k: int) -> list[requests.Response]:
            with session_from(f"127.0.1.{k + 1}") as s:
                return [booker.attempt(s, phone(1000 * k + i)) for i in range(12)]

        with ThreadPoolExecutor(4) as pool:
            per_address = list(pool.map(flood, range(4)))
        booked = [sum(r.status_code == 201 for r in rs) for rs in per_address]
        assert booked == [min(share, branch.budgets.bookings_per_address_hour)] * 4, booked
        refusals = {r.json()["error"] for rs in per_address for r in rs if r.status_code == 429}
        assert refusals <= {"too_many_bookings", "address_share_spent"} and refusals
        clock.advance(hours=2)  # the hour's limit is over; the day's share is not
        with session_from("127.0.1.1") as s:
            late = booker.attempt(s, phone(9000))
        assert late.status_code == 429 and late.json()["error"] == "address_share_spent"
        left = sum(s["free"] for s in booker.slots())
        assert left == places - sum(booked) and left > places / 2  # most of the day is still there for others
        with session_from("127.0.2.1") as s:
            assert booker.attempt(s, phone(9001)).status_code == 201
        # the booking page says it in Persian
        with session_from("127.0.1.2") as s:
            number = phone(9002)
            s.post(f"{url}/api/v1/remote/verify", json={"phone": number}, timeout=10)
            code = code_from(_wait_code(log, number))
            free = next(x["start"] for x in booker.slots() if x["free"] > 0)
            page = s.post(f"{url}/book/confirm", data={"service": "PR2", "date": "2026-11-28", "start": free,
                                                       "phone": number, "code": code}, timeout=10)
        assert page.status_code == 429 and "روز دیگری را انتخاب کنید" in page.text
    finally:
        stop()


def test_head_sees_the_sms_alarm_and_sets_the_budgets(defaults: Branch, tmp_path: Path) -> None:
    app = make_app(defaults, tmp_path / "hub.sqlite", SMS_LOG=str(tmp_path / "sms.log"))
    url, stop = serve_in_thread(app)
    try:
        head = {"Authorization": "Bearer " + requests.post(f"{url}/api/v1/login", json={
            "username": "head", "pin": PINS["head"]}, timeout=5).json()["token"]}
        assert requests.put(f"{url}/api/v1/remote/settings", json={"sms_per_hour": 5}, headers=head,
                            timeout=5).status_code == 200
        for n in range(4):  # 4 of 5: the alarm's 80 %
            assert requests.post(f"{url}/api/v1/remote/verify", json={"phone": phone(n)}, timeout=5).status_code == 202
        with chromium() as browser:
            page = axe_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{url}/head")
            page.fill("input[name=pin]", PINS["head"])
            page.click("#login button[type=submit]")
            page.wait_for_function("() => !document.getElementById('sms-alarm').hidden")
            assert "سقف پیامک نزدیک است" in page.text_content("#sms-alarm")
            assert page.text_content("#sms-budget td[data-k=hour]") == "۴ / ۵"
            assert page.input_value("#remote-form [name=address_day_share]") == "10"
            page.fill("#remote-form [name=sms_per_hour]", "50")
            page.fill("#remote-form [name=address_day_share]", "5")
            page.click("#remote-form button[type=submit]")
            page.wait_for_function("() => document.getElementById('sms-alarm').hidden")
            assert_accessible(page, "/head budgets")
        spend = requests.get(f"{url}/api/v1/remote/settings", headers=head, timeout=5).json()["budgets"]
        assert spend["sms_per_hour"] == 50 and spend["address_day_share"] == 0.05
    finally:
        stop()


class Branchside:
    """A hub linked to HQ: its own database, SMS log and shipper."""

    def __init__(self, branch: Branch, folder: Path, hq_url: str, token: str) -> None:
        self.log, self.clock = folder / "sms.log", HandClock(dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.UTC))
        self.app = make_app(branch, folder / "hub.sqlite", SMS_LOG=str(self.log), CLOCK=self.clock)
        self.url, self._stop = serve_in_thread(self.app)
        self.shipper = self.app.extensions[EXTENSION].attach(Shipper(
            folder / "hub.sqlite", branch, hq_url, token, idle_s=0.1, max_backoff_s=0.5, timeout_s=5, clock=self.clock))
        self.codes: dict[str, str] = {}

    def join(self, number: str, fresh: bool = False) -> requests.Response:
        """A remote turn with the phone's code (a new one if `fresh` or none was asked here yet)."""
        if fresh or number not in self.codes:
            self.clock.advance(seconds=61)
            seen = len(_codes(self.log, number))
            assert requests.post(f"{self.url}/api/v1/remote/verify", json={"phone": number}, timeout=10).ok
            self.codes[number] = code_from(_wait_code(self.log, number, seen))
        return requests.post(f"{self.url}/api/v1/remote/tickets", timeout=10,
                             json={"service": "IN1", "phone": number, "code": self.codes[number]})

    def contacted(self) -> bool:
        with self.app.extensions[EXTENSION].read() as db:
            return backlog(db)["last_ok_at"] is not None

    def stop(self) -> None:
        self._stop()  # the server, then the hub's workers (the shipper among them)


def hq_open_turns(url: str) -> list[tuple[str, str]]:
    with connect(url) as conn:
        return [(r["branch"], r["phone_hash"]) for r in conn.execute("SELECT branch, phone_hash FROM open_turns")]


def test_one_open_remote_turn_per_phone_across_branches(defaults: Branch, tmp_path: Path, hq_db: str,  # noqa: F811
                                                        hq_process: HQProcess) -> None:  # noqa: F811
    with connect(hq_db) as conn:
        tokens = [add_branch(conn, f"tehran-0{k}", "تهران", "مرکزی", "1") for k in (1, 2)]
        add_user(conn, "boss", "national", "9999")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a = Branchside(defaults, tmp_path / "a", hq_process.url, tokens[0])
    b = Branchside(defaults, tmp_path / "b", hq_process.url, tokens[1])
    try:
        wait_until(lambda: a.contacted() and b.contacted())
        first = a.join(phone(1))
        assert first.status_code == 201, first.text
        second = b.join(phone(1))  # at once: HQ holds A's claim before any batch
        assert second.status_code == 409 and second.json()["error"] == "open_turn_elsewhere", second.text
        assert a.join(phone(1), fresh=True).json()["error"] == "open_turn"  # and within the branch, always
        assert all(phone(1) not in h for _, h in hq_open_turns(hq_db))  # HQ keeps a hash, never the number
        # the turn ends at A: its next batch frees the phone, and B takes it (the same code: the refusal kept it)
        head = {"Authorization": "Bearer " + requests.post(f"{a.url}/api/v1/login", timeout=5, json={
            "username": "head", "pin": PINS["head"]}).json()["token"]}
        assert requests.post(f"{a.url}/api/v1/tickets/{first.json()['id']}/cancel", headers=head,
                             timeout=5).status_code == 200
        wait_until(lambda: not hq_open_turns(hq_db))
        assert b.join(phone(1)).status_code == 201
        # the SMS budget's use arrives with the batches
        wait_until(lambda: _sms_budget(hq_db, "tehran-02") is not None)
        assert _sms_budget(hq_db, "tehran-02")["hour"]["used"] >= 1

        # HQ away: a turn waits a bounded time for it, then is allowed (fail open) ...
        hq_process.stop()
        started = time.monotonic()
        assert a.join(phone(2)).status_code == 201
        assert b.join(phone(2)).status_code == 201
        assert time.monotonic() - started < 8
        # ... and once back, HQ sees the phone at both branches from their batches
        hq_process.start()
        with connect(hq_db) as conn:
            wait_until(lambda: hq_budgets.several_branches(conn) == 1)
        # what /hq draws: each branch's SMS budget as last shipped, and the phones at several branches
        boss = {"Authorization": "Bearer " + requests.post(f"{hq_process.url}/api/v1/hq/login", timeout=10, json={
            "username": "boss", "pin": "9999"}).json()["token"]}
        seen = requests.get(f"{hq_process.url}/api/v1/hq/branches", headers=boss, timeout=10).json()
        assert seen["phones_at_several_branches"] == 1
        assert {b["branch"]: b["sms_budget"]["state"] for b in seen["branches"]} == {"tehran-01": "ok",
                                                                                       "tehran-02": "ok"}
        # B's head lowers its budget to 5 an hour: 4 sent (2 codes, 2 "joined") is its 80 %, and /hq warns
        head_b = {"Authorization": "Bearer " + requests.post(f"{b.url}/api/v1/login", timeout=5, json={
            "username": "head", "pin": PINS["head"]}).json()["token"]}
        assert requests.put(f"{b.url}/api/v1/remote/settings", json={"sms_per_hour": 5}, headers=head_b,
                            timeout=5).status_code == 200
        wait_until(lambda: (_sms_budget(hq_db, "tehran-02") or {}).get("state") == "near")
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{hq_process.url}/hq")
            page.fill("input[name=username]", "boss")
            page.fill("input[name=pin]", "9999")
            page.click("#login button")
            page.wait_for_selector("#sms-budgets li.near")
            # only B is near (both demo hubs carry the same branch name, so count them): 4 of 5 is 80 %
            assert page.locator("#sms-budgets li").count() == 1
            assert "۸۰٪" in page.text_content("#sms-budgets li.near")
            assert "۱" in page.text_content("#several-turns")
    finally:
        a.stop()
        b.stop()


def _sms_budget(url: str, branch: str) -> dict | None:
    with connect(url) as conn:
        row = conn.execute("SELECT budgets FROM branches WHERE id=%s", [branch]).fetchone()
    return (row["budgets"] or {}).get("sms")
