"""From the event log to visits: one per ticket, with the stretches spent at counters.

Reading the events (not the tickets table) keeps the report true to what happened:
a recalled ticket is still one visit with one wait, a transferred ticket is one visit
whose wait ends at its first call, and each counter it was called to is one segment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.server.floor import transitions
from navbat.server.floor.times import iso


@dataclass
class Segment:
    """A ticket at one counter: from its call to done, no-show, transfer or cancel."""

    ticket: int
    counter: int
    clerk: str | None
    service: str  # the sub-service it was called for
    called: dt.datetime
    end: dt.datetime | None = None
    end_kind: str | None = None  # done | no_show | transferred | cancelled | None (still open)
    outcome: str | None = None  # for done: served | documents_incomplete | referred
    rating: int | None = None  # the visit's rating, on the segment that finished it

    @property
    def minutes(self) -> float | None:
        return (self.end - self.called).total_seconds() / 60 if self.end else None


@dataclass
class Visit:
    ticket: int
    service: str  # the sub-service the visitor asked for at the kiosk
    priority: str | None
    issued: dt.datetime
    first_call: dt.datetime | None = None
    state: str = "waiting"  # last state: waiting | called | serving | done | no_show | cancelled
    recalls: int = 0
    segments: list[Segment] = field(default_factory=list)
    rating: int | None = None
    left: dt.datetime | None = None  # when it ended without a call (cancelled, expired)
    left_outcome: str | None = None

    @property
    def wait_minutes(self) -> float | None:
        """Issued -> first call; recalls and transfers do not start a new wait."""
        return (self.first_call - self.issued).total_seconds() / 60 if self.first_call else None


# (at, type, ticket_id, counter, clerk, service, outcome, priority)
Row = tuple[str, str, int, int | None, str | None, str | None, str | None, str | None]


def load_rows(db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime) -> Iterator[Row]:
    """Ticket events of the tickets issued in [start, end), in log order.

    json_extract in SQL keeps a busy month (100,000+ events) well under a second.
    """
    sql = """
        SELECT e.at, e.type, e.ticket_id, e.counter, coalesce(json_extract(e.data, '$.clerk'), e.actor),
               json_extract(e.data, '$.service'), json_extract(e.data, '$.outcome'),
               json_extract(e.data, '$.priority')
        FROM events e
        WHERE e.ticket_id IN (SELECT ticket_id FROM events
                              WHERE type = ? AND at >= ? AND at < ?)
          AND e.type LIKE 'ticket.%'
        ORDER BY e.id"""
    yield from db.execute(sql, [E.TICKET_ISSUED, iso(start), iso(end)])


def fold(rows: Iterable[Row]) -> dict[int, Visit]:
    """Replays ticket events into visits through the floor's own transitions (server.transitions)."""
    visits: dict[int, Visit] = {}
    tickets: dict[int, dict] = {}
    parse = dt.datetime.fromisoformat
    for at_s, type_, ticket, counter, clerk, service, outcome, priority in rows:
        if type_ == E.TICKET_ISSUED:
            tickets[ticket] = transitions.issued({"ticket": ticket, "service": service, "number": "",
                                                  "priority": priority}, at_s)
            visits[ticket] = Visit(ticket, service, priority, parse(at_s))
            continue
        before = tickets.get(ticket)
        if before is None:
            continue  # a ticket issued outside the period
        after = tickets[ticket] = transitions.ticket_after(
            before, type_, {"counter": counter, "clerk": clerk, "service": service, "outcome": outcome}, at_s)
        v, at = visits[ticket], parse(at_s)
        if type_ == E.TICKET_CHECKED_IN:  # a remote turn (issue 18): its wait at the branch starts here
            v.issued = at
        if type_ == E.TICKET_UNCALLED and v.segments:  # a call taken back never happened for the visitor
            v.segments.pop()
            v.first_call = v.segments[0].called if v.segments else None
        elif type_ == E.TICKET_CALLED:
            v.first_call = v.first_call or at
            v.segments.append(Segment(ticket, after["counter"], after["clerk"], after["service"], at))
        elif transitions.leaves_counter(before, after) and v.segments:
            seg = v.segments[-1]
            seg.end, seg.end_kind = at, type_.removeprefix("ticket.")
            seg.outcome = (after["outcome"] or "served") if seg.end_kind == "done" else None
        if v.first_call is None and type_ in transitions.FINAL:
            v.left, v.left_outcome = at, outcome
        v.state, v.recalls = after["state"], after["recalls"]
    return visits


def attach_ratings(db: sqlite_utils.Database, visits: dict[int, Visit]) -> None:
    """Puts each rating on its visit and on the segment that finished the visit."""
    if not visits:
        return
    lo, hi = min(visits), max(visits)
    for ticket, score in db.execute("SELECT ticket_id, score FROM ratings WHERE ticket_id BETWEEN ? AND ?", [lo, hi]):
        v = visits.get(ticket)
        if v is None:
            continue
        v.rating = score
        done = [s for s in v.segments if s.end_kind == "done"]
        if done:
            done[-1].rating = score
