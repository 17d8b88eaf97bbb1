"""The slip: built from the hub's ticket JSON alone (POST /api/v1/tickets), names included (D6, F1)."""

from __future__ import annotations

import datetime as dt

import pytest
from navbat.foundation.config import load_config
from navbat.printer.layout import Paper, channel_line, issued_line, people_line, ticket_blocks, ticket_bytes, wait_line
from navbat.printer.paper import Raster
from navbat.printer.slip import SlipError, TicketSlip, slip_from_ticket

HUB = "http://127.0.0.1:8080/"
ELDERLY = {"fa": "سالمند (۶۰ سال به بالا)", "en": "Elderly (60+)"}


@pytest.fixture(scope="module")
def branch():
    return load_config()


def ticket(**changes):
    """A ticket as the hub returns it (see the hub -> devices contract), for PR1 of the demo branch."""
    base = {"id": 7, "number": "A-007", "service": "PR1", "unit": "premium", "priority": None, "state": "waiting",
            "people_ahead": 2, "estimated_wait_minutes": 10.0,
            "estimated_wait": {"minutes": 10.0, "low": 6.0, "high": 15.0},
            "tracking_code": "Q7K2M9XP", "issued_at": "2026-11-22T06:35:00Z",
            "branch_name": {"fa": "شعبه ۱۴ تأمین اجتماعی تهران", "en": "Social Security Branch 14, Tehran"},
            "service_name": {"fa": "صدور مفاصاحساب قرارداد", "en": "Contract clearance certificate"},
            "unit_name": {"fa": "وصول حق بیمه", "en": "Premium collection"}, "priority_name": None,
            "documents": [{"fa": "اصل و تصویر قرارداد", "en": "Original contract and a copy"},
                          {"fa": "فهرست بیمه کارکنان پروژه", "en": "Insurance list of the project's staff"},
                          {"fa": "معرفی‌نامه کارفرما", "en": "Employer's letter of introduction"}],
            "timezone": "Asia/Tehran"}
    if changes.get("priority") == "elderly":
        base["priority_name"] = ELDERLY
    base.update(changes)
    return base


def test_slip_from_hub_ticket():
    slip = slip_from_ticket(ticket(priority="elderly"), HUB)
    assert slip.number == "A-007"
    assert slip.service_name.fa == "صدور مفاصاحساب قرارداد"
    assert slip.unit_name.en == "Premium collection"
    assert slip.priority_name.en == "Elderly (60+)"
    assert [d.en for d in slip.documents][0] == "Original contract and a copy"  # D6, D7
    assert (slip.wait_low, slip.wait_high) == (6.0, 15.0)
    assert slip.tracking_url == "http://127.0.0.1:8080/t/Q7K2M9XP"  # F1
    assert slip.issued_at == dt.datetime(2026, 11, 22, 6, 35, tzinfo=dt.UTC)
    assert slip.local_issued_at().strftime("%H:%M") == "10:05"  # Tehran time on the paper


def test_bare_minutes_are_one_value_not_an_invented_range():
    slip = slip_from_ticket(ticket(estimated_wait=None, estimated_wait_minutes=12.4), HUB)
    assert slip.wait_low == slip.wait_high == 12.4
    assert wait_line(slip) == "زمان تقریبی انتظار: حدود ۱۲ دقیقه"


def test_wait_and_people_lines():
    slip = slip_from_ticket(ticket(), HUB)
    assert wait_line(slip) == "زمان تقریبی انتظار: ۶ تا ۱۵ دقیقه"
    assert people_line(slip) == "۲ نفر جلوتر از شما"
    assert people_line(slip_from_ticket(ticket(people_ahead=0), HUB)) == "نفر بعدی شما هستید"
    en = slip_from_ticket(ticket(people_ahead=1, estimated_wait={"low": 0.1, "high": 0.4}), HUB, lang="en")
    assert people_line(en) == "1 person ahead of you"
    assert wait_line(en) == "Estimated wait: under a minute"


@pytest.mark.parametrize("changes,message", [
    ({"service_name": None}, '"service_name"'),
    ({"unit_name": "Premium"}, '"unit_name" must be'),
    ({"branch_name": {"fa": "شعبه"}}, '"branch_name" must be'),
    ({"documents": None}, '"documents"'),
    ({"documents": [{"fa": "", "en": "x"}]}, '"documents" must be'),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"priority": "vip"}, 'priority "vip" but no "priority_name"'),
    ({"people_ahead": -1}, "people_ahead"),
    ({"people_ahead": "3"}, "people_ahead"),
    ({"issued_at": "yesterday"}, "ISO 8601"),
    ({"tracking_code": None}, '"tracking_code"'),
    ({"estimated_wait": {"low": 9, "high": 3}}, "not a range"),
    ({"tracking_code": "کد۱۲"}, "tracking code"),
])
def test_bad_tickets_get_a_clear_error(changes, message):
    with pytest.raises(SlipError, match=message):
        slip_from_ticket(ticket(**changes), HUB)


