"""The whole phone flow of a remote turn in Chromium at 390 px, in Persian, axe-core clean (issue 18 A):
/join -> a sub-service with its documents, steps, expected time and wait -> a mobile number -> the
SMS code (read from the file log) -> the turn's /t/<code> page, which chimes when the turn is
passed over ("come now": check in before the grace ends) and again when it is called."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from axe import assert_accessible, axe_context
from conftest import Actions, chromium, docs_dir, make_app, serve_in_thread
from counter_support import login
from flask import Flask
from navbat.foundation.config import Branch
from pages_support import fits
from sms_support import code_from, read_log

API = "/api/v1"
DOCS = docs_dir()
SERVICE = "PN1"


@pytest.mark.browser
def test_join_from_a_phone_then_check_in_and_be_called(branch: Branch, tmp_path: Path) -> None:
    log = tmp_path / "sms.log"
    app: Flask = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), ANON_PER_ADDRESS=8)
    url, stop = serve_in_thread(app)
    actions = Actions(app.test_client(), app)
    head = actions.login("head")
    assert actions.client.put(f"{API}/remote/settings", json={"come_now_people": 0}, headers=head).status_code == 200
    clerk = actions.open_counter(6)
    first = actions.issue(SERVICE).json
    try:
        with chromium() as browser:
            page = axe_context(browser, viewport={"width": 390, "height": 844}).new_page()
            page.goto(f"{url}/join")
            assert "گرفتن نوبت از راه دور" in page.text_content("h1")
            fits(page)
            assert_accessible(page, "/join pick")
            page.screenshot(path=str(DOCS / "join-pick-fa.png"), full_page=True)

            service = branch.service(SERVICE)
            page.get_by_role("link", name=service.name.fa).click()
            text = page.text_content("main")
            assert "۱ نفر در انتظار" in text and service.documents[0].fa in text and "مراحل" in text
            fits(page)
            assert_accessible(page, "/join details")
            page.screenshot(path=str(DOCS / "join-details-fa.png"), full_page=True)

            page.get_by_label("شماره همراه شما").fill("۰۹۱۲۱۲۳۴۵۶۷")  # typed with Persian digits
            page.get_by_role("button", name="کد را بفرست").click()
            assert "کد به ۰۹۱۲۱۲۳۴۵۶۷ پیامک شد" in page.text_content("main")
            code = code_from(read_log(log)[0])
            page.get_by_label("کد پیامک‌شده").fill("00000" if code != "00000" else "11111")
            page.get_by_role("button", name="نوبتم را بگیر").click()
            assert "کد درست نیست" in page.text_content("[role=alert]")  # said on the page, in Persian
            assert_accessible(page, "/join wrong code")
            page.screenshot(path=str(DOCS / "join-code-fa.png"), full_page=True)
            page.get_by_label("کد پیامک‌شده").fill(code)
            page.get_by_role("button", name="نوبتم را بگیر").click()

            page.wait_for_url("**/t/*")
            page.wait_for_function("() => window.navbatTrack && window.navbatTrack.source"
                                   " && window.navbatTrack.source.readyState === 1")
            live = page.text_content("#live")
            assert "نوبت شما نگه داشته شده است" in live and "۱ نفر جلوتر از شما" in live
            assert "کیوسک" in live
            fits(page)
            assert_accessible(page, "/t remote")
            page.screenshot(path=str(DOCS / "join-turn-fa.png"), full_page=True)
            tracking = page.url.rsplit("/", 1)[1].split("?")[0]

            # a walk-in behind it; the first is served; then the turn reaches the front unchecked
            behind = actions.issue(SERVICE).json
            assert actions.client.post(f"{API}/counters/6/next", headers=clerk).json["number"] == first["number"]
            actions.client.post(f"{API}/counters/6/done", headers=clerk)
            assert actions.client.post(f"{API}/counters/6/next", headers=clerk).json["number"] == behind["number"]
            page.wait_for_selector("#live [data-come-now]")
            assert "حضور ثبت کنید" in page.text_content("#live .come-now")
            assert page.evaluate("window.navbatTrack.alerts") == 1  # the chime: come now
            assert_accessible(page, "/t passed over")
            page.screenshot(path=str(DOCS / "join-come-now-fa.png"), full_page=True)

            # checked in at the kiosk: called next, in the place it joined at
            r = actions.client.post(f"{API}/tickets/{tracking}/check-in", headers=actions.kiosk)
            assert r.status_code == 200 and r.json["state"] == "waiting"
            actions.client.post(f"{API}/counters/6/done", headers=clerk)
            actions.client.post(f"{API}/counters/6/next", headers=clerk)
            page.wait_for_function("() => document.querySelector('#live h1.call')")
            assert "باجه ۶" in page.text_content("#live")
            assert page.evaluate("window.navbatTrack.alerts") == 2  # and again when called
            assert_accessible(page, "/t called")

            # the clerk's console marks the visitor at the counter as a remote turn
            console = browser.new_page(viewport={"width": 1280, "height": 800})
            login(console, url, "clerk6", 6)
            console.wait_for_selector("#ticket-body:not([hidden])")
            assert console.text_content("#ticket-channel") == "نوبت از راه دور، حضور ثبت‌شده"
            console.screenshot(path=str(DOCS / "counter-remote-fa.png"))
    finally:
        stop()


@pytest.mark.browser
def test_the_clerk_at_reception_checks_a_remote_turn_in(live) -> None:  # noqa: ANN001, F811
    turn = live.join("09121110012").json()
    with chromium() as browser:
        page = axe_context(browser, viewport={"width": 1280, "height": 900}).new_page()
        login(page, live.url, "clerk1", 1)
        page.fill("#checkin-code", "NOSUCH22")
        page.click("#checkin-form button")
        page.wait_for_function("() => document.getElementById('checkin-result').textContent !== ''")
        assert page.text_content("#checkin-result") == "نوبت یا رزروی با این کد نیست."
        page.fill("#checkin-code", f"{live.url}/t/{turn['tracking_code']}?lang=fa")  # a scanned QR link
        page.click("#checkin-form button")
        page.wait_for_function("() => document.getElementById('checkin-result').textContent.includes('ثبت شد')")
        assert_accessible(page, "/counter check-in")
        page.locator("#checkin").screenshot(path=str(DOCS / "counter-checkin-fa.png"))
    looked = requests.get(f"{live.url}/api/v1/tickets/{turn['tracking_code']}", timeout=5).json()
    assert looked["state"] == "waiting" and looked["remote"]["checked_in"] is True
