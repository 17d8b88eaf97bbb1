"""The clerk ends a visit as a request answered later (issue 16, F3) from the console: Alt+Q,
with the undo bar like every other end of a visit; "Do it now" sends it and the request opens."""

from __future__ import annotations

import pytest
from axe import assert_accessible
from conftest import PINS
from navbat.server import views
from test_counter_safety import page, try_login, wait_message, wait_ready  # noqa: F401 - page is a fixture

pytestmark = pytest.mark.browser


def test_alt_q_registers_a_request_after_the_undo_bar(page, actions, hub) -> None:  # noqa: ANN001, F811
    issued = actions.issue("PN4").json
    try_login(page, "clerk6", PINS["clerk6"], 6)
    wait_ready(page)
    page.click("#open")
    page.wait_for_selector("#next.primary:not([disabled])")
    page.click("#next")
    page.wait_for_selector("#registered:not([disabled])")
    page.keyboard.press("Alt+q")
    page.wait_for_selector("#undo-bar:not([hidden])")
    wait_message(page, "درخواست ثبت شد")
    assert views.ticket_by_code(hub, issued["tracking_code"])["request"] is None  # not sent yet: undo is possible
    assert_accessible(page, "/counter registered, undo bar")
    page.click("#undo-now")
    page.wait_for_function("() => !window.navbatConsole.pending && !window.navbatConsole.view.current_ticket")
    seen = views.ticket_by_code(hub, issued["tracking_code"])
    assert (seen["state"], seen["outcome"]) == ("done", "registered")
    assert seen["request"]["state"] == "open" and seen["request"]["days_left"] == 3  # PN4: 3 working days