def test_ticket_without_queue_figures_still_prints():
    """No counter serves the sub-service yet (no estimate), or a reprint of a called ticket: never refuse it."""
    slip = slip_from_ticket(ticket(people_ahead=None, estimated_wait=None, estimated_wait_minutes=None), HUB)
    assert slip.people_ahead is None and slip.wait_low is None
    assert people_line(slip) is None and wait_line(slip) is None
    full = ticket_blocks(slip_from_ticket(ticket(), HUB), Paper.of(80, "TM-T88V"))
    bare = ticket_blocks(slip, Paper.of(80, "TM-T88V"))
    assert sum(isinstance(b, Raster) for b in full) - sum(isinstance(b, Raster) for b in bare) == 2
    assert len(ticket_bytes(slip, 80)) > 5000


def test_json_round_trip():
    slip = slip_from_ticket(ticket(priority="veteran", priority_name={"fa": "ایثارگر و جانباز", "en": "Veteran"}), HUB)
    assert TicketSlip.from_json(slip.to_json()) == slip


def test_slip_from_the_hubs_own_answer(actions, branch, tmp_path):
    """What POST /api/v1/tickets really returns prints: before any counter opens (no estimate) and after."""
    first = actions.issue("PR1", "elderly")
    assert first.status_code == 201, first.json
    slip = slip_from_ticket(first.json, "http://127.0.0.1:8080")
    assert slip.number == first.json["number"] and slip.priority_name.en == "Elderly (60+)"
    assert slip.tracking_url.endswith("/t/" + first.json["tracking_code"])
    actions.open_counter(1)
    second = actions.issue("PR1")
    slip2 = slip_from_ticket(second.json, "http://127.0.0.1:8080")
    assert slip2.people_ahead == second.json["people_ahead"]
    assert slip2.wait_high == second.json["estimated_wait"]["high"]
    for s in (slip, slip2):
        assert len(ticket_bytes(s, 80)) < 10_000


# issue 24: the slip printed at check-in is the walk-in's, marked with how the turn was taken; its date
# and time stay two phrases (in a right-to-left line they ran together as "۰۸:۳۱۱۴۰۵")
def test_the_channel_comes_from_the_hubs_marks() -> None:
    walk_in = slip_from_ticket(ticket(), HUB)
    remote = slip_from_ticket(ticket(remote={"checked_in": True, "checked_in_at": "2026-11-22T06:00:00Z"}), HUB)
    booked = slip_from_ticket(ticket(appointment={"code": "AB23CD45", "date": "2026-11-22", "start": "09:30"}), HUB)
    assert (walk_in.channel, remote.channel, booked.channel) == ("walk_in", "remote", "appointment")
    assert channel_line(walk_in) is None
    assert channel_line(remote) == "نوبت از راه دور، حضور ثبت‌شده"
    assert channel_line(booked) == "وقت قبلی ساعت ۰۹:۳۰، حضور ثبت‌شده"
    en = slip_from_ticket(ticket(appointment={"code": "AB23CD45", "date": "2026-11-22", "start": "09:30"}), HUB, "en")
    assert channel_line(en) == "Appointment at 09:30, checked in"
    # the same layout as a walk-in's, with the mark (a line and a rule) added
    paper = Paper.of(80, "TM-T88V")
    plain, marked = ticket_blocks(walk_in, paper), ticket_blocks(remote, paper)
    assert len(marked) == len(plain) + 3
    assert sum(isinstance(b, Raster) for b in marked) == sum(isinstance(b, Raster) for b in plain) + 1


def test_the_date_and_the_time_are_two_phrases() -> None:
    slip = slip_from_ticket(ticket(issued_at="2026-11-22T05:01:00Z"), HUB)
    assert issued_line(slip) == "زمان صدور: ۱ آذر ۱۴۰۵، ساعت ۰۸:۳۱"
    assert "۱۴۰۵ ۰۸" not in issued_line(slip)  # the year and the hour never stand side by side
    assert issued_line(slip_from_ticket(ticket(issued_at="2026-11-22T05:01:00Z"), HUB, "en")) == \
        "Issued: 2026-11-22, at 08:31"


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("changes", [
    {},  # 6.0 .. 15.0
    {"estimated_wait": {"minutes": 9.3, "low": 4.6, "high": 12.2}},  # an older hub's unrounded range
    {"estimated_wait": {"minutes": 12, "low": 12, "high": 12}},
    {"estimated_wait": {"minutes": 0, "low": 0, "high": 0}},  # about to be called
    {"estimated_wait": None, "estimated_wait_minutes": None, "wait_note": "no_open_window"},
    {"estimated_wait": {"minutes": 40, "low": 40, "high": 40}, "wait_note": "before_opening",
     "opens_at": "2026-11-22T07:30:00+03:30"},
])
def test_the_slip_words_the_wait_as_the_kiosk_screen_does(changes: dict, lang: str) -> None:
    """Issue 24: the paper said "6 to 15 minutes" and "counters open at 07:30; then about 40 minutes"
    where the kiosk's screen (and the phone page) said "6–15 min" and "counters open at 07:30: about
    40 min"; an unrounded range was widened on paper only. One function words the wait for all."""
    from navbat.kiosk.views import ticket_view

    answer = ticket(**changes)
    assert wait_line(slip_from_ticket(answer, HUB, lang=lang)) == ticket_view(answer, True, lang).estimate
