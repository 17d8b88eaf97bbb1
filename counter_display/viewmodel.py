"""What the wall display and the counter display show, as plain Python (no Kivy).

The Kivy screens (and the tests) feed hub data and live events in, and read a
`WallView` / `CounterView` of ready-to-show strings out: Persian digits, Jalali date,
translated labels (gettext domain "display"). A call or recall yields an
`Announcement` for the queue; a stale call replayed after an outage does not.

When the hub is gone the view says so (`online` False): the big number is then the last one
known, marked stale, never shown as if current. The previous calls come back after a restart
from GET /calls (`load_calls`), and an arrow points to a counter only where the branch file
gives this wall's direction to it (`displays[].directions`, shipped in GET /branch).

The waiting counts and estimates per unit are the hub's (its UnitSummary, from GET
/services and then from each event's "queue"); the wall only words them
(foundation.wording). An event that comes without "queue" asks for one re-read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from navbat.counter_display.announce import Announcement
from navbat.foundation import event_types as E
from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import digits, format_date
from navbat.foundation.wall import ANNOUNCE_WITHIN_S, HISTORY
from navbat.foundation.wording import wait_of

CALL_EVENTS = (E.TICKET_CALLED, E.TICKET_RECALLED)
QUEUE_CHANGED = E.QUEUE_CHANGED  # the hub's estimates moved; no id, not in the log


def _parse(at: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(at) if at else None


@dataclass
class Call:
    ticket: int
    number: str
    counter: int
    service: str
    at: dt.datetime | None
    recalls: int = 0


@dataclass
class Reaction:
    """What the app must do after an event: speak, and/or re-read the hub once (`refresh`)."""

    announce: Announcement | None = None
    refresh: bool = False


@dataclass
class UnitRow:
    code: str
    name: str
    waiting: str
    estimate: str


@dataclass
class WallView:
    branch: str
    date: str
    clock: str
    has_call: bool
    number: str
    counter: str
    direction: str  # left, right, ahead, behind, upstairs, downstairs; "" for no arrow
    recall: bool
    previous: list[tuple[str, str]] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    online: bool = True
    status: str = ""
    stale: bool = False  # the big number is the last one known before the hub went away
    labels: dict[str, str] = field(default_factory=dict)


def status_text(_: Any, online: bool, token_problem: str | None) -> str:
    """The band across the screen: a refused token first (it will not mend by reconnecting), then the hub's absence."""
    if token_problem:
        # short: one line across the band (the log line and `navbat display`'s output say more)
        return _("This display's token was refused ({reason}): it needs a new one.").format(reason=token_problem)
    return "" if online else _("No connection to the hub; reconnecting…")


