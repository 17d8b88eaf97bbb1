"""The branch head's pages and the counter tablet under axe-core (issue 12): /head login and
floor, /head/reports (date fields in Persian digits), /rate idle and after a face (fits 390 px,
a face sends nothing by itself). Every counter's buttons say which counter they act on."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import PINS, chromium, docs_dir

pytestmark = pytest.mark.browser
API = "/api/v1"


def test_head_floor_and_reports(live_hub) -> None:  # noqa: ANN001
    with chromium() as browser:
        page = axe_context(browser, viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{live_hub.url}/head")
        page.wait_for_selector("#login")
        assert page.locator("main #login").count() == 1  # the login is inside the main landmark
        assert_accessible(page, "/head login")
        page.fill("input[name=pin]", PINS["head"])
        page.click("#login button[type=submit]")
        page.wait_for_selector("#counters article[data-counter='8']")
        assert_accessible(page, "/head floor")
        names = page.eval_on_selector_all("#counters button", "els => els.map((b) => b.getAttribute('aria-label'))")
        assert len(names) == len(set(names)) == 16  # "close" and "services" for each of 8 counters, all told apart
        assert page.get_by_role("button", name="خدمات · باجه ۵").count() == 1

        page.goto(f"{live_hub.url}/head/reports")
        page.wait_for_selector("#console:not([hidden])")  # the session is kept
        page.wait_for_function("() => document.querySelector('input[name=month]').value !== ''")
        month = page.input_value("input[name=month]")
        assert month and all(c in "۰۱۲۳۴۵۶۷۸۹-" for c in month)
        assert all(c in "۰۱۲۳۴۵۶۷۸۹-" for c in page.input_value("input[name=date]"))
        page.click("#period button[type=submit]")
        page.wait_for_selector("#t-services tfoot tr[data-key=total]")  # Persian digits reach the API as Latin
        assert_accessible(page, "/head reports")

        page.goto(f"{live_hub.url}/head/reports")
        page.click("#logout")
        page.wait_for_selector("#login:not([hidden])")
        assert_accessible(page, "/head/reports login")


def test_rate_tablet_fits_a_phone_and_waits_for_send(live_hub, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(4)
    actions.issue("IN1")
    with chromium() as browser:
        page = axe_context(browser, viewport={"width": 390, "height": 800}).new_page()
        page.goto(f"{live_hub.url}/rate/4?token={live_hub.app.config['TABLET_TOKENS'][4]}")
        page.wait_for_selector("#idle:not([hidden])")
        assert_accessible(page, "/rate idle")
        actions.client.post(f"{API}/counters/4/next", headers=clerk)
        actions.client.post(f"{API}/counters/4/done", headers=clerk)
        page.wait_for_selector("#rate:not([hidden])")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        bad = page.locator(".face").first.bounding_box()
        assert bad["x"] >= 0 and bad["x"] + bad["width"] <= 390  # the "bad" face is whole
        page.check(".face input[value='1']")
        assert page.is_visible("#send") and page.is_visible("textarea[name=comment]")
        assert_accessible(page, "/rate after a face")
        page.screenshot(path=str(docs_dir() / "rate-tablet-390-fa.png"), full_page=True)
        db = live_hub.app.extensions["navbat.hub"].floor.db
        assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
        page.fill("textarea[name=comment]", "صف طولانی بود")
        page.click("#send")
        page.wait_for_selector("#thanks:not([hidden])")
        assert db.execute("SELECT score, comment FROM ratings").fetchall() == [(1, "صف طولانی بود")]
