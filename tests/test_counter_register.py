"""The clerk ends a visit as a request answered later (issue 16, F3) from the console: Alt+Q,
with the undo bar like every other end of a visit; "Do it now" sends it and the request opens.
Later, any clerk types the tracking code and the result to answer it."""

from __future__ import annotations

import pytest
from axe import assert_accessible
from conftest import PINS, docs_dir
from counter_support import try_login, wait_message, wait_ready
from navbat.server.web import views

pytestmark = pytest.mark.browser
DOCS = docs_dir()


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

    # the back office's answer, typed at any counter by the tracking code (lower case will do)
    page.fill("#answer-code", "NOSUCH99")
    page.fill("#answer-result", "پذیرفته شد")
    page.click("#answer-button")
    wait_message(page, "درخواستی با این کد رهگیری نیست")
    assert page.get_attribute("#message", "class") == "error"
    page.fill("#answer-code", issued["tracking_code"].lower())
    page.click("#answer-button")
    wait_message(page, "پاسخ درخواست")
    assert views.ticket_by_code(hub, issued["tracking_code"])["request"]["result"] == "پذیرفته شد"
    assert page.input_value("#answer-code") == ""  # ready for the next one
    assert_accessible(page, "/counter request answered")
    page.screenshot(path=str(DOCS / "counter-answer-fa.png"))
