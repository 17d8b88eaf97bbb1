"""Who may do what: clerks and branch heads log in with a PIN, devices carry tokens.

PINs are stored hashed (werkzeug's scrypt); tokens are random and stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from server.floor import Floor, FloorError, iso, utcnow

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


def login(floor: Floor, username: str, pin: str, counter: int | None) -> str:
    user = floor.db.execute("SELECT role, pin_hash FROM users WHERE username=?", [username]).fetchone()
    if user is None or not check_password_hash(user[1], pin):
        raise FloorError(401, "bad_credentials", "unknown user or wrong PIN")
    role = user[0]
    if role == "clerk" and counter is None:
        raise FloorError(400, "counter_required", "a clerk must name the window they sit at")
    if counter is not None:
        floor.counter_row(counter)  # 404 for an unknown window
    with floor.lock:
        previous = floor.db.execute(
            "SELECT counter FROM sessions WHERE username=? AND ended_at IS NULL AND counter IS NOT NULL",
            [username]).fetchone()
        if counter is not None:
            floor.set_clerk(counter, username, previous[0] if previous else None)
        # One window at a time: a new login ends the clerk's other sessions.
        floor.db.execute("UPDATE sessions SET ended_at=? WHERE username=? AND ended_at IS NULL",
                         [iso(utcnow()), username])
        token = secrets.token_urlsafe(24)
        floor.db.execute("INSERT INTO sessions (token_hash, username, counter, created_at) VALUES (?, ?, ?, ?)",
                         [_hash(token), username, counter, iso(utcnow())])
    return token


def logout(floor: Floor, who: Principal) -> None:
    with floor.lock:
        if who.counter is not None:
            floor.set_clerk(None, who.name, previous=who.counter)
        floor.db.execute("UPDATE sessions SET ended_at=? WHERE token_hash=?", [iso(utcnow()), who.token_hash])


def authenticate(db: sqlite_utils.Database, token: str) -> Principal | None:
    h = _hash(token)
    row = db.execute("""SELECT s.username, u.role, s.counter FROM sessions s JOIN users u USING (username)
                        WHERE s.token_hash=? AND s.ended_at IS NULL""", [h]).fetchone()
    if row:
        return Principal(row[0], row[1], row[2], h)
    row = db.execute("SELECT name, role FROM devices WHERE token_hash=?", [h]).fetchone()
    return Principal(row[0], row[1], None, h) if row else None
