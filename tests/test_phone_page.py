"""The visitor's phone page /t/<code> in Chromium: it follows the hub's event stream (no
reload), says when no counter serves the sub-service, alerts when called, reads at 320 px
with text of 16 px or more, and rates with a face, then an optional comment, then send."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import chromium, docs_dir
from pages_support import MIN_FONT

API = "/api/v1"
DOCS = docs_dir()
CALLED = "نوبت شماست!"


def issue(actions, service: str = "PN1") -> dict:  # noqa: ANN001
    r = actions.issue(service)
    assert r.status_code == 201, r.json
    return r.json


@pytest.fixture
def phone_hub(live_hub):  # noqa: ANN001, ANN201
    # every browser here is one anonymous address (127.0.0.1): let it hold a few streams
    live_hub.app.config.update(ANON_PER_ADDRESS=8)
    return live_hub


@pytest.mark.browser
def test_phone_page_follows_the_stream_without_reloading(phone_hub, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(6)
    issue(actions)
    mine = issue(actions)
    with chromium() as browser:
        ctx = axe_context(browser, viewport={"width": 320, "height": 640})
        page = ctx.new_page()
        page.goto(f"{phone_hub.url}/t/{mine['tracking_code']}")
        page.wait_for_function("() => window.navbatTrack && window.navbatTrack.source"
                               " && window.navbatTrack.source.readyState === 1")
        page.evaluate("window.sameDocument = true")
        assert page.locator("meta[http-equiv=refresh]").count() == 0
        assert "۱ نفر جلوتر از شما" in page.text_content("#live")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scroll
        assert page.evaluate(MIN_FONT) >= 16
        assert_accessible(page, "/t waiting")
        page.screenshot(path=str(DOCS / "phone-waiting-fa.png"), full_page=True)

        # the one ahead is called: the count changes, then this ticket is called
        actions.client.post(f"{API}/counters/6/next", headers=clerk)
        page.wait_for_function("() => document.querySelector('#live').textContent.includes('نفر بعدی شما هستید')")
        actions.client.post(f"{API}/counters/6/done", headers=clerk)
        actions.client.post(f"{API}/counters/6/next", headers=clerk)
        page.wait_for_function("() => document.querySelector('#live h1.call')")
        assert CALLED in page.text_content("#live h1") and "باجه ۶" in page.text_content("#live")
        assert page.evaluate("window.sameDocument") is True  # changed in place, never reloaded
        assert page.evaluate("window.navbatTrack.alerts") == 1  # the tone and the vibration
        assert page.evaluate(MIN_FONT) >= 16
        assert_accessible(page, "/t called")
        page.screenshot(path=str(DOCS / "phone-called-fa.png"), full_page=True)

        actions.client.post(f"{API}/counters/6/done", headers=clerk)
        page.wait_for_selector("#live form.rate")
        assert page.evaluate("window.sameDocument") is True
        assert page.evaluate("window.navbatTrack.source.readyState") == 2  # done: the stream is let go
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(page, "/t done")

        # a face sends nothing by itself; the comment, then send
        page.get_by_role("radio", name="بد").check()
        assert_accessible(page, "/t done, a face chosen")
        page.get_by_label("نظر شما (اختیاری)").fill("صف طولانی بود")
        page.screenshot(path=str(DOCS / "phone-rate-fa.png"), full_page=True)
        db = phone_hub.app.extensions["navbat.hub"].floor.db
        assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
        page.get_by_role("button", name="ارسال").click()
        # the form posts and a new page loads: its body may not be there yet
        page.wait_for_function("() => document.body && document.body.textContent.includes('از نظر شما سپاسگزاریم')")
        assert db.execute("SELECT score, comment FROM ratings").fetchall() == [(1, "صف طولانی بود")]
        ctx.close()


@pytest.mark.browser
def test_phone_page_says_when_no_counter_serves(phone_hub, actions) -> None:  # noqa: ANN001
    mine = issue(actions)  # nobody has opened a counter serving PN1
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(f"{phone_hub.url}/t/{mine['tracking_code']}")
        wait = page.locator("[data-wait-note=no_open_window]")
        assert "اکنون باجهٔ بازی ندارد" in wait.text_content()
        assert "دقیقه" not in wait.text_content()  # no number where there is none
        actions.open_counter(6)  # a counter serving it opens: the page says so by itself
        page.wait_for_function("() => !document.querySelector('[data-wait-note]')")
