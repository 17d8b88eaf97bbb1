"""The head's floor lists the requests answered later (issue 16: F1, F3): open and overdue ones,
oldest first, counted per unit and sub-service, and marks one answered with a short result."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import PINS, chromium, docs_dir, serve_in_thread
from requests_support import Desk, tehran

pytestmark = pytest.mark.browser
DOCS = docs_dir()


def test_head_sees_late_requests_first_and_answers_one(branch, tmp_path) -> None:  # noqa: ANN001
    desk = Desk(branch, tmp_path, tehran("1405-02-05", 10))  # Saturday 5 Ordibehesht
    url, stop = serve_in_thread(desk.app)
    try:
        late = desk.register("RG3")  # due Tuesday 8 Ordibehesht
        desk.clock.now = tehran("1405-02-09", 11)  # Wednesday: one working day late
        desk.auth = {n: desk.login(f"clerk{n}", n) for n in (5, 6)}
        desk.register("PN4", counter=6)
        desk.register("PN1", counter=6)
        with chromium() as browser:
            page = axe_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{url}/head")
            page.fill("input[name=pin]", PINS["head"])
            page.click("#login button[type=submit]")
            page.wait_for_selector("#requests tbody tr:nth-child(3)")
            rows = page.locator("#requests tbody tr")
            assert "late" in (rows.nth(0).get_attribute("class") or "")  # the oldest, and late, first
            assert "پاسخ ۱ روز کاری دیر شده است" in rows.nth(0).inner_text()
            assert "۱۰ روز کاری تا پاسخ مانده است" in rows.nth(2).inner_text()  # a pension application
            counts = page.inner_text("#requests-counts")
            assert "۱ باز، ۱ دیرتر از مهلت" in counts and "۲ باز، ۰ دیرتر از مهلت" in counts
            assert_accessible(page, "/head requests")
            page.locator("#requests-card").screenshot(path=str(DOCS / "head-requests-fa.png"))

            rows.nth(0).locator("input").fill("سوابق ادغام شد")
            rows.nth(0).locator("button").click()
            page.wait_for_function("() => document.querySelectorAll('#requests tbody tr').length === 2")
            assert "ثبت شد" in page.inner_text("#requests-message")
        req = desk.request(late)
        assert req["state"] == "answered" and req["result"] == "سوابق ادغام شد" and req["on_time"] is False
    finally:
        stop()
        desk.hub.stop()
