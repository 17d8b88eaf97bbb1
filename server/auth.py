"""Who may do what: clerks and branch heads log in with a PIN, devices carry tokens.

PINs are stored hashed (werkzeug's scrypt); tokens are random and stored as SHA-256.
Sessions are written through the floor's one write path, in the same transaction as
seating the clerk at their counter.

PINs cannot be guessed: every attempt is counted (as a failure until the PIN proves right)
through the write path before the PIN is checked, so no number of parallel guesses gets past
the limit; after USER_LIMIT wrong PINs for a username, or ADDRESS_LIMIT from one address,
within WINDOW, logins for it are refused (even with the right PIN) for LOCK_FIRST, twice as
long at each lockout in a row, at most LOCK_MAX. The PIN check itself (scrypt, slow) runs
outside the lock.

Sessions end: at logout; when the same user logs in at another counter (one counter at a
time); after IDLE without a request; when the branch day they began on is over; when the
user's PIN or role changes or the user is disabled (the user's credential version moves on).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from navbat.foundation.config import Branch
from navbat.foundation.tokens import new_token
from navbat.server.floor import Floor, Write
from navbat.server.hub import Hub
from navbat.server.queries import counter_row
from navbat.server.refusals import Invalid, Refused, Unauthorized
from navbat.server.times import iso, parse_iso, utcnow
from werkzeug.security import check_password_hash, generate_password_hash

# scrypt takes 32 MB and ~50 ms of a core per check (outside the GIL): one at a time, so that a
# crowd of logins or guesses queues for them instead of taking the hub's memory (32 threads x 32 MB)
# and both cores of a branch PC from the kiosks.
PIN_CHECKS = threading.BoundedSemaphore(1)
ROLES = ("clerk", "head")
DEVICE_ROLES = ("kiosk", "display", "tablet", "monitor")  # a tablet rates the visitors of its own counter;
# a monitor (Prometheus) reads /metrics

USER_LIMIT = 5  # wrong PINs for one username within WINDOW
# Wrong PINs from one address (the TCP peer, request.remote_addr) within WINDOW, whichever
# usernames they name: what stops one machine trying a PIN on every user. Above what a PC
# shared by a shift of clerks mistypes, far below a guessing script.
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=10)
LOCK_FIRST = dt.timedelta(minutes=1)
LOCK_MAX = dt.timedelta(minutes=30)  # 5 guesses per half hour: a 4-digit PIN needs weeks, always in sight
LOCK_MEMORY = dt.timedelta(hours=24)  # a day without a lockout and the doubling starts again
# An open console keeps its session alive by its own reads (the clerk's re-reads its counter at
# every event, the head's its floor), so this only ends sessions nobody uses: a closed tab, a
# PC left switched off, a token copied away. Two hours outlast a lunch break and the longest
# visit; the end of the branch day ends every session anyway.
IDLE = dt.timedelta(hours=2)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last use is written at most this often per session


@dataclass(frozen=True)
class Principal:
    name: str
    role: str  # clerk | head | kiosk | display | tablet | monitor
    counter: int | None = None  # a clerk's counter, or a tablet's
    token_hash: str | None = None


class TooManyAttempts(Refused):
    """Logins for this username or from this address are locked out (HTTP 429, Retry-After)."""

    def __init__(self, until: dt.datetime, now: dt.datetime) -> None:
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        super().__init__("too_many_attempts", f"too many wrong PINs: try again in {self.retry_after} s")


class SessionExpired(Unauthorized):
    """A session that existed and has ended: the console asks for the PIN again."""

    def __init__(self, why: str) -> None:
        super().__init__("session_expired", f"this session has ended ({why}); log in again")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _no_user_hash() -> str:
    """Checked against for an unknown username, so that it takes as long as a wrong PIN."""
    return generate_password_hash(secrets.token_hex(8))


# ---- the command line (users and devices are not part of the floor) ----------------------

def add_user(db: sqlite_utils.Database, username: str, role: str, pin: str, display_name: str | None = None) -> None:
    """Adds a user, or resets their PIN and role (and enables them): their sessions end."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("the PIN must be 4 to 12 digits")
    db.execute("""INSERT INTO users (username, role, pin_hash, display_name, created_at) VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT (username) DO UPDATE SET role=excluded.role, pin_hash=excluded.pin_hash,
                  display_name=coalesce(excluded.display_name, display_name), disabled=0, credential=credential+1""",
               [username, role, generate_password_hash(pin), display_name or None, iso(utcnow())])


