"""Appointments on the hub (issue 18 B), over real sockets: a day's slots, booking with the SMS
code from the file log, one open booking per phone, cancel, the slot's capacity under eight
concurrent bookers, the check-in window, and the engine calling the appointment at its slot."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from appointments_support import SATURDAY, TEHRAN, Live, _live
from conftest import PINS
from navbat.foundation.config import Branch
from navbat.server.hub import EXTENSION


@pytest.fixture
def live(branch: Branch, tmp_path: Path) -> Iterator[Live]:
    # 07:00 on Saturday; 60-minute slots and 90 % for PR2: its two counters, each a third on it,
    # take 2 × 60 ÷ 3 ÷ 6 min = 6.7 visits an hour, 6 of them by appointment (a very generous share, to race 8)
    yield from _live(branch, tmp_path, dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN),
                     slot_minutes=60, shares={"PR2": 0.9})


def test_slots_of_a_working_day_and_clear_refusals(live: Live) -> None:
    r = live.slots()
    assert r.status_code == 200, r.text
    slots = r.json()["slots"]
    assert [s["start"] for s in slots] == ["07:30", "08:30", "09:30", "10:30", "11:30", "12:30", "13:30"]
    assert {s["free"] for s in slots} == {6}  # 6.7 × 0.9 = 6.0 an hour
    assert {s["start"] for s in live.slots("PR1").json()["slots"]} <= {s["start"] for s in slots}
    closed = live.slots(day=dt.date(2026, 12, 4))  # a Friday
    assert closed.status_code == 409 and closed.json()["error"] == "branch_closed"
    assert live.slots(day=SATURDAY + dt.timedelta(days=30)).json()["error"] == "too_far_ahead"
    assert live.slots(day=SATURDAY - dt.timedelta(days=1)).json()["error"] == "day_past"
    bad = requests.get(f"{live.url}/api/v1/appointments/slots", params={"service": "PR2", "date": "1405-09-07x"},
                       timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_date"
    assert live.slots("NOPE").status_code == 404
    live.clock.now = dt.datetime(2026, 11, 28, 23, 0, tzinfo=TEHRAN)
    late = live.slots(day=SATURDAY + dt.timedelta(days=1))
    assert late.status_code == 409 and late.json()["error"] == "booking_closed"
    assert "06:00" in late.json()["message"]


def test_book_one_per_phone_cancel_frees_the_slot(live: Live) -> None:
    r = live.book("09121111111", "08:30")
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["state"] == "booked" and booking["start"] == "08:30" and len(booking["code"]) == 8
    assert booking["phone"].endswith("1111") and "0912" not in booking["phone"]
    assert live.free("08:30") == 5
    again = live.book("09121111111", "09:30")  # a second open booking for the phone
    assert again.status_code == 409 and again.json()["error"] == "booking_exists"
    wrong = live.book("09122222222", "09:30", code="00000")
    assert wrong.status_code == 403
    cancel = requests.post(f"{live.url}/api/v1/appointments/{booking['code'].lower()}/cancel", timeout=10)
    assert cancel.status_code == 200 and cancel.json()["state"] == "cancelled"
    assert live.free("08:30") == 6
    assert requests.post(f"{live.url}/api/v1/appointments/{booking['code']}/cancel", timeout=10).status_code == 200
    assert requests.post(f"{live.url}/api/v1/appointments/ZZZZZZZZ/cancel", timeout=10).status_code == 404
    # move = cancel + book: the phone may book again
    assert live.book("09121111111", "09:30").status_code == 201


def test_a_slot_is_never_overbooked_by_eight_concurrent_bookers(live: Live) -> None:
    phones = [f"0913000000{n}" for n in range(8)]
    codes = {p: live.code(p) for p in phones}  # codes first: the race is the booking itself
    assert live.free("07:30") == 6
    results: list[requests.Response] = []
    barrier = threading.Barrier(len(phones))

    def book(phone: str) -> None:
        barrier.wait()
        results.append(live.book(phone, "07:30", code=codes[phone]))

    threads = [threading.Thread(target=book, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 6 + [409] * 2, [r.text for r in results]
    assert {r.json()["error"] for r in results if r.status_code == 409} == {"slot_full"}
    assert len({r.json()["code"] for r in results if r.status_code == 201}) == 6
    assert live.free("07:30") == 0
    hub = live.app.extensions[EXTENSION]
    with hub.read() as db:
        assert db.execute("SELECT count(*) FROM appointments WHERE start='07:30' AND state='booked'").fetchone()[0] == 6


def test_check_in_window_then_the_engine_calls_it_at_its_slot(live: Live) -> None:
    booking = live.book("09124444444", "08:30").json()
    kiosk = {"Authorization": f"Bearer {live.app.config['KIOSK_TOKEN']}"}
    check_in = f"{live.url}/api/v1/appointments/{booking['code']}/check-in"
    assert requests.post(check_in, timeout=10).status_code == 401
    early = requests.post(check_in, headers=kiosk, timeout=10)  # 07:00: the window opens at 08:00
    assert early.status_code == 409 and early.json()["error"] == "outside_check_in_window"
    assert "08:00" in early.json()["message"] and "08:45" in early.json()["message"]
    # a walk-in takes a ticket at 08:05; the appointment checks in at 08:20
    live.clock.now = dt.datetime(2026, 11, 28, 8, 5, tzinfo=TEHRAN)
    walk_in = requests.post(f"{live.url}/api/v1/tickets", json={"service": "PR2"},
                            headers={**kiosk, "Idempotency-Key": "w1"}, timeout=10).json()
    live.clock.now = dt.datetime(2026, 11, 28, 8, 20, tzinfo=TEHRAN)
    first = requests.post(check_in, headers=kiosk, timeout=10)
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert ticket["state"] == "waiting" and ticket["service"] == "PR2" and ticket["appointment"]["start"] == "08:30"
    retry = requests.post(check_in, headers=kiosk, timeout=10)
    assert retry.status_code == 200 and retry.json()["id"] == ticket["id"]
    assert requests.post(f"{live.url}/api/v1/appointments/NOSUCHAP/check-in", headers=kiosk,
                         timeout=10).status_code == 404
    cancel = requests.post(f"{live.url}/api/v1/appointments/{booking['code']}/cancel", timeout=10)
    assert cancel.status_code == 409 and cancel.json()["error"] == "checked_in"
    # a clerk opens counter 1 (PR2 is its own) before the slot: the walk-in goes first
    login = requests.post(f"{live.url}/api/v1/login", json={"username": "clerk1", "pin": PINS["clerk1"],
                                                            "counter": 1}, timeout=10).json()
    clerk = {"Authorization": f"Bearer {login['token']}"}
    assert requests.post(f"{live.url}/api/v1/counters/1/open", headers=clerk, timeout=10).status_code == 200
    walk_in_2 = requests.post(f"{live.url}/api/v1/tickets", json={"service": "PR2"},
                              headers={**kiosk, "Idempotency-Key": "w2"}, timeout=10).json()
    called = requests.post(f"{live.url}/api/v1/counters/1/next", headers=clerk, timeout=10).json()
    assert called["id"] == walk_in["id"]
    requests.post(f"{live.url}/api/v1/counters/1/done", headers=clerk, json={}, timeout=10)
    # at 08:31 the appointment is due: called ahead of the walk-in who came at 08:20
    live.clock.now = dt.datetime(2026, 11, 28, 8, 31, tzinfo=TEHRAN)
    called = requests.post(f"{live.url}/api/v1/counters/1/next", headers=clerk, timeout=10).json()
    assert called["id"] == ticket["id"] and called["reason"].startswith("appointment, slot 1 min ago")
    assert called["appointment"]["start"] == "08:30"
    requests.post(f"{live.url}/api/v1/counters/1/done", headers=clerk, json={}, timeout=10)
    called = requests.post(f"{live.url}/api/v1/counters/1/next", headers=clerk, timeout=10).json()
    assert called["id"] == walk_in_2["id"] and called["appointment"] is None


def test_the_head_sees_today_s_slots_and_the_no_show_rate(live: Live) -> None:
    came = live.book("09125555555", "07:30").json()
    live.book("09126666666", "07:30")  # never checks in
    gone = live.book("09127777777", "08:30").json()
    requests.post(f"{live.url}/api/v1/appointments/{gone['code']}/cancel", timeout=10)
    kiosk = {"Authorization": f"Bearer {live.app.config['KIOSK_TOKEN']}"}
    live.clock.now = dt.datetime(2026, 11, 28, 7, 25, tzinfo=TEHRAN)
    assert requests.post(f"{live.url}/api/v1/appointments/{came['code']}/check-in", headers=kiosk,
                         timeout=10).status_code == 201
    login = requests.post(f"{live.url}/api/v1/login", json={"username": "head", "pin": PINS["head"]}, timeout=10)
    head = {"Authorization": f"Bearer {login.json()['token']}"}
    assert requests.get(f"{live.url}/api/v1/appointments/today", headers=kiosk, timeout=10).status_code == 403
    view = requests.get(f"{live.url}/api/v1/appointments/today", headers=head, timeout=10).json()
    assert view["slots"] == [{"start": "07:30", "booked": 1, "checked_in": 1, "cancelled": 0, "no_show": 0},
                             {"start": "08:30", "booked": 0, "checked_in": 0, "cancelled": 1, "no_show": 0}]
    assert view["no_show"]["due"] == 0 and view["no_show"]["pct"] is None  # the 07:30 window is still open
    live.clock.now = dt.datetime(2026, 11, 28, 7, 46, tzinfo=TEHRAN)  # 07:30 + 15 min: the window closed
    view = requests.get(f"{live.url}/api/v1/appointments/today", headers=head, timeout=10).json()
    assert view["slots"][0] == {"start": "07:30", "booked": 0, "checked_in": 1, "cancelled": 0, "no_show": 1}
    assert view["no_show"] == {"days": 28, "due": 2, "no_shows": 1, "pct": 50.0}
    # the day's report counts the visits by channel
    requests.post(f"{live.url}/api/v1/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": "w"},
                  timeout=10)
    report = requests.get(f"{live.url}/api/v1/reports/daily", params={"date": "2026-11-28"}, headers=head,
                          timeout=30).json()
    by_channel = {r["key"]: r["visitors"] for r in report["channels"]}
    assert by_channel == {"walk_in": 1, "remote": 0, "appointment": 1}
    assert sum(by_channel.values()) == report["total"]["visitors"]


def test_the_kiosk_checks_a_booking_in_by_its_code(live: Live) -> None:
    """The kiosk's "I have a turn" (kiosk/checkin.py) tries the code as a remote turn, then as a
    booking: against the real hub, a booking's code gets its ticket."""
    from navbat.foundation.hub_client import HubClient, HubRefused
    from navbat.kiosk.checkin import CheckIn

    booking = live.book("09128888888", "07:30").json()
    model = CheckIn(HubClient(live.url, live.app.config["KIOSK_TOKEN"]))
    ticket = model.request(booking["code"].lower())
    assert isinstance(ticket, dict) and ticket["appointment"]["code"] == booking["code"], ticket
    assert ticket["service"] == "PR2" and ticket["state"] == "waiting"
    again = model.request(booking["code"])
    assert isinstance(again, dict) and again["id"] == ticket["id"]
    unknown = model.request("NOSUCHCODE")
    assert isinstance(unknown, HubRefused) and unknown.status == 404


