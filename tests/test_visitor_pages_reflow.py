"""Every visitor page at 320 px and at 200 % zoom, in Chromium (issue 24): /join's steps, /t (a
walk-in's, a remote turn's, an unknown code, the hub gone), /book's steps, a booking and a second
booking with the same phone. On each state: no sideways scroll and no element off the screen,
axe-core finds no critical or serious fault, and a Persian page shows no Latin digits and no English
(the codes a visitor types and the "English" link aside). Screenshots of each state."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from axe import assert_accessible, axe_context
from conftest import HandClock, chromium, docs_dir, make_app, serve_in_thread
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import Branch
from sms_support import code_from, read_log

pytestmark = [pytest.mark.browser]
DOCS = docs_dir()
TEHRAN = ZoneInfo("Asia/Tehran")
# 320 CSS px: a small phone; 200 % zoom: a 640 px window zoomed in, so 320 x 400 CSS px drawn at twice the size
SIZES = {"320": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
         "zoom200": {"viewport": {"width": 320, "height": 400}, "device_scale_factor": 2}}
OFF_SCREEN = """() => [...document.querySelectorAll('body *')].filter((e) => e.offsetParent !== null)
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width > 0 && (r.left < -1 || r.right > innerWidth + 1))
    .map(([e, r]) => `${e.tagName}#${e.id}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`)"""
CODE = re.compile(r"\b[A-Z2-9]{8}\b")  # tracking and booking codes: Latin by design (typed, scanned)


@dataclass
class Hub:
    url: str
    log: Path
    clock: HandClock
    app: object
    stop: Callable[[], None]

    def sms_code(self, phone: str) -> str:
        return code_from([m for m in read_log(self.log) if m["to"] == phone][-1])


@pytest.fixture
def hub(branch: Branch, tmp_path: Path) -> Iterator[Hub]:
    cfg = Appointments(share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={"PR2": 0.9})
    clock = HandClock(dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN))  # a Saturday, a working day
    log = tmp_path / "sms.log"
    app = make_app(branch.model_copy(update={"appointments": cfg}), tmp_path / "hub.sqlite", SMS_LOG=str(log),
                   CLOCK=clock, ANON_PER_ADDRESS=16)
    url, stop = serve_in_thread(app)
    stopped = []

    def stop_once() -> None:
        if not stopped:
            stopped.append(stop())

    yield Hub(url, log, clock, app, stop_once)
    stop_once()


def check(page, lang: str, state: str, size: str) -> None:  # noqa: ANN001
    width = page.evaluate("innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{state} at {size}: sideways scroll"
    assert page.evaluate(OFF_SCREEN) == [], f"{state} at {size}: off the screen"
    assert_accessible(page, f"{state} at {size}")
    if lang == "fa":
        placeholders = page.evaluate("[...document.querySelectorAll('[placeholder]')].map((e) => e.placeholder)")
        shown = CODE.sub("", page.inner_text("body") + " ".join(placeholders)).replace("English", "")
        assert not re.findall(r"[0-9]", shown), f"{state} at {size}: Latin digits in {shown!r}"
        assert not re.findall(r"[A-Za-z]{2,}", shown), f"{state} at {size}: English in {shown!r}"
    page.screenshot(path=str(DOCS / f"reflow-{state}-{size}.png"), full_page=True)


def join_flow(page, hub: Hub, phone: str, seen: Callable[[str], None]) -> str:  # noqa: ANN001
    page.goto(f"{hub.url}/join")
    seen("join-pick")
    page.goto(f"{hub.url}/join?service=IN1")
    seen("join-details")
    page.get_by_label("شماره همراه شما").fill(phone)
    page.get_by_role("button", name="کد را بفرست").click()
    page.get_by_label("کد پیامک‌شده").wait_for()
    seen("join-code")
    right = hub.sms_code(phone)
    page.get_by_label("کد پیامک‌شده").fill("00000" if right != "00000" else "11111")
    page.get_by_role("button", name="نوبتم را بگیر").click()
    page.wait_for_selector("[role=alert]")
    seen("join-wrong-code")
    page.get_by_label("کد پیامک‌شده").fill(right)
    page.get_by_role("button", name="نوبتم را بگیر").click()
    page.wait_for_url("**/t/*")
    seen("t-remote")
    return page.url.rsplit("/", 1)[1].split("?")[0]


def book_flow(page, hub: Hub, phone: str, seen: Callable[[str], None]) -> None:  # noqa: ANN001
    def book(start_at: int) -> None:
        page.goto(f"{hub.url}/book?service=PR2&date=2026-11-28")
        page.locator(".slot:not(:has(input:disabled))").nth(start_at).click()
        page.get_by_label("شماره همراه").fill(phone)
        page.locator("form.card button[type=submit]").last.click()
        page.wait_for_selector("input[name=code]")

    page.goto(f"{hub.url}/book")
    seen("book-pick")
    page.goto(f"{hub.url}/book?service=PR2&date=2026-11-28")
    seen("book-slots")
    book(0)
    seen("book-code")
    page.fill("input[name=code]", hub.sms_code(phone))
    page.locator("button[type=submit]").last.click()
    page.wait_for_url("**/book/*")
    seen("book-booked")
    hub.clock.advance(seconds=61)  # one code a minute per phone
    book(1)  # the same phone books again: it is shown the booking it holds, and told why
    page.fill("input[name=code]", hub.sms_code(phone))
    page.locator("button[type=submit]").last.click()
    page.wait_for_url("**/book/*held=1*")
    assert "از پیش یک وقت رزروشده دارد" in page.inner_text("[role=status]")
    seen("book-held")
    page.goto(f"{hub.url}/book/NOSUCH22")
    seen("book-unknown")


def test_every_visitor_page_reflows_at_320_px_and_at_200_percent_zoom(hub: Hub) -> None:
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}", "Idempotency-Key": "walk-in"}
    walk_in = requests.post(f"{hub.url}/api/v1/tickets", json={"service": "IN1"}, headers=kiosk, timeout=10).json()
    turns = []
    with chromium() as browser:
        for n, (size, options) in enumerate(SIZES.items()):
            page = axe_context(browser, **options).new_page()

            def seen(state: str, page=page, size=size) -> None:  # noqa: ANN001
                check(page, "fa", state, size)

            turns.append(join_flow(page, hub, f"0912111000{n}", seen))
            book_flow(page, hub, f"0912222000{n}", seen)
            page.goto(f"{hub.url}/t/{walk_in['tracking_code']}")
            assert "۱۴۰۵، ساعت ۰۷:۰۰" in page.inner_text("main")  # the year and the time stay apart
            seen("t-waiting")
            page.goto(f"{hub.url}/t/NOSUCH22")
            seen("t-unknown")
            page.goto(f"{hub.url}/t/{walk_in['tracking_code']}?lang=en")
            check(page, "en", "t-waiting-en", size)
            page.close()
        # the hub goes away while phones follow their turns: the page stops saying it follows, and says so
        pages = {}
        for size, options in SIZES.items():
            page = pages[size] = axe_context(browser, **options).new_page()
            page.goto(f"{hub.url}/t/{turns[0]}")
            page.wait_for_function("() => window.navbatTrack.source && window.navbatTrack.source.readyState === 1")
            assert page.is_visible("#follow-note") and not page.is_visible("#lost-note")
        hub.stop()
        for size, page in pages.items():
            page.wait_for_selector("#lost-note", state="visible", timeout=15000)
            assert not page.is_visible("#follow-note")
            assert "ارتباط با شعبه قطع است" in page.inner_text("#lost-note")
            check(page, "fa", "t-hub-gone", size)
