"""What the hub refuses, and why: domain errors with a stable code and a readable message.

The floor, logins, ratings and the head's tools raise these; they know nothing of HTTP.
`server.errors` turns each kind into a status code (the guards' early refusals, the streams' and
the bodies' limits answer on their own, before a handler runs).

A rate limit is one refusal wherever it is met, at a hub or at HQ: `TooMany`, worded from the
catalogue (gettext domain "common", `too_many_words`) and answered by `server.errors.too_many`:
429, Retry-After, JSON for the API, the visitor's page in Persian first.
"""

from __future__ import annotations

import math

from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import digits


class Refused(Exception):
    """A request the hub will not carry out; `code` is stable (clients branch on it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Invalid(Refused):
    """The request itself is malformed or names something impossible."""


class NotFound(Refused):
    """It names a ticket, counter or sub-service that does not exist."""


class Conflict(Refused):
    """Valid, but not now: the floor's state does not allow it."""


class Unauthorized(Refused):
    """Nobody we know: no login, or a wrong PIN or token."""


class Forbidden(Refused):
    """Someone we know, who may not do this."""


# What each rate limit says to the person who met it (English ids of the "common" catalogue);
# {wait} is how long, worded by `wait_words`.
TOO_MANY_WORDS = {
    "too_many_attempts": "Too many wrong PINs. Try again in {wait}.",
    "logins_busy": "Too many logins at once. Try again in {wait}.",
    "too_many_requests": "Too many codes were asked for. Try again in {wait}.",
    "sms_budget_spent": "This branch cannot send more codes for now. Try again in {wait}, or come to the branch.",
    "too_many_tickets": "This kiosk has issued too many tickets in a short time. Try again in {wait}.",
    "too_many_bookings": "Too many bookings were made from this connection. Try again in {wait}.",
    "address_share_spent": "This connection has booked as many of that day's places as one may. "
                           "Pick another day, or try again in {wait}.",
}
_ANY_LIMIT = "Too many requests. Try again in {wait}."


class TooMany(Refused):
    """A rate or budget is used up (HTTP 429 with Retry-After): wrong PINs, a crowd of logins, SMS
    codes, bookings from one address, a kiosk token's tickets. `retry_after` is whole seconds, at
    least 1; `message` is the detail for the log, `words` the catalogue's id of what the person reads
    (by default the code's)."""

    def __init__(self, code: str, message: str, retry_after: float, words: str | None = None) -> None:
        super().__init__(code, message)
        self.retry_after = max(1, math.ceil(retry_after))
        self.words = words or TOO_MANY_WORDS.get(code, _ANY_LIMIT)


def wait_words(seconds: int, lang: str) -> str:
    """A wait as a person says it: seconds under two minutes, minutes under two hours, then hours
    (rounded up: "try again in" must not send anyone back too early)."""
    _ = gettext_for("common", lang)
    if seconds < 120:
        return _("a second") if seconds <= 1 else _("{n} seconds").format(n=digits(seconds, lang))
    if seconds < 7200:
        return _("{n} minutes").format(n=digits(math.ceil(seconds / 60), lang))
    return _("{n} hours").format(n=digits(math.ceil(seconds / 3600), lang))


def too_many_words(exc: TooMany, lang: str) -> str:
    """What `exc` says in `lang`, from the catalogue, digits in the language's own."""
    return gettext_for("common", lang)(exc.words).format(wait=wait_words(exc.retry_after, lang))
