"""/head's remote turns card (issue 18 A) in Chromium: the head changes the grace time and the
"come now" threshold, and sees the remote turns' no-show rate and an SMS gateway that fails."""

from __future__ import annotations

import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from axe import assert_accessible, axe_context
from conftest import PINS, chromium, docs_dir, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.foundation.remote import Sms, SmsGateway
from sms_support import FakeGateway

DOCS = docs_dir()


@pytest.mark.browser
def test_head_sets_remote_turns_and_sees_sms_failures(branch: Branch, tmp_path: Path) -> None:
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    FakeGateway.up, FakeGateway.received, FakeGateway.failures = False, [], 0
    cfg = SmsGateway(url=f"http://127.0.0.1:{gateway.server_address[1]}/send?to={{to}}&msg={{text}}", timeout_s=2)
    app = make_app(branch.model_copy(update={"sms": Sms(gateway=cfg)}), tmp_path / "hub.sqlite",
                   SMS_BACKOFF_S=(0.2, 60))  # one quick retry, then a long wait: it shows as retrying
    url, stop = serve_in_thread(app)
    try:
        assert requests.post(f"{url}/api/v1/remote/verify", json={"phone": "09121234567"}, timeout=5).status_code == 202
        end = time.monotonic() + 5
        while FakeGateway.failures < 1 and time.monotonic() < end:
            time.sleep(0.05)
        with chromium() as browser:
            page = axe_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{url}/head")
            page.fill("input[name=pin]", PINS["head"])
            page.click("#login button[type=submit]")
            page.wait_for_function("() => document.querySelector('#remote-form [name=grace_minutes]').value !== ''")
            assert page.input_value("#remote-form [name=grace_minutes]") == "15"  # the branch file's
            page.wait_for_function("() => document.querySelector('#sms-status td[data-k=last_error]').textContent"
                                   ".includes('503')")
            assert page.text_content("#sms-status td[data-k=retrying]") == "۱"
            page.fill("#remote-form [name=grace_minutes]", "20")
            page.fill("#remote-form [name=come_now_people]", "2")
            page.fill("#remote-form [name=hours]", "08:00-12:00")
            page.click("#remote-form button[type=submit]")
            page.wait_for_function("() => document.getElementById('remote-saved').textContent !== ''")
            head = {"Authorization": "Bearer " + requests.post(f"{url}/api/v1/login", json={
                "username": "head", "pin": PINS["head"]}, timeout=5).json()["token"]}
            settings = requests.get(f"{url}/api/v1/remote/settings", headers=head, timeout=5).json()["settings"]
            assert settings["grace_minutes"] == 20 and settings["come_now_people"] == 2
            assert settings["hours"] == "08:00-12:00"
            page.fill("#remote-form [name=hours]", "12:00-08:00")  # backwards: refused, said
            page.click("#remote-form button[type=submit]")
            page.wait_for_function("() => document.getElementById('remote-error').textContent !== ''")
            assert_accessible(page, "/head remote turns")
            page.locator("#remote").screenshot(path=str(DOCS / "head-remote-fa.png"))
    finally:
        stop()
        gateway.shutdown()
