"""The kiosk prints what the hub said: names on the paper come from the ticket JSON, not the kiosk's branch file.

The kiosk's own branch file only picks its printer; if it is out of date (a sub-service
renamed at the hub), the paper still agrees with the screen.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from appointments_support import TEHRAN, Live, _live
from conftest import docs_dir
from navbat.foundation.config import DEFAULT_CONFIG, Branch, load_config
from navbat.foundation.hub_client import HubClient
from navbat.kiosk.checkin import CheckIn
from navbat.kiosk.printing import KioskPrinter
from navbat.kiosk.viewmodel import KioskModel
from navbat.printer.demo import hub_ticket
from navbat.printer.layout import preview_png, ticket_bytes
from navbat.printer.slip import TicketSlip, slip_from_ticket

HUB = "http://127.0.0.1:8080"
KIOSKS_NAME = {"fa": "نام قدیمی در فایل کیوسک", "en": "Old name in the kiosk's file"}


def stale_branch_file(tmp_path: Path) -> Branch:
    """The demo branch file as an out-of-date kiosk has it: PR1 and the branch under other names."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["branch"]["name"] = {"fa": "شعبه‌ای دیگر", "en": "Another branch"}
    for unit in raw["units"]:
        for service in unit["services"]:
            if service["code"] == "PR1":
                service["name"] = KIOSKS_NAME
                service["documents"] = [{"fa": "مدرکی دیگر", "en": "Another document"}]
    path = tmp_path / "kiosk-branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def file_printer(branch: Branch, tmp_path: Path, hub_url: str, **options: object) -> KioskPrinter:
    cfg = branch.printer(branch.kiosks[0].printer).model_copy(update={"path": str(tmp_path / "tickets")})
    return KioskPrinter(cfg, branch, hub_url, tmp_path / "queue.sqlite", **options).start()


def queued_slip(tmp_path: Path) -> dict:
    with sqlite3.connect(tmp_path / "queue.sqlite") as db:
        return json.loads(db.execute("SELECT slip FROM jobs").fetchone()[0])


def test_the_slip_takes_the_hubs_names_not_the_kiosks_branch_file(tmp_path) -> None:  # noqa: ANN001
    hubs = load_config()  # the branch file the hub runs with
    kiosks = stale_branch_file(tmp_path)
    assert kiosks.service("PR1").name.en != hubs.service("PR1").name.en
    ticket = hub_ticket(hubs, "PR1", "elderly", id=12, number="A-012", tracking_code="Q7K2M9XP",
                        people_ahead=3, estimated_wait={"minutes": 9, "low": 6, "high": 12})
    printer = file_printer(kiosks, tmp_path, HUB)
    try:
        outcome = printer.print_ticket(ticket, "en")
    finally:
        printer.stop()
    assert outcome.printed
    slip = queued_slip(tmp_path)
    assert slip["service_name"] == {"fa": "صدور مفاصاحساب قرارداد", "en": "Contract clearance certificate"}
    assert slip["branch_name"]["en"] == "Social Security Branch 14, Tehran"
    assert [d["en"] for d in slip["documents"]][0] == "Original contract and a copy"
    paper = (tmp_path / "tickets" / "A-012.bin").read_bytes()
    layout = (printer.cfg.width_mm, printer.cfg.profile)
    assert paper == ticket_bytes(slip_from_ticket(ticket, HUB, "en"), *layout)
    with_kiosks_names = hub_ticket(kiosks, "PR1", "elderly", **{k: ticket[k] for k in (
        "id", "number", "tracking_code", "people_ahead", "estimated_wait", "issued_at")})
    assert paper != ticket_bytes(slip_from_ticket(with_kiosks_names, HUB, "en"), *layout)


def test_a_visit_prints_the_names_the_hub_sent(branch, live_hub, tmp_path) -> None:  # noqa: ANN001
    """Against a real hub: the kiosk's screen and its paper both say the hub's name for the sub-service."""
    kiosks = stale_branch_file(tmp_path)
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"], timeout=(1.0, 3.0))
    printer = file_printer(kiosks, tmp_path, hub.url, retry_first=0.2)
    m = KioskModel(hub, printer, lang="en")
    try:
        m.refresh()
        m.open_unit("premium")
        m.open_service("PR1")
        ticket = m.take_ticket()
        assert ticket is not None and m.printed.printed
    finally:
        printer.stop()
    assert ticket["service_name"] == branch.service("PR1").name.model_dump()  # the hub's branch file
    assert m.ticket_view().service == "Contract clearance certificate"
    assert queued_slip(tmp_path)["service_name"]["en"] == "Contract clearance certificate"
    paper = (tmp_path / "tickets" / f"{ticket['number']}.bin").read_bytes()
    assert paper == ticket_bytes(slip_from_ticket(ticket, hub.url, "en"), printer.cfg.width_mm, printer.cfg.profile)


@pytest.fixture
def booking_hub(branch: Branch, tmp_path: Path):  # noqa: ANN201
    yield from _live(branch, tmp_path, dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN),
                     slot_minutes=60, shares={"PR2": 0.9})


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
    shot = docs_dir() / "slip-checkin-appointment-fa.png"
    preview_png(TicketSlip.from_json(slip), 80).save(shot)
    assert shot.stat().st_size > 0
