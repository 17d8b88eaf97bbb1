"""Branches and HQ users, and the tokens they present.

Tokens are random and stored only as SHA-256 digests (as the hub does for devices); PINs are
scrypt-hashed by werkzeug, as the hub's, in any digits (navbat.foundation.pin_logins), and checked
on a bounded pool of their own; an unknown username is checked against a dummy hash, so that it
takes as long as a known one. A session ends at logout (the token is forgotten), after IDLE or
LONGEST, or when the user's PIN or role changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from navbat.foundation import pin_logins
from navbat.foundation.tokens import new_token
from psycopg import Connection
from werkzeug.security import check_password_hash, generate_password_hash

BRANCH_TYPES = ("premium", "1", "2", "3", "4", "5", "medical")  # D1
IDLE = dt.timedelta(hours=12)  # a dashboard left open overnight asks for the PIN again
LONGEST = dt.timedelta(days=7)
PIN_CHECKS = pin_logins.PinChecks(workers=1, waiting=2)  # scrypt: ~50 ms of a core and 32 MB each


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_branch(conn: Connection, branch_id: str, province: str, region: str, type_: str) -> str:
    """Registers the branch (or gives it a new token) and returns its token, shown only now."""
    if type_ not in BRANCH_TYPES:
        raise ValueError(f"type must be one of {', '.join(BRANCH_TYPES)}")
    token = new_token(32)
    conn.execute("""INSERT INTO branches (id, province, region, type, token_hash) VALUES (%s, %s, %s, %s, %s)
                    ON CONFLICT (id) DO UPDATE SET province=excluded.province, region=excluded.region,
                      type=excluded.type, token_hash=excluded.token_hash""",
                 [branch_id, province, region, type_, digest(token)])
    return token


def rotate_branch_token(conn: Connection, branch_id: str) -> str:
    """Gives the branch a new token (returned, shown only now); the old one stops working."""
    token = new_token(32)
    row = conn.execute("UPDATE branches SET token_hash=%s WHERE id=%s RETURNING id",
                       [digest(token), branch_id]).fetchone()
    if row is None:
        raise ValueError(f"no branch {branch_id!r} at HQ (navbat hq branch add)")
    return token


def add_user(conn: Connection, username: str, role: str, pin: str, province: str | None = None) -> None:
    if role not in ("national", "province"):
        raise ValueError("role must be national or province")
    if role == "province" and not province:
        raise ValueError("a province manager needs --province")
    pin = pin_logins.normal_pin(pin)
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("the PIN must be 4 to 12 digits (Persian, Arabic or Latin)")
    conn.execute("""INSERT INTO users (username, role, province, pin_hash) VALUES (%s, %s, %s, %s)
                    ON CONFLICT (username) DO UPDATE SET role=excluded.role, province=excluded.province,
                      pin_hash=excluded.pin_hash""",
                 [username, role, province if role == "province" else None, generate_password_hash(pin)])
    conn.execute("DELETE FROM sessions WHERE username=%s", [username])  # a changed PIN or role ends sessions


@dataclass(frozen=True)
class User:
    username: str
    role: str
    province: str | None

    def sees(self, province: str) -> bool:
        return self.role == "national" or self.province == province


@functools.cache
def _no_user_hash() -> str:
    """Checked against for an unknown username, so that it takes as long as a wrong PIN."""
    return generate_password_hash(secrets.token_hex(8))


def pin_hash_of(conn: Connection, username: str) -> str | None:
    row = conn.execute("SELECT pin_hash FROM users WHERE username=%s", [username]).fetchone()
    return row["pin_hash"] if row else None


def pin_right(run: Callable[..., bool], pin_hash: str | None, pin: str) -> bool:
    """Checks the PIN (any digits) with `run`, a slot of PIN_CHECKS (an unknown user: a dummy hash)."""
    right = run(check_password_hash, pin_hash or _no_user_hash(), pin_logins.normal_pin(pin))
    return right and pin_hash is not None


def open_session(conn: Connection, username: str) -> str:
    token = new_token(32)
    conn.execute("INSERT INTO sessions (token_hash, username) VALUES (%s, %s)", [digest(token), username])
    return token


def login(conn: Connection, username: str, pin: str) -> str | None:
    """A session token for the right PIN, else None (no limits: the API applies them, hq.login_limits)."""
    with PIN_CHECKS.slot() as run:
        right = pin_right(run, pin_hash_of(conn, username), pin)
    if not right:
        return None
    return open_session(conn, username)


def logout(conn: Connection, token: str) -> bool:
    """Ends the session: its token is forgotten, so it no longer works anywhere."""
    return conn.execute("DELETE FROM sessions WHERE token_hash=%s", [digest(token)]).rowcount > 0


def user_of(conn: Connection, token: str) -> User | None:
    """The user of a live session; a session idle for IDLE or older than LONGEST has ended."""
    row = conn.execute("""UPDATE sessions s SET last_used_at = now() FROM users u
                          WHERE s.token_hash=%s AND u.username = s.username
                            AND s.last_used_at > now() - %s AND s.created_at > now() - %s
                          RETURNING u.username, u.role, u.province""", [digest(token), IDLE, LONGEST]).fetchone()
    return User(row["username"], row["role"], row["province"]) if row else None


def branch_of(conn: Connection, token: str) -> str | None:
    row = conn.execute("SELECT id FROM branches WHERE token_hash=%s", [digest(token)]).fetchone()
    return row["id"] if row else None
