"""Wrong PINs at HQ: after PER_USER failures for a username, or PER_ADDRESS from one address, within
WINDOW, logins for it are refused until the oldest of those failures leaves the window (429 with
Retry-After). HQ is reachable from every branch's network, so its managers' PINs need the same
protection the branch hubs give their clerks'. A right PIN clears the username's failures.
"""

from __future__ import annotations

import datetime as dt

from psycopg import Connection

WINDOW = dt.timedelta(minutes=15)
PER_USER = 5
PER_ADDRESS = 20


def retry_after(conn: Connection, username: str, address: str) -> int | None:
    """Seconds until a login for `username` from `address` may be tried again; None: now."""
    waits = []
    for column, value, limit in (("username", username, PER_USER), ("address", address, PER_ADDRESS)):
        row = conn.execute(f"""SELECT count(*) AS n, min(at) AS first FROM (
                                 SELECT at FROM login_failures WHERE {column}=%s AND at > now() - %s
                                 ORDER BY at DESC LIMIT %s) recent""", [value, WINDOW, limit]).fetchone()
        if row["n"] >= limit:
            left = row["first"] + WINDOW - dt.datetime.now(dt.UTC)
            waits.append(max(1, int(left.total_seconds()) + 1))
    return max(waits) if waits else None


def failed(conn: Connection, username: str, address: str) -> None:
    conn.execute("INSERT INTO login_failures (username, address) VALUES (%s, %s)", [username, address])
    conn.execute("DELETE FROM login_failures WHERE at < now() - %s", [WINDOW])  # keep the table small


def succeeded(conn: Connection, username: str) -> None:
    conn.execute("DELETE FROM login_failures WHERE username=%s", [username])
