"""The clerk's console at /counter in headless Chromium, with the web wall display beside it.

A clerk logs in with a PIN at a counter, calls next, and /display shows the call within
a second; recall (keyboard) and transfer work; the documents checklist records
"documents incomplete" (D7); pages are right to left in Persian. Screenshots go to docs/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import chromium, docs_dir
from counter_support import login
from navbat.foundation.hub_events import wait_until
from navbat.server.web import views

pytestmark = pytest.mark.browser
DOCS = docs_dir()
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture
def browser(live_hub) -> Iterator[object]:  # noqa: ANN001 - closes before the hub stops
    with chromium() as b:
        yield b


def open_display(browser, live_hub):  # noqa: ANN001, ANN201
    """The web wall with its display token, as a branch sets it up (anonymous streams are written
    once a second)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{live_hub.url}/display?token={live_hub.app.config['DISPLAY_TOKEN']}")
    page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded && window.navbatDisplay.online")
    return page


def test_clerk_calls_next_and_the_web_display_shows_it_within_a_second(browser, live_hub, actions, floor, hub):  # noqa: ANN001
    for service in ("IN1", "IN2", "PR1", "IN1"):
        assert actions.issue(service).status_code == 201
    actions.issue("PN1", "elderly")
    display = open_display(browser, live_hub)
    console = browser.new_page(viewport={"width": 1280, "height": 800})
    login(console, live_hub.url, "clerk3", 3)
    assert console.get_attribute("html", "dir") == "rtl"
    assert console.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert sessionStorage_token(console)
    console.click("#open")
    console.wait_for_selector("#next:not([disabled])")

    started = time.monotonic()
    console.click("#next")
    display.wait_for_function("() => window.navbatDisplay.calls.length > 0", timeout=1000)
    elapsed = time.monotonic() - started
    called = views.counter(hub, 3)["current_ticket"]
    assert called is not None and elapsed < 1.0
    assert display.text_content("#now-number") == called["number"].translate(FA)
    assert display.text_content("#now-counter") == "باجه ۳"
    assert display.evaluate("window.navbatDisplay.announced") == [{"number": called["number"], "counter": 3}]

    # The console shows the ticket, its sub-service, priority, wait and why it was chosen.
    shown = called["number"].translate(FA)
    console.wait_for_function(f"() => document.querySelector('#ticket-number').textContent === '{shown}'")
    assert console.text_content("#ticket-reason")  # the policy's explanation, translated
    assert console.text_content("#ticket-priority") in ("عادی", "سالمند (۶۰ سال به بالا)")
    docs = floor.branch.service(called["service"]).documents
    assert console.locator("#documents li").count() == len(docs)
    assert console.text_content("#documents li:first-child").strip() == docs[0].fa
    console.wait_for_timeout(300)
    console.screenshot(path=str(DOCS / "counter-console-fa.png"))
    display.wait_for_timeout(300)
    display.screenshot(path=str(DOCS / "display-web-fa.png"))


def commit(page) -> None:  # noqa: ANN001
    """Sends the action waiting in the undo bar now, and waits for the hub's answer."""
    before = page.evaluate("window.navbatConsole.committed || 0")
    page.click("#undo-now")
    page.wait_for_function(f"() => (window.navbatConsole.committed || 0) > {before}")


def sessionStorage_token(page) -> str | None:  # noqa: ANN001, N802
    return page.evaluate("sessionStorage.getItem('navbat.token')")


