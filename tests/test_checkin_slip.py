"""The slip printed at check-in (issue 24): a booked appointment or a phone's remote turn, checked
in at the kiosk, gets the same paper as a walk-in's, marked with how the turn was taken; and the
slip's date and time stay two phrases (in a right-to-left line they ran together as "۰۸:۳۱۱۴۰۵")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import docs_dir
from navbat.foundation.config import Branch, load_config
from navbat.foundation.hub_client import HubClient
from navbat.kiosk.checkin import CheckIn
from navbat.printer.layout import Paper, channel_line, issued_line, preview_png, ticket_blocks
from navbat.printer.paper import Raster
from navbat.printer.slip import slip_from_ticket
from test_appointments_hub import TEHRAN, Live, _live
from test_kiosk_printing import file_printer, queued_slip
from test_printer_slip import HUB, ticket

DOCS = docs_dir()


@pytest.fixture
def booking_hub(branch: Branch, tmp_path: Path) -> Iterator[Live]:
    yield from _live(branch, tmp_path, dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN),
                     slot_minutes=60, shares={"PR2": 0.9})


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


def test_a_booking_checked_in_at_the_kiosk_prints_its_slip(booking_hub: Live, tmp_path: Path) -> None:
    booking_hub.clock.now = dt.datetime(2026, 11, 28, 7, 20, tzinfo=TEHRAN)
    booking = booking_hub.book("09128888888", "07:30").json()
    hub = HubClient(booking_hub.url, booking_hub.app.config["KIOSK_TOKEN"])
    model = CheckIn(hub)
    model.type(booking["code"])
    model.finish(model.request(model.begin()))
    assert model.ticket is not None, model.problem
    printer = file_printer(load_config(), tmp_path, hub.url, retry_first=0.2)
    try:
        outcome = printer.print_ticket(model.ticket, "fa")
    finally:
        printer.stop()
    assert outcome.printed
    model.print_done(model.ticket, outcome.printed)
    assert model.message("fa").endswith("لطفاً برگه نوبت خود را بردارید.")
    slip = queued_slip(tmp_path)
    assert slip["channel"] == "appointment" and slip["booked_at"] == "07:30"
    assert slip["number"] == model.ticket["number"] and slip["tracking_code"] == model.ticket["tracking_code"]
    assert (tmp_path / "tickets" / f"{model.ticket['number']}.bin").stat().st_size > 500
    from navbat.printer.slip import TicketSlip

    shot = DOCS / "slip-checkin-appointment-fa.png"
    preview_png(TicketSlip.from_json(slip), 80).save(shot)
    assert shot.stat().st_size > 0
