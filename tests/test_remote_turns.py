"""Remote turns over real sockets (issue 18 A): join with the code read from the SMS log; a second
turn refused; an unchecked turn passed over by `next`, then called in its place after check-in;
"come now" sent once at the threshold; grace expiry; the daily cap and the head's hours."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import requests
from conftest import HandClock, make_app, serve_in_thread
from navbat.foundation.config import Branch
from remote_support import SERVICE, Live
from sms_support import code_from, read_log


def texts(live: Live, phone: str, word: str, wait: float = 0.0) -> list[str]:
    """The SMS to `phone` holding `word`; waits up to `wait` s for one (the worker sends after the commit)."""
    end = time.monotonic() + wait
    while True:
        found = [m["text"] for m in read_log(live.log, 0) if m["to"] == phone and word in m["text"]]
        if found or time.monotonic() >= end:
            return found
        time.sleep(0.02)


def test_join_with_the_sms_code_and_a_second_turn_is_refused(live: Live) -> None:
    live.walk_in("w1")
    r = live.join("09121110000")
    assert r.status_code == 201, r.text
    turn = r.json()
    assert turn["state"] == "remote" and turn["number"] and len(turn["tracking_code"]) == 8
    assert turn["people_ahead"] == 1  # the walk-in before it
    assert "estimated_wait_minutes" in turn and turn["remote"]["checked_in"] is False
    [joined] = texts(live, "09121110000", f"/t/{turn['tracking_code']}", wait=5)
    assert turn["number"].replace("-", "") not in joined  # the number in Persian digits
    assert "اکنون به شعبه بیایید" in joined  # one ahead: "come now" at once
    again = live.join("09121110000")
    assert again.status_code == 409 and again.json()["error"] == "open_turn"
    # the code of a refused turn is not asked for twice: a wrong or used code is refused
    assert live.post("/remote/tickets", {"service": SERVICE, "phone": "09121110000", "code": "12345"}
                     ).status_code == 403
    looked = requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()
    assert looked["state"] == "remote" and looked["remote"]["checked_in"] is False


def test_a_retried_join_with_its_idempotency_key_returns_the_same_turn(live: Live) -> None:
    live.clock.advance(seconds=61)
    assert live.post("/remote/verify", {"phone": "09121110008"}).status_code == 202
    code = code_from({"text": texts(live, "09121110008", "کد", wait=5)[0]})
    body, key = {"service": SERVICE, "phone": "09121110008", "code": code}, {"Idempotency-Key": "join-1"}
    first = live.post("/remote/tickets", body, key)
    again = live.post("/remote/tickets", body, key)  # the answer was lost: the phone sends it again
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    hub = live.app.extensions["navbat.hub"]
    with hub.read() as db:
        assert db.execute("SELECT count(*) FROM remote_turns").fetchone()[0] == 1


def test_passed_over_then_called_in_its_place_after_check_in(live: Live) -> None:
    remote_turn = live.join("09121110001").json()
    walk1, walk2 = live.walk_in("w1"), live.walk_in("w2")
    clerk = live.login("clerk1", 1)
    assert live.post("/counters/1/open", headers=clerk).status_code == 200
    called = live.post("/counters/1/next", headers=clerk).json()
    assert called["number"] == walk1["number"]  # the remote turn, first in line, is passed over
    looked = requests.get(f"{live.url}/api/v1/tickets/{remote_turn['tracking_code']}", timeout=5).json()
    assert looked["state"] == "remote" and looked["remote"]["passed_over_at"] and looked["remote"]["grace_ends_at"]
    assert live.post("/counters/1/done", headers=clerk).status_code == 200
    r = live.post(f"/tickets/{remote_turn['tracking_code']}/check-in", headers=live.kiosk)
    assert r.status_code == 200 and r.json()["state"] == "waiting"
    assert live.post(f"/tickets/{remote_turn['tracking_code']}/check-in", headers=live.kiosk).status_code == 200
    called = live.post("/counters/1/next", headers=clerk).json()
    assert called["number"] == remote_turn["number"]  # before walk2: its place was kept
    live.sweep()
    assert texts(live, "09121110001", "باجه", wait=5)  # told where to go when called
    assert walk2["number"] != called["number"]


def test_check_in_needs_a_device_or_clerk_and_a_remote_code(live: Live) -> None:
    walk = live.walk_in("w1")
    assert live.post(f"/tickets/{walk['tracking_code']}/check-in").status_code == 401
    r = live.post(f"/tickets/{walk['tracking_code']}/check-in", headers=live.kiosk)
    assert r.status_code == 404 and r.json()["error"] == "not_remote"
    assert live.post("/tickets/NOSUCH12/check-in", headers=live.kiosk).status_code == 404


def test_come_now_is_sent_once_at_the_threshold(live: Live) -> None:
    head = live.login("head")
    r = requests.put(f"{live.url}/api/v1/remote/settings", json={"come_now_people": 1, "come_now_minutes": None},
                     headers=head, timeout=5)
    assert r.status_code == 200, r.text
    for n in range(3):
        live.walk_in(f"w{n}")
    live.join("09121110002")
    live.sweep()
    assert not texts(live, "09121110002", "اکنون به شعبه")  # 3 ahead: not yet
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    live.post("/counters/1/next", headers=clerk)
    live.sweep()
    assert not texts(live, "09121110002", "اکنون به شعبه")  # 2 ahead
    live.post("/counters/1/done", headers=clerk)
    live.post("/counters/1/next", headers=clerk)
    [come] = texts(live, "09121110002", "اکنون به شعبه", wait=5)  # the sweeper runs after the change by itself
    assert "۱ نفر جلوتر" in come and "۱۵ دقیقه" in come  # the number ahead and the window kept
    live.post("/counters/1/done", headers=clerk)
    live.sweep()
    live.sweep()
    assert len(texts(live, "09121110002", "اکنون به شعبه")) == 1  # once


def test_a_passed_over_turn_expires_after_the_grace_time(live: Live) -> None:
    turn = live.join("09121110003").json()
    live.walk_in("w1")
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    live.post("/counters/1/next", headers=clerk)  # passes the turn over: its grace time starts
    live.sweep()
    assert requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()["state"] == "remote"
    live.clock.advance(minutes=14)
    live.sweep()
    assert requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()["state"] == "remote"
    live.clock.advance(minutes=2)
    live.sweep()
    gone = requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()
    assert gone["state"] == "cancelled" and gone["outcome"] == "remote_expired"
    assert texts(live, "09121110003", "به پایان رسید", wait=5)
    r = live.post(f"/tickets/{turn['tracking_code']}/check-in", headers=live.kiosk)
    assert r.status_code == 409 and r.json()["error"] == "turn_over"
    # the phone may join again; its turns count against the daily cap
    assert live.join("09121110003").status_code == 201


def test_daily_cap_and_the_heads_hours(live: Live) -> None:
    head = live.login("head")
    assert requests.put(f"{live.url}/api/v1/remote/settings", json={"daily_cap": 1}, headers=head,
                        timeout=5).status_code == 200
    turn = live.join("09121110004").json()
    # the head cancels it; the phone's cap of one a day is used up
    assert live.post(f"/tickets/{turn['id']}/cancel", headers=head).status_code == 200
    r = live.join("09121110004")
    assert r.status_code == 409 and r.json()["error"] == "daily_cap"
    bad = requests.put(f"{live.url}/api/v1/remote/settings", json={"hours": "25:00-26:00"}, headers=head, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_setting"
    hub = live.app.extensions["navbat.hub"]
    local = hub.clock().astimezone(hub.branch.tz)
    closed = f"{(local.hour + 2) % 24:02d}:00-{(local.hour + 2) % 24:02d}:30"  # not now
    assert requests.put(f"{live.url}/api/v1/remote/settings", json={"hours": closed}, headers=head,
                        timeout=5).status_code == 200
    r = live.join("09121110005")
    assert r.status_code == 409 and r.json()["error"] == "remote_closed"
    assert "between" in r.json()["message"]


def test_a_remote_turns_wait_in_the_reports_starts_at_check_in(live: Live) -> None:
    from navbat.server.reports.visits import fold, load_rows

    turn = live.join("09121110010").json()
    live.clock.advance(minutes=40)  # at home for 40 minutes
    assert live.post(f"/tickets/{turn['tracking_code']}/check-in", headers=live.kiosk).status_code == 200
    live.clock.advance(minutes=3)
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    assert live.post("/counters/1/next", headers=clerk).json()["number"] == turn["number"]
    hub = live.app.extensions["navbat.hub"]
    with hub.read() as db:
        visits = fold(load_rows(db, live.clock() - dt.timedelta(days=1), live.clock()))
    assert round(visits[turn["id"]].wait_minutes) == 3  # the 3 minutes in the hall, not 43


def test_come_now_by_minutes_of_wait(live: Live) -> None:
    head = live.login("head")
    assert requests.put(f"{live.url}/api/v1/remote/settings", json={"come_now_people": None, "come_now_minutes": 5},
                        headers=head, timeout=5).status_code == 200
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    for n in range(6):
        live.walk_in(f"w{n}")
    turn = live.join("09121110011").json()
    hub = live.app.extensions["navbat.hub"]
    assert hub.estimates.settled(5.0)[0][turn["id"]].minutes > 5  # six ahead at one counter
    live.sweep()
    assert not texts(live, "09121110011", "اکنون به شعبه")  # the estimate is above 5 minutes
    for _ in range(6):  # the six ahead are served
        live.post("/counters/1/next", headers=clerk)
        live.post("/counters/1/done", headers=clerk)
    waits = hub.estimates.settled(5.0)[0]
    assert waits[turn["id"]].minutes <= 5
    live.sweep()
    assert len(texts(live, "09121110011", "اکنون به شعبه", wait=5)) == 1


def test_the_join_forms_refuse_in_persian(live: Live) -> None:
    """The /join forms without a browser: an unknown sub-service sends no code; a bad number, a second
    code within the minute and a wrong code are said on the page with their status."""
    r = requests.post(f"{live.url}/join/code", data={"service": "NOPE", "phone": "09121110013"}, timeout=5)
    assert r.status_code == 404 and not texts(live, "09121110013", "کد")
    r = requests.post(f"{live.url}/join/code", data={"service": SERVICE, "phone": "12"}, timeout=5)
    assert r.status_code == 400 and "شماره همراه را مانند" in r.text
    assert requests.post(f"{live.url}/join/code", data={"service": SERVICE, "phone": "09121110013"},
                         timeout=5).status_code == 200
    r = requests.post(f"{live.url}/join/code", data={"service": SERVICE, "phone": "09121110013"}, timeout=5)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60  # the one rate-limit answer's words:
    assert "کدهای زیادی درخواست شد" in r.text and "ثانیه دیگر دوباره امتحان کنید" in r.text
    r = requests.post(f"{live.url}/join/turn", data={"service": SERVICE, "phone": "09121110013", "code": "x"},
                      timeout=5)
    assert r.status_code == 403 and "کد درست نیست" in r.text


def test_a_request_registered_for_a_remote_turn_is_answered_by_sms(live: Live) -> None:
    """Issue 16 meets 18: a visitor who gave a mobile number hears the answer to a request by SMS
    (a walk-in gave none, and gets none)."""
    turn = live.join("09121110020").json()
    assert live.post(f"/tickets/{turn['tracking_code']}/check-in", headers=live.kiosk).status_code == 200
    walk = live.walk_in("w-req")
    clerk = live.login("clerk1", 1)
    assert live.post("/counters/1/open", headers=clerk).status_code == 200
    for _ in (turn, walk):  # each visit ends with a request registered for the back office
        live.post("/counters/1/next", headers=clerk)
        assert live.post("/counters/1/done", {"outcome": "registered"}, clerk).status_code == 200
    head = live.login("head")
    for ticket in (turn, walk):
        r = live.post(f"/requests/{ticket['tracking_code']}/answer", {"result": "پرونده ادغام شد"}, head)
        assert r.status_code == 200 and r.json()["state"] == "answered"
    [told] = texts(live, "09121110020", "پرونده ادغام شد", wait=5)
    assert f"/t/{turn['tracking_code']}" in told
    again = live.post(f"/requests/{turn['tracking_code']}/answer", {"result": "پرونده ادغام شد"}, head)
    assert again.status_code == 200  # a retried answer sends nothing more
    time.sleep(0.3)
    assert len(texts(live, "09121110020", "پرونده ادغام شد")) == 1
    assert not [m for m in read_log(live.log, 0) if "پرونده ادغام شد" in m["text"] and m["to"] != "09121110020"]


def test_eight_phones_racing_with_one_code_make_one_turn(live: Live) -> None:
    from concurrent.futures import ThreadPoolExecutor

    live.clock.advance(seconds=61)
    assert live.post("/remote/verify", {"phone": "09121110014"}).status_code == 202
    code = code_from({"text": texts(live, "09121110014", "کد", wait=5)[0]})
    body = {"service": SERVICE, "phone": "09121110014", "code": code}
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: live.post("/remote/tickets", body), range(8)))
    assert statuses[0] == 201 and statuses.count(201) == 1  # the others: the code is used, or the turn exists
    assert set(statuses[1:]) <= {403, 409}
    hub = live.app.extensions["navbat.hub"]
    with hub.read() as db:
        assert db.execute("SELECT count(*) FROM remote_phones WHERE phone='09121110014'").fetchone()[0] == 1


def test_refused_while_the_branch_is_closed(branch: Branch, tmp_path: Path) -> None:
    friday = HandClock(dt.datetime(2026, 5, 1, 10, 0, tzinfo=branch.tz))  # no opening hours on Fridays
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(tmp_path / "sms.log"), CLOCK=friday,
                   IGNORE_HOURS=False)
    url, stop = serve_in_thread(app)
    try:
        assert requests.post(f"{url}/api/v1/remote/verify", json={"phone": "09121110015"}, timeout=5).status_code == 202
        code = code_from(read_log(tmp_path / "sms.log")[0])
        r = requests.post(f"{url}/api/v1/remote/tickets", json={"service": SERVICE, "phone": "09121110015",
                                                                 "code": code}, timeout=5)
        assert r.status_code == 409 and r.json()["error"] == "branch_closed"
        page = requests.get(f"{url}/join?service={SERVICE}", timeout=5).text
        assert "شعبه اکنون بسته است" in page and "disabled" in page  # said before a number is typed
    finally:
        stop()


def _come_now_ahead(message: str) -> int:
    """The count of people ahead an SMS states, read back from its Persian digits."""
    [digits] = re.findall(r"([۰-۹]+) نفر", message)
    return int(digits.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))


def test_the_sms_and_the_tracking_page_count_the_same_people_ahead(live: Live) -> None:
    """Issue 24: later priority visitors are called first; the SMS says so, as the page does."""
    head = live.login("head")
    settings = f"{live.url}/api/v1/remote/settings"
    assert requests.put(settings, json={"come_now_people": 0, "come_now_minutes": None}, headers=head,
                        timeout=5).status_code == 200
    live.walk_in("w1")
    turn = live.join("09121110020").json()
    for n in range(2):  # two elderly visitors come after the turn and go ahead of it
        r = live.post("/tickets", {"service": SERVICE, "priority": "elderly"},
                      {**live.kiosk, "Idempotency-Key": f"e{n}"})
        assert r.status_code == 201, r.text
    assert requests.put(settings, json={"come_now_people": 20, "come_now_minutes": None}, headers=head,
                        timeout=5).status_code == 200
    live.sweep()
    come = texts(live, "09121110020", "اکنون به شعبه", wait=10)
    with live.app.extensions["navbat.hub"].read() as db:  # said on failure: the turn's marks and its texts
        marks = db.execute("SELECT t.state, r.come_now_at, r.called_sms_at, r.passed_at, r.ended FROM remote_turns r "
                           "JOIN tickets t ON t.id = r.ticket_id").fetchall()
    assert len(come) == 1, (come, marks, [m["text"] for m in read_log(live.log, 0) if m["to"] == "09121110020"])
    come = come[0]
    page = requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()
    assert page["people_ahead"] == 3  # the walk-in and both elderly visitors
    assert _come_now_ahead(come) == page["people_ahead"]
    # a turn taken now is told at once, in its first SMS, what its page says
    second = live.join("09121110021").json()
    [joined] = texts(live, "09121110021", f"/t/{second['tracking_code']}", wait=5)
    page = requests.get(f"{live.url}/api/v1/tickets/{second['tracking_code']}", timeout=5).json()
    assert page["people_ahead"] == second["people_ahead"] == 4
    assert _come_now_ahead(joined) == page["people_ahead"]
