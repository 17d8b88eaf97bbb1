"""The kiosk's screens driven without a window, against a real hub on a socket (issue 6, D2, D6, D7)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from conftest import make_app, serve_in_thread
from kiosk_support import AnswerDropper, HubProcess, kiosk
from navbat.foundation.hub_client import HubClient
from navbat.foundation.wording import wait_text
from navbat.kiosk import viewmodel as vm
from navbat.kiosk.viewmodel import KioskModel


def tickets(app) -> list[dict]:  # noqa: ANN001
    return list(app.extensions["navbat.hub"].floor.db.query("SELECT * FROM tickets"))


@pytest.fixture
def model(branch, live_hub, tmp_path):  # noqa: ANN001, ANN201
    m = kiosk(branch, live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path)
    m.refresh()
    yield m
    m.printer.stop()


def hub_summaries(actions) -> dict:  # noqa: ANN001
    r = actions.client.get("/api/v1/services", headers=actions.kiosk)
    assert r.status_code == 200, r.json
    return r.json


def test_home_shows_five_units_with_counts_and_estimates(model, actions) -> None:  # noqa: ANN001
    actions.issue("IN1")
    actions.issue("IN2")
    model.refresh()
    assert model.home_cards()[1].estimate == "اکنون باجهٔ بازی ندارد"  # tickets still given before opening
    actions.open_counter(3)
    model.refresh()
    cards = model.home_cards()
    units = hub_summaries(actions)["units"]
    assert [(c.code, c.estimate) for c in cards] == [(u["code"], wait_text(u["estimated_wait"], u["note"], "fa"))
                                                     for u in units]
    assert [c.code for c in cards] == ["premium", "insured", "registration", "pension", "finance"]
    insured = cards[1]
    assert insured.title == "امور بیمه‌شدگان" and insured.icon == "insured.png"
    assert insured.waiting == "۲ نفر در انتظار"  # Persian digits by default
    assert "دقیقه" in insured.estimate and all(c.enabled for c in cards)
    model.toggle_lang()
    assert model.home_cards()[1].waiting == "2 people waiting"
    assert model.home_cards()[1].title == "Insured persons' affairs"


def test_a_whole_visit_issues_one_ticket_and_prints_it(model, live_hub, actions, tmp_path) -> None:  # noqa: ANN001
    model.open_unit("pension")
    assert model.screen == vm.UNIT
    assert [r.code for r in model.service_rows()] == ["PN1", "PN2", "PN3", "PN4"]
    summaries = {s["code"]: s for s in hub_summaries(actions)["services"]}
    assert all(r.estimate == wait_text(summaries[r.code]["estimated_wait"], summaries[r.code]["note"], "fa")
               for r in model.service_rows())
    model.open_service("PN1")
    view = model.service_view()
    assert view.documents[0] == "شناسنامه و کارت ملی" and len(view.steps) == 3
    assert [c.code for c in view.priorities] == [None, "elderly", "disability", "veteran"]
    assert "۱۴" in view.expected  # expected service minutes (D6), Persian digits
    model.choose_priority("elderly")
    ticket = model.take_ticket()
    assert model.screen == vm.TICKET and ticket["number"] == "501" and ticket["priority"] == "elderly"
    tv = model.ticket_view()
    assert tv.number == "۵۰۱" and tv.ahead == "نفر بعدی شما هستید" and tv.print_ok is True
    rows = tickets(live_hub.app)
    assert len(rows) == 1 and rows[0]["service"] == "PN1"
    printed = sorted(p.name for p in (tmp_path / "tickets").iterdir())
    assert printed == ["501.bin", "501.png"]
    assert model.printer.queue.jobs()[0]["state"] == "done"


def test_double_tap_and_retry_never_make_two_tickets(model, live_hub) -> None:  # noqa: ANN001
    model.open_unit("premium")
    model.open_service("PR2")
    job = model.begin_ticket()
    assert model.begin_ticket() is None  # the second tap while the first is under way
    first = model.request_ticket(job)
    again = model.request_ticket(job)  # a retry of the same press
    assert first["id"] == again["id"]
    model.finish_ticket(first)
    assert len(tickets(live_hub.app)) == 1


def test_lost_answer_then_retry_gets_the_same_ticket(branch, live_hub, tmp_path) -> None:  # noqa: ANN001
    port = int(live_hub.url.rsplit(":", 1)[1])
    proxy = AnswerDropper(port)
    m = kiosk(branch, proxy.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path)
    try:
        proxy.drop = False
        m.refresh()
        m.open_unit("finance")
        m.open_service("FN2")
        proxy.drop = True
        assert m.take_ticket() is None
        assert m.problem.kind == "hub_down" and m.problem.can_retry and m.screen == vm.SERVICE
        assert "پاسخ" in m.message(m.problem)  # the Persian "not answering" message
        key = m.key
        assert len(tickets(live_hub.app)) == 1  # the hub issued it; the kiosk did not hear
        m.choose_priority("veteran")  # ignored: the key's ticket may already exist
        assert m.priority is None
        proxy.drop = False
        ticket = m.take_ticket()  # "try again"
        assert m.key == key and ticket["number"] == "G-001"
        assert len(tickets(live_hub.app)) == 1
    finally:
        m.printer.stop()
        proxy.close()


def test_hub_killed_then_back_keeps_the_key(branch, tmp_path) -> None:  # noqa: ANN001
    import sqlite3

    hub = HubProcess(tmp_path / "hub.sqlite").start()
    m = kiosk(branch, hub.url, hub.token, tmp_path)
    try:
        m.refresh()
        m.open_unit("registration")
        m.open_service("RG1")
        hub.kill()  # kill -9: a power cut at the hub
        assert m.take_ticket() is None and m.problem.kind == "hub_down" and m.problem.can_retry
        key = m.key
        assert m.take_ticket() is None and m.key == key  # still down: same key again
        hub.start()  # back on the same address, same database
        ticket = m.take_ticket()
        assert ticket is not None and m.key == key and ticket["number"] == "K-001"
        with sqlite3.connect(tmp_path / "hub.sqlite") as db:
            assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    finally:
        hub.kill()
        m.printer.stop()


def test_hub_down_at_start_says_so_in_persian(branch, tmp_path) -> None:  # noqa: ANN001
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = KioskModel(HubClient(f"http://127.0.0.1:{port}", "x", timeout=(0.5, 0.5)))
    m.refresh()
    assert m.load_problem.kind == "hub_down" and m.load_problem.can_retry
    assert m.message(m.load_problem).startswith("سامانه نوبت‌دهی")


def test_unavailable_service_is_shown_greyed_not_hidden(model, actions, branch) -> None:  # noqa: ANN001
    head = actions.login("head")
    for c in branch.counters:  # the branch head takes IN3 off every counter today
        skills = {s.code: s.weight for s in c.services if s.code != "IN3"}
        assert actions.client.put(f"/api/v1/counters/{c.number}/services", json={"services": skills},
                                  headers=head).status_code == 200
    model.refresh()
    model.open_unit("insured")
    rows = {r.code: r for r in model.service_rows()}
    assert not rows["IN3"].available and rows["IN3"].reason == "امروز هیچ باجه‌ای این خدمت را ارائه نمی‌دهد"
    assert rows["IN1"].available and rows["IN1"].reason == ""
    model.open_service("IN3")
    assert model.screen == vm.UNIT  # nothing happens on a greyed row


def test_closed_branch_says_when_it_opens(branch, tmp_path) -> None:  # noqa: ANN001
    friday = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)  # Friday: closed all day
    app = make_app(branch, tmp_path / "closed.sqlite", IGNORE_HOURS=False, CLOCK=lambda: friday)
    url, stop = serve_in_thread(app)
    try:
        m = KioskModel(HubClient(url, app.config["KIOSK_TOKEN"]))
        m.refresh()
        assert m.load_problem.kind == "closed"
        msg = m.message(m.load_problem)
        assert "شنبه ۳۰ آبان ۱۴۰۵" in msg and "۰۷:۳۰" in msg  # Saturday, Jalali date, Persian digits
        m.open_unit("premium")
        assert m.screen == vm.HOME  # no tickets while closed
        m.set_lang("en")
        assert "Saturday 21 November 2026" in m.message(m.load_problem)
    finally:
        stop()


def test_idle_and_ticket_timeouts_return_home(model) -> None:  # noqa: ANN001
    now = [0.0]
    model.clock = lambda: now[0]
    model.touch()
    model.open_unit("insured")
    now[0] = vm.IDLE_SECONDS - 1
    assert not model.tick() and model.screen == vm.UNIT
    now[0] = vm.IDLE_SECONDS + 1
    assert model.tick() and model.screen == vm.HOME and model.unit is None
    model.open_unit("insured")
    model.open_service("IN1")
    model.take_ticket()
    now[0] += vm.TICKET_SECONDS + 0.1
    assert model.tick() and model.screen == vm.HOME and model.ticket is None and model.key is None


def test_back_walks_one_screen_and_forgets_the_visit(model) -> None:  # noqa: ANN001
    model.open_unit("premium")
    model.open_service("PR1")
    model.choose_priority("disability")
    model.back()
    assert model.screen == vm.UNIT and model.priority is None and model.service is None
    model.back()
    assert model.screen == vm.HOME


def test_printer_offline_tells_visitor_and_hub(branch, live_hub, tmp_path) -> None:  # noqa: ANN001
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the printer's folder should be")
    m = kiosk(branch, live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path, printer_folder=blocker)
    try:
        m.refresh()
        m.open_unit("insured")
        m.open_service("IN1")
        ticket = m.take_ticket()
        assert ticket is not None and m.screen == vm.TICKET
        tv = m.ticket_view()
        assert tv.print_ok is False and "شماره" in tv.print_note  # "note your number"
        assert tv.number == "۱۰۱"
        assert m.time_left() > vm.TICKET_SECONDS * 2  # longer on screen: the visitor copies the number down
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline and status is None:
            rows = live_hub.app.extensions["navbat.hub"].floor.db.query(
                "SELECT * FROM device_status WHERE name='kiosk-1-printer'")
            status = next(iter(rows), None)
            time.sleep(0.05)
        assert status is not None and status["status"] == "offline"
        # The kiosk keeps working: the next visitor still gets a ticket.
        m.home()
        m.open_unit("insured")
        m.open_service("IN1")
        assert m.take_ticket()["number"] == "102"
        assert len(tickets(live_hub.app)) == 2
    finally:
        m.printer.stop()


def _device_status(app, name: str) -> str | None:  # noqa: ANN001
    rows = list(app.extensions["navbat.hub"].floor.db.query("SELECT status FROM device_status WHERE name=?", [name]))
    return rows[0]["status"] if rows else None


def _wait_for(check, timeout: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_paper_out_tells_visitor_and_hub_and_prints_once_refilled(branch, live_hub, tmp_path) -> None:  # noqa: ANN001
    from navbat.kiosk.printing import KioskPrinter
    from navbat.printer.fakes import FakeNetworkPrinter

    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    with FakeNetworkPrinter() as device:
        device.paper = "out"
        cfg = branch.printer("kiosk-1-printer").model_copy(
            update={"type": "network", "host": "127.0.0.1", "port": device.port, "path": None})
        printer = KioskPrinter(cfg, branch, hub.url, tmp_path / "q.sqlite", report=hub.report_printer,
                               retry_first=0.2, retry_max=0.5).start()
        m = KioskModel(hub, printer)
        try:
            m.refresh()
            m.open_unit("finance")
            m.open_service("FN3")
            ticket = m.take_ticket()
            assert ticket["number"] == "H-001" and m.printed.status == "paper_out"
            assert m.ticket_view().print_ok is False
            assert _wait_for(lambda: _device_status(live_hub.app, "kiosk-1-printer") == "paper_out")
            assert device.jobs == []
            device.paper = "ok"  # a clerk puts a new roll in: the held ticket comes out, once
            assert device.wait_for_jobs(1)
            assert _wait_for(lambda: _device_status(live_hub.app, "kiosk-1-printer") == "ok")
            time.sleep(0.5)
            assert len(device.jobs) == 1 and len(tickets(live_hub.app)) == 1
        finally:
            printer.stop()
