"""Store and forward to headquarters: the hub's events (and ratings), in order, in batches, over HTTP.

The hub's `hq-shipping` worker (foundation/workers.py's Loop; server/hub.py makes it the hub's link), with
a connection of its own, reads the log past what HQ has acknowledged and posts it (navbat.hq's
/api/v1/hq/ingest). HQ answers its high-water marks; the next batch starts there.
Nothing here runs on the request path and nothing waits on HQ: a dead HQ or a cut WAN leaves
the log as it is and the backlog grows (backlog(), shown on /head). A batch whose answer was lost
is sent again; HQ keys events on (branch, event id), so it is stored once.

Shipping runs one way, hub to HQ. The other way is server/hqlink/relay.py: the hub keeps a long-poll
open to HQ and runs the visitors' requests HQ relays to it (its public pages), on threads of its own.

Each batch also carries the SMS budget's use (HQ's dashboard warns as it nears) and the slow hashes
of the phones holding an open remote turn here (issue 23). Before a remote turn the hub asks HQ
whether another branch holds that phone (`open_elsewhere`): a bounded wait, and if HQ does not
answer in time the turn is allowed (fail open); HQ then sees the second turn in the shipped hashes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import sqlite_utils
from navbat.foundation import sqlite_db
from navbat.foundation.config import Branch
from navbat.foundation.version import VERSION
from navbat.foundation.workers import Loop
from navbat.server.floor.transitions import LIVE
from navbat.server.hqlink.cuttable import CuttableSession
from navbat.server.visitors import budgets, remote_settings

log = logging.getLogger(__name__)
BATCH = 1000
IDLE_S = 2.0  # between looks at the log when there is nothing to send
MAX_BACKOFF_S = 30.0
CHECK_TIMEOUT_S = (1.0, 1.5)  # connect, read: the longest a remote turn waits for HQ's open-turn answer


def _state(db: sqlite_utils.Database) -> dict[str, str]:
    return {r[0]: r[1] for r in db.execute("SELECT name, value FROM hq_shipping")}


def backlog(db: sqlite_utils.Database, now: dt.datetime | None = None) -> dict[str, Any]:
    """What HQ has not acknowledged yet: events and ratings, when HQ last answered and how many
    seconds ago (None: never). /head's link card and the hub's /metrics both read it here."""
    state = _state(db)
    last = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    last_rating = db.execute("SELECT coalesce(max(seq), 0) FROM hq_rating_outbox").fetchone()[0]
    ok_at = state.get("last_ok_at")
    since = None
    if ok_at:
        since = max(((now or dt.datetime.now(dt.UTC)) - dt.datetime.fromisoformat(ok_at)).total_seconds(), 0.0)
    return {"configured": "url" in state, "url": state.get("url"),
            "events": max(last - int(state.get("events_acked", 0)), 0),
            "ratings": max(last_rating - int(state.get("ratings_acked", 0)), 0),
            "last_ok_at": ok_at, "seconds_since_ack": since, "last_error": state.get("last_error")}


def profile(branch: Branch) -> dict[str, Any]:
    """What HQ needs to make the branch's figures: its name, time zone, sub-services and targets."""
    return {"name": branch.branch.name.model_dump(), "timezone": branch.branch.timezone,
            "units": [{"code": u.code, "name": u.name.model_dump()} for u in branch.units],
            "services": [{"code": s.code, "name": s.name.model_dump(), "unit": u.code,
                          "target": s.target_wait_minutes} for u in branch.units for s in u.services]}


def open_elsewhere(shipper: Shipper | None, phone_hash: str) -> bool | None:
    """Does another branch hold an open remote turn for this phone (HQ answers, and claims the phone
    for this branch if not)? None when this hub ships nowhere or HQ did not answer within
    CHECK_TIMEOUT_S: the caller then allows the turn. Only a phone whose SMS code was right gets here,
    so the SMS budget bounds how many requests wait on HQ."""
    if shipper is None:
        return None
    try:
        r = requests.post(shipper.url.removesuffix("/ingest") + "/open-turns/check", json={"phone_hash": phone_hash},
                          headers={"Authorization": f"Bearer {shipper.token}"}, timeout=CHECK_TIMEOUT_S)
        if r.status_code == 200:
            return bool(r.json().get("open_elsewhere"))
        log.warning("HQ's open-turn check answered %s; the turn is allowed", r.status_code)
    except (requests.RequestException, ValueError) as exc:
        log.warning("HQ's open-turn check failed (%s); the turn is allowed", type(exc).__name__)
    return None


class NotLinked(Exception):
    pass


def submit_month(shipper: Shipper | None, month: str, note: str | None, by: str | None) -> dict[str, Any]:
    """Sends the head's monthly report (D9) to HQ now through the hub's link (`hub.link`); HQ answers
    its record of it. NotLinked if the hub ships nowhere; requests' errors (HQ unreachable) and
    HQRefused go to the caller."""
    if shipper is None:
        raise NotLinked("this hub does not ship to headquarters (navbat hub --hq URL --hq-token TOKEN)")
    url = shipper.url.removesuffix("/ingest") + "/submissions"
    r = shipper.http.post(url, json={"month": month, "note": note, "by": by}, timeout=15)
    if r.status_code == 400:
        raise ValueError(r.json().get("message", "refused"))
    if r.status_code != 200:
        raise HQRefused(f"HTTP {r.status_code}")
    return r.json()


