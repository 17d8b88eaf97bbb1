"""One scenario followed across the visitor's surfaces (issue 24): a walk-in, a priority visitor, a
remote turn checked in and an appointment checked in, all for one sub-service, on a real hub. At one
moment each ticket's number and people ahead are said alike by the API, the kiosk's screen, the
printed slip and the phone page, in the same words (the wait too), and the remote turn's SMS says
the count its page said; once called, the wall's view-model, the counter's
API and the phone page name the same number and counter; a transfer is followed the same way."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import PINS, HandClock, make_app, serve_in_thread
from navbat.counter_display.viewmodel import WallModel
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from navbat.foundation.persian import digits
from navbat.kiosk import views as kiosk_views
from navbat.printer.layout import people_line, wait_line
from navbat.printer.slip import slip_from_ticket
from sms_support import code_from, read_log

TEHRAN = ZoneInfo("Asia/Tehran")
SERVICE = "PR2"
OTHER = "PR1"  # where a transfer sends a visitor on


@dataclass
class Hub:
    url: str
    log: Path
    clock: HandClock
    app: object

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> requests.Response:
        return requests.post(f"{self.url}/api/v1{path}", json=body or {}, headers=headers or {}, timeout=10)

    def sms_to(self, phone: str, containing: str, wait: float = 10.0) -> str:
        """The text of the SMS worker's message to `phone` that holds `containing` (sent in the background)."""
        deadline = time.monotonic() + wait
        while True:
            found = [m["text"] for m in read_log(self.log, 0) if m["to"] == phone and containing in m["text"]]
            if found or time.monotonic() > deadline:
                assert found, f"no SMS to {phone} with {containing!r}"
                return found[-1]
            time.sleep(0.05)

    def sms_code(self, phone: str) -> str:
        before = len(read_log(self.log, 0))
        assert self.post("/remote/verify", {"phone": phone}).status_code == 202
        return code_from([m for m in read_log(self.log, before + 1) if m["to"] == phone][-1])


@pytest.fixture
def hub(branch: Branch, tmp_path: Path) -> Iterator[Hub]:
    cfg = Appointments(share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={SERVICE: 0.9})
    clock = HandClock(dt.datetime(2026, 11, 28, 7, 20, tzinfo=TEHRAN))  # a Saturday; a 07:30 slot checks in now
    app = make_app(branch.model_copy(update={"appointments": cfg}), tmp_path / "hub.sqlite",
                   SMS_LOG=str(tmp_path / "sms.log"), CLOCK=clock)
    url, stop = serve_in_thread(app)
    yield Hub(url, tmp_path / "sms.log", clock, app)
    stop()


