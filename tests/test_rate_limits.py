"""One refusal for rate limits (issue 25): every site of a hub that refuses for a rate answers the
same shape over a real socket — 429, Retry-After and the catalogue's words, as JSON for the API (in
English unless the client asks for Persian) and on the visitor's page in Persian. Before, a login
lock-out was mapped in api/auth.py, the pages set 429 without Retry-After, and every message was
worded where it was raised. HQ's login answers the same (tests/test_logins_fair.py)."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import PINS, HandClock, chromium, make_app, serve_in_thread
from navbat.foundation.appointments import Appointments
from navbat.foundation.config import load_config
from rate_limits_support import assert_api_answer, assert_page_answer, words

SATURDAY_7 = dt.datetime(2026, 11, 28, 7, 0, tzinfo=ZoneInfo("Asia/Tehran"))  # within booking hours


class Hub:
    def __init__(self, url: str, app: Any) -> None:
        self.url, self.app = url, app

    def send(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             form: dict[str, str] | None = None, address: str = "127.0.0.1") -> tuple[int, dict[str, str], Any]:
        url = urlsplit(self.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(address, 0))
        headers = dict(headers or {})
        data = None
        if form is not None:
            data, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        try:
            conn.request(method, path, data, headers)
            r = conn.getresponse()
            raw, answer = r.read(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        text = raw.decode()
        return r.status, answer, json.loads(text) if answer.get("content-type", "").startswith("application/json") \
            else text


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """The shipped budgets (a kiosk's burst made small), appointments for PR2 on a working morning."""
    defaults = load_config()
    branch = defaults.model_copy(update={
        "budgets": defaults.budgets.model_copy(update={"kiosk_burst": 2}),
        "appointments": Appointments(share=0.2, booking_hours="06:00-22:00", slot_minutes=60, shares={"PR2": 0.9})})
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(tmp_path / "sms.log"), CLOCK=HandClock(SATURDAY_7))
    url, stop = serve_in_thread(app)
    yield Hub(url, app)
    stop()


def test_a_locked_out_login_answers_the_one_shape(hub: Hub) -> None:
    answers = [hub.send("POST", "/api/v1/login", {"username": "clerk3", "pin": f"{n:04d}", "counter": 3},
                        address="127.0.0.2") for n in range(20)]
    status, headers, body = next(a for a in answers if a[0] != 401)  # before: a body without retry_after
    assert assert_api_answer(status, headers, body, "too_many_attempts") == 60
    # The right PIN from that address waits too, and a Persian client reads Persian.
    status, headers, body = hub.send("POST", "/api/v1/login", {"username": "clerk3", "pin": PINS["clerk3"],
                                                               "counter": 3},
                                     headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"}, address="127.0.0.2")
    assert_api_answer(status, headers, body, "too_many_attempts", "fa")
    assert re.search("[۰-۹]", body["message"]) and "دیگر دوباره امتحان کنید" in body["message"]


def test_codes_asked_too_often_answer_the_one_shape_in_the_api_and_both_pages(hub: Hub) -> None:
    phone = "09121110099"
    assert hub.send("POST", "/api/v1/remote/verify", {"phone": phone})[0] == 202
    assert_api_answer(*hub.send("POST", "/api/v1/remote/verify", {"phone": phone}), "too_many_requests")
    # /join's form says it in Persian, with Retry-After (before: no Retry-After, its own words).
    answer = hub.send("POST", "/join/code", form={"service": "IN1", "phone": phone})
    assert_page_answer(*answer, "too_many_requests")
    assert 'name="phone"' in answer[2]  # the form is shown again, the words above it
    # /book's too (before: no Retry-After, its own words again).
    status, _, slots = hub.send("GET", "/api/v1/appointments/slots?service=PR2&date=2026-11-28")
    start = next(s["start"] for s in slots["slots"] if s["free"] > 0)
    answer = hub.send("POST", "/book/code", form={"service": "PR2", "date": "2026-11-28", "start": start,
                                                  "phone": phone})
    assert_page_answer(*answer, "too_many_requests")
    assert 'name="phone"' in answer[2]


def test_a_kiosk_past_its_burst_answers_the_one_shape(hub: Hub) -> None:
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}"}
    answers = [hub.send("POST", "/api/v1/tickets", {"service": "IN1"}, {**kiosk, "Idempotency-Key": f"k{n}"})
               for n in range(4)]
    assert [a[0] for a in answers[:2]] == [201, 201]
    assert_api_answer(*answers[2], "too_many_tickets")


def test_a_rate_limit_on_a_page_without_its_own_form_is_a_persian_page(hub: Hub) -> None:
    """Any page path that meets a rate limit gets the Persian page of its own (server.errors.too_many)."""
    from navbat.server.floor.refusals import TooMany

    @hub.app.get("/test-limited")
    def limited() -> None:
        raise TooMany("too_many_requests", "a test's limit", 90)

    status, headers, page = hub.send("GET", "/test-limited")
    assert assert_page_answer(status, headers, page, "too_many_requests") == 90
    assert 'lang="fa" dir="rtl"' in page



@pytest.mark.browser
def test_the_head_console_shows_the_hub_s_words_for_a_lock_out(hub: Hub) -> None:
    """The console draws what the hub sends: the shared client asks in the page's language, and a
    lock-out's message is the catalogue's, Persian digits and all (before: the console's own words)."""
    for n in range(20):  # wrong PINs for head from the browser's own address
        if hub.send("POST", "/api/v1/login", {"username": "head", "pin": f"{n:04d}"})[0] == 429:
            break
    with chromium() as browser:
        page = browser.new_page()  # Chromium's own Accept-Language is English: the page asks in Persian
        page.goto(f"{hub.url}/head")
        page.fill("input[name=pin]", PINS["head"])
        page.click("#login button[type=submit]")
        page.wait_for_function("() => document.getElementById('login-error').textContent.length > 0")
        shown = page.text_content("#login-error")
    wait = int(shown_wait(shown))
    assert shown == words("too_many_attempts", wait, "fa")


def shown_wait(text: str) -> str:
    """The number a Persian message shows, in Latin digits."""
    return "".join(str("۰۱۲۳۴۵۶۷۸۹".index(c)) for c in re.search("[۰-۹]+", text)[0])


def test_429_is_answered_in_one_place() -> None:
    """No module of the hub or HQ but server/web/errors.py says 429 or Retry-After for a rate limit (the
    streams' and bodies' 503s keep theirs): before, api/auth.py, pages/book.py and hq/api.py did too."""
    import ast

    import navbat

    root = Path(navbat.__file__).parent
    found = []
    for path in sorted([*(root / "server").rglob("*.py"), *(root / "hq").rglob("*.py")]):
        if path.name == "errors.py" and path.parent.name == "web" or path.name == "openapi.py":
            continue  # the one place, and the API's description of it
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == 429:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, found
