"""The counter console in Chromium: logging in and waiting on what it shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe import axe_context
from conftest import PINS, chromium


def login(page, url: str, user: str, counter: int, lang: str = "fa") -> None:  # noqa: ANN001
    page.goto(f"{url}/counter?lang={lang}")
    fill_login(page, user, counter)


def fill_login(page, user: str, counter: int) -> None:  # noqa: ANN001
    """The login form of a console page already open, filled and sent; waits for the console."""
    page.wait_for_selector(f"#counter option[value='{counter}']", state="attached")
    page.fill("#username", user)
    page.fill("#pin", PINS[user])
    page.select_option("#counter", str(counter))
    page.click("#login-button")
    page.wait_for_selector("#console:not([hidden])")
    page.wait_for_selector("#waiting tr")


@pytest.fixture
def page(live_hub) -> Iterator[object]:  # noqa: ANN001
    with chromium() as browser:
        ctx = axe_context(browser, viewport={"width": 1280, "height": 800})
        p = ctx.new_page()
        p.goto(f"{live_hub.url}/counter")
        p.wait_for_selector("#counter option[value='8']", state="attached")
        yield p
        ctx.close()


def try_login(page, user: str, pin: str, counter: int) -> None:  # noqa: ANN001
    page.fill("#username", user)
    page.fill("#pin", pin)
    page.select_option("#counter", str(counter))
    page.click("#login-button")


def wait_ready(page) -> None:  # noqa: ANN001
    """The console shows before its first view arrives: ready is when its primary button has focus."""
    page.wait_for_selector("#console:not([hidden])")
    page.wait_for_selector("#actions button.primary:not([hidden]):focus, #ticket-title:focus")


def message(page) -> str:  # noqa: ANN001
    return page.text_content("#message")


def wait_message(page, text: str) -> None:  # noqa: ANN001
    page.wait_for_function("(t) => document.querySelector('#message').textContent.includes(t)", arg=text)
