"""Issue 25: the hub ships words and decisions, the browser draws them.

In Chromium, with the pages' own CSP (no inline script, no eval): the clerk's console enables
its buttons from the counter's shipped `actions` (a view that says "no recall" shows no usable
Recall, whatever the ticket's state), shows the call's reason in the hub's Persian words, and
says why a shortcut cannot act in the words of the hub's refusal; the wall shows the hub's
words for each wait, not its own. Screenshots at 1280×800 (console) and 1920×1080 (wall).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator

import pytest
from conftest import chromium, docs_dir, unit_summary
from counter_support import fill_login
from navbat.server.web import views

pytestmark = pytest.mark.browser
DOCS = docs_dir()
LATIN = re.compile(r"[0-9A-Za-z]")


@pytest.fixture
def browser(live_hub) -> Iterator[object]:  # noqa: ANN001 - closes before the hub stops
    with chromium() as b:
        yield b


def open_page(browser, url: str, width: int, height: int):  # noqa: ANN001, ANN201
    """A page with the hub's CSP in force; every script error and CSP refusal is kept in `page.errors`."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the hub has none; not a page's fault
    page.goto(url)
    return page


def test_the_console_enables_only_what_the_hub_allows(browser, live_hub, actions, hub) -> None:  # noqa: ANN001
    actions.issue("PN1", "elderly")
    clerk = actions.open_counter(6)
    assert actions.client.post("/api/v1/counters/6/next", headers=clerk).status_code == 200
    shipped = views.counter(hub, 6)
    assert shipped["current_ticket"]["state"] == "called"
    assert {"recall", "start", "done", "no-show", "transfer", "uncall"} <= set(shipped["actions"]["allowed"])
    assert shipped["actions"]["primary"] == "start"

    # the hub says: no recall, no start, done first; the console follows it, not the ticket's state
    said = {"allowed": ["done", "transfer"], "refused": {"recall": "ticket_serving", "start": "ticket_serving",
                                                         "next": "ticket_in_progress", "no-show": "ticket_serving",
                                                         "pause": "ticket_in_progress", "close": "ticket_in_progress",
                                                         "open": "counter_open", "resume": "counter_open"},
            "primary": "done", "after_visit": shipped["actions"]["after_visit"]}

    def counter_view(route) -> None:  # noqa: ANN001
        body = route.fetch().json()
        body["actions"] = said
        route.fulfill(json=body)

    page = open_page(browser, f"{live_hub.url}/counter", 1280, 800)
    page.route("**/api/v1/counters/6", counter_view)
    fill_login(page, "clerk6", 6)
    page.wait_for_selector("#ticket-body:not([hidden])")
    assert page.is_disabled("#recall") and page.is_disabled("#start") and page.is_disabled("#no-show")
    assert page.is_enabled("#done") and page.is_enabled("#incomplete") and page.is_enabled("#registered")
    assert page.is_disabled("#next") and page.is_hidden("#open") and page.is_hidden("#resume")
    assert page.evaluate("() => document.querySelector('#actions button.primary').id") == "done"
    assert page.evaluate("() => document.activeElement.id") == "done"
    # a shortcut that cannot act says why, in the words of the hub's refusal
    page.keyboard.press("Alt+r")
    page.wait_for_function("(t) => document.querySelector('#message').textContent.includes(t)",
                           arg="کار مراجع در حال انجام است")
    assert views.ticket_by_id(hub, shipped["current_ticket"]["id"])["recalls"] == 0

    # the hub's reason, worded by the hub in Persian: the priority class by its name, Persian digits
    reason = page.text_content("#ticket-reason")
    assert reason == shipped["current_ticket"]["reason_text"]["fa"]
    assert "سالمند" in reason and "خدمت اصلی این باجه" in reason and not LATIN.search(reason), reason
    page.screenshot(path=str(DOCS / "counter-console-hub-actions-fa.png"))
    assert page.errors == []


def test_the_console_draws_the_reason_it_is_sent(browser, live_hub, actions) -> None:  # noqa: ANN001
    """The words shown are the hub's, whatever they are: nothing is taken apart or recomposed."""
    actions.issue("PN1")
    clerk = actions.open_counter(6)
    actions.client.post("/api/v1/counters/6/next", headers=clerk)

    def counter_view(route) -> None:  # noqa: ANN001
        body = route.fetch().json()
        body["current_ticket"]["reason_text"] = {"fa": "دلیلی که هاب گفت", "en": "what the hub said"}
        body["current_ticket"]["reason"] = [{"code": "waited", "minutes": 99, "target": 1}]
        route.fulfill(json=body)

    page = open_page(browser, f"{live_hub.url}/counter", 1280, 800)
    page.route("**/api/v1/counters/6", counter_view)
    fill_login(page, "clerk6", 6)
    page.wait_for_function("() => document.querySelector('#ticket-reason').textContent === 'دلیلی که هاب گفت'")
    # the waits in this counter's table are the hub's words too
    waits = page.evaluate("() => [...document.querySelectorAll('#waiting tr td:nth-child(3)')]"
                          ".map((c) => c.textContent)")
    services = actions.client.get("/api/v1/services").json["services"]
    words = {s["wait_text"]["fa"] for s in services}
    assert waits and set(waits) <= words, (waits, words)
    assert page.errors == []


def test_the_console_screens_say_no_latin_digits_or_english(browser, live_hub, actions) -> None:  # noqa: ANN001
    actions.issue("PN1", "elderly")
    actions.issue("PN2")
    page = open_page(browser, f"{live_hub.url}/counter", 1280, 800)
    fill_login(page, "clerk6", 6)
    page.click("#open")
    page.wait_for_selector("#next:not([disabled])")
    page.click("#next")
    page.wait_for_selector("#start:not([disabled])")
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS / "counter-console-1280x800-fa.png"))
    # everything the clerk reads, but the shortcut keys (Alt+N), the language link and the test clerk's
    # name (clerk6: the branch gave it no display name)
    text = page.evaluate("""() => {
        const root = document.body.cloneNode(true);
        for (const n of root.querySelectorAll('kbd, #lang-link, #who, script, [hidden], #checkin-code, #answer-code'))
          n.remove();
        return root.innerText; }""")
    text = text.replace("(Alt + ", "(")  # the key's name, as printed on the keyboard
    assert not LATIN.search(text), LATIN.findall(text)[:20]
    assert page.errors == []


def test_the_wall_shows_the_hubs_words_for_each_wait(browser, live_hub, branch) -> None:  # noqa: ANN001
    services = {"services": [], "units": [unit_summary(branch, u.code, note="not_open") for u in branch.units]}
    insured = unit_summary(branch, "insured", 3, 5, 12)
    # words no rule in the page could make from the numbers: the wall must show them as sent
    insured["wait_text"] = {"fa": "حدود نیم ساعت", "en": "half an hour or so"}
    services["units"][1] = insured

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.route("**/api/v1/services", lambda route: route.fulfill(json=copy.deepcopy(services)))
    page.goto(f"{live_hub.url}/display?voice=")
    page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded")
    page.wait_for_selector("#units [data-unit=insured] .estimate")
    assert page.text_content("#units [data-unit=insured] .estimate") == "حدود نیم ساعت"
    assert page.text_content("#units [data-unit=insured] .waiting") == "۳ نفر در انتظار"
    settings = json.loads(page.text_content("#wall"))
    assert settings == live_hub.app.test_client().get("/api/v1/branch").json["wall"]
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS / "display-web-1920x1080-hub-words-fa.png"))
    text = page.evaluate("() => document.body.innerText")
    assert not LATIN.search(text), LATIN.findall(text)[:20]
    assert page.errors == []
