"""The kiosk's "I have a turn" screen in a real window (Xvfb, issue 18 A): a mistyped code is
refused in Persian; the turn's tracking link, typed by a USB scanner, checks the remote turn in,
and the hub then calls it in its place. Also the screen's model without a window."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import docs_dir
from kiosk_support import (
    FakeHub,  # noqa: F401
    run_kiosk,  # noqa: F401
)
from navbat.foundation.hub_client import HubRefused, HubUnreachable
from navbat.foundation.persian import digits
from navbat.kiosk.checkin import CheckIn, code_of
from navbat.printer.layout import preview_png
from navbat.printer.slip import TicketSlip
from remote_support import Live

DOCS = docs_dir()


def test_a_scanned_link_or_a_typed_code_gives_the_code() -> None:
    assert code_of("http://192.168.1.5:8080/t/ABCD2345?lang=fa") == "ABCD2345"
    assert code_of(" abcd2345\n") == "ABCD2345"
    assert code_of("https://hq.example/t/ABCD2345/") == "ABCD2345"


@pytest.mark.parametrize(("remote", "appointment", "problem", "calls"), [
    (HubRefused(404, "not_remote", ""), {"number": "101", "people_ahead": 2}, None, 2),
    (HubRefused(404, "not_remote", ""), HubRefused(404, "not_found", ""), "not_found", 2),
    (HubRefused(409, "turn_over", ""), None, "over", 1),
    # a booking checked in early: when to come back, never "over, take a new ticket"
    (HubRefused(404, "not_remote", ""), HubRefused(409, "outside_check_in_window",
                                                   "check in between 09:30 and 10:15 on 2026-12-07"), "not_now", 2),
    (HubUnreachable("down"), None, "unreachable", 1),
])
def test_a_code_not_of_a_remote_turn_is_tried_as_a_booking(remote, appointment, problem, calls) -> None:  # noqa: ANN001
    model = CheckIn(FakeHub(remote, appointment))  # type: ignore[arg-type]
    model.type("ABCD2345\r")
    code = model.begin()
    assert code == "ABCD2345" and model.begin() is None  # a second press while sending does nothing
    model.finish(model.request(code))
    assert model.problem == problem and len(model.hub.calls) == calls
    assert model.message("fa")
    if problem is None:
        assert "۱۰۱" in model.message("fa") and model.typed == ""
    if problem == "not_now":
        assert "۰۹:۳۰" in model.message("fa") and "۱۰:۱۵" in model.message("fa")
        assert "between 09:30 and 10:15" in model.message("en")


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_check_in_at_the_kiosk_window(live: Live, tmp_path: Path, lang: str) -> None:  # noqa: F811
    r = live.post("/tickets", {"service": "PR1"}, {**live.kiosk, "Idempotency-Key": "w0"})  # one ahead of the turn
    assert r.status_code == 201, r.text
    turn = live.join("09121110009", "PR1").json()  # a lettered number: "A-002"
    live.walk_in("w1")
    shot = DOCS / f"kiosk-checkin-{lang}.png"
    paper = tmp_path / "paper"
    out = run_kiosk(["-m", "navbat.kiosk.checkin_pilot", "--hub", live.url, f"--token={live.app.config['KIOSK_TOKEN']}",
                     "--typo", "ZZZZ2222", "--scan", f"{live.url}/t/{turn['tracking_code']}?lang=fa",
                     "--screenshot", str(shot), "--lang", lang, "--print-to", str(paper)], tmp_path)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, (out.returncode, out.stdout[-2000:], out.stderr[-3000:])
    log = json.loads(lines[-1])
    assert log["error"] is None, log
    assert log["screens"] == ["checkin"] and log["typed"] == "ZZZZ2222"
    assert ("نوبت یا رزروی با این کد نیست" if lang == "fa" else "No turn or booking") in log["messages"][0]
    assert log["scanned_code"] == turn["tracking_code"]
    assert log["number"] == turn["number"] and turn["number"].startswith("A-")
    checked_in = log["messages"][1]
    if lang == "fa":
        assert "حضور شما ثبت شد" in checked_in
        assert checked_in.index(digits(turn["number"], "fa")) < checked_in.index("۱ نفر جلوتر از شما")
    else:
        assert f"number {turn['number']}. 1 person ahead of you." in checked_in
    # the speaker on the check-in screen: how to type a code, what went wrong, the number checked in
    letter, *_ = turn["number"]
    assert [s[0] for s in log["spoken"]] == ["guide-checkin", "guide-checkin-wrong", "guide-checked-in"]
    assert log["spoken"][2][1] == f"letter-{letter}" and log["spoken"][2][-1] == "guide-checked-in-after"
    assert log["overflow"] == []
    assert shot.exists()
    # issue 24: the checked-in turn gets its slip, marked as a remote turn, and the screen says to take it
    assert log["printed"] is True
    assert log["messages"][2].startswith(checked_in)
    assert log["messages"][2].endswith("لطفاً برگه نوبت خود را بردارید." if lang == "fa" else
                                       "Please take your printed ticket.")
    with sqlite3.connect(paper / "queue.sqlite") as db:
        slip = json.loads(db.execute("SELECT slip FROM jobs").fetchone()[0])
    assert slip["channel"] == "remote" and slip["number"] == turn["number"] and slip["lang"] == lang
    preview_png(TicketSlip.from_json(slip), 80).save(DOCS / f"slip-checkin-remote-{lang}.png")
    # checked in: the hub calls it before the walk-in who came after it
    clerk = live.login("clerk1", 1)
    live.post("/counters/1/open", headers=clerk)
    assert live.post("/counters/1/next", headers=clerk).json()["number"] == r.json()["number"]  # the one ahead
    live.post("/counters/1/done", headers=clerk)
    assert live.post("/counters/1/next", headers=clerk).json()["number"] == turn["number"]


@pytest.mark.parametrize("number", ["F-003", "101"])
def test_the_checked_in_sentence_keeps_its_number_before_the_people_ahead(number: str) -> None:
    """Issue 24: a lettered ticket made a left-to-right run of "F-003. 1" in the Persian sentence,
    drawn as "number 1 ... F-003 people ahead of you"."""
    from navbat.foundation.shaping import shape

    model = CheckIn(FakeHub({"number": number, "people_ahead": 1}, {}))  # type: ignore[arg-type]
    model.type("ABCD2345")
    model.finish(model.request(model.begin()))
    en = model.message("en")
    assert en.index(f"number {number}.") < en.index("1 person ahead of you")
    fa = model.message("fa")
    shown_number = digits(number, "fa")
    assert fa.index(shown_number) < fa.index("۱ نفر جلوتر از شما")  # logical order
    drawn = shape(fa)  # visual order, drawn left to right: what is read first stands on the right
    says_number, says_ahead = shape(f"شماره {shown_number}"), shape("۱ نفر جلوتر از شما")
    assert says_number in drawn and says_ahead in drawn  # each number beside its own words
    assert drawn.index(says_ahead) < drawn.index(says_number)  # and read after the ticket's number
    assert "\u200f" not in drawn  # the mark steers the order; no font is asked to draw it