def test_recall_by_keyboard_and_transfer_to_another_sub_service(browser, live_hub, actions, floor, hub):  # noqa: ANN001
    actions.issue("IN1")
    actions.issue("IN2")
    display = open_display(browser, live_hub)
    console = browser.new_page()
    login(console, live_hub.url, "clerk4", 4)
    console.click("#open")
    console.wait_for_selector("#next:not([disabled])")
    console.keyboard.press("Alt+n")  # shortcuts by key position: work with the Persian layout too
    console.wait_for_selector("#recall:not([disabled])")
    first = views.counter(hub, 4)["current_ticket"]

    console.keyboard.press("Alt+r")
    display.wait_for_function("() => window.navbatDisplay.announced.length === 2", timeout=2000)
    assert views.ticket_by_id(hub, first["id"])["recalls"] == 1
    assert display.evaluate("window.navbatDisplay.calls[0].recall") is True
    console.wait_for_function("() => document.querySelector('#ticket-recalls').textContent === '۱'")

    console.select_option("#transfer-to", "PN2")
    console.click("#transfer")
    console.wait_for_selector("#no-ticket:not([hidden])")
    commit(console)
    moved = views.ticket_by_id(hub, first["id"])
    assert (moved["state"], moved["service"], moved["transfers"]) == ("waiting", "PN2", 1)
    assert "ارجاع" in console.text_content("#message")
    # the next call picks the other visitor; the waiting table follows live
    console.wait_for_selector("#next:not([disabled])")  # Alt+N before the console is free does nothing
    console.keyboard.press("Alt+n")
    # the recall button may still be enabled from before the transfer: wait for the hub's call itself
    assert wait_until(lambda: views.counter(hub, 4)["current_ticket"] is not None, 10)
    assert views.counter(hub, 4)["current_ticket"]["id"] != first["id"]
    console.wait_for_function(
        "() => document.querySelector('#waiting tr[data-service=\"PN2\"] td.count').textContent === '۱'")


def test_documents_checklist_records_incomplete_and_tells_what_is_missing(browser, live_hub, actions, floor, hub):  # noqa: ANN001
    actions.issue("PN1")
    console = browser.new_page()
    login(console, live_hub.url, "clerk6", 6)
    console.click("#open")
    console.wait_for_selector("#next:not([disabled])")
    console.click("#next")
    console.wait_for_selector("#documents li")
    docs = floor.branch.service("PN1").documents
    console.check("#documents li:nth-child(1) input")
    console.check("#documents li:nth-child(2) input")
    missing = console.text_content("#missing")
    assert docs[2].fa in missing and docs[3].fa in missing and docs[0].fa not in missing
    ticket = views.counter(hub, 6)["current_ticket"]
    console.keyboard.press("Alt+i")
    console.wait_for_selector("#no-ticket:not([hidden])")
    commit(console)
    done = views.ticket_by_id(hub, ticket["id"])
    assert (done["state"], done["outcome"]) == ("done", "documents_incomplete")
    # nobody left: "next" says so instead of failing
    console.click("#next")
    console.wait_for_function("() => document.querySelector('#message').textContent.includes('کسی در انتظار نیست')")


def test_pause_resume_and_errors_in_english(browser, live_hub, actions, floor, hub):  # noqa: ANN001
    actions.issue("FN1")
    console = browser.new_page(viewport={"width": 1280, "height": 800})
    console.goto(f"{live_hub.url}/counter?lang=en")
    console.wait_for_selector("#counter option[value='8']", state="attached")
    console.fill("#username", "clerk8")
    console.fill("#pin", "0000")
    console.select_option("#counter", "8")
    console.click("#login-button")
    console.wait_for_function("() => document.querySelector('#message').textContent.includes('Wrong username or PIN')")
    assert console.get_attribute("html", "dir") == "ltr"
    login(console, live_hub.url, "clerk8", 8, lang="en")
    console.click("#open")
    console.wait_for_selector("#pause:not([disabled])")
    console.keyboard.press("Alt+p")
    console.wait_for_selector("#resume:not([hidden])")
    assert views.counter(hub, 8)["state"] == "paused"
    assert console.is_disabled("#next")
    console.keyboard.press("Alt+p")
    console.wait_for_selector("#next:not([disabled])")
    assert views.counter(hub, 8)["state"] == "open"
    console.keyboard.press("Alt+n")
    console.wait_for_selector("#start:not([disabled])")
    console.keyboard.press("Alt+s")
    console.wait_for_function("() => document.querySelector('#message').textContent.startsWith('Started')")
    assert views.counter(hub, 8)["current_ticket"]["state"] == "serving"
    console.wait_for_timeout(200)
    console.screenshot(path=str(DOCS / "counter-console-en.png"))
    console.keyboard.press("Alt+d")
    console.wait_for_selector("#no-ticket:not([hidden])")
    commit(console)
    # a reload keeps the session (sessionStorage), logging out ends it
    console.reload()
    console.wait_for_selector("#console:not([hidden])")
    console.click("#logout")
    console.wait_for_selector("#login:not([hidden])")
    assert views.counter(hub, 8)["clerk"] is None
