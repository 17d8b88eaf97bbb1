"""The one answer to a rate limit (navbat.server.web.errors.too_many), as a client sees it: what every
site that refuses for a rate, at a hub or at HQ, must answer. A support module, not a test module."""

from __future__ import annotations

import html
from typing import Any

from navbat.foundation.i18n import gettext_for
from navbat.server.floor.refusals import TOO_MANY_WORDS, wait_words


def words(code: str, wait: int, lang: str, kind: str | None = None) -> str:
    """The catalogue's words for a `code` refusal (or another `kind` of it), waiting `wait` seconds."""
    return gettext_for("common", lang)(TOO_MANY_WORDS[kind or code]).format(wait=wait_words(wait, lang))


def assert_api_answer(status: int, headers: dict[str, str], body: Any, code: str, lang: str = "en",
                      kind: str | None = None) -> int:
    """429, Retry-After in whole seconds, and {"error", "message", "retry_after"} with the catalogue's
    words in `lang`; returns the wait."""
    assert status == 429, (status, body)
    wait = int(headers["retry-after"])
    assert wait >= 1
    assert body == {"error": code, "message": words(code, wait, lang, kind), "retry_after": wait}, body
    return wait


def assert_page_answer(status: int, headers: dict[str, str], page: str, code: str) -> int:
    """429, Retry-After, and the catalogue's Persian words on the visitor's page; returns the wait."""
    assert status == 429, status
    wait = int(headers["retry-after"])
    assert wait >= 1 and headers["content-type"].startswith("text/html")
    assert words(code, wait, "fa") in html.unescape(page), page[:2000]
    return wait
