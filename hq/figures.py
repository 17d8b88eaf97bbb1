"""The dashboard's and the API's figures: sums over the daily rollups, never over events.

A mean over days is weighted by its count (mean wait by visitors called, satisfaction by
ratings), so a province's figure is that of all its visitors, not a mean of branch means.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from navbat.hq import request_rollup
from navbat.hq.months import PART_SUMS, parts_sql
from psycopg import Connection

SUMS = """
    sum(d.visitors)::int AS visitors, sum(d.served)::int AS served, sum(d.called)::int AS called,
    sum(d.mean_wait * d.called) / nullif(sum(d.called) FILTER (WHERE d.mean_wait IS NOT NULL), 0) AS mean_wait_min,
    100.0 * sum(d.within_target) / nullif(sum(d.judged), 0) AS sla_pct,
    sum(d.judged)::int AS judged,
    sum(d.mean_service * d.served) / nullif(sum(d.served) FILTER (WHERE d.mean_service IS NOT NULL), 0)
        AS mean_service_min,
    sum(d.no_shows)::int AS no_shows, sum(d.transfers)::int AS transfers,
    100.0 * sum(d.docs_incomplete) / nullif(sum(d.served), 0) AS docs_incomplete_pct,
    sum(d.ratings)::int AS ratings, 100.0 * sum(d.satisfied) / nullif(sum(d.ratings), 0) AS satisfaction_pct,
    sum(d.complaints)::int AS complaints"""


def _scope(province: str | None) -> tuple[str, list[Any]]:
    return ("AND b.province = %s", [province]) if province else ("", [])


def summary(conn: Connection, start: dt.date, end: dt.date, province: str | None = None) -> dict[str, Any]:
    """Per province and per branch over the branch days [start, end] (inclusive)."""
    where, args = _scope(province)
    parts, part_args = parts_sql(start, end)  # whole months from `monthly`, loose days from `daily`
    base = f"FROM ({parts}) p JOIN branches b ON b.id = p.branch WHERE true {where}"
    provinces = conn.execute(f"SELECT b.province AS province, {PART_SUMS} {base} GROUP BY b.province "
                             "ORDER BY visitors DESC, province", [*part_args, *args]).fetchall()
    branches = conn.execute(f"SELECT b.id AS branch, b.province AS province, b.region AS region, {PART_SUMS} {base} "
                            "GROUP BY b.id ORDER BY b.province, visitors DESC, b.id", [*part_args, *args]).fetchall()
    asked = request_rollup.summary(conn, start, end, province)  # requests answered later (F3)
    none = dict.fromkeys(("requests_opened", "requests_answered"), 0) | dict.fromkeys(
        ("requests_on_time_pct", "requests_mean_days"))
    return {"from": start.isoformat(), "to": end.isoformat(),
            "provinces": [_clean(r) | asked["provinces"].get(r["province"], none) for r in provinces],
            "branches": [_clean(r) | asked["branches"].get(r["branch"], none) for r in branches]}


def services(conn: Connection, branch: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """One branch's sub-services over the days (the drill-down's last step)."""
    rows = conn.execute(f"SELECT d.service AS service, min(d.unit) AS unit, {SUMS} FROM daily d "
                        "WHERE d.branch = %s AND d.service <> '' AND d.day BETWEEN %s AND %s "
                        "GROUP BY d.service ORDER BY visitors DESC", [branch, start, end]).fetchall()
    profile = conn.execute("SELECT profile FROM branches WHERE id=%s", [branch]).fetchone()["profile"] or {}
    names = {s["code"]: s.get("name") for s in profile.get("services", [])}
    return [{**_clean(r), "name": names.get(r["service"])} for r in rows]


def branches(conn: Connection, province: str | None = None) -> list[dict[str, Any]]:
    """Every branch with its place, type and link state: the last event time, the backlog the branch
    reported, and the lag (seconds since its last batch; None if it never sent one)."""
    where, args = ("WHERE province = %s", [province]) if province else ("", [])
    rows = conn.execute(f"""SELECT id AS branch, province, region, type, last_event_at, last_contact_at,
                              greatest(branch_last_id - events_hwm, 0) AS backlog,
                              extract(epoch FROM now() - last_contact_at) AS lag_s,
                              profile->'name' AS name, hub_version AS version, budgets->'sms' AS sms_budget
                            FROM branches {where} ORDER BY province, region, id""", args).fetchall()
    out = []
    for r in rows:
        r = dict(r)
        r["last_contact_at"] = r["last_contact_at"].isoformat() if r["last_contact_at"] else None
        r["lag_s"] = round(float(r["lag_s"]), 1) if r["lag_s"] is not None else None
        out.append(r)
    return out


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(float(v), 2) if v is not None and not isinstance(v, (int, str)) else v) for k, v in row.items()}


def complaints(conn: Connection, start: dt.date, end: dt.date, province: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
    """The newest ratings in the lowest two faces that carry a comment, over the branch days (F4)."""
    where, args = _scope(province)
    rows = conn.execute(f"""SELECT r.branch, b.province, b.region, r.service, r.score, r.comment, r.at,
                              b.profile->'services' AS services
                            FROM ratings r JOIN branches b ON b.id = r.branch
                            JOIN tickets t ON t.branch = r.branch AND t.ticket_id = r.ticket_id
                            WHERE r.score <= 2 AND r.comment IS NOT NULL AND t.day BETWEEN %s AND %s {where}
                            ORDER BY r.at DESC LIMIT %s""", [start, end, *args, limit]).fetchall()
    out = []
    for r in rows:  # the sub-service by the name its branch gives it ({fa, en}), not its code (issue 24)
        r = dict(r)
        services = r.pop("services") or []
        r["service_name"] = next((s.get("name") for s in services if s.get("code") == r["service"]), None)
        out.append(r)
    return out
