"""Wrong PINs at HQ, under the rules a branch hub follows (navbat.foundation.pin_logins: per
username and address, per address, per username from unknown devices, each with a doubling wait;
a known device counted apart; a national manager can unlock). HQ is reachable from every branch's
network, so its managers' PINs need the same protection the branch hubs give their clerks'.

Every attempt is recorded as a failure before its PIN is checked, in one transaction that first
takes a PostgreSQL advisory lock on each of its keys: parallel guesses under one key are counted
one after the other, so none gets past a limit (before, 100 at once got 12 tried with a limit of 5).
"""

from __future__ import annotations

import random

from navbat.foundation import pin_logins
from psycopg import Connection


def _keys(username: str, source: str, known: bool) -> list[tuple[str, int, str, list[str]]]:
    """(lock name, free failures, WHERE over login_failures, its arguments) for each key."""
    pair = (f"pair\n{username}\n{source}", pin_logins.FREE_PAIR, "username=%s AND address=%s", [username, source])
    if known:
        return [pair]
    return [pair, (f"address\n{source}", pin_logins.FREE_ADDRESS, "address=%s", [source]),
            (f"user\n{username}", pin_logins.FREE_USER,
             f"username=%s AND address NOT LIKE '{pin_logins.DEVICE_PREFIX}%%'", [username])]


def admit(conn: Connection, username: str, address: str, known: str | None) -> int | None:
    """None, having recorded this attempt as a failure until it proves right; or the seconds to
    wait if a key is locked (nothing recorded). `known` is the known device's key
    (pin_logins.device_key), or None."""
    source = known or address
    keys = _keys(username, source, known is not None)
    with conn.transaction():
        for name, *_ in sorted(keys):  # one order: two logins never wait for each other's locks
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
        now = conn.execute("SELECT now() AS now").fetchone()["now"]
        ends = []
        for _, free, where, args in keys:
            times = [r["at"] for r in conn.execute(f"SELECT at FROM login_failures WHERE {where} AND at > %s",
                                                   [*args, now - pin_logins.MEMORY]).fetchall()]
            until = pin_logins.locked_until(times, free)
            if until and until > now:
                ends.append(until)
        if ends:
            return max(1, int((max(ends) - now).total_seconds() + 0.999))
        conn.execute("INSERT INTO login_failures (username, address, at) VALUES (%s, %s, %s)",
                     [username, source, now])
    return None


def failed(conn: Connection) -> None:
    """A wrong PIN (already recorded): now and then, failures past the memory are forgotten."""
    if random.random() < 0.02:  # noqa: S311 - housekeeping, not security
        conn.execute("DELETE FROM login_failures WHERE at < now() - %s", [pin_logins.MEMORY])


def succeeded(conn: Connection, username: str, source: str) -> None:
    """The right PIN: this attempt and the earlier wrong ones from the same address or device no
    longer count (the address's and the crowd's counts are theirs to keep)."""
    conn.execute("DELETE FROM login_failures WHERE username=%s AND address=%s", [username, source])


def unlock(conn: Connection, username: str | None = None, address: str | None = None) -> int:
    """Lifts the locks on a username (from everywhere) or on an address; how many failures were forgotten."""
    if username is not None:
        return conn.execute("DELETE FROM login_failures WHERE username=%s", [username]).rowcount
    return conn.execute("DELETE FROM login_failures WHERE address=%s", [address]).rowcount
