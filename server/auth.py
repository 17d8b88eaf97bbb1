"""Who may do what: clerks and branch heads log in with a PIN, devices carry tokens.

PINs are stored hashed (werkzeug's scrypt); tokens are random and stored as SHA-256.
Sessions are written through the floor's one write path, in the same transaction as
seating the clerk at their counter.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from server.floor import Floor
from server.queries import counter_row
from server.refusals import Invalid, Unauthorized
from server.times import iso, utcnow

ROLES = ("clerk", "head")
DEVICE_ROLES = ("kiosk", "display")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str  # clerk | head | kiosk | display
    counter: int | None = None
    token_hash: str | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(db: sqlite_utils.Database, username: str, role: str, pin: str, display_name: str | None = None) -> None:
    """From the command line, before or beside a running hub (users are not part of the floor)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("the PIN must be 4 to 12 digits")
    db["users"].upsert({"username": username, "role": role, "pin_hash": generate_password_hash(pin),
                        "display_name": display_name or username, "created_at": iso(utcnow())}, pk="username")


def add_device(db: sqlite_utils.Database, name: str, role: str) -> str:
    """Registers (or re-keys) a device and returns its new token; only the hash is kept."""
    if role not in DEVICE_ROLES:
        raise ValueError(f"role must be one of {', '.join(DEVICE_ROLES)}")
    token = secrets.token_urlsafe(24)
    db["devices"].upsert({"name": name, "role": role, "token_hash": _hash(token), "created_at": iso(utcnow())},
                         pk="name")
    return token


def login(floor: Floor, db: sqlite_utils.Database, username: str, pin: str, counter: int | None) -> str:
    """A new session token; `db` is a reader for the PIN check (scrypt is slow: not under the lock)."""
    user = db.execute("SELECT role, pin_hash FROM users WHERE username=?", [username]).fetchone()
    if user is None or not check_password_hash(user[1], pin):
        raise Unauthorized("bad_credentials", "unknown user or wrong PIN")
    if user[0] == "clerk" and counter is None:
        raise Invalid("counter_required", "a clerk must name the counter they sit at")
    if counter is not None:
        counter_row(db, floor.branch, counter)  # 404 for an unknown counter
    token = secrets.token_urlsafe(24)
    with floor.write() as tx:
        previous = tx.db.execute(
            "SELECT counter FROM sessions WHERE username=? AND ended_at IS NULL AND counter IS NOT NULL",
            [username]).fetchone()
        if counter is not None:
            floor.set_clerk(counter, username, previous[0] if previous else None)
        # One counter at a time: a new login ends the clerk's other sessions.
        tx.db.execute("UPDATE sessions SET ended_at=? WHERE username=? AND ended_at IS NULL", [iso(tx.now), username])
        tx.db.execute("INSERT INTO sessions (token_hash, username, counter, created_at) VALUES (?, ?, ?, ?)",
                      [_hash(token), username, counter, iso(tx.now)])
    return token


def logout(floor: Floor, who: Principal) -> None:
    with floor.write() as tx:
        if who.counter is not None:
            floor.set_clerk(None, who.name, previous=who.counter)
        tx.db.execute("UPDATE sessions SET ended_at=? WHERE token_hash=?", [iso(tx.now), who.token_hash])


def authenticate(db: sqlite_utils.Database, token: str) -> Principal | None:
    h = _hash(token)
    row = db.execute("""SELECT s.username, u.role, s.counter FROM sessions s JOIN users u USING (username)
                        WHERE s.token_hash=? AND s.ended_at IS NULL""", [h]).fetchone()
    if row:
        return Principal(row[0], row[1], row[2], h)
    row = db.execute("SELECT name, role FROM devices WHERE token_hash=?", [h]).fetchone()
    return Principal(row[0], row[1], None, h) if row else None
