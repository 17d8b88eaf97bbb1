"""The same wait on every screen: the kiosk, the wall (Kivy and the web page's words), the
phone page and the printed slip show what the hub derived, once, not each its own rule.

A live hub with two counters open and a queue; the hub's clock moves with real time, but
everything compared is read from one estimate replay (the test settles it first).
"""

from __future__ import annotations

import re

from navbat.counter_display.viewmodel import WallModel
from navbat.foundation.hub_client import HubClient
from navbat.foundation.wording import wait_text
from navbat.kiosk.viewmodel import KioskModel
from navbat.printer.layout import wait_line
from navbat.printer.slip import slip_from_ticket

FA = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def _busy_floor(live_hub, actions) -> None:  # noqa: ANN001
    actions.open_counter(1)  # premium, with insured and registration as backups
    actions.open_counter(3)  # insured
    for code in ("PR1", "PR1", "PR2", "IN1", "IN1", "IN3", "PR3"):
        assert actions.issue(code).status_code == 201
    live_hub.app.extensions["navbat.hub"].estimates.settled()


def test_kiosk_and_wall_word_the_same_unit_and_sub_service_waits(live_hub, actions) -> None:  # noqa: ANN001
    _busy_floor(live_hub, actions)
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    queue = hub.queue()
    for lang in ("fa", "en"):
        kiosk = KioskModel(hub, lang=lang)
        kiosk.refresh()
        wall = WallModel(lang)
        wall.load_branch(hub.branch())
        wall.load_queue(queue)
        units = {u["code"]: u for u in queue["units"]}
        cards = {c.code: c.estimate for c in kiosk.home_cards()}
        rows = [r.estimate for r in wall.view().units]
        expected = [wait_text(u["estimated_wait"], u["note"], lang) for u in queue["units"]]
        assert [cards[code] for code in units] == rows == expected
        assert any(re.search(r"\d|[۰-۹]", text) for text in expected)  # real numbers, not only notes
        for unit in units:
            kiosk.open_unit(unit)
            for row in kiosk.service_rows():
                s = next(s for s in queue["services"] if s["code"] == row.code)
                assert row.estimate == wait_text(s["estimated_wait"], s["note"], lang)
            kiosk.home()
    hub.close()


def test_a_ticket_reads_the_same_on_the_kiosk_the_slip_and_the_phone(live_hub, actions, client) -> None:  # noqa: ANN001
    _busy_floor(live_hub, actions)
    code = actions.issue("IN1").json["tracking_code"]
    live_hub.app.extensions["navbat.hub"].estimates.settled()  # the ticket's own replay
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    ticket = hub.ticket(code)  # what a reprint and the phone both read
    est = ticket["estimated_wait"]
    assert est is not None and est["high"] >= est["low"] > 0

    slip = slip_from_ticket(ticket, live_hub.url, "fa")
    assert (slip.wait_low, slip.wait_high) == (est["low"], est["high"])
    page = " ".join(client.get(f"/t/{code}").get_data(as_text=True).split())
    kiosk_text = wait_text(est, None, "fa")
    assert f"{est['low']} تا {est['high']}" in kiosk_text.translate(FA)
    # the phone says the range the kiosk and the slip say (issue 24: it said "about N (between L and H)")
    assert wait_line(slip) == f"زمان تقریبی انتظار: {kiosk_text}" and wait_line(slip) in page
    hub.close()
