"""The floor's state tables as a fold of the event log: one event in, rows of `tickets`,
`sequences`, `counters`, `requests`, `device_status`, `remote_turns`, `appointments`,
`remote_settings`, `appointment_shares` and the kiosks' leases (`leases`, `lease_numbers`,
`lease_merges`) out.

The floor applies each event as it is written; `rebuild` in floor.py replays the whole
log through the same function, and `navbat check` (server/floor/dbcheck.py) compares. Ticket states
follow server/floor/transitions.py, which the reports share. What is not a fact of the floor stays
beside the log in tables of its own: phones and booking addresses (`remote_phones`,
`appointment_contacts`), a device's last heartbeat (`device_seen`).
"""

from __future__ import annotations

import json

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.server.floor import reasons, transitions
from navbat.server.floor.events import Event
from navbat.server.floor.queries import ticket_row

TICKET_COLUMNS = tuple(transitions.issued({"ticket": 0, "service": "", "number": ""}, "").keys())
_UPSERT_TICKET = (f"INSERT OR REPLACE INTO tickets ({', '.join(TICKET_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(TICKET_COLUMNS))})")


# The tables this fold writes, with their key columns: what a rebuild from the log clears and
# refills (Floor.rebuild) and what `navbat check` compares (server/floor/dbcheck.py).
STATE_TABLES = {"tickets": ("id",), "sequences": ("service", "branch_day"), "counters": ("number",),
                "device_status": ("name",), "requests": ("ticket_id",), "remote_turns": ("ticket_id",),
                "appointments": ("id",), "remote_settings": ("key",), "appointment_shares": ("service",),
                "leases": ("id",), "lease_numbers": ("lease_id", "seq"), "lease_merges": ("event_id",)}