def disable_user(db: sqlite_utils.Database, username: str) -> bool:
    """No more logins, and every session of the user ends; `add_user` enables them again."""
    cur = db.execute("UPDATE users SET disabled=1, credential=credential+1 WHERE username=?", [username])
    return cur.rowcount > 0


def add_device(db: sqlite_utils.Database, name: str, role: str, counter: int | None = None) -> str:
    """Registers (or re-keys) a device and returns its new token; only the hash is kept."""
    if role not in DEVICE_ROLES:
        raise ValueError(f"role must be one of {', '.join(DEVICE_ROLES)}")
    if (role == "tablet") != (counter is not None):
        raise ValueError("a tablet names its counter (--counter N); other devices do not")
    if counter is not None and counter < 1:
        raise ValueError("the counter must be a counter number")
    token = new_token(24)
    db["devices"].upsert({"name": name, "role": role, "token_hash": _hash(token), "counter": counter,
                          "created_at": iso(utcnow())}, pk="name")
    return token


def display_name(db: sqlite_utils.Database, username: str | None) -> str | None:
    """What the public may see of a clerk: the name the branch gave them, never the username."""
    row = db.execute("SELECT display_name FROM users WHERE username=?", [username]).fetchone() if username else None
    return row[0] if row else None


# ---- logging in and out ------------------------------------------------------------------

def login(floor: Floor, db: sqlite_utils.Database, username: str, pin: str, counter: int | None,
          address: str = "unknown") -> str:
    """A new session token; `db` is a reader for the PIN check (scrypt is slow: not under the lock)."""
    now = floor.clock()
    _refuse_if_locked(db, username, address, now)  # a locked-out flood costs a read, never a write
    attempt = _admit(floor, username, address)
    user = db.execute("SELECT role, pin_hash, disabled, credential FROM users WHERE username=?",
                      [username]).fetchone()
    with PIN_CHECKS:
        right = check_password_hash(user[1] if user else _no_user_hash(), pin)
    if not right or user is None or user[2]:
        _failed(floor, username, address)
        raise Unauthorized("bad_credentials", "unknown user or wrong PIN")
    try:
        if user[0] == "clerk" and counter is None:
            raise Invalid("counter_required", "a clerk must name the counter they sit at")
        if counter is not None:
            counter_row(db, floor.branch, counter)  # 404 for an unknown counter
        return _open_session(floor, username, counter, user[3], attempt)
    except Refused:
        with floor.write() as tx:  # the PIN was right: this attempt is no failure
            tx.db.execute("DELETE FROM login_failures WHERE id=?", [attempt])
        raise


def _open_session(floor: Floor, username: str, counter: int | None, credential: int, attempt: int) -> str:
    token = new_token(24)
    with floor.write() as tx:
        tx.db.execute("DELETE FROM login_failures WHERE id=?", [attempt])
        # The PIN proved right: the user's earlier wrong ones no longer count (the doubling stays).
        tx.db.execute("""INSERT INTO login_lockouts (kind, name, lockouts, since, until) VALUES ('username', ?, 0, ?, ?)
                         ON CONFLICT (kind, name) DO UPDATE SET since=excluded.since""",
                      [username, iso(tx.now), iso(tx.now)])
        if counter is not None:
            _free_if_abandoned(floor, tx, counter, username)
            seat = tx.db.execute("SELECT number FROM counters WHERE clerk=?", [username]).fetchone()
            floor.set_clerk(counter, username, seat[0] if seat else None)
            # One counter at a time: the user's sessions at another counter end. Their other sessions
            # (a second tab at the same counter, a head's consoles) go on, so a login, even a guessed
            # one, never logs the real user out.
            tx.db.execute("""UPDATE sessions SET ended_at=? WHERE username=? AND ended_at IS NULL
                             AND counter IS NOT NULL AND counter != ?""", [iso(tx.now), username, counter])
        tx.db.execute("""INSERT INTO sessions (token_hash, username, counter, created_at, credential, last_used_at)
                         VALUES (?, ?, ?, ?, ?, ?)""",
                      [_hash(token), username, counter, iso(tx.now), credential, iso(tx.now)])
    return token