def test_every_surface_says_the_same_number_and_people_ahead(hub: Hub) -> None:
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}"}
    clerk = {"Authorization": "Bearer " + hub.post("/login", {"username": "clerk1", "pin": PINS["clerk1"],
                                                             "counter": 1}).json()["token"]}
    assert hub.post("/counters/1/open", headers=clerk).status_code == 200
    tickets = {}
    tickets["walk-in"] = hub.post("/tickets", {"service": SERVICE}, {**kiosk, "Idempotency-Key": "w"}).json()
    tickets["priority"] = hub.post("/tickets", {"service": SERVICE, "priority": "elderly"},
                                   {**kiosk, "Idempotency-Key": "p"}).json()
    phone = "09121230001"
    turn = hub.post("/remote/tickets", {"service": SERVICE, "phone": phone, "code": hub.sms_code(phone)}).json()
    # the SMS that gives the turn says the people ahead its page says at that moment (come now: 2 <= 3)
    held = requests.get(f"{hub.url}/api/v1/tickets/{turn['tracking_code']}", timeout=10).json()
    sms = hub.sms_to(phone, f"/t/{turn['tracking_code']}")
    said_ahead = re.search(r"([۰-۹]+) نفر جلوتر", sms)
    assert said_ahead and said_ahead.group(1) == digits(held["people_ahead"], "fa") == "۲", sms
    tickets["remote"] = hub.post(f"/tickets/{turn['tracking_code']}/check-in", headers=kiosk).json()
    hub.clock.advance(seconds=61)
    booker = "09121230002"
    booking = requests.post(f"{hub.url}/api/v1/appointments", json={
        "service": SERVICE, "date": "2026-11-28", "start": "07:30", "phone": booker, "code": hub.sms_code(booker)},
        timeout=10).json()
    tickets["appointment"] = hub.post(f"/appointments/{booking['code']}/check-in", headers=kiosk).json()

    seen, waits = {}, {}
    for kind, answer in tickets.items():  # one moment: nothing changes on the floor in this loop
        code = answer["tracking_code"]
        api = requests.get(f"{hub.url}/api/v1/tickets/{code}", timeout=10).json()
        number, ahead = api["number"], api["people_ahead"]
        seen[kind] = (number, ahead)
        said = kiosk_views.ticket_view(api, True, "fa")  # the kiosk's ticket screen
        slip = slip_from_ticket(api, hub.url, "fa")  # the paper
        page = requests.get(f"{hub.url}/t/{code}", timeout=10).text  # the phone
        assert said.number == digits(number, "fa") == digits(slip.number, "fa"), kind
        assert said.ahead == people_line(slip), (kind, said.ahead, people_line(slip))  # same words
        assert said.ahead in page and digits(number, "fa") in page, (kind, said.ahead)
        # the wait: the screen's line is the slip's, and the phone page says it too (it said
        # "about 8 minutes (between 5 and 12)" where the paper said "5 to 12 minutes")
        assert said.estimate == wait_line(slip), (kind, said.estimate, wait_line(slip))
        assert said.estimate in " ".join(page.split()), (kind, said.estimate)
        waits[kind] = said.estimate
    assert len({n for n, _ in seen.values()}) == 4  # four tickets, four numbers
    assert sorted(a for _, a in seen.values()) == [0, 1, 2, 3]  # one line, one count: no two say the same place
    assert all(w.startswith("زمان تقریبی انتظار: ") for w in waits.values()), waits  # one phrase for "estimated wait"

    first = hub.post("/counters/1/next", headers=clerk).json()
    wall = WallModel("fa")
    wall.load_calls(requests.get(f"{hub.url}/api/v1/calls?limit=8", timeout=10).json()["calls"])
    counter = requests.get(f"{hub.url}/api/v1/counters/1", headers=clerk, timeout=10).json()
    called = next(kind for kind, (n, _) in seen.items() if n == first["number"])
    assert seen[called][1] == 0  # the one with nobody ahead is the one called
    assert wall.view().number == digits(first["number"], "fa")
    assert counter["current_ticket"]["number"] == first["number"]
    page = requests.get(f"{hub.url}/t/{tickets[called]['tracking_code']}", timeout=10).text
    assert "باجه ۱" in page
    # a transfer: the clerk sends the called visitor on to another sub-service; at once the counter is
    # free, and the visitor's number, place and wait are said alike by the API, the kiosk's words, the
    # slip's and the phone page; the floor's summary counts them waiting there
    start = hub.post("/counters/1/start", headers=clerk)
    assert start.status_code == 200, start.text
    moved = hub.post("/counters/1/transfer", {"service": OTHER}, clerk)
    assert moved.status_code == 200, moved.text
    code = tickets[called]["tracking_code"]
    api = requests.get(f"{hub.url}/api/v1/tickets/{code}", timeout=10).json()
    assert (api["service"], api["state"], api["number"]) == (OTHER, "waiting", first["number"])
    said = kiosk_views.ticket_view(api, True, "fa")
    slip = slip_from_ticket(api, hub.url, "fa")
    page = " ".join(requests.get(f"{hub.url}/t/{code}", timeout=10).text.split())
    assert said.ahead == people_line(slip) and said.ahead in page, (said.ahead, page[-600:])
    assert said.estimate == wait_line(slip) and said.estimate in page, (said.estimate, wait_line(slip))
    assert digits(api["number"], "fa") in page
    counter = requests.get(f"{hub.url}/api/v1/counters/1", headers=clerk, timeout=10).json()
    assert counter["current_ticket"] is None  # the clerk's console: nobody at the counter now
    services = requests.get(f"{hub.url}/api/v1/services", timeout=10).json()["services"]
    assert next(s for s in services if s["code"] == OTHER)["waiting"] >= 1  # the head's floor and the wall
