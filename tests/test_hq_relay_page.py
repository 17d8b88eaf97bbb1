"""A phone takes a turn through HQ (issue 18) in Chromium at 390 px, in Persian, axe-core clean:
HQ's /join/<branch> -> a sub-service -> a mobile number -> the SMS code from the branch's log -> the
turn's tracking page, all under HQ's /b/<branch>/; then, with the branch's link cut, HQ's own page
says the branch cannot be reached. Screenshots in docs/ (NAVBAT_UPDATE_DOCS=1)."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import chromium, docs_dir
from hq_support import wait_until
from navbat.foundation.config import load_config
from pages_support import fits
from relay_support import BRANCH_ID, SERVICE, Setup

pytestmark = pytest.mark.browser


def test_join_through_hq_on_a_phone_in_persian(relayed: Setup) -> None:  # noqa: F811
    s = relayed
    docs = docs_dir()
    with chromium() as browser:
        page = axe_context(browser, viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{s.hq.url}/join/{BRANCH_ID}")
        assert page.url.startswith(f"{s.base}/join")
        assert "گرفتن نوبت از راه دور" in page.text_content("h1")
        fits(page)
        assert_accessible(page, "/join through HQ")
        page.get_by_role("link", name=s.app.extensions["navbat.hub"].branch.service(SERVICE).name.fa).click()
        assert page.url.startswith(f"{s.base}/join?service={SERVICE}")
        page.get_by_label("شماره همراه شما").fill("۰۹۱۲۱۲۳۴۵۶۷")
        page.get_by_role("button", name="کد را بفرست").click()
        assert page.url.startswith(f"{s.base}/join/code")
        page.get_by_label("کد پیامک‌شده").fill(s.code("09121234567", 1))
        page.get_by_role("button", name="نوبتم را بگیر").click()
        page.wait_for_url(f"{s.base}/t/*")
        live = page.text_content("#live")
        assert "نوبت شما نگه داشته شده است" in live and "کیوسک" in live
        assert page.evaluate("document.fonts.ready.then(() => [...document.fonts].some((f) =>"
                             " f.family.includes('Vazirmatn') && f.status === 'loaded'))")  # HQ's copy of the font
        page.wait_for_function("() => window.navbatTrack && window.navbatTrack.following")
        assert page.evaluate("window.navbatTrack.source") is None  # no event stream through HQ: it reads instead
        fits(page)
        assert_accessible(page, "/t through HQ")
        page.screenshot(path=str(docs / "hq-relay-turn-fa.png"), full_page=True)

        # /hq lists the branch among those taking turns online
        hq = axe_context(browser, viewport={"width": 1280, "height": 860}).new_page()
        hq.goto(f"{s.hq.url}/hq")
        hq.fill("input[name=username]", "nat")
        hq.fill("input[name=pin]", "1234")
        hq.click("#login button")
        hq.wait_for_selector("#relay-online li")
        assert load_config().branch.name.fa in hq.inner_text("#relay-online")  # by its name, not its id
        assert_accessible(hq, "/hq with a branch online")

        s.disconnect()
        wait_until(lambda: s.online() is False, timeout=15)
        page.goto(f"{s.base}/join")
        assert "اکنون به این شعبه دسترسی نیست" in page.text_content("[role=alert]")
        fits(page)
        assert_accessible(page, "branch offline at HQ")
        page.screenshot(path=str(docs / "hq-relay-offline-fa.png"), full_page=True)
