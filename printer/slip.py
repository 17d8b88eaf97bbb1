"""What a printed ticket shows (D5, D6, D7, F1), built from the hub's ticket JSON alone.

The hub's ticket carries every name the paper needs (branch, sub-service, unit, priority
class, documents, time zone); the slip holds them in both languages with the raw numbers,
and the layout decides how they look (Persian digits, Jalali date), so the hub and the
kiosk print the same paper.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from navbat.foundation.config import Text
from navbat.foundation.i18n import LANGUAGES

CHANNELS = ("walk_in", "remote", "appointment")


class SlipError(ValueError):
    """A ticket that cannot be printed; the message says which field is wrong."""


@dataclasses.dataclass(frozen=True)
class TicketSlip:
    branch_name: Text
    number: str  # as printed, e.g. "A-012" or "212"
    service_name: Text
    unit_name: Text
    priority_name: Text | None
    people_ahead: int | None  # None: not waiting any more (a reprint), the line is left out
    wait_low: float | None  # minutes; None when the hub has no estimate (no counter serves it now)
    wait_high: float | None
    issued_at: dt.datetime  # aware
    timezone: str
    documents: tuple[Text, ...]
    tracking_code: str
    tracking_url: str
    lang: str = "fa"
    specimen: bool = False  # a printer test: the paper says it is not a valid ticket
    wait_note: str | None = None  # the hub's: no_open_window (no number), before_opening (counted from opens_at)
    opens_at: str | None = None  # ISO, the branch's time
    channel: str = "walk_in"  # walk_in | remote | appointment: a checked-in turn's slip says how it was taken
    booked_at: str | None = None  # an appointment's slot, "HH:MM" (the branch's time)
    offline: bool = False  # issued by a kiosk alone (issue 26): no place in line, no estimate, no tracking code yet
    steps: tuple[Text, ...] = ()  # what happens at the counter; printed on a slip issued alone

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise SlipError("issued_at must carry a time zone")
        if not self.number or not (self.tracking_code or self.offline):
            raise SlipError("a ticket needs a number and a tracking code")
        if not all(" " < c < "\x7f" for c in self.tracking_code + self.number):
            raise SlipError(f"number and tracking code must be printable ASCII (CODE128, text mode): "
                            f"{self.number!r}, {self.tracking_code!r}")
        if (self.wait_low is None) != (self.wait_high is None):
            raise SlipError("give both ends of the wait range, or neither")
        if self.channel not in CHANNELS:
            raise SlipError(f"channel must be one of {', '.join(CHANNELS)}, not {self.channel!r}")
        if self.lang not in LANGUAGES:
            raise SlipError(f"ticket language must be one of {', '.join(LANGUAGES)}, not {self.lang!r}")
        # Callers may pass a list; a tuple keeps the frozen slip hashable and immutable.
        object.__setattr__(self, "documents", tuple(self.documents))
        object.__setattr__(self, "steps", tuple(self.steps))

    def local_issued_at(self) -> dt.datetime:
        return self.issued_at.astimezone(ZoneInfo(self.timezone))

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the print queue stores jobs this way)."""
        out = dataclasses.asdict(self)
        for key in ("branch_name", "service_name", "unit_name", "priority_name"):
            value = getattr(self, key)
            out[key] = value.model_dump() if value is not None else None
        out["documents"] = [d.model_dump() for d in self.documents]
        out["steps"] = [d.model_dump() for d in self.steps]
        out["issued_at"] = self.issued_at.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketSlip:
        fields = dict(data)
        for key in ("branch_name", "service_name", "unit_name", "priority_name"):
            fields[key] = Text(**fields[key]) if fields.get(key) is not None else None
        fields["documents"] = tuple(Text(**d) for d in fields.get("documents", ()))
        fields["steps"] = tuple(Text(**d) for d in fields.get("steps", ()))
        fields["issued_at"] = dt.datetime.fromisoformat(fields["issued_at"])
        return cls(**fields)


def _field(ticket: dict[str, Any], name: str) -> Any:
    if name not in ticket or ticket[name] is None:
        raise SlipError(f'ticket JSON has no "{name}"')
    return ticket[name]


def _text(ticket: dict[str, Any], name: str, value: Any = None) -> Text:
    """A {fa, en} name the hub sent (branch_name, service_name, a document ...)."""
    raw = _field(ticket, name) if value is None else value
    if not isinstance(raw, dict):
        raise SlipError(f'"{name}" must be {{"fa": ..., "en": ...}}, not {raw!r}')
    try:
        return Text(**raw)
    except (TypeError, ValueError):
        raise SlipError(f'"{name}" must be {{"fa": ..., "en": ...}}, not {raw!r}') from None


