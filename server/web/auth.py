"""Who may do what: clerks and branch heads log in with a PIN, devices carry tokens.

PINs are stored hashed (werkzeug's scrypt); tokens are random and stored as SHA-256.
Sessions are written through the floor's one write path, in the same transaction as
seating the clerk at their counter.

PINs cannot be guessed, and guessing cannot lock a clerk out: the rules (what is counted under
which key, the waits, the known devices, the guesses a day they allow) are navbat.foundation.
pin_logins's, shared with HQ. Here every attempt is counted through the floor's write path (a row
in login_failures, under the address or the known device it came from) before the PIN is checked,
so no number of parallel guesses gets past a limit; the check itself (scrypt, slow) runs on the
bounded pool of PIN checks, outside the lock and off the request's thread.

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
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from navbat.foundation import pin_logins
from navbat.foundation.config import Branch
from navbat.foundation.tokens import new_token
from navbat.server.floor.floor import Floor, Write
from navbat.server.floor.queries import counter_row, dict_rows
from navbat.server.floor.refusals import TOO_MANY_WORDS, Invalid, Refused, TooMany, Unauthorized
from navbat.server.floor.times import iso, parse_iso, utcnow
from navbat.server.hub import Hub
from werkzeug.security import check_password_hash, generate_password_hash

# scrypt takes 32 MB and ~50 ms of a core per check: one at a time (and two waiting), so that a
# crowd of logins or guesses is refused at once instead of taking the hub's threads, memory and
# both cores of a branch PC from the kiosks; a known device has a slot of its own.
PIN_CHECKS = pin_logins.PinChecks(workers=1, waiting=2)


def refuse_if_busy(now: dt.datetime) -> None:
    """Before anything is read for a login from an unknown device: a crowd is refused at no cost."""
    if PIN_CHECKS.full():
        raise ChecksBusy(now)


def checks_busy() -> TooMany | None:
    """The refusal of refuse_if_busy, if it applies now (for the server's event loop: server.web.loginpace)."""
    return ChecksBusy(utcnow()) if PIN_CHECKS.full() else None
ROLES = ("clerk", "head")
DEVICE_ROLES = ("kiosk", "display", "tablet", "monitor")  # a tablet rates the visitors of its own counter;
# a monitor (Prometheus) reads /metrics

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


class TooManyAttempts(TooMany):
    """Logins for this username or from this address are locked out (HTTP 429, Retry-After).
    `address_until`: when the address's own lock (every username, unknown devices) ends, if it is one."""

    def __init__(self, until: dt.datetime, now: dt.datetime,
                 message: str = "too many wrong PINs: try again in {} s", words: str | None = None,
                 address_until: dt.datetime | None = None) -> None:
        wait = max(1, math.ceil((until - now).total_seconds()))
        super().__init__("too_many_attempts", message.format(wait), wait, words)
        self.address_until = address_until


class ChecksBusy(TooManyAttempts):
    """Every PIN-check slot is taken (a crowd of logins or guesses): try again in a second."""

    def __init__(self, now: dt.datetime) -> None:
        super().__init__(now + dt.timedelta(seconds=pin_logins.Busy.retry_after), now,
                         "too many logins at once: try again in {} s", TOO_MANY_WORDS["logins_busy"])


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
    pin = pin_logins.normal_pin(pin)
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
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
          address: str = "unknown", device: str | None = None) -> tuple[str, str]:
    """(a new session token, a device token for the next login from here); `db` is a reader for
    the PIN check. `device` is the token an earlier good login from here gave (or None)."""
    now = floor.clock()
    user = db.execute("SELECT role, pin_hash, disabled, credential FROM users WHERE username=?",
                      [username]).fetchone()
    known = pin_logins.device_key(device, username, user[1] if user else None, now)
    _refuse_if_locked(db, username, address, known, now)  # a locked-out flood costs a read, never a write
    try:
        with PIN_CHECKS.slot(known is not None) as run:  # a crowd past the bound: 429 at once, nothing written
            attempt = _admit(floor, username, address, known)
            right = run(check_password_hash, user[1] if user else _no_user_hash(), pin_logins.normal_pin(pin))
    except pin_logins.Busy:
        raise ChecksBusy(now) from None
    if not right or user is None or user[2]:
        raise Unauthorized("bad_credentials", "unknown user or wrong PIN")
    try:
        if user[0] == "clerk" and counter is None:
            raise Invalid("counter_required", "a clerk must name the counter they sit at")
        if counter is not None:
            counter_row(db, floor.branch, counter)  # 404 for an unknown counter
        token = _open_session(floor, username, counter, user[3], known or address)
    except Refused:
        with floor.write() as tx:  # the PIN was right: this attempt is no failure
            tx.db.execute("DELETE FROM login_failures WHERE id=?", [attempt])
        raise
    return token, pin_logins.device_token(username, user[1], now)


