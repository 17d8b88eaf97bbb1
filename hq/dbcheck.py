"""Is HQ's database sound? It answers, every yoyo migration is applied, and every stored rollup
(daily rows, monthly rows, the open window-hours in both, requests answered later) equals a
re-derivation from the stored events by the code ingest uses (rollup.refresh, months.refresh_month,
request_rollup.refresh).

The re-derivation writes only into temporary tables named like the rollups, which shadow
the real ones for this session (pg_temp comes first in PostgreSQL's search path), so the very
same SQL runs and the real rows are neither written nor locked: it can run beside a live HQ.
Everything is read in one REPEATABLE READ snapshot, so a batch landing meanwhile is not a
difference. Each day is folded with the branch's profile as last sent (time zone, targets).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import psycopg
from navbat.hq import request_rollup
from navbat.hq.months import month_of, refresh_month
from navbat.hq.rollup import refresh
from navbat.hq.store import migrations_dir
from psycopg import Connection
from psycopg.rows import dict_row

MAX_LINES = 50
KEYS = {"daily": ("branch", "day", "service"), "monthly": ("branch", "month_start"),
        "request_daily": ("branch", "day", "service")}
NAMES = {"open_hours": "open_hours (window-hours)"}


def check(url: str) -> list[str]:
    """Problems found; an empty list means the database is sound."""
    try:
        conn = psycopg.connect(url, row_factory=dict_row, connect_timeout=10)
    except psycopg.OperationalError as exc:
        return [f"database: {str(exc).strip().splitlines()[0]}"]
    try:
        conn.execute("SELECT 1")
        missing = unapplied(conn)
        if missing:
            return [f"migration not applied: {name} (navbat hq applies it when it starts)" for name in missing]
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for all that follows
        return rollups(conn)[:MAX_LINES]
    finally:
        conn.rollback()  # nothing of the check is kept, not even its temporary tables
        conn.close()


def unapplied(conn: Connection) -> list[str]:
    """The migrations in hq/migrations that yoyo has not recorded as applied (read, never written)."""
    from yoyo import read_migrations

    have = conn.execute("SELECT to_regclass('_yoyo_migration') IS NOT NULL AS t").fetchone()["t"]
    applied = {r["migration_hash"] for r in conn.execute("SELECT migration_hash FROM _yoyo_migration")} if have \
        else set()
    conn.rollback()
    return [m.id for m in read_migrations(migrations_dir()) if m.hash not in applied]


def _stored(conn: Connection, table: str) -> dict[tuple, dict[str, Any]]:
    keys = KEYS[table]
    return {tuple(r[k] for k in keys): r for r in conn.execute(f"SELECT * FROM {table}")}


def rollups(conn: Connection) -> list[str]:
    """Stored daily and monthly rows against the same code run again on the stored events."""
    stored = {t: _stored(conn, t) for t in KEYS}  # the real tables: no temporary one exists yet
    days = conn.execute("""SELECT DISTINCT t.branch, t.day, b.profile FROM tickets t JOIN branches b ON b.id = t.branch
                           UNION SELECT DISTINCT d.branch, d.day, b.profile FROM daily d
                             JOIN branches b ON b.id = d.branch ORDER BY 1, 2""").fetchall()
    months = {k[1] for k in stored["monthly"]} | {month_of(r["day"]).start for r in days}
    for table in KEYS:  # shadows public.daily / public.monthly in this session, dropped at the rollback
        conn.execute(f"CREATE TEMPORARY TABLE {table} (LIKE public.{table} INCLUDING DEFAULTS)")
    for r in days:
        refresh(conn, r["branch"], r["day"], r["profile"] or {})
    for start in sorted(months):
        refresh_month(conn, None, start)
    for branch, day, tz in _request_days(conn, stored["request_daily"]):
        request_rollup.refresh(conn, branch, day, tz)
    derived = {t: _stored(conn, t) for t in KEYS}
    return [line for t in KEYS for line in _differences(t, stored[t], derived[t])]


def _request_days(conn: Connection, stored: dict[tuple, dict]) -> list[tuple[str, dt.date, str]]:
    """Every (branch, day, time zone) a request event falls on, or a stored request row claims."""
    zones = {r["id"]: (r["profile"] or {}).get("timezone", "Asia/Tehran")
             for r in conn.execute("SELECT id, profile FROM branches")}
    days = {(r["branch"], request_rollup.local_day(r["at"], zones[r["branch"]])) for r in conn.execute(
        "SELECT branch, at FROM events WHERE type = ANY(%s)", [list(request_rollup.TYPES)])}
    days |= {(branch, day) for branch, day, _ in stored}
    return [(branch, day, zones[branch]) for branch, day in sorted(days)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):  # sums of doubles: their order may move the last bit
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def _differences(table: str, have: dict[tuple, dict], want: dict[tuple, dict]) -> list[str]:
    out: list[str] = []
    for key in sorted(set(have) | set(want), key=repr):
        name = f"{table} {', '.join(f'{k}={_show(v)}' for k, v in zip(KEYS[table], key, strict=True))}"
        if key not in want:
            out.append(f"{name}: stored, but the events make no such row")
        elif key not in have:
            out.append(f"{name}: the events make this row, it is not stored")
        else:
            for column, value in want[key].items():
                if not _same(have[key].get(column), value):
                    out.append(f"{name}: {NAMES.get(column, column)} is {_show(have[key].get(column))}, "
                               f"the events say {_show(value)}")
    return out
