"""The clerk's console while the hub is gone (issue 26): a `navbat hub` process killed -9 under an
open console in Chromium. The band says the hub does not answer, the visitor's number stays, a Done
pressed meanwhile is named as not recorded (and not replayed); the hub restarted at the same
address, the band goes and the console reads its counter from the hub again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from axe import assert_accessible, axe_context
from conftest import PINS, chromium, docs_dir
from counter_support import login
from hub_process_support import API, Hub, navbat

pytestmark = pytest.mark.browser
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture
def hubs() -> Iterator[list[Hub]]:
    started: list[Hub] = []
    yield started
    for hub in started:
        hub.stop()


def band(page) -> str:  # noqa: ANN001
    return page.text_content("#outage")


def test_console_through_a_hub_outage_keeps_the_visitor_and_names_what_was_not_recorded(tmp_path: Path, hubs) -> None:  # noqa: ANN001
    db, log = tmp_path / "hub.sqlite", tmp_path / "hub.log"
    kiosk_token = navbat("device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)).stdout.strip()
    navbat("user", "add", "clerk1", "--role", "clerk", "--pin", PINS["clerk1"], "--db", str(db))
    hubs.append(Hub(db, log))
    url = hubs[0].url
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    for i in range(2):
        assert requests.post(f"{url}{API}/tickets", json={"service": "PR1"},
                             headers={**kiosk, "Idempotency-Key": f"k-{i}"}, timeout=10).status_code == 201

    with chromium() as browser:
        ctx = axe_context(browser, viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        login(page, url, "clerk1", 1)
        page.click("#open")
        page.wait_for_selector("#next:not([disabled])")
        page.click("#next")
        page.wait_for_selector("#ticket-body:not([hidden])")
        number = page.evaluate("window.navbatConsole.view.current_ticket.number")
        shown = number.translate(FA)
        assert page.text_content("#ticket-number") == shown
        assert page.is_hidden("#outage")

        hubs[0].kill9()
        page.wait_for_selector("#outage:not([hidden])", timeout=10000)
        assert "سامانه پاسخ نمی‌دهد" in band(page)
        assert shown in band(page)  # the visitor who stays, named
        assert page.is_visible("#ticket-number") and page.text_content("#ticket-number") == shown

        page.click("#done")
        page.click("#undo-now")  # sent now, not after the undo wait
        page.wait_for_selector("#outage-lost li")
        lost = page.text_content("#outage-lost")
        assert lost == f"«پایان خدمت» برای نوبت {shown} ثبت نشد؛ وقتی سامانه برگشت دوباره بزنید."
        assert page.is_visible("#ticket-number") and page.text_content("#ticket-number") == shown
        assert page.is_visible("#outage")

        # Persian throughout: no Latin digits on the page, no English in the band beyond the ticket's letter
        # (the header's login name aside: the clerk typed it)
        words = page.inner_text("main") + page.inner_text("#title-counter") + page.inner_text("#live")
        assert not re.search(r"[0-9]", words), words
        assert not re.search(r"[A-Za-z0-9]", band(page).replace(shown, "")), band(page)
        assert_accessible(page, "the console while the hub is gone")
        shot = docs_dir() / "counter-outage-fa.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")

        # The hub comes back at the same address: the band goes, and the counter is read afresh.
        page.evaluate("window.navbatConsole.view.stale = true")
        hubs.append(Hub(db, log, port=urlparse(url).port))
        page.wait_for_selector("#outage", state="hidden", timeout=15000)
        page.wait_for_function("() => !window.navbatConsole.view.stale")
        # Done was never replayed: the hub still has the visitor at the counter, and so does the console
        view = page.evaluate("window.navbatConsole.view")
        assert view["current_ticket"]["number"] == number
        assert page.text_content("#ticket-number") == shown
        assert "سامانه برگشت" in page.text_content("#message")
        assert f"«پایان خدمت» برای نوبت {shown} ثبت نشد" in page.text_content("#message")
        ctx.close()
