"""The hub database's migration m011 (issue 25): the log becomes the record of the whole floor.

Remote turns, bookings, the head's remote settings and appointment shares become folds of the event
log (server/floor/projection.py). What is no fact of the floor moves beside the log: phones and booking
addresses (never in an event: `remote_phones`, `appointment_contacts`) and a device's heartbeat
(`device_seen`). The facts only the tables held until now ("come now" and the counter's SMS sent, a
booking's life, the head's values) are written to the log at the times the tables give, so a
rebuild gives these tables back. A migration keeps what it wrote: the event names and shapes here
are its own copy, not navbat.foundation.event_types'.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from navbat.server.floor import keys


def apply(db: sqlite_utils.Database) -> None:
    """Run once, by server/floor/db.py's m011_log_is_the_record."""
    x = db.execute
    x("CREATE TABLE remote_phones (ticket_id INTEGER PRIMARY KEY, phone TEXT NOT NULL, phone_hash TEXT)")
    x("INSERT INTO remote_phones SELECT ticket_id, phone, phone_hash FROM remote_turns")
    x("CREATE INDEX remote_phones_phone ON remote_phones(phone)")
    x("CREATE TABLE appointment_contacts (appointment_id INTEGER PRIMARY KEY, phone TEXT NOT NULL, address TEXT)")
    x("INSERT INTO appointment_contacts SELECT id, phone, address FROM appointments")
    x("CREATE INDEX appointment_contacts_phone ON appointment_contacts(phone)")
    x("CREATE INDEX appointment_contacts_address ON appointment_contacts(address)")
    x("CREATE TABLE device_seen (name TEXT PRIMARY KEY, at TEXT NOT NULL)")  # the last report, changed or not
    x("INSERT INTO device_seen SELECT name, at FROM device_status")
    x("""UPDATE device_status SET at = (SELECT e.at FROM events e WHERE e.type = 'device.status'
             AND json_extract(e.data, '$.name') = device_status.name ORDER BY e.id DESC LIMIT 1)
         WHERE EXISTS (SELECT 1 FROM events e WHERE e.type = 'device.status'
             AND json_extract(e.data, '$.name') = device_status.name)""")
    facts: list[tuple[str, int, str, dict[str, object], str]] = []  # (at, order, type, data, actor)
    for r in db.query("""SELECT r.ticket_id, t.number, t.service, r.come_now_at, r.called_sms_at, t.state
                         FROM remote_turns r JOIN tickets t ON t.id = r.ticket_id"""):
        base = {"ticket": r["ticket_id"], "number": r["number"], "service": r["service"]}
        if r["come_now_at"]:
            facts.append((r["come_now_at"], 1, "remote.come_now", {**base, "told": True, "ahead": None}, "hub"))
        if r["called_sms_at"]:
            facts.append((r["called_sms_at"], 1, "remote.call_sent", base, "hub"))
    for a in db.query("SELECT * FROM appointments"):
        facts.append((a["booked_at"], 0, "appointment.booked", {
            "appointment": a["id"], "booking": a["code"], "service": a["service"], "day": a["day"],
            "start": a["start"], "due_at": a["due_at"]}, "booking"))
        if a["state"] == "cancelled" and a["cancelled_at"]:
            facts.append((a["cancelled_at"], 1, "appointment.cancelled", {
                "appointment": a["id"], "service": a["service"], "day": a["day"], "start": a["start"]}, "booking"))
        if a["state"] == "checked_in" and a["ticket_id"] is not None:
            facts.append((a["checked_in_at"], 1, "appointment.checked_in", {
                "appointment": a["id"], "ticket": a["ticket_id"], "service": a["service"]}, "hub"))
    for key, value, at in db.execute("SELECT key, value, at FROM remote_settings ORDER BY at, key").fetchall():
        facts.append((at, 1, "settings.changed", {"changes": {key: json.loads(value)}}, "head"))
    shares: dict[str, dict[str, float]] = {}
    for service, share, at in db.execute("SELECT service, share, at FROM appointment_shares").fetchall():
        shares.setdefault(at, {})[service] = share  # one event per call that set them (the same time)
    facts += [(at, 1, "appointment.shares_set", {"shares": values}, "head") for at, values in shares.items()]
    for at, _, type_, data, actor in sorted(facts, key=lambda f: (f[0], f[1])):
        x("INSERT INTO events (at, type, actor, ticket_id, counter, data) VALUES (?, ?, ?, ?, NULL, ?)",
          [at, type_, actor, data.get("ticket"), json.dumps(data, ensure_ascii=False)])
    # The tables without the side facts; a turn ends with its ticket (the sweep used to mark it later).
    x("""CREATE TABLE remote_turns_folded (
            ticket_id INTEGER PRIMARY KEY, branch_day TEXT NOT NULL, joined_at TEXT NOT NULL,
            checked_in_at TEXT, passed_at TEXT, come_now_at TEXT, called_sms_at TEXT, ended TEXT)""")
    x("""INSERT INTO remote_turns_folded SELECT r.ticket_id, r.branch_day, r.joined_at, r.checked_in_at, r.passed_at,
             r.come_now_at, r.called_sms_at, coalesce(r.ended, CASE WHEN t.state IN ('done', 'no_show', 'cancelled')
             THEN t.state END) FROM remote_turns r LEFT JOIN tickets t ON t.id = r.ticket_id""")
    x("DROP TABLE remote_turns")
    x("ALTER TABLE remote_turns_folded RENAME TO remote_turns")
    x("CREATE INDEX remote_turns_open ON remote_turns(ended)")
    x("""CREATE TABLE appointments_folded (
            id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, service TEXT NOT NULL, day TEXT NOT NULL,
            start TEXT NOT NULL, due_at TEXT NOT NULL, state TEXT NOT NULL, booked_at TEXT NOT NULL,
            cancelled_at TEXT, checked_in_at TEXT, ticket_id INTEGER UNIQUE)""")
    x("""INSERT INTO appointments_folded SELECT id, code, service, day, start, due_at, state, booked_at, cancelled_at,
             checked_in_at, ticket_id FROM appointments""")
    x("DROP TABLE appointments")
    x("ALTER TABLE appointments_folded RENAME TO appointments")
    x("CREATE INDEX appointments_slot ON appointments(day, service, start, state)")
    x("CREATE INDEX appointments_booked ON appointments(booked_at)")


def scrub_remote_keys(db: sqlite_utils.Database) -> None:
    """Run once, by server/floor/db.py's m013_no_phone_in_keys: each remote turn's key that holds its
    phone (server/floor/keys.py) rewritten in its ticket.issued event and its ticket, alike, so the
    log still folds to the tables. `navbat check`'s checkpoints hold the old keys: they are dropped
    (the next check is a full one)."""
    changed = 0
    for ticket_id, key in db.execute("SELECT id, idempotency_key FROM tickets WHERE idempotency_key LIKE 'remote:%'"
                                     ).fetchall():
        new = keys.without_phone(key)
        if new == key:
            continue
        changed += 1
        db.execute("UPDATE tickets SET idempotency_key=? WHERE id=?", [new, ticket_id])
        db.execute("UPDATE events SET data=json_set(data, '$.idempotency_key', ?) WHERE type='ticket.issued' "
                   "AND ticket_id=?", [new, ticket_id])
    if changed:
        path = db.execute("SELECT file FROM pragma_database_list WHERE name='main'").fetchone()[0]
        for old in Path(f"{path}.checks").glob("*.sqlite") if path else ():
            old.unlink(missing_ok=True)
