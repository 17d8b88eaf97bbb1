"""The floor's state tables as a fold of the event log: one event in, rows of `tickets`,
`sequences`, `counters`, `requests` and `device_status` out.

The floor applies each event as it is written; `rebuild` in floor.py replays the whole
log through the same function. Ticket states follow server/transitions.py, which the
reports share.
"""

from __future__ import annotations

import json

import sqlite_utils
from navbat.server import reasons, transitions
from navbat.server.events import Event
from navbat.server.queries import ticket_row

TICKET_COLUMNS = tuple(transitions.issued({"ticket": 0, "service": "", "number": ""}, "").keys())
_UPSERT_TICKET = (f"INSERT OR REPLACE INTO tickets ({', '.join(TICKET_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(TICKET_COLUMNS))})")


# The tables this fold writes, with their key columns: what a rebuild from the log clears and
# refills (Floor.rebuild) and what `navbat check` compares (server/dbcheck.py).
STATE_TABLES = {"tickets": ("id",), "sequences": ("service", "branch_day"), "counters": ("number",),
                "device_status": ("name",), "requests": ("ticket_id",)}


def apply(db: sqlite_utils.Database, ev: Event) -> None:
    d, at, x = ev.data, ev.at, db.execute
    if ev.type.startswith("ticket."):
        if ev.type == "ticket.issued":
            after = transitions.issued(d, at)
            x("""INSERT INTO sequences (service, branch_day, last) VALUES (?, ?, ?)
                 ON CONFLICT (service, branch_day) DO UPDATE SET last = max(last, excluded.last)""",
              [d["service"], d["branch_day"], d["seq"]])
        else:
            before = ticket_row(db, d["ticket"])
            after = transitions.ticket_after(before, ev.type, d, at)
            if transitions.leaves_counter(before, after):
                x("UPDATE counters SET current_ticket=NULL, changed_at=? WHERE current_ticket=?", [at, d["ticket"]])
        x(_UPSERT_TICKET, [reasons.for_row(after[c]) if c == "reason" else after[c] for c in TICKET_COLUMNS])
        if ev.type == "ticket.called":
            x("UPDATE counters SET current_ticket=?, changed_at=? WHERE number=?", [d["ticket"], at, d["counter"]])
    elif ev.type == "counter.changed":
        services = d.get("services", d.get("skills"))  # logs written before the rename say "skills"
        x("""INSERT INTO counters (number, state, clerk, services, changed_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (number) DO UPDATE SET state=excluded.state, clerk=excluded.clerk,
                services=excluded.services, changed_at=excluded.changed_at""",
          [d["counter"], d["state"], d.get("clerk"), json.dumps(services) if services else None, at])
    elif ev.type == "request.opened":
        x("""INSERT OR REPLACE INTO requests (ticket_id, tracking_code, number, service, unit, opened_at, opened_day,
                 due, working_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
          [d["ticket"], d["tracking_code"], d["number"], d["service"], d.get("unit"), at, d["opened_day"], d["due"],
           d["working_days"]])
    elif ev.type == "request.answered":
        x("UPDATE requests SET answered_at=?, result=?, answered_by=?, on_time=?, days_taken=? WHERE ticket_id=?",
          [at, d["result"], d.get("clerk"), d["on_time"], d["days_taken"], d["ticket"]])
    elif ev.type == "device.status":
        x("""INSERT INTO device_status (name, kind, status, detail, at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET kind=excluded.kind, status=excluded.status,
                detail=excluded.detail, at=excluded.at""",
          [d["name"], d["kind"], d["status"], d.get("detail"), at])
