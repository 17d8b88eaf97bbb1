"""A branch's batch of events (and ratings) into HQ: idempotent, in order, acknowledged.

The batch says after which event id it starts (`after`). HQ holds the branch's row locked for
the transaction, keeps only what is past its high-water mark (a batch sent twice, or a retry
of one whose answer was lost, adds nothing: the key is (branch, event id)), and answers the new
mark. A batch that starts past the mark (HQ lost a commit, e.g. restored from a backup) is
refused with the mark, and the branch resends from there: nothing is skipped.

The same for ratings, which the branch keeps outside its event log: they come from its
outbox (server.shipping), numbered by `seq`, and a rating sent again replaces the stored one.

A branch restored from a backup numbers its new events from where the backup ended, so ids HQ
already has may now name other events: a replayed event that differs from HQ's, or a batch that
reaches the branch's newest event below HQ's mark, makes HQ forget what follows and take the
branch's log from there. HQ ends with exactly the branch's events. That forgetting happens only
for a batch that says it comes from a restored branch (`"restore": true`, which `navbat restore`
makes the branch's shipper send): any other such batch (an empty one with `after=0`, say) is
refused (409 restore_needed) and HQ keeps what it has.

Every field is checked first (hq.batch_checks): a bad one is refused with its path, never stored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from navbat.foundation import event_types as E
from navbat.hq import batch_checks, budgets, request_rollup
from navbat.hq.batch_checks import MAX_BATCH, BadBatch
from navbat.hq.months import month_of, refresh_month
from navbat.hq.rollup import local_day, refresh
from psycopg import Connection
from psycopg.types.json import Jsonb

VERSION_TEXT = re.compile(r"[0-9][0-9A-Za-z.+-]{0,39}")  # a PEP 440 release as pip names it, bounded

__all__ = ["MAX_BATCH", "BadBatch", "Gap", "RestoreNeeded", "ingest", "marks"]


class Gap(Exception):
    """The batch starts past HQ's mark: resend from `marks`."""

    def __init__(self, marks: dict[str, int]) -> None:
        super().__init__("the batch starts past what HQ has")
        self.marks = marks


class RestoreNeeded(Exception):
    """The batch would make HQ forget events it has, without saying it comes from a restore."""

    def __init__(self, marks: dict[str, int]) -> None:
        super().__init__("this batch would make HQ forget events it has: only a restored branch's may "
                         '(send "restore": true, as navbat restore makes the shipper do)')
        self.marks = marks


def marks(conn: Connection, branch: str) -> dict[str, int]:
    row = conn.execute("SELECT events_hwm, ratings_hwm FROM branches WHERE id=%s", [branch]).fetchone()
    return {"events_hwm": row["events_hwm"], "ratings_hwm": row["ratings_hwm"]}


def ingest(conn: Connection, branch: str, body: dict[str, Any], counts: dict[str, int] | None = None,
           ) -> dict[str, int]:
    """Stores the batch in one transaction; returns the new marks (raises Gap, RestoreNeeded or BadBatch). `counts`,
    if given, gets how many events and ratings were stored (HQ's /metrics)."""
    after, ratings_after, last_id = (batch_checks.whole(body.get(name, 0), name)
                                     for name in ("after", "ratings_after", "last_id"))
    events = batch_checks.events(body.get("events", []))
    ratings = batch_checks.ratings(body.get("ratings", []))
    profile = batch_checks.profile(body.get("profile"))
    restore = body.get("restore", False)
    if not isinstance(restore, bool):
        raise BadBatch("must be true or false", "restore")
    version = body.get("version")  # the hub's release (hubs before 0.2.0 send none)
    if version is not None and not (isinstance(version, str) and VERSION_TEXT.fullmatch(version)):
        raise BadBatch("must be a release number such as 0.2.0", "version")
    try:  # issue 23: the branch's open remote turns (phone hashes) and its budgets' use
        open_turns = budgets.check_open_turns(body["open_turns"]) if "open_turns" in body else None
        spend = budgets.check_budgets(body["budgets"]) if "budgets" in body else None
    except budgets.BadField as exc:
        raise BadBatch(str(exc)) from None
    with conn.transaction():
        row = conn.execute("SELECT events_hwm, ratings_hwm, profile FROM branches WHERE id=%s FOR UPDATE",
                           [branch]).fetchone()
        hwm, rhwm = row["events_hwm"], row["ratings_hwm"]
        if after > hwm or ratings_after > rhwm:
            raise Gap({"events_hwm": hwm, "ratings_hwm": rhwm})
        profile = profile or _usable(row["profile"])
        tz = profile.get("timezone", "Asia/Tehran")
        days: set[dt.date] = set()
        request_days: set[dt.date] = set()
        keep = _diverged(conn, branch, [e for e in events if e["id"] <= hwm])
        reaches_end = events[-1]["id"] == last_id if events else after == last_id
        if keep is None and reaches_end and last_id < hwm:
            keep = last_id  # the branch's log ends before HQ's: it was restored from a backup
        if keep is not None and not restore:
            raise RestoreNeeded({"events_hwm": hwm, "ratings_hwm": rhwm})
        if keep is not None:
            request_days |= request_rollup.days_of(conn.execute(
                "SELECT at, type FROM events WHERE branch=%s AND id > %s", [branch, keep]).fetchall(), tz)
            days |= _truncate(conn, branch, keep)
            hwm = keep
        new = [e for e in events if e["id"] > hwm]
        request_days |= request_rollup.days_of(new, tz)
        days |= _store_events(conn, branch, new, tz) | _store_ratings(conn, branch, ratings)
        hwm = new[-1]["id"] if new else hwm
        if counts is not None:
            counts.update(events=len(new), ratings=len(ratings))
        rhwm = ratings[-1]["seq"] if ratings else rhwm
        conn.execute("""UPDATE branches SET events_hwm=%s, ratings_hwm=%s, profile=%s, last_contact_at=now(),
                          last_event_at=coalesce(%s, last_event_at), branch_last_id=greatest(%s, %s),
                          hub_version=coalesce(%s, hub_version)
                        WHERE id=%s""",
                     [hwm, rhwm, Jsonb(profile), new[-1]["at"] if new else None, last_id, hwm, version, branch])
        if open_turns is not None:
            budgets.replace_open_turns(conn, branch, open_turns)
        if spend is not None:
            conn.execute("UPDATE branches SET budgets=%s WHERE id=%s", [Jsonb(spend), branch])
        for day in sorted(days):
            refresh(conn, branch, day, profile)
        for month_start in sorted({month_of(day).start for day in days}):
            refresh_month(conn, branch, month_start)
        for day in sorted(request_days):
            request_rollup.refresh(conn, branch, day, tz)
    return {"events_hwm": hwm, "ratings_hwm": rhwm}