def _timezone(ticket: dict[str, Any]) -> str:
    zone = str(_field(ticket, "timezone"))
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise SlipError(f"unknown time zone {zone!r}") from None
    return zone


def _wait_range(ticket: dict[str, Any]) -> tuple[float | None, float | None]:
    """The estimate range; a bare `estimated_wait_minutes` is printed as one value, not invented into a range.

    No estimate at all (no counter serves the sub-service right now) is not an error: the line is left out.
    """
    est = ticket.get("estimated_wait")
    if isinstance(est, dict) and est.get("low") is not None and est.get("high") is not None:
        raw = (est["low"], est["high"])
    else:
        minutes = ticket.get("estimated_wait_minutes")
        if minutes is None and isinstance(est, dict):
            minutes = est.get("minutes")
        if minutes is None:
            return None, None
        raw = (minutes, minutes)
    try:
        low, high = (float(v) for v in raw)
    except (TypeError, ValueError):
        raise SlipError(f"estimated wait is not a number: {raw!r}") from None
    if not 0 <= low <= high:
        raise SlipError(f"estimated wait range {low}..{high} is not a range")
    return low, high


def _channel(ticket: dict[str, Any]) -> tuple[str, str | None]:
    """How the turn was taken, from the hub's own marks: a booked slot ("appointment": {"start": ...}),
    a phone's turn ("remote": {...}), else the kiosk's walk-in; and the booked slot's start."""
    booking = ticket.get("appointment")
    if isinstance(booking, dict):
        start = str(booking.get("start") or "")[:5]
        return "appointment", start if len(start) == 5 and start[2] == ":" else None
    if isinstance(ticket.get("remote"), dict):
        return "remote", None
    return "walk_in", None


def slip_from_ticket(ticket: dict[str, Any], hub_url: str, lang: str = "fa") -> TicketSlip:
    """Build the slip from the hub's ticket JSON (POST /api/v1/tickets or GET /tickets/<code>).

    Every name on the paper (branch, sub-service, unit, priority class, documents) and the
    time zone come from the hub, so the paper says what the screens say; the kiosk's own
    branch file only chooses the printer.
    """
    priority = None
    if ticket.get("priority"):
        if ticket.get("priority_name") is None:
            raise SlipError(f'ticket has priority "{ticket["priority"]}" but no "priority_name"')
        priority = _text(ticket, "priority_name")
    documents = ticket.get("documents")
    if documents is None:
        raise SlipError('ticket JSON has no "documents"')
    if not isinstance(documents, list):
        raise SlipError(f'"documents" must be a list, not {documents!r}')
    raw_time = _field(ticket, "issued_at")
    try:
        issued = dt.datetime.fromisoformat(str(raw_time).replace("Z", "+00:00"))
    except ValueError:
        raise SlipError(f"issued_at is not an ISO 8601 time: {raw_time!r}") from None
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=dt.UTC)  # the hub speaks UTC
    people = ticket.get("people_ahead")
    if people is not None and (not isinstance(people, int) or isinstance(people, bool) or people < 0):
        raise SlipError(f"people_ahead must be a whole number >= 0, not {people!r}")
    low, high = _wait_range(ticket)
    offline = bool(ticket.get("offline"))
    tracking = str(ticket.get("tracking_code") or "") if offline else str(_field(ticket, "tracking_code"))
    steps = (ticket.get("steps") or []) if offline else []
    channel, booked_at = _channel(ticket)
    return TicketSlip(
        branch_name=_text(ticket, "branch_name"),
        number=str(_field(ticket, "number")),
        service_name=_text(ticket, "service_name"),
        unit_name=_text(ticket, "unit_name"),
        priority_name=priority,
        people_ahead=people,
        wait_low=low,
        wait_high=high,
        issued_at=issued,
        timezone=_timezone(ticket),
        documents=tuple(_text(ticket, "documents", d) for d in documents),
        tracking_code=tracking,
        tracking_url=f"{hub_url.rstrip('/')}/t/{tracking}" if tracking else "",
        lang=lang,
        wait_note=ticket.get("wait_note") if ticket.get("wait_note") in ("no_open_window", "before_opening") else None,
        opens_at=str(ticket["opens_at"]) if ticket.get("opens_at") else None,
        channel=channel,
        booked_at=booked_at,
        offline=offline,
        steps=tuple(_text(ticket, "steps", d) for d in steps),
    )