def test_the_head_sets_the_shares(live: Live) -> None:
    login = requests.post(f"{live.url}/api/v1/login", json={"username": "head", "pin": PINS["head"]}, timeout=10)
    head = {"Authorization": f"Bearer {login.json()['token']}"}
    url = f"{live.url}/api/v1/appointments/shares"
    view = requests.get(url, headers=head, timeout=10).json()
    assert view["share"] == 0.2 and view["shares"]["PR2"] == 0.9 and view["shares"]["PR1"] == 0.2  # the file's
    assert view["own"] == {"PR2": 0.9}
    assert live.book("09129999999", "07:30").status_code == 201
    # PR2 closed to appointments: no slots, and the booking made stays
    r = requests.put(url, headers=head, json={"share": 0.3, "shares": {"PR2": 0}}, timeout=10)
    assert r.status_code == 200 and r.json()["shares"]["PR1"] == 0.3 and r.json()["shares"]["PR2"] == 0
    assert live.slots().json()["error"] == "no_appointments"
    hub = live.app.extensions[EXTENSION]
    with hub.read() as db:
        assert db.execute("SELECT count(*) FROM appointments WHERE state='booked'").fetchone()[0] == 1
    # halved: 3 places an hour, one of them taken at 07:30
    assert requests.put(url, headers=head, json={"shares": {"PR2": 0.45}}, timeout=10).status_code == 200
    assert live.free("07:30") == 2 and live.free("08:30") == 3
    for bad in ({"share": 0.95}, {"shares": {"PR2": "half"}}, {"shares": {"NOPE": 0.1}}, {"shares": [1]}):
        r = requests.put(url, headers=head, json=bad, timeout=10)
        assert r.status_code == 400, (bad, r.text)
    kiosk = {"Authorization": f"Bearer {live.app.config['KIOSK_TOKEN']}"}
    assert requests.put(url, headers=kiosk, json={"share": 0.1}, timeout=10).status_code == 403