class WallModel:
    def __init__(self, lang: str = "fa", tz: str = "Asia/Tehran", history: int = HISTORY,
                 display: str | None = None) -> None:
        self.lang, self.tz, self.history = lang, ZoneInfo(tz), history
        self.announce_within_s = ANNOUNCE_WITHIN_S  # the hub's word replaces both (GET /branch's "wall")
        self.display = display  # this wall's name in the branch file (its directions); None: no arrows
        self._ = gettext_for("display", lang)
        self.branch_name = ""
        self.directions: dict[int, str] = {}
        self.units: dict[str, dict[str, Any]] = {}  # the hub's UnitSummary by code, in the branch's order
        self.calls: list[Call] = []  # newest first
        self.online = False
        self.token_problem: str | None = None  # the hub's refusal of this display's token (GET /me), if any

    # ---- data in ---------------------------------------------------------------

    def load_branch(self, branch: dict[str, Any]) -> None:
        self.branch_name = branch["name"].get(self.lang) or branch["name"]["fa"]
        self.tz = ZoneInfo(branch.get("timezone") or "Asia/Tehran")
        wall = next((d for d in branch.get("displays", []) if d["name"] == self.display), None)
        self.directions = {int(n): way for n, way in (wall or {}).get("directions", {}).items()}
        shipped = branch.get("wall") or {}  # foundation/wall.py, as the hub says it
        self.history = shipped.get("history", self.history)
        self.announce_within_s = shipped.get("announce_within_s", self.announce_within_s)

    def load_queue(self, queue: dict[str, Any]) -> None:
        """The whole picture from GET /services: every unit's summary, replacing what was known."""
        self.units = {u["code"]: u for u in queue.get("units", [])}

    def merge_queue(self, queue: dict[str, Any]) -> None:
        """An event's "queue": the summaries of the units it touched. Units not loaded yet are
        left to the first GET /services (it brings them all, in order)."""
        for u in queue.get("units", []):
            if u["code"] in self.units:
                self.units[u["code"]] = u

    def apply_changes(self, changes: dict[str, Any]) -> None:
        """An event's "changes" (asked for with ?changes=1): the fields that moved, per unit code.
        Units not loaded yet are left to the first GET /services, as in merge_queue."""
        for code, moved in changes.get("units", {}).items():
            if code in self.units:
                self.units[code] = {**self.units[code], **moved}

    def load_counters(self, counters: list[dict[str, Any]]) -> None:
        """Seeds the board with the tickets counters are serving now (no announcement)."""
        seeded = []
        for c in counters:
            t = c.get("current_ticket")
            if t and not any(call.ticket == t["id"] for call in self.calls):
                seeded.append(Call(t["id"], t["number"], c["number"], t["service"], _parse(t.get("called_at")),
                                   t.get("recalls") or 0))
        self._keep(self.calls + seeded)

    def load_calls(self, calls: list[dict[str, Any]]) -> None:
        """GET /calls: the day's latest calls, newest first, shown again after a restart or an outage
        (no announcement). A call the wall knows already keeps what it knows (its recalls)."""
        known = {c.ticket for c in self.calls}
        seeded = [Call(c["ticket"], c["number"], c["counter"], "", _parse(c.get("at")), int(bool(c.get("recall"))))
                  for c in calls if c["ticket"] not in known]
        self._keep(self.calls + seeded)

    def _keep(self, calls: list[Call]) -> None:
        self.calls = sorted(calls, key=lambda c: c.at or dt.datetime.min.replace(tzinfo=dt.UTC),
                            reverse=True)[: self.history + 1]

    def set_online(self, online: bool) -> None:
        self.online = online

    def handle(self, event: dict[str, Any], now: dt.datetime | None = None) -> Reaction:
        kind = event.get("type", "")
        if "changes" in event:
            self.apply_changes(event["changes"])
        if "queue" in event:
            self.merge_queue(event["queue"])
        # a ticket or counter event replayed from the log (after a reconnect) lacks both
        known = "queue" in event or "changes" in event
        reaction = Reaction(refresh=(kind.startswith("ticket.") or kind == E.COUNTER_CHANGED) and not known)
        if kind in CALL_EVENTS:
            at = _parse(event.get("at"))
            previous = next((c for c in self.calls if c.ticket == event["ticket"]), None)
            self.calls = [c for c in self.calls if c.ticket != event["ticket"]]
            call = Call(event["ticket"], event["number"], event["counter"], event.get("service", ""), at,
                        (previous.recalls + 1) if (previous and kind == E.TICKET_RECALLED) else 0)
            self.calls = [call, *self.calls][: self.history + 1]
            now = now or dt.datetime.now(dt.UTC)
            if at is None or (now - at).total_seconds() <= self.announce_within_s:
                reaction.announce = Announcement(call.number, call.counter, recall=kind == E.TICKET_RECALLED)
        elif kind in (E.TICKET_CANCELLED, E.TICKET_UNCALLED):  # a call taken back at the counter: dropped
            self.calls = [c for c in self.calls if c.ticket != event.get("ticket")]
        return reaction

    # ---- view out --------------------------------------------------------------

    def _unit_rows(self) -> list[UnitRow]:
        _ = self._
        return [UnitRow(u["code"], u["name"].get(self.lang) or u["name"]["fa"],
                        _("{count} waiting").format(count=digits(u["waiting"], self.lang)),
                        (u.get("wait_text") or {}).get(self.lang) or wait_of(u, self.lang))  # the hub's words
                for u in self.units.values() if u.get("services")]

    def counter_text(self, counter: int) -> str:
        return self._("Counter {number}").format(number=digits(counter, self.lang))

    def view(self, now: dt.datetime | None = None) -> WallView:
        _ = self._
        local = (now or dt.datetime.now(dt.UTC)).astimezone(self.tz)
        current = self.calls[0] if self.calls else None
        return WallView(
            branch=self.branch_name,
            date=format_date(local, self.lang),
            clock=digits(local.strftime("%H:%M"), self.lang),
            has_call=current is not None,
            number=digits(current.number, self.lang) if current else "",
            counter=self.counter_text(current.counter) if current else "",
            direction=self.directions.get(current.counter, "") if current else "",
            recall=bool(current and current.recalls),
            previous=[(digits(c.number, self.lang), self.counter_text(c.counter)) for c in self.calls[1:]],
            units=self._unit_rows(),
            online=self.online and not self.token_problem,
            status=status_text(_, self.online, self.token_problem),
            stale=current is not None and not self.online,
            labels={"now": _("Now calling") if self.online else _("Last number called before the connection was lost"),
                    "previous": _("Previous calls"), "waiting": _("Waiting now"),
                    "none": _("Please take a ticket from the kiosk"),
                    "stale": _("The numbers on this screen may be out of date.")},
        )


@dataclass
class CounterView:
    title: str
    state: str
    number: str
    ticket_label: str
    services: list[str]
    services_label: str
    online: bool
    status: str


class CounterModel:
    """The screen above one counter (D4): its number, the ticket at it, its sub-services."""

    def __init__(self, number: int, lang: str = "fa") -> None:
        self.number, self.lang = number, lang
        self._ = gettext_for("display", lang)
        self.counter: dict[str, Any] | None = None
        self.names: dict[str, str] = {}
        self.online = False
        self.token_problem: str | None = None  # as WallModel's

    def load_services(self, services: list[dict[str, Any]]) -> None:
        self.names = {s["code"]: s["name"].get(self.lang) or s["name"]["fa"] for s in services}

    def load_counter(self, counter: dict[str, Any]) -> None:
        self.counter = counter

    def set_online(self, online: bool) -> None:
        self.online = online

    def handle(self, event: dict[str, Any]) -> Reaction:
        return Reaction(refresh=event.get("counter") == self.number)

    def view(self) -> CounterView:
        _ = self._
        c = self.counter or {}
        ticket = c.get("current_ticket")
        state = c.get("state", "closed")
        state_text = {"open": "", "paused": _("Paused"), "closed": _("Closed")}.get(state, state)
        if ticket:
            label = _("Please come in") if ticket["state"] == "called" else _("Now serving")
        else:
            label = _("Waiting for the next number") if state == "open" else state_text
        return CounterView(
            title=_("Counter {number}").format(number=digits(self.number, self.lang)),
            state=state_text,
            number=digits(ticket["number"], self.lang) if ticket else "—",
            ticket_label=label,
            services=[self.names.get(s["code"], s["code"])  # primary ones first, then backups
                      for s in sorted(c.get("services", []), key=lambda s: -s.get("weight", 1))],
            services_label=_("Served at this counter"),
            online=self.online and not self.token_problem,
            status=status_text(_, self.online, self.token_problem),
        )