def _free_if_abandoned(floor: Floor, tx: Write, counter: int, username: str) -> None:
    """A counter still held by a clerk whose sessions have all ended (idle, the day over) and
    with nobody at it is free again: the clerk logging in there would otherwise find it taken."""
    row = counter_row(tx.db, floor.branch, counter)
    other = row["clerk"]
    if other is None or other == username or row["current_ticket"] is not None:
        return
    sessions = tx.db.query(f"{_SESSION_SQL} WHERE s.username=? AND s.counter=? AND s.ended_at IS NULL",
                           [other, counter])
    if not any(_why_ended(s, tx.now, floor.branch) is None for s in sessions):
        floor.set_clerk(None, other, previous=counter)


def logout(floor: Floor, who: Principal) -> None:
    with floor.write() as tx:
        if who.counter is not None:
            floor.set_clerk(None, who.name, previous=who.counter)
            # leaving the counter: every session of the user there ends with this one
            tx.db.execute("UPDATE sessions SET ended_at=? WHERE username=? AND counter=? AND ended_at IS NULL",
                          [iso(tx.now), who.name, who.counter])
        tx.db.execute("UPDATE sessions SET ended_at=? WHERE token_hash=?", [iso(tx.now), who.token_hash])


# ---- who is calling ----------------------------------------------------------------------

_SESSION_SQL = """SELECT s.username, u.role, s.counter, s.created_at, s.last_used_at, s.ended_at,
                         s.credential, u.credential AS user_credential, u.disabled
                  FROM sessions s JOIN users u USING (username)"""


def _why_ended(s: dict[str, Any], now: dt.datetime, branch: Branch) -> str | None:
    if s["ended_at"] is not None:
        return "logged out, or logged in at another counter"
    if s["disabled"]:
        return "the user is disabled"
    if s["credential"] != s["user_credential"]:
        return "the PIN or role changed"
    if now - parse_iso(s["last_used_at"] or s["created_at"]) > IDLE:
        return f"no request for {IDLE.total_seconds() / 3600:g} hours"
    if branch.branch_day(parse_iso(s["created_at"])) < branch.branch_day(now):
        return "the branch day it began on is over"
    return None


def identify(hub: Hub, token: str) -> Principal | None:
    """The session or device this token belongs to, or None; a session that has ended raises
    SessionExpired. Records the session's last use, at most once every TOUCH_EVERY."""
    h, now = _hash(token), hub.clock()
    with hub.read() as db:
        s = next(db.query(f"{_SESSION_SQL} WHERE s.token_hash=?", [h]), None)
        if s is None:
            row = db.execute("SELECT name, role, counter FROM devices WHERE token_hash=?", [h]).fetchone()
            return Principal(row[0], row[1], row[2], h) if row else None
    why = _why_ended(s, now, hub.branch)
    if why is not None:
        raise SessionExpired(why)
    if now - parse_iso(s["last_used_at"] or s["created_at"]) >= TOUCH_EVERY:
        with hub.floor.write() as tx:
            tx.db.execute("UPDATE sessions SET last_used_at=? WHERE token_hash=?", [iso(tx.now), h])
    return Principal(s["username"], s["role"], s["counter"], h)


# ---- the limits on wrong PINs ------------------------------------------------------------

