"""Visits by channel (issue 18): walk-in at the kiosk, remote turn from a phone, appointment.

The channel is a fact of the ticket's `ticket.issued` event (`channel`, set when an appointment
checks in); a ticket with a row in `remote_turns` (part A) is a remote turn; any other is a walk-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.server.floor.times import iso
from navbat.server.reports.rows import Row, make_row
from navbat.server.reports.visits import Visit

CHANNELS = {"walk_in": {"fa": "حضوری", "en": "Walk-in"}, "remote": {"fa": "نوبت از راه دور", "en": "Remote turn"},
            "appointment": {"fa": "وقت قبلی", "en": "Appointment"}}


def channels_of(db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime) -> dict[int, str]:
    """The channel of every ticket issued in [start, end)."""
    remote = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='remote_turns'").fetchone()
    join = "LEFT JOIN remote_turns r ON r.ticket_id = e.ticket_id" if remote else ""
    flag = "r.ticket_id IS NOT NULL" if remote else "0"
    rows = db.execute(f"SELECT e.ticket_id, json_extract(e.data, '$.channel'), {flag} FROM events e {join} "  # noqa: S608
                      "WHERE e.type = ? AND e.at >= ? AND e.at < ?", [E.TICKET_ISSUED, iso(start), iso(end)])
    return {ticket: channel if channel in CHANNELS else ("remote" if is_remote else "walk_in")
            for ticket, channel, is_remote in rows}


def channel_rows(visits: Iterable[Visit], channels: dict[int, str], targets: dict[str, float],
                 as_of: dt.datetime | None = None) -> list[Row]:
    """One row per channel, with the visitors' figures (waits from the ticket's issue)."""
    visits = list(visits)
    out = []
    for code, label in CHANNELS.items():
        mine = [v for v in visits if channels.get(v.ticket, "walk_in") == code]
        out.append(make_row(code, label, mine, [s for v in mine for s in v.segments], targets, as_of))
    return out
