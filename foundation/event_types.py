"""The floor's events: each type's name, defined once, and the facts it carries, one frozen dataclass each.

The hub writes these to its log (server/floor/floor.py `Write.emit`), folds them into its tables
(server/floor/projection.py), streams them to displays and ships them to HQ, which checks each field of a
known type against the dataclass here (hq/batch_checks.py). Displays and the Kivy apps compare
against the names; the browser gets them from a generated file (server/web/event_types_js.py).

What an event never holds: a phone number or an address. A remote turn's phone and a booking's
phone and address stay in side tables keyed by the ticket or the booking (server/floor/db.py m011).

A field marked `omitted` is left out of the data when None, as the log has always written it
(a walk-in's ticket.issued has no `channel`); every other field is always written.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"
TICKET_UNCALLED = "ticket.uncalled"  # a call taken back (issue 24)
TICKET_RECALLED = "ticket.recalled"
TICKET_STARTED = "ticket.started"
TICKET_DONE = "ticket.done"
TICKET_NO_SHOW = "ticket.no_show"
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_CANCELLED = "ticket.cancelled"
TICKET_CHECKED_IN = "ticket.checked_in"  # a remote turn at the branch
TICKET_PASSED_OVER = "ticket.passed_over"  # a remote turn at the front, not checked in
TICKET_PROMISED = "ticket.promised"  # the wait range its holder was shown, once (issue 24)
COUNTER_CHANGED = "counter.changed"
REQUEST_OPENED = "request.opened"
REQUEST_ANSWERED = "request.answered"
DEVICE_STATUS = "device.status"
REMOTE_COME_NOW = "remote.come_now"  # a remote turn was told to come now (or was already in the hall)
REMOTE_CALL_SENT = "remote.call_sent"  # a called remote turn was told its counter by SMS
APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_CHECKED_IN = "appointment.checked_in"
APPOINTMENT_SHARES_SET = "appointment.shares_set"  # the head's shares of the plan kept for appointments
SETTINGS_CHANGED = "settings.changed"  # the head's remote-turn settings and budgets
LEASE_GRANTED = "lease.granted"  # numbers set aside for one kiosk to issue alone (issue 26)
LEASE_RETURNED = "lease.returned"  # the kiosk gave back what it did not use
LEASE_EXPIRED = "lease.expired"  # never returned: its unused numbers come back
LEASE_MERGED = "lease.merged"  # a kiosk's journal of tickets issued while the hub was away, merged
# Not in the log: the bus's message when the estimate refresh moved the summaries (no id).
QUEUE_CHANGED = "queue.changed"

# Every name above, by its constant's name: what server/web/event_types_js.py exports to the browser.
NAMES: dict[str, str] = {k: v for k, v in dict(globals()).items()
                         if k.isupper() and isinstance(v, str) and "." in v}

# Ticket events that end a visit, with the state they leave.
FINAL = {TICKET_DONE: "done", TICKET_NO_SHOW: "no_show", TICKET_CANCELLED: "cancelled"}
REMOTE_EXPIRED = "remote_expired"  # ticket.cancelled's outcome for a remote turn that never checked in
# ticket.cancelled's outcome for a ticket the hub issued whose answer its kiosk never heard: the visitor
# holds the number the kiosk then issued from its lease (issue 26), so nobody holds this one
SUPERSEDED = "superseded"


def omitted() -> Any:
    """A field left out of the data when None."""
    return field(default=None, metadata={"omitted": True})


@dataclass(frozen=True)
class Fact:
    """One event's data. A subclass names its type: `class TicketDone(Fact, type=TICKET_DONE)`."""

    TYPE: ClassVar[str]

    def __init_subclass__(cls, type: str = "", **kw: Any) -> None:  # noqa: A002 - the event's type
        super().__init_subclass__(**kw)
        if type:
            cls.TYPE = type
            FACTS[type] = cls

    def data(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if not (f.metadata.get("omitted") and getattr(self, f.name) is None)}


FACTS: dict[str, type[Fact]] = {}


@dataclass(frozen=True)
class TicketIssued(Fact, type=TICKET_ISSUED):
    ticket: int
    number: str
    seq: int
    service: str
    priority: str | None
    tracking_code: str
    idempotency_key: str | None
    device: str
    branch_day: str
    channel: str | None = omitted()  # remote | appointment; a walk-in has none
    due_at: str | None = omitted()  # an appointment's slot (UTC ISO): the engine's due time
    lease: int | None = omitted()  # issued by a kiosk alone from this lease, merged later (issue 26)
    issued_at: str | None = omitted()  # then: when it was really issued (UTC ISO); else the event's time


@dataclass(frozen=True)
class TicketCalled(Fact, type=TICKET_CALLED):
    ticket: int
    number: str
    service: str
    counter: int
    clerk: str | None
    # the engine's reason: [{"code": ..., values}] (server/floor/reasons.py); logs before 0.3 hold English text
    reason: Any


@dataclass(frozen=True)
class AtCounter(Fact):
    """A ticket event at a counter: uncalled, recalled, started, no-show, passed over."""

    ticket: int
    number: str
    service: str
    counter: int


@dataclass(frozen=True)
class TicketUncalled(AtCounter, type=TICKET_UNCALLED):
    pass