def _open_session(floor: Floor, username: str, counter: int | None, credential: int, source: str) -> str:
    token = new_token(24)
    with floor.write() as tx:
        # The PIN proved right: this attempt and the earlier wrong ones from the same address (or
        # known device) no longer count; the address's and the crowd's counts are theirs to keep.
        tx.db.execute("DELETE FROM login_failures WHERE username=? AND address=?", [username, source])
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
        s = next(iter(dict_rows(db, f"{_SESSION_SQL} WHERE s.token_hash=?", [h])), None)
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


# ---- the limits on wrong PINs (navbat.foundation.pin_logins) -------------------------------

def _counts(db: sqlite_utils.Database, username: str, address: str, known: str | None,
            now: dt.datetime) -> list[tuple[str, str | None, str | None, dt.datetime | None]]:
    """[(kind, username, address, locked until or None)] for each key this login counts under."""
    since = iso(now - pin_logins.MEMORY)
    if known:
        keys = [("username", username, known, pin_logins.FREE_PAIR,
                 "username=? AND address=?", [username, known])]
    else:
        keys = [("username", username, address, pin_logins.FREE_PAIR, "username=? AND address=?", [username, address]),
                ("address", None, address, pin_logins.FREE_ADDRESS, "address=?", [address]),
                ("username", username, None, pin_logins.FREE_USER,
                 f"username=? AND address NOT LIKE '{pin_logins.DEVICE_PREFIX}%'", [username])]
    out = []
    for kind, who, where, free, sql, args in keys:
        times = [parse_iso(r[0]) for r in db.execute(
            f"SELECT at FROM login_failures WHERE {sql} AND at > ?", [*args, since]).fetchall()]
        until = pin_logins.locked_until(times, free)
        out.append((kind, who, where, until if until and until > now else None))
    return out


def _refuse_if_locked(db: sqlite_utils.Database, username: str, address: str, known: str | None,
                      now: dt.datetime) -> None:
    _raise_if_locked(_counts(db, username, address, known, now), now)


def _raise_if_locked(counts: list[tuple[str, str | None, str | None, dt.datetime | None]], now: dt.datetime) -> None:
    ends = [until for *_, until in counts if until]
    if ends:
        raise TooManyAttempts(max(ends), now, address_until=next(
            (until for kind, _, _, until in counts if kind == "address" and until), None))


def _admit(floor: Floor, username: str, address: str, known: str | None) -> int:
    """Counts this attempt as a wrong PIN until it proves right; refuses it if locked out."""
    with floor.write() as tx:
        counts = _counts(tx.db, username, address, known, tx.now)
        if not any(until for *_, until in counts):
            attempt = tx.db.execute("INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                                    [username, known or address, iso(tx.now)]).lastrowid
            if attempt % 100 == 0:  # now and then, failures past the memory are forgotten
                tx.db.execute("DELETE FROM login_failures WHERE at < ?", [iso(tx.now - pin_logins.MEMORY)])
            return attempt
    _raise_if_locked(counts, tx.now)
    raise AssertionError("unreachable: a lock was found")


def unlock(floor: Floor, username: str | None = None, address: str | None = None) -> int:
    """The head lifts the locks on a username (from every address) or on an address; returns how many
    wrong PINs were forgotten."""
    with floor.write() as tx:
        if username is not None:
            return tx.db.execute("DELETE FROM login_failures WHERE username=?", [username]).rowcount
        return tx.db.execute("DELETE FROM login_failures WHERE address=?", [address]).rowcount


def lockouts(db: sqlite_utils.Database, now: dt.datetime) -> list[dict[str, Any]]:
    """Usernames and addresses locked out now, for the head's live floor, the latest first:
    [{"kind": "username" | "address", "username": str | None, "address": str | None (the address
    locked out, or the one the username is locked out from; None: from every unknown device),
    "until": ISO 8601 UTC, "lockouts": the wrong PINs remembered}]."""
    rows = db.execute("SELECT username, address, at FROM login_failures WHERE at > ?",
                      [iso(now - pin_logins.MEMORY)]).fetchall()
    groups: dict[tuple[str, str | None, str | None, int], list[dt.datetime]] = {}
    for username, address, at in rows:
        when = parse_iso(at)
        groups.setdefault(("username", username, address, pin_logins.FREE_PAIR), []).append(when)
        if not address.startswith(pin_logins.DEVICE_PREFIX):
            groups.setdefault(("address", None, address, pin_logins.FREE_ADDRESS), []).append(when)
            groups.setdefault(("username", username, None, pin_logins.FREE_USER), []).append(when)
    out = []
    for (kind, username, address, free), times in groups.items():
        until = pin_logins.locked_until(times, free)
        if until and until > now:
            out.append({"kind": kind, "username": username, "address": address, "until": iso(until),
                        "lockouts": len(times)})
    return sorted(out, key=lambda lo: lo["until"], reverse=True)
