"""The kiosk's "I have a turn" screen, without Kivy (issue 18 A): a visitor who took a turn from a
phone, or booked one, types its code (or a USB scanner types it, QR link and all) and checks in.

The code is tried as a remote turn's tracking code (POST /tickets/<code>/check-in) and, if no
remote turn has it, as an appointment's (POST /appointments/<code>/check-in, issue 18 B).
"""

from __future__ import annotations

import re
from typing import Any

from navbat.foundation.hub_client import HubClient, HubRefused, HubUnreachable
from navbat.foundation.persian import digits
from navbat.kiosk import text

MAX_TYPED = 200  # a scanned link is longer than a code
KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # the tracking codes' alphabet (server/floor/floor.py)


def code_of(typed: str) -> str:
    """The code in what was typed or scanned: a bare code, or the tracking link /t/<code>?lang=fa."""
    tail = typed.strip().rsplit("/t/", 1)[-1] if "/t/" in typed else typed.strip()
    return tail.split("?", 1)[0].split("#", 1)[0].strip("/ ").upper()


class CheckIn:
    """What the screen shows: the typed code, then the outcome. UI-thread methods only, except `request`."""

    def __init__(self, hub: HubClient) -> None:
        self.hub = hub
        self.clear()

    def clear(self) -> None:
        self.typed, self.busy = "", False
        self.ticket: dict[str, Any] | None = None
        self.problem: str | None = None  # not_found | over | not_now | unreachable | too_short | refused
        self.window: list[str] = []  # not_now: the booking's check-in window, ["HH:MM", "HH:MM"], as the hub said
        self.printed: bool | None = None  # the checked-in turn's slip: None while printing (or no printer yet)

    @property
    def code(self) -> str:
        return code_of(self.typed)

    def type(self, chars: str) -> None:
        if self.busy:
            return
        if self.ticket is not None or self.problem is not None:  # a new visitor starts typing
            self.clear()
        self.typed = (self.typed + chars.replace("\r", "").replace("\n", ""))[:MAX_TYPED]

    def erase(self) -> None:
        if not self.busy:
            self.typed, self.problem = self.typed[:-1], None

    def begin(self) -> str | None:
        """The code to send, or None (already sending, or too short to be one)."""
        if self.busy:
            return None
        if len(self.code) < 4:
            self.problem = "too_short"
            return None
        self.busy, self.problem, self.ticket = True, None, None
        return self.code

    def request(self, code: str) -> dict[str, Any] | Exception:
        """Worker thread: a remote turn's check-in, else an appointment's."""
        try:
            try:
                return self.hub.check_in(code)
            except HubRefused as exc:
                if exc.status != 404:
                    raise
                return self.hub.check_in_appointment(code)
        except (HubRefused, HubUnreachable) as exc:
            return exc

    def finish(self, result: dict[str, Any] | Exception) -> None:
        self.busy = False
        if isinstance(result, dict):
            self.ticket, self.typed, self.printed = result, "", None
        elif isinstance(result, HubUnreachable):
            self.problem = "unreachable"
        elif isinstance(result, HubRefused) and result.status == 404:
            self.problem = "not_found"
        elif isinstance(result, HubRefused) and result.code == "outside_check_in_window":
            # early (or late) for a booking: not "over", and never "take a new ticket"
            self.problem, self.window = "not_now", re.findall(r"\b\d\d:\d\d\b", result.message)[:2]
        elif isinstance(result, HubRefused) and result.status == 409:
            self.problem = "over"
        else:
            self.problem = "refused"

    def print_done(self, ticket: dict[str, Any], printed: bool) -> None:
        """The slip of a checked-in turn came out (or not); ignored once another visitor is on the screen."""
        if self.ticket is not None and self.ticket.get("id") == ticket.get("id"):
            self.printed = printed

    def message(self, lang: str) -> str:
        _ = text.translator(lang)
        if self.ticket is not None:
            t = self.ticket
            ahead = text.people_ahead(t["people_ahead"], lang) if t.get("people_ahead") is not None else ""
            said = _("You are checked in: number {number}. {ahead}. Please wait in the hall; "
                     "the display will call you.").format(number=text.ticket_number(t["number"], lang), ahead=ahead)
            if self.printed is None:
                return said
            slip = (_("Please take your printed ticket.") if self.printed else
                    _("The printer is not working. Please note your number or ask at the information desk."))
            return f"{said} {slip}"
        return {
            None: _("Type the code of your turn, or hold its QR code to the scanner."),
            "too_short": _("Type the whole code (8 letters and digits)."),
            "not_found": _("No turn or booking has this code. Please check it, or ask at the information desk."),
            "over": _("This turn is over. Please take a new ticket."),
            "not_now": (_("Your booking can be checked in between {opens} and {closes}. Please come back then.")
                        .format(opens=digits(self.window[0], lang), closes=digits(self.window[1], lang))
                        if len(self.window) == 2 else
                        _("Your booking cannot be checked in now. Please ask at the information desk.")),
            "unreachable": _("The system cannot be reached. Please try again."),
            "refused": _("Check-in failed. Please ask at the information desk."),
        }[self.problem]