def _keys(username: str, address: str) -> tuple[tuple[str, str, int], ...]:
    """(kind, name, limit); the kind is also the column of login_failures that names it."""
    return ("username", username, USER_LIMIT), ("address", address, ADDRESS_LIMIT)


def _refuse_if_locked(db: sqlite_utils.Database, username: str, address: str, now: dt.datetime) -> None:
    for kind, name, _ in _keys(username, address):
        row = db.execute("SELECT until FROM login_lockouts WHERE kind=? AND name=? AND until > ?",
                         [kind, name, iso(now)]).fetchone()
        if row:
            raise TooManyAttempts(parse_iso(row[0]), now)


def _due(tx: Write, username: str, address: str) -> dt.datetime | None:
    """The end of the lockout this username or address is under, locking it now if its wrong
    PINs (those still being checked included) reached the limit; None if it may try."""
    ends = []
    for kind, name, limit in _keys(username, address):
        lock = tx.db.execute("SELECT since, until FROM login_lockouts WHERE kind=? AND name=?",
                             [kind, name]).fetchone()
        if lock and parse_iso(lock[1]) > tx.now:
            ends.append(parse_iso(lock[1]))
            continue
        since = max(iso(tx.now - WINDOW), lock[0] if lock else "")
        failures = tx.db.execute(f"SELECT count(*) FROM login_failures WHERE {kind}=? AND at > ?",
                                 [name, since]).fetchone()[0]
        if failures >= limit:
            ends.append(_lock(tx, kind, name, address))
    return max(ends, default=None)


def _lock(tx: Write, kind: str, name: str, address: str) -> dt.datetime:
    row = tx.db.execute("SELECT lockouts, until FROM login_lockouts WHERE kind=? AND name=?", [kind, name]).fetchone()
    n = row[0] + 1 if row and parse_iso(row[1]) > tx.now - LOCK_MEMORY else 1
    until = tx.now + min(LOCK_FIRST * 2 ** min(n - 1, 16), LOCK_MAX)
    tx.db.execute("""INSERT INTO login_lockouts (kind, name, lockouts, since, until, address) VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (kind, name) DO UPDATE SET lockouts=excluded.lockouts, since=excluded.since,
                     until=excluded.until, address=excluded.address""",
                  [kind, name, n, iso(tx.now), iso(until), address])
    return until


def _admit(floor: Floor, username: str, address: str) -> int:
    """Counts this attempt as a wrong PIN until it proves right; refuses it if locked out."""
    with floor.write() as tx:
        until, now = _due(tx, username, address), tx.now
        if until is None:
            return tx.db.execute("INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                                 [username, address, iso(tx.now)]).lastrowid
    raise TooManyAttempts(until, now)  # after the commit: the lockout it began is kept


def _failed(floor: Floor, username: str, address: str) -> None:
    """A wrong PIN (already counted): the lockout begins at once if it was the last one allowed."""
    with floor.write() as tx:
        _due(tx, username, address)
        old = iso(tx.now - LOCK_MEMORY)
        tx.db.execute("DELETE FROM login_failures WHERE at < ?", [old])
        tx.db.execute("DELETE FROM login_lockouts WHERE until < ?", [old])


def lockouts(db: sqlite_utils.Database, now: dt.datetime) -> list[dict[str, Any]]:
    """Usernames and addresses locked out now, for the head's live floor, the latest first:
    [{"kind": "username" | "address", "username": str | None, "address": str (the address
    locked out, or the last one that failed for the username), "until": ISO 8601 UTC,
    "lockouts": how many in a row}]."""
    rows = db.query("""SELECT kind, name, lockouts, until, address FROM login_lockouts WHERE until > ?
                       ORDER BY until DESC""", [iso(now)])
    return [{"kind": r["kind"], "username": r["name"] if r["kind"] == "username" else None,
             "address": r["address"], "until": r["until"], "lockouts": r["lockouts"]} for r in rows]