@dataclass(frozen=True)
class TicketRecalled(AtCounter, type=TICKET_RECALLED):
    pass


@dataclass(frozen=True)
class TicketStarted(AtCounter, type=TICKET_STARTED):
    pass


@dataclass(frozen=True)
class TicketNoShow(AtCounter, type=TICKET_NO_SHOW):
    pass


@dataclass(frozen=True)
class TicketPassedOver(AtCounter, type=TICKET_PASSED_OVER):
    pass


@dataclass(frozen=True)
class TicketDone(AtCounter, type=TICKET_DONE):
    outcome: str = "served"


@dataclass(frozen=True)
class TicketTransferred(AtCounter, type=TICKET_TRANSFERRED):
    from_service: str = ""


@dataclass(frozen=True)
class TicketCancelled(Fact, type=TICKET_CANCELLED):
    ticket: int
    number: str
    service: str
    outcome: str | None = omitted()  # expired (a past day's) | remote_expired | superseded; none: by staff


@dataclass(frozen=True)
class TicketCheckedIn(Fact, type=TICKET_CHECKED_IN):
    ticket: int
    number: str
    service: str


@dataclass(frozen=True)
class TicketPromised(Fact, type=TICKET_PROMISED):
    """The range printed on the slip (or shown at check-in), kept to say how often it held."""

    ticket: int
    service: str
    low: float
    high: float
    minutes: float | None
    note: str | None  # the ticket's wait_note when it was shown


@dataclass(frozen=True)
class CounterChanged(Fact, type=COUNTER_CHANGED):
    counter: int
    state: str
    clerk: str | None
    services: dict[str, float] | None


@dataclass(frozen=True)
class RequestOpened(Fact, type=REQUEST_OPENED):
    ticket: int
    tracking_code: str
    number: str
    service: str
    unit: str | None
    clerk: str | None
    opened_day: str
    due: str
    working_days: int


@dataclass(frozen=True)
class RequestAnswered(Fact, type=REQUEST_ANSWERED):
    ticket: int
    tracking_code: str
    number: str
    service: str
    unit: str | None
    clerk: str | None
    result: str
    due: str
    on_time: bool
    days_taken: int


@dataclass(frozen=True)
class DeviceStatus(Fact, type=DEVICE_STATUS):
    name: str
    kind: str
    status: str
    detail: str | None


@dataclass(frozen=True)
class RemoteComeNow(Fact, type=REMOTE_COME_NOW):
    ticket: int
    number: str
    service: str
    told: bool  # an SMS went out (one already checked in needs none)
    ahead: int | None  # people ahead when it was decided, as its page said


@dataclass(frozen=True)
class RemoteCallSent(Fact, type=REMOTE_CALL_SENT):
    ticket: int
    number: str
    service: str


@dataclass(frozen=True)
class AppointmentBooked(Fact, type=APPOINTMENT_BOOKED):
    appointment: int
    booking: str  # the booking's code: the booker's key, kept from displays like a tracking code
    service: str
    day: str  # YYYY-MM-DD, branch time
    start: str  # HH:MM, branch time
    due_at: str  # the slot's start, UTC ISO


@dataclass(frozen=True)
class AppointmentCancelled(Fact, type=APPOINTMENT_CANCELLED):
    appointment: int
    service: str
    day: str
    start: str


@dataclass(frozen=True)
class AppointmentCheckedIn(Fact, type=APPOINTMENT_CHECKED_IN):
    appointment: int
    ticket: int  # issued by the check-in (its ticket.issued comes just before)
    service: str


@dataclass(frozen=True)
class AppointmentSharesSet(Fact, type=APPOINTMENT_SHARES_SET):
    shares: dict[str, float]  # sub-service -> share, "*" for all: replaces the head's earlier ones


@dataclass(frozen=True)
class SettingsChanged(Fact, type=SETTINGS_CHANGED):
    changes: dict[str, Any]  # setting -> its new value (remote turns' and budgets', as checked)


@dataclass(frozen=True)
class LeaseGranted(Fact, type=LEASE_GRANTED):
    lease: int
    device: str
    service: str
    branch_day: str
    numbers: list[list[Any]]  # [[seq, number], ...] in the order the kiosk uses them
    expires_at: str  # UTC ISO


@dataclass(frozen=True)
class LeaseReturned(Fact, type=LEASE_RETURNED):
    lease: int
    device: str
    service: str
    unused: list[int]  # the seqs no merged ticket holds


@dataclass(frozen=True)
class LeaseExpired(Fact, type=LEASE_EXPIRED):
    lease: int
    device: str
    service: str
    unused: list[int]


@dataclass(frozen=True)
class LeaseMerged(Fact, type=LEASE_MERGED):
    device: str
    tickets: int  # merged by this request (resends and refusals not counted)
    first_issued_at: str  # the earliest and latest real issue times among them (UTC ISO)
    last_issued_at: str


def fact(type_: str, data: dict[str, Any]) -> Fact:
    """The dataclass of a logged event (KeyError for a type this release does not know)."""
    cls = FACTS[type_]
    return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def field_types(type_: str) -> dict[str, tuple[Any, bool]]:
    """A known type's fields: name -> (annotation, required)."""
    cls = FACTS[type_]
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], not f.metadata.get("omitted")) for f in fields(cls)}
