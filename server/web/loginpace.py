"""An address locked out of logins is refused on the event loop, not on a thread (issue 23).

Wrong PINs lock an address out by the rules of navbat.foundation.pin_logins (server.web.auth keeps
them), but each refusal was still a request served by Flask on a thread: reads of the lock-outs, a
429. Forty guessers from forty addresses asking twice a second each took most of a core that way,
and the kiosks' tickets waited for it. So when Flask refuses a login because its *address* is
locked out (the lock that holds for every username tried from there, by an unknown device),
it notes the address and until when (`AddressLocks`); until then, a login from that address that
carries no device cookie at all is answered here, on the loop, with the same 429, words and
Retry-After (`LockedLogins`). A login with a device cookie still goes to Flask, which alone can
tell a real known device (its own lock) from a forged cookie (the address's lock). The head's
unlock of the address forgets it here too. This machine's own addresses (a reverse proxy in front)
are left to Flask, as in server.connlimits. Likewise a login without a device cookie while every
PIN-check slot is taken (a crowd of guesses) gets its 429 here, as Flask would give it before any read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from navbat.foundation.i18n import LANGUAGES
from navbat.server.floor.refusals import TooMany, too_many_words
from navbat.server.web.errors import STATUS
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EXTENSION = "navbat.address_locks"
LOGIN_PATH = "/api/v1/login"
REMEMBERED = 100_000  # addresses at once (a few MB); past it the oldest note goes (Flask still refuses it)
DEVICE_COOKIE = b"navbat_device_"  # pin_logins.device_cookie()'s names begin so


class AddressLocks:
    """address -> until (UTC) its logins from unknown devices are locked out. Written by Flask's
    threads, read by the loop: single dict operations, atomic under the GIL."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self.remembered = remembered
        self._until: dict[str, dt.datetime] = {}

    def lock(self, address: str, until: dt.datetime) -> None:
        self._until.pop(address, None)
        self._until[address] = until
        while len(self._until) > self.remembered:
            self._until.pop(next(iter(self._until)), None)

    def until(self, address: str, now: dt.datetime) -> dt.datetime | None:
        until = self._until.get(address)
        if until is not None and until <= now:
            self._until.pop(address, None)
            return None
        return until

    def forget(self, address: str | None = None) -> None:
        """The head's unlock: of one address, or (None) of every one."""
        if address is None:
            self._until.clear()
        else:
            self._until.pop(address, None)


class LockedLogins:
    """Wraps an ASGI app: a login from a locked-out address, without a device cookie, is answered here."""

    def __init__(self, app: ASGIApp, locks: AddressLocks, clock: Callable[[], dt.datetime],
                 uncapped: Iterable[str], headers: Iterable[tuple[str, str]] = (),
                 busy: Callable[[], TooMany | None] = lambda: None) -> None:
        self.app, self.locks, self.clock, self.uncapped = app, locks, clock, frozenset(uncapped)
        self.busy = busy  # the refusal when every PIN-check slot is taken (server.web.auth.checks_busy), else None
        self.headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            address = (scope.get("client") or ("",))[0]
            if not _device_cookie(scope):
                refusal = self.busy()  # a crowd of logins: Flask would refuse it before any read, too
                if refusal is None and address not in self.uncapped:
                    now = self.clock()
                    until = self.locks.until(address, now)
                    if until is not None:
                        refusal = TooMany("too_many_attempts", "too many wrong PINs from this address",
                                          (until - now).total_seconds())
                if refusal is not None:
                    return await self._refuse(scope, send, refusal)
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, refusal: TooMany) -> None:
        body = json.dumps({"error": refusal.code, "message": too_many_words(refusal, _lang(scope)),
                           "retry_after": refusal.retry_after}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": STATUS[TooMany],
                    "headers": [*self.headers, (b"retry-after", str(refusal.retry_after).encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _device_cookie(scope: Scope) -> bool:
    return any(name == b"cookie" and DEVICE_COOKIE in value for name, value in scope["headers"])


def _lang(scope: Scope) -> str:
    """As the API's answers (server.errors.asked_lang): ?lang=, else its Accept-Language (fa or en), else English."""
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        if part.startswith("lang=") and part[5:] in LANGUAGES:
            return part[5:]
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return parse_accept_header(value.decode("latin-1"), LanguageAccept).best_match(LANGUAGES[::-1]) or "en"
    return "en"
