"""The booking page /book in Chromium at 390 px, Persian first (issue 18 B): pick the service
and the day, a free time, the phone and its SMS code (from the file log); the booking's code,
when to check in, and moving it (cancel + book again). axe-core finds nothing serious."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from appointments_support import TEHRAN, Live, _live
from axe import assert_accessible, axe_context
from conftest import PINS, chromium, docs_dir
from navbat.foundation.config import Branch
from sms_support import code_from, read_log

DOCS = docs_dir()
PHONE = "09127654321"


@pytest.fixture
def live(branch: Branch, tmp_path: Path) -> Iterator[Live]:
    # the demo branch's own appointment share (20 %, 15-minute slots), at 07:00 on a Saturday
    yield from _live(branch, tmp_path, dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN),
                     **branch.appointments.model_dump())


@pytest.mark.browser
def test_book_on_a_phone_in_persian_then_move(live: Live) -> None:
    with chromium() as browser:
        ctx = axe_context(browser, viewport={"width": 390, "height": 844})
        page = ctx.new_page()
        page.goto(f"{live.url}/book")
        assert page.locator("html").get_attribute("dir") == "rtl" and "گرفتن وقت" in page.text_content("h1")
        assert_accessible(page, "/book")
        page.select_option("#service", "PR2")
        page.select_option("#date", "2026-11-28")
        page.click("text=نمایش وقت‌های خالی")
        slots = page.locator(".slot")
        # PR2's two counters give it 1.7 visits a slot, 20 % of which is a place every third slot
        assert slots.count() == 9 and "۰۸:۰۰" in slots.first.text_content()
        before = live.free("08:00")
        assert before == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        assert_accessible(page, "/book slots")
        page.click(".slot:has-text('۰۸:۰۰')")
        page.fill("#phone", "۰۹۱۲۷۶۵۴۳۲۱")  # Persian digits, as a phone keyboard types them
        page.screenshot(path=str(DOCS / "book-slots-fa.png"), full_page=True)
        page.click("text=ارسال کد")
        assert "۴۳۲۱" in page.text_content("main")
        assert_accessible(page, "/book code")
        page.fill("#code", "00000" if (c := code_from(read_log(live.log)[-1])) != "00000" else "11111")
        page.click("button:has-text('ثبت وقت')")
        assert page.locator("[role=alert]").text_content().startswith("کد درست نیست")
        page.fill("#code", c)
        page.click("button:has-text('ثبت وقت')")
        page.wait_for_url("**/book/*")
        code = page.text_content(".booked .code").strip()
        assert len(code) == 8 and "وقت شما" in page.text_content("h1")
        text = page.text_content("main")
        assert "۰۸:۰۰" in text and "۰۷:۳۰" in text and "۰۸:۱۵" in text  # the check-in window
        assert_accessible(page, "/book/<code>")
        page.screenshot(path=str(DOCS / "book-booked-fa.png"), full_page=True)
        # the hub holds it: the slot has one place fewer
        assert live.free("08:00") == before - 1
        booked = live.app.extensions["navbat.hub"]
        with booked.read() as db:
            assert db.execute("SELECT state, phone, start FROM appointments WHERE code=?", [code]).fetchone() == \
                ("booked", PHONE, "08:00")
        # move: the booking is cancelled and the same service and day are offered again
        page.click("text=جابه‌جایی وقت")
        page.wait_for_selector(".slot")
        assert page.locator("#service").input_value() == "PR2" and page.locator("#date").input_value() == "2026-11-28"
        with booked.read() as db:
            assert db.execute("SELECT state FROM appointments WHERE code=?", [code]).fetchone()[0] == "cancelled"
        page.goto(f"{live.url}/book/{code}")
        assert "وقت لغو شد" in page.text_content("h1")
        page.goto(f"{live.url}/book/NOSUCHAP")
        assert "چنین وقتی پیدا نشد" in page.text_content("h1")
        ctx.close()


@pytest.mark.browser
def test_the_head_console_shows_today_s_appointments(live: Live) -> None:
    for phone, start in (("09121000001", "08:00"), ("09121000002", "08:45")):
        assert live.book(phone, start).status_code == 201
    with chromium() as browser:
        ctx = axe_context(browser, viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(f"{live.url}/head")
        page.fill("input[name=pin]", PINS["head"])
        page.click("#login button[type=submit]")
        page.wait_for_selector("#appointments-slots tbody tr")
        rows = page.locator("#appointments-slots tbody tr")
        assert rows.count() == 2 and rows.first.locator("td").first.text_content() == "۰۸:۰۰"
        assert "روز گذشته وقت قبلی‌ای سررسید نشده" in page.text_content("#appointments-note")
        # the head closes PR2 to new appointments and keeps 25 % for all the others
        page.click("#shares summary")
        page.wait_for_function("() => document.getElementById('shares-form').elements['*'].value === '20'")
        assert page.locator("#shares-form input[name=PR2]").input_value() == ""  # the demo's share for all
        page.fill("#shares-form input[name='*']", "25")
        page.fill("#shares-form input[name=PR2]", "0")
        page.click("#shares-form button[type=submit]")
        page.wait_for_function("() => document.querySelector('#shares-error').textContent === 'ذخیره شد.'")
        assert_accessible(page, "/head with appointments")
        page.locator("#appointments").screenshot(path=str(DOCS / "head-appointments-fa.png"))
        hub = live.app.extensions["navbat.hub"]
        with hub.read() as db:
            shares = dict(db.execute("SELECT service, share FROM appointment_shares").fetchall())
        assert shares == {"*": 0.25, "PR2": 0.0} and live.slots("PR2").json()["error"] == "no_appointments"
        ctx.close()


@pytest.mark.browser
def test_the_clerk_sees_an_appointment_and_why_it_was_called(live: Live) -> None:
    booking = live.book("09121000003", "08:00").json()
    kiosk = {"Authorization": f"Bearer {live.app.config['KIOSK_TOKEN']}"}
    live.clock.now = dt.datetime(2026, 11, 28, 8, 2, tzinfo=TEHRAN)  # two minutes past the slot
    walk_in = {**kiosk, "Idempotency-Key": "walk-in"}
    assert requests.post(f"{live.url}/api/v1/tickets", json={"service": "PR2"}, headers=walk_in,
                         timeout=10).status_code == 201
    assert requests.post(f"{live.url}/api/v1/appointments/{booking['code']}/check-in", headers=kiosk,
                         timeout=10).status_code == 201
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live.url}/counter?lang=fa")
        page.wait_for_selector("#counter option[value='1']", state="attached")
        page.fill("#username", "clerk1")
        page.fill("#pin", PINS["clerk1"])
        page.select_option("#counter", "1")
        page.click("#login-button")
        page.wait_for_selector("#console:not([hidden])")
        page.click("#open")
        page.wait_for_selector("#next:not([disabled])")
        page.click("#next")
        page.wait_for_function("() => document.querySelector('#ticket-channel').textContent.includes('وقت قبلی')")
        assert page.text_content("#ticket-channel") == "وقت قبلی ساعت ۰۸:۰۰"
        assert page.text_content("#ticket-reason").startswith("وقت قبلی، ۲ دقیقه از وقتش گذشته")


def test_outside_booking_hours_the_page_says_the_hours_in_persian_digits(live: Live) -> None:
    """Issue 24: "06:00 – 22:00" in Latin digits on a Persian page."""
    live.clock.now = dt.datetime(2026, 11, 28, 23, 0, tzinfo=TEHRAN)
    page = requests.get(f"{live.url}/book", params={"service": "PR2", "date": "2026-11-29"}, timeout=10)
    assert "۰۶:۰۰ – ۲۲:۰۰" in page.text and "06:00" not in page.text, page.text[-1500:]
    en = requests.get(f"{live.url}/book", params={"service": "PR2", "date": "2026-11-29", "lang": "en"}, timeout=10)
    assert "06:00 – 22:00" in en.text
