"""One-time codes that prove a visitor holds a mobile phone (remote turns, appointments).

    send_code(floor, outbox, phone, address)   # POST /api/v1/remote/verify: stores and texts a code
    phone = check_code(floor, phone, code)      # raises a Refused if the code is not right (counts the try)
    with floor.write() as tx:                   # then, in the write that makes the turn or booking:
        use_code(tx, phone)                     # uses it up (refused if a parallel request did first)

`normal_phone` turns what a visitor typed (Persian digits, +98, spaces) into 09xxxxxxxxx. A code
lasts CODE_TTL and allows CODE_TRIES guesses; a new code replaces the old one. Sending is limited
per phone (one a minute, PHONE_PER_HOUR an hour) and per address (ADDRESS_PER_HOUR), and stops
for everyone once the branch's SMS budget for the hour or the day is used (server/visitors/budgets.py): a
refusal is a `refusals.TooMany` (HTTP 429 with Retry-After).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import threading

from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import fa_digits, latin_digits
from navbat.server.floor import refusals
from navbat.server.floor.floor import Floor, Write
from navbat.server.floor.refusals import Forbidden, Invalid, Refused  # noqa: F401 - callers catch verify.Refused
from navbat.server.floor.times import iso, parse_iso
from navbat.server.visitors import budgets, remote_settings
from navbat.server.visitors.sms import Outbox

CODE_DIGITS = 5
CODE_TTL = dt.timedelta(minutes=5)
CODE_TRIES = 3
PHONE_GAP = dt.timedelta(seconds=60)
PHONE_PER_HOUR = 5
ADDRESS_PER_HOUR = 20
_PHONE = re.compile(r"^09\d{9}$")
_HASHING = threading.BoundedSemaphore(2)  # phone_hash: 16 MB each


class TooMany(refusals.TooMany):
    """Too many codes asked for this phone or from this address: wait `retry_after` seconds (HTTP 429)."""

    def __init__(self, message: str, until: dt.datetime, now: dt.datetime) -> None:
        wait = max(1, math.ceil((until - now).total_seconds()))
        super().__init__("too_many_requests", f"{message}; try again in {wait} s", wait)


def normal_phone(value: object) -> str:
    """An Iranian mobile number as 09xxxxxxxxx; Invalid("bad_phone") otherwise."""
    if not isinstance(value, str):
        raise Invalid("bad_phone", "phone must be a mobile number such as 09121234567")
    text = re.sub(r"[\s\-()]", "", latin_digits(value))
    if text.startswith("+98"):
        text = "0" + text[3:]
    elif text.startswith("0098"):
        text = "0" + text[4:]
    elif text.startswith("98") and len(text) == 12:
        text = "0" + text[2:]
    elif text.startswith("9") and len(text) == 10:
        text = "0" + text
    if not _PHONE.match(text):
        raise Invalid("bad_phone", "phone must be a mobile number such as 09121234567")
    return text


def phone_hash(phone: str) -> str:
    """What the hub ships to HQ for a phone with an open remote turn (issue 23), never the number: a slow
    hash (about 60 ms and 16 MB), so that trying all 10^9 mobile numbers costs CPU-years. The same at
    every branch (no key), so HQ can match it: pseudonymous, not anonymous. Two at a time, whatever
    the number of request threads: memory stays bounded."""
    with _HASHING:
        return hashlib.scrypt(phone.encode(), salt=b"navbat:open-turn:v1", n=2**14, r=8, p=1, dklen=16).hex()


def _hash(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def send_code(floor: Floor, outbox: Outbox, phone: str, address: str) -> None:
    """Stores a new code for `phone` and queues its SMS (in the same transaction)."""
    phone = normal_phone(phone)
    with floor.write() as tx:
        now, hour_ago = tx.now, iso(tx.now - dt.timedelta(hours=1))
        x = tx.db.execute
        last = x("SELECT max(at) FROM phone_code_sends WHERE phone=?", [phone]).fetchone()[0]
        if last is not None and parse_iso(last) + PHONE_GAP > now:
            raise TooMany("a code was just sent to this phone", parse_iso(last) + PHONE_GAP, now)
        for column, value, limit in (("phone", phone, PHONE_PER_HOUR), ("address", address, ADDRESS_PER_HOUR)):
            rows = x(f"SELECT at FROM phone_code_sends WHERE {column}=? AND at>=? ORDER BY at",  # noqa: S608
                     [value, hour_ago]).fetchall()
            if len(rows) >= limit:
                raise TooMany(f"too many codes for this {column}", parse_iso(rows[0][0]) + dt.timedelta(hours=1), now)
        budgets.refuse_code_if_spent(tx.db, floor.branch, remote_settings.budgets(tx.db, floor.branch), now)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        x("INSERT INTO phone_code_sends (phone, address, at) VALUES (?, ?, ?)", [phone, address, iso(now)])
        x("DELETE FROM phone_code_sends WHERE at < ?", [iso(now - dt.timedelta(days=1))])  # only the last hour counts
        x("""INSERT INTO phone_codes (phone, code_hash, expires_at, tries) VALUES (?, ?, ?, 0)
             ON CONFLICT (phone) DO UPDATE SET code_hash=excluded.code_hash, expires_at=excluded.expires_at, tries=0""",
          [phone, _hash(phone, code), iso(now + CODE_TTL)])
        _ = gettext_for("remote", "fa")
        outbox.queue(tx, phone, _("Navbat code: {code}").format(code=fa_digits(code)), "code")


def check_code(floor: Floor, phone: object, code: object) -> str:
    """The phone (normalised) if `code` is its current code. Refuses with Invalid bad_phone/bad_code,
    Forbidden no_code (none asked, expired or out of tries) or wrong_code (the try is counted).
    Not used up here: `use_code` in the write that acts on it, so a refused turn keeps the code."""
    phone = normal_phone(phone)
    if not isinstance(code, str | int) or isinstance(code, bool):
        raise Invalid("bad_code", "code must be the digits sent by SMS")
    typed = latin_digits(str(code)).strip()
    with floor.write() as tx:
        row = tx.db.execute("SELECT code_hash, expires_at, tries FROM phone_codes WHERE phone=?", [phone]).fetchone()
        if row is None or parse_iso(row[1]) <= tx.now or row[2] >= CODE_TRIES:
            raise Forbidden("no_code", "no valid code for this phone: ask for a new one")
        if not hmac.compare_digest(row[0], _hash(phone, typed)):
            tx.db.execute("UPDATE phone_codes SET tries=tries+1 WHERE phone=?", [phone])
            wrong = WrongCode(CODE_TRIES - row[2] - 1)
        else:
            return phone
    raise wrong  # after the commit: the wrong guess is counted


def use_code(tx: Write, phone: str) -> None:
    """Inside the write that acts on a checked code: the code is gone after it."""
    if tx.db.execute("DELETE FROM phone_codes WHERE phone=?", [phone]).rowcount != 1:
        raise Forbidden("no_code", "this code was already used: ask for a new one")


class WrongCode(Forbidden):
    def __init__(self, tries_left: int) -> None:
        super().__init__("wrong_code", f"wrong code; {tries_left} tries left")
        self.tries_left = tries_left
