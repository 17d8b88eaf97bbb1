"""What a counter may do now: the floor's one rule for each clerk's action.

`refusal` says why an action cannot be done in the counter's state (a stable code and a
message), or None when it can; the floor refuses with it (server/floor/floor.py), and the API ships
the same answer for every action (`actions` on GET /counters/<n>: allowed, and why not), so
the clerk's console enables its buttons from the hub's word and keeps no rule of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from navbat.server.floor.times import parse_iso
from navbat.server.floor.transitions import ACTIVE

UNCALL_SECONDS = 15  # a call by mistake can be taken back this long (the console offers it for 10 s)
STATE_ACTIONS = ("open", "close", "pause", "resume")
TICKET_ACTIONS = ("recall", "start", "done", "no-show", "transfer")
ACTIONS = ("open", "next", "uncall", *TICKET_ACTIONS, "pause", "resume", "close")
# the counter's state each action needs (open on a paused counter: the head's one "Open" button resumes it)
_FROM = {"open": ("closed", "paused"), "close": ("open", "paused"), "pause": ("open",), "resume": ("paused",)}
_TICKET_STATES = {"recall": ("called",), "start": ("called",), "no-show": ("called",), "uncall": ("called",),
                  "done": ACTIVE, "transfer": ACTIVE}
# the one action that makes sense now, for the console's primary button, by preference
_PRIMARY = ("open", "resume", "start", "done", "next")


class Refusal(NamedTuple):
    code: str  # the API's 409 error code
    message: str
    why: str  # what the console says: the code, or for a wrong state which state (counter_paused, ticket_serving)


def _wrong_counter_state(number: int, state: str, action: str) -> Refusal:
    return Refusal("invalid_state", f"counter {number} is {state}; cannot {action}", f"counter_{state}")


def refusal(action: str, number: int, state: str, ticket: dict[str, Any] | None, now: dt.datetime) -> Refusal | None:
    """Why `action` cannot be done at counter `number` (in `state`, with its current `ticket` row or
    None) at `now`; None when it can."""
    if action in _FROM:
        if action in ("close", "pause") and ticket is not None:
            return Refusal("ticket_in_progress", "finish the current ticket first", "ticket_in_progress")
        if state not in _FROM[action]:
            return _wrong_counter_state(number, state, action)
        return None
    if action == "next":
        if state != "open":
            return Refusal(f"counter_{state}", f"counter {number} is {state}", f"counter_{state}")
        if ticket is not None:
            return Refusal("ticket_in_progress", "finish, transfer or mark a no-show for the current ticket first",
                           "ticket_in_progress")
        return None
    if ticket is None:
        return Refusal("no_current_ticket", f"counter {number} has no current ticket", "no_current_ticket")
    if ticket["state"] not in _TICKET_STATES[action]:
        return Refusal("invalid_state", f"ticket {ticket['number']} is {ticket['state']}", f"ticket_{ticket['state']}")
    if action == "uncall" and (now - parse_iso(ticket["called_at"])).total_seconds() > UNCALL_SECONDS:
        return Refusal("too_late_to_uncall", f"a call can be taken back only within {UNCALL_SECONDS} s; recall the "
                       "visitor or mark a no-show", "too_late_to_uncall")
    return None


def actions(number: int, state: str, ticket: dict[str, Any] | None, now: dt.datetime) -> dict[str, Any]:
    """What the API ships for a counter: {"allowed": [...], "refused": {action: why}, "primary": action|None},
    and with a visitor at the counter `after_visit`: the same once their visit has ended.

    `primary` is the allowed action the console puts first (its focus never waits on "next":
    calling is the one action the whole hall hears, so the clerk presses it on purpose)."""
    refused = {a: r.why for a in ACTIONS if (r := refusal(a, number, state, ticket, now)) is not None}
    allowed = [a for a in ACTIONS if a not in refused]
    if "resume" in allowed:  # one button for a paused counter: "open" is the head's word for the same
        allowed.remove("open")
        refused["open"] = "counter_paused"
    primary = next((a for a in _PRIMARY if a in allowed), None)
    out: dict[str, Any] = {"allowed": allowed, "refused": refused, "primary": primary}
    if ticket is not None:  # what the console offers while a visit's end waits in its undo bar
        out["after_visit"] = actions(number, state, None, now)
    return out