class Shipper:
    def __init__(self, db_path: str | Path, branch: Branch, url: str, token: str, batch: int = BATCH,
                 idle_s: float = IDLE_S, timeout_s: float = 30.0, max_backoff_s: float = MAX_BACKOFF_S,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.db_path, self.url, self.token = str(db_path), url.rstrip("/") + "/api/v1/hq/ingest", token
        self.clock = clock  # the hub's: the SMS budget's hour and day are counted as the hub counts them
        self.branch, self.profile = branch, profile(branch)
        self.batch, self.idle_s, self.timeout_s, self.max_backoff_s = batch, idle_s, timeout_s, max_backoff_s
        self._backoff = min(1.0, max_backoff_s)
        self.http = CuttableSession()  # the worker's stop cuts a post in flight (server/hqlink/cuttable.py)
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.worker = Loop("hq-shipping", self._step, interrupt=self.http.cut, closing=self._close)

    def open(self) -> Shipper:
        """The shipper's own connection (ship_once works from here on, without the worker)."""
        if not hasattr(self, "_conn"):
            self._conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None, timeout=30)
            self.db = sqlite_db.database(self._conn)
            self._set(url=self.url.removesuffix("/api/v1/hq/ingest"))
        return self

    def start(self) -> Shipper:
        """Alone, without a hub (tests that look at its batches); a hub's is started by the hub (`Hub.attach`)."""
        self.open()
        self.worker.start()
        return self

    def stop(self) -> None:
        self.worker.stop()
        if not self.worker.join(self.timeout_s + 5):
            self._close()

    def _close(self) -> None:
        self.http.close()
        if hasattr(self, "_conn"):
            self._conn.close()

    def _set(self, **values: Any) -> None:
        # One short write on the shipper's own connection (WAL: readers are not held up).
        self.db.execute("BEGIN IMMEDIATE")
        for name, value in values.items():
            self.db.execute("INSERT OR REPLACE INTO hq_shipping (name, value) VALUES (?, ?)",
                            [name, None if value is None else str(value)])
        self.db.execute("COMMIT")

    def _step(self) -> float:
        """The worker's step: one batch; seconds until the next (HQ unreachable: a growing back-off,
        its error kept for /head)."""
        self.open()
        try:
            full = self.ship_once()
        except (requests.RequestException, HQRefused) as exc:
            wait, self._backoff = self._backoff, min(self._backoff * 2, self.max_backoff_s)
            log.warning("headquarters unreachable (%s); retrying in %.0f s", exc, wait)
            try:
                self._set(last_error=f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {exc}"[:300])
            except sqlite3.Error:
                pass
            return wait
        self._backoff = min(1.0, self.max_backoff_s)
        return 0.0 if full else self.idle_s

    def batch_after(self) -> dict[str, Any]:
        state = _state(self.db)
        after, ratings_after = int(state.get("events_acked", 0)), int(state.get("ratings_acked", 0))
        self.db.execute("BEGIN")  # one snapshot for the events and ratings of the batch
        try:
            events = [{"id": r[0], "at": r[1], "type": r[2], "actor": r[3], "ticket_id": r[4], "counter": r[5],
                       "data": json.loads(r[6])} for r in self.db.execute(
                "SELECT id, at, type, actor, ticket_id, counter, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
                [after, self.batch])]
            ratings = [{"seq": r[0], "ticket": r[1], "score": r[2], "comment": r[3], "source": r[4], "counter": r[5],
                        "clerk": r[6], "service": r[7], "at": r[8]} for r in self.db.execute(
                """SELECT o.seq, r.ticket_id, r.score, r.comment, r.source, r.counter, r.clerk, r.service, r.at
                   FROM hq_rating_outbox o JOIN ratings r ON r.ticket_id = o.ticket_id
                   WHERE o.seq > ? ORDER BY o.seq LIMIT ?""", [ratings_after, self.batch])]
            last_id = self.db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            marks = ",".join("?" * (len(LIVE) + 1))
            open_turns = [r[0] for r in self.db.execute(
                f"SELECT r.phone_hash FROM remote_phones r JOIN tickets t ON t.id = r.ticket_id "  # noqa: S608
                f"WHERE r.phone_hash IS NOT NULL AND t.state IN ({marks})", [*LIVE, "remote"])]
            now = self.clock()
            sms = budgets.sms_use(self.db, self.branch, remote_settings.budgets(self.db, self.branch), now)
        finally:
            self.db.execute("COMMIT")
        return {"after": after, "ratings_after": ratings_after, "last_id": last_id, "events": events,
                "ratings": ratings, "profile": self.profile, "restore": state.get("restored") == "1",
                "open_turns": open_turns, "budgets": {"sms": {**sms, "at": now.isoformat(timespec="seconds")}},
                "version": VERSION}  # HQ lists each hub's release

    def ship_once(self) -> bool:
        """Sends one batch (if there is anything, or to report the backlog); True if it was full."""
        body = self.batch_after()
        r = self.http.post(self.url, json=body, timeout=self.timeout_s)
        if r.status_code == 409 and r.json().get("error") == "restore_needed":
            raise HQRefused("HQ has events this branch's log does not: if the branch was restored from a backup, "
                            "restore it with `navbat restore` (HQ then takes the restored log)")
        if r.status_code == 409:  # HQ has less (or more) than we thought: resume from its marks
            marks = r.json()
            self._set(events_acked=marks["events_hwm"], ratings_acked=marks["ratings_hwm"])
            return True
        if r.status_code != 200:
            raise HQRefused(f"HTTP {r.status_code}: {r.text[:200]}")
        marks = r.json()
        self._set(events_acked=marks["events_hwm"], ratings_acked=marks["ratings_hwm"],
                  last_ok_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), last_error=None,
                  **({"restored": None} if body["restore"] else {}))  # HQ has taken the restored log
        return len(body["events"]) >= self.batch or len(body["ratings"]) >= self.batch


class HQRefused(Exception):
    pass