def _usable(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The profile HQ kept, if it passes today's checks (one stored before them, with a zone that does
    not exist, would fail every batch after it); else none."""
    try:
        return batch_checks.profile(stored) or {}
    except BadBatch:
        return {}


def _diverged(conn: Connection, branch: str, events: list[dict[str, Any]]) -> int | None:
    """For events HQ already has (a replay): None if they are the ones stored, else the id to keep up
    to (the one before the first that differs: the branch's log was restored and went on anew)."""
    if not events:
        return None
    stored = {r["id"]: (r["at"], r["type"]) for r in conn.execute(
        "SELECT id, at, type FROM events WHERE branch=%s AND id BETWEEN %s AND %s",
        [branch, events[0]["id"], events[-1]["id"]])}
    for e in events:
        if stored.get(e["id"]) != (e["at"], e["type"]):
            return e["id"] - 1
    return None


def _truncate(conn: Connection, branch: str, keep: int) -> set[dt.date]:
    """Forgets the branch's events after `keep` (and the tickets they issued, with their ratings);
    returns the days to fold again. Whatever the branch still has comes back in its next batches."""
    touched = {r["ticket_id"] for r in conn.execute(
        "SELECT DISTINCT ticket_id FROM events WHERE branch=%s AND id > %s AND ticket_id IS NOT NULL", [branch, keep])}
    days = _days_of(conn, branch, sorted(touched))
    gone = [r["ticket_id"] for r in conn.execute(
        "SELECT ticket_id FROM events WHERE branch=%s AND id > %s AND type=%s", [branch, keep, E.TICKET_ISSUED])]
    conn.execute("DELETE FROM events WHERE branch=%s AND id > %s", [branch, keep])
    conn.execute("DELETE FROM tickets WHERE branch=%s AND ticket_id = ANY(%s)", [branch, gone])
    conn.execute("DELETE FROM ratings WHERE branch=%s AND ticket_id = ANY(%s)", [branch, gone])
    return days


def _store_events(conn: Connection, branch: str, events: list[dict[str, Any]], tz: str) -> set[dt.date]:
    if not events:
        return set()
    with conn.cursor() as cur:
        cur.executemany("""INSERT INTO events (branch, id, at, type, actor, ticket_id, counter, data)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                        [[branch, e["id"], e["at"], e["type"], e.get("actor"), e.get("ticket_id"), e.get("counter"),
                          Jsonb(e["data"])] for e in events])
        issued = [[branch, e["ticket_id"], local_day(e["at"], tz)] for e in events
                  if e["type"] == E.TICKET_ISSUED and isinstance(e.get("ticket_id"), int)]
        if issued:
            cur.executemany("INSERT INTO tickets (branch, ticket_id, day) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            issued)
    tickets = sorted({e["ticket_id"] for e in events if e["type"].startswith("ticket.")
                      and isinstance(e.get("ticket_id"), int)})
    # Open window-hours run up to the day's last event of any kind (hq/window_hours.py): a batch of only
    # device reports or answered requests moves that end for a counter still open, so its day is folded again.
    event_days = {local_day(e["at"], tz) for e in events}
    return _days_of(conn, branch, tickets) | event_days


def _store_ratings(conn: Connection, branch: str, ratings: list[dict[str, Any]]) -> set[dt.date]:
    if not ratings:
        return set()
    with conn.cursor() as cur:
        cur.executemany("""INSERT INTO ratings (branch, ticket_id, score, comment, source, counter, clerk, service, at)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (branch, ticket_id) DO UPDATE
                           SET score=excluded.score, comment=excluded.comment, source=excluded.source,
                             counter=excluded.counter, clerk=excluded.clerk, service=excluded.service,
                             at=excluded.at""",
                        [[branch, r["ticket"], r["score"], r.get("comment"), r.get("source"), r.get("counter"),
                          r.get("clerk"), r.get("service"), r["at"]] for r in ratings])
    return _days_of(conn, branch, sorted({r["ticket"] for r in ratings}))


def _days_of(conn: Connection, branch: str, tickets: list[int]) -> set[dt.date]:
    if not tickets:
        return set()
    rows = conn.execute("SELECT DISTINCT day FROM tickets WHERE branch=%s AND ticket_id = ANY(%s)",
                        [branch, tickets]).fetchall()
    return {r["day"] for r in rows}