def apply(db: sqlite_utils.Database, ev: Event) -> None:
    d, at, x = ev.data, ev.at, db.execute
    if ev.type.startswith("ticket."):
        _ticket(db, ev)
    elif ev.type == E.COUNTER_CHANGED:
        services = d.get("services", d.get("skills"))  # logs written before the rename say "skills"
        x("""INSERT INTO counters (number, state, clerk, services, changed_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (number) DO UPDATE SET state=excluded.state, clerk=excluded.clerk,
                services=excluded.services, changed_at=excluded.changed_at""",
          [d["counter"], d["state"], d.get("clerk"), json.dumps(services) if services else None, at])
    elif ev.type == E.REQUEST_OPENED:
        x("""INSERT OR REPLACE INTO requests (ticket_id, tracking_code, number, service, unit, opened_at, opened_day,
                 due, working_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
          [d["ticket"], d["tracking_code"], d["number"], d["service"], d.get("unit"), at, d["opened_day"], d["due"],
           d["working_days"]])
    elif ev.type == E.REQUEST_ANSWERED:
        x("UPDATE requests SET answered_at=?, result=?, answered_by=?, on_time=?, days_taken=? WHERE ticket_id=?",
          [at, d["result"], d.get("clerk"), d["on_time"], d["days_taken"], d["ticket"]])
    elif ev.type == E.DEVICE_STATUS:
        x("""INSERT INTO device_status (name, kind, status, detail, at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET kind=excluded.kind, status=excluded.status,
                detail=excluded.detail, at=excluded.at""",
          [d["name"], d["kind"], d["status"], d.get("detail"), at])
    elif ev.type == E.REMOTE_COME_NOW:
        x("UPDATE remote_turns SET come_now_at=? WHERE ticket_id=?", [at, d["ticket"]])
    elif ev.type == E.REMOTE_CALL_SENT:
        x("UPDATE remote_turns SET called_sms_at=? WHERE ticket_id=?", [at, d["ticket"]])
    elif ev.type.startswith("appointment."):
        _appointment(db, ev)
    elif ev.type.startswith("lease."):
        _lease(db, ev)
    elif ev.type == E.SETTINGS_CHANGED:
        for key, value in d["changes"].items():
            x("INSERT INTO remote_settings (key, value, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
              "SET value=excluded.value, at=excluded.at", [key, json.dumps(value), at])


def _ticket(db: sqlite_utils.Database, ev: Event) -> None:
    d, at, x = ev.data, ev.at, db.execute
    if ev.type == E.TICKET_ISSUED:
        after = transitions.issued(d, at)
        x("""INSERT INTO sequences (service, branch_day, last) VALUES (?, ?, ?)
             ON CONFLICT (service, branch_day) DO UPDATE SET last = max(last, excluded.last)""",
          [d["service"], d["branch_day"], d["seq"]])
        if d.get("lease") is not None:  # issued by a kiosk alone: the lease's number is used (issue 26)
            x("UPDATE lease_numbers SET ticket_id=? WHERE lease_id=? AND seq=?", [d["ticket"], d["lease"], d["seq"]])
        if d.get("channel") == "remote":  # a remote turn's life starts with its ticket (server/visitors/remote.py)
            x("INSERT OR REPLACE INTO remote_turns (ticket_id, branch_day, joined_at) VALUES (?, ?, ?)",
              [d["ticket"], d["branch_day"], at])
    else:
        before = ticket_row(db, d["ticket"])
        after = transitions.ticket_after(before, ev.type, d, at)
        if transitions.leaves_counter(before, after):
            x("UPDATE counters SET current_ticket=NULL, changed_at=? WHERE current_ticket=?", [at, d["ticket"]])
    x(_UPSERT_TICKET, [reasons.for_row(after[c]) if c == "reason" else after[c] for c in TICKET_COLUMNS])
    if ev.type == E.TICKET_CALLED:
        x("UPDATE counters SET current_ticket=?, changed_at=? WHERE number=?", [d["ticket"], at, d["counter"]])
    elif ev.type == E.TICKET_CHECKED_IN:
        x("UPDATE remote_turns SET checked_in_at=? WHERE ticket_id=?", [at, d["ticket"]])
    elif ev.type == E.TICKET_PASSED_OVER:
        x("UPDATE remote_turns SET passed_at=coalesce(passed_at, ?) WHERE ticket_id=?", [at, d["ticket"]])
    elif ev.type in E.FINAL:  # a remote turn ends with its ticket: expired if it never checked in in time
        ended = "expired" if d.get("outcome") == E.REMOTE_EXPIRED else E.FINAL[ev.type]
        x("UPDATE remote_turns SET ended=? WHERE ticket_id=? AND ended IS NULL", [ended, d["ticket"]])


def _appointment(db: sqlite_utils.Database, ev: Event) -> None:
    d, at, x = ev.data, ev.at, db.execute
    if ev.type == E.APPOINTMENT_BOOKED:
        x("INSERT OR REPLACE INTO appointments (id, code, service, day, start, due_at, state, booked_at) "
          "VALUES (?, ?, ?, ?, ?, ?, 'booked', ?)",
          [d["appointment"], d["booking"], d["service"], d["day"], d["start"], d["due_at"], at])
    elif ev.type == E.APPOINTMENT_CANCELLED:
        x("UPDATE appointments SET state='cancelled', cancelled_at=? WHERE id=?", [at, d["appointment"]])
    elif ev.type == E.APPOINTMENT_CHECKED_IN:
        x("UPDATE appointments SET state='checked_in', checked_in_at=?, ticket_id=? WHERE id=?",
          [at, d["ticket"], d["appointment"]])
    elif ev.type == E.APPOINTMENT_SHARES_SET:
        x("DELETE FROM appointment_shares WHERE service != '*'")
        for service, share in d["shares"].items():
            x("INSERT OR REPLACE INTO appointment_shares (service, share, at) VALUES (?, ?, ?)", [service, share, at])


def _lease(db: sqlite_utils.Database, ev: Event) -> None:
    d, at, x = ev.data, ev.at, db.execute
    if ev.type == E.LEASE_GRANTED:
        x("INSERT OR REPLACE INTO leases (id, device, service, branch_day, size, granted_at, expires_at, state) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, 'live')",
          [d["lease"], d["device"], d["service"], d["branch_day"], len(d["numbers"]), at, d["expires_at"]])
        db["lease_numbers"].insert_all(
            ({"lease_id": d["lease"], "seq": seq, "number": number, "service": d["service"],
              "branch_day": d["branch_day"], "ticket_id": None} for seq, number in d["numbers"]), replace=True)
        if d["numbers"]:  # the hub's own tickets count on after the lease's seqs
            x("""INSERT INTO sequences (service, branch_day, last) VALUES (?, ?, ?)
                 ON CONFLICT (service, branch_day) DO UPDATE SET last = max(last, excluded.last)""",
              [d["service"], d["branch_day"], max(seq for seq, _ in d["numbers"])])
    elif ev.type in (E.LEASE_RETURNED, E.LEASE_EXPIRED):
        x("UPDATE leases SET state=?, ended_at=? WHERE id=? AND state='live'",
          ["returned" if ev.type == E.LEASE_RETURNED else "expired", at, d["lease"]])
    elif ev.type == E.LEASE_MERGED:
        x("INSERT OR REPLACE INTO lease_merges (event_id, device, tickets, merged_at, first_issued_at, "
          "last_issued_at) VALUES (?, ?, ?, ?, ?, ?)",
          [ev.id, d["device"], d["tickets"], at, d["first_issued_at"], d["last_issued_at"]])
