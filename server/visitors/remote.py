"""Remote turns (issue 18 A, V2, V3): a visitor joins the queue from a phone and checks in at the branch.

A remote turn is a ticket in state `remote` from the moment it joins: its place in line is its
arrival time, like any ticket's, but `call_next` passes it over until it checks in (kiosk or
clerk: event `ticket.checked_in`, state `waiting`, the place unchanged). Passed over, it keeps
its place for the grace time the branch sets, then expires (server/visitors/remote_sweep.py).
Its life is in the event log (ticket.issued with channel "remote", remote.come_now, ticket.checked_in,
ticket.passed_over, remote.call_sent, the ticket's end), folded into `remote_turns`
(server/floor/projection.py). Its phone is kept beside the log in `remote_phones`, never in an event;
HQ gets only a slow hash of it, to keep one open remote turn per phone across branches
(server/hqlink/shipping.py, issue 23).
"""

from __future__ import annotations

import secrets

from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.wording import sms_text
from navbat.server.floor import keys
from navbat.server.floor.ahead import people_ahead
from navbat.server.floor.db import Reader
from navbat.server.floor.estimates import Estimates
from navbat.server.floor.floor import Floor
from navbat.server.floor.queries import Row, ticket_row
from navbat.server.floor.refusals import Conflict, NotFound
from navbat.server.floor.transitions import LIVE
from navbat.server.hqlink import shipping
from navbat.server.visitors import remote_settings, sms, verify

DEVICE = "remote"  # the ticket's device: joined from a phone


def join(floor: Floor, read: Reader, branch: Branch, estimates: Estimates, outbox: sms.Outbox,
         link: shipping.Shipper | None, ignore_hours: bool, service: object, phone: object, code: object,
         page_url: str, idempotency_key: str | None = None) -> tuple[Row, bool]:
    """A new remote turn for a phone whose SMS code is right: (ticket, created). Refused (409) when
    the phone has an open remote turn here, has used its daily cap, or turns are not taken now. A
    retry with the same Idempotency-Key returns the turn it made (its code is used up by then).
    `link`: the hub's link to HQ, if any (one open turn per phone across branches); `ignore_hours`:
    turns are taken outside opening hours (demos, tests)."""
    svc = branch.service(service) if isinstance(service, str) else None
    if svc is None:
        raise NotFound("unknown_service", f'unknown service "{service}"')
    key = keys.remote_key(verify.normal_phone(phone), idempotency_key) if idempotency_key else None
    if key is not None:
        with read() as db:
            made = db.execute("SELECT id FROM tickets WHERE idempotency_key=?", [key]).fetchone()
            if made is not None:
                row = ticket_row(db, made[0])
                if row["first_service"] != svc.code:
                    raise Conflict("idempotency_conflict", "this Idempotency-Key was already used for another turn")
                return row, False
    phone = verify.check_code(floor, phone, code)
    hashed = verify.phone_hash(phone)
    # one open remote turn per phone across branches: HQ answers (and claims it) before the write, which
    # never waits on the network; no answer in time allows it (shipping.open_elsewhere)
    if shipping.open_elsewhere(link, hashed):
        raise Conflict("open_turn_elsewhere", "this phone already has a turn waiting at another branch; it can take "
                       "another once that one is over")
    waits = estimates.settled(1.0)  # the floor as of now, replayed outside the write lock
    with floor.write() as tx:
        settings = remote_settings.current(tx.db, branch)
        remote_settings.refuse_if_closed(branch, settings, tx.now, ignore_hours)
        day = branch.branch_day(tx.now).isoformat()
        marks = ",".join("?" * (len(LIVE) + 1))
        if tx.db.execute(f"SELECT 1 FROM remote_phones r JOIN tickets t ON t.id=r.ticket_id WHERE r.phone=? "  # noqa: S608
                         f"AND t.state IN ({marks})", [phone, *LIVE, "remote"]).fetchone():
            raise Conflict("open_turn", "this phone already has a turn waiting here; it can take another once that "
                           "one is over")
        today = tx.db.execute("SELECT count(*) FROM remote_phones p JOIN remote_turns r ON r.ticket_id=p.ticket_id "
                              "WHERE p.phone=? AND r.branch_day=?", [phone, day]).fetchone()[0]
        if today >= settings.daily_cap:
            raise Conflict("daily_cap", f"a phone may take {settings.daily_cap} turns from afar a day")
        verify.use_code(tx, phone)
        ticket_id = floor.issue(tx, svc.code, None, key or f"{DEVICE}:{secrets.token_hex(8)}", DEVICE,
                                channel="remote")  # its remote_turns row is folded from this event
        tx.db.execute("INSERT INTO remote_phones (ticket_id, phone, phone_hash) VALUES (?, ?, ?)",
                      [ticket_id, phone, hashed])
        row = ticket_row(tx.db, ticket_id)
        ahead = people_ahead(waits, tx.db, row).count  # what its page says
        link = f"{page_url.rstrip('/')}/t/{row['tracking_code']}"
        if settings.come_now_people is not None and ahead <= settings.come_now_people:  # "come now" at once
            tx.emit(E.RemoteComeNow(ticket_id, row["number"], row["service"], told=True, ahead=ahead), actor="hub")
            message = ("Turn {number} is yours; {ahead} people ahead: come to the branch now and check in at the "
                       "kiosk. Follow it at {link}")
        else:
            message = "Turn {number} is yours. Check in at the branch's kiosk before it comes; follow it at {link}"
        outbox.queue(tx, phone, sms_text(message, number=row["number"], ahead=ahead, link=link), "joined")
        return row, True


def check_in(floor: Floor, tracking_code: str, actor: str) -> tuple[Row, bool]:
    """The visitor is at the branch: the turn becomes callable in its place. Returns (ticket,
    changed); checking in twice is harmless. 404 not_remote for a code that is no remote turn's."""
    with floor.write() as tx:
        rows = list(tx.db.query("SELECT t.* FROM tickets t JOIN remote_turns r ON r.ticket_id=t.id "
                                "WHERE t.tracking_code=?", [tracking_code]))
        if not rows:
            raise NotFound("not_remote", "no remote turn has this code")
        t = rows[0]
        if t["state"] != "remote":
            if t["state"] in LIVE:
                return t, False
            raise Conflict("turn_over", f"turn {t['number']} is over ({t['outcome'] or t['state']})")
        tx.emit(E.TicketCheckedIn(t["id"], t["number"], t["service"]), actor=actor)  # remote_turns folds it
        return ticket_row(tx.db, t["id"]), True


def no_show_rate(read: Reader, since: str) -> dict[str, object]:
    """Remote turns since `since` (UTC ISO): how many joined, came, were served, never came."""
    with read() as db:
        r = db.execute("""SELECT count(*), sum(r.checked_in_at IS NOT NULL), sum(r.ended='expired'),
                                 sum(t.state='no_show'), sum(r.ended IS NULL)
                          FROM remote_turns r JOIN tickets t ON t.id=r.ticket_id WHERE r.joined_at >= ?""",
                       [since]).fetchone()
    joined, came, expired, no_show, open_ = (v or 0 for v in r)
    ended = joined - open_
    return {"joined": joined, "checked_in": came, "expired": expired, "no_show": no_show, "open": open_,
            "no_show_rate": round((expired + no_show) / ended, 3) if ended else None}

