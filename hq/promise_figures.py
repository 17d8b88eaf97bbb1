"""The printed wait at HQ (issue 24): per branch and per province, the share of visitors called inside
the range their slip printed and the mean error of the printed estimate, over branch days.

Folded from the branches' own events (`ticket.promised` and the ticket's calls) by the hub's own
code (server/reports/visits.fold and server/reports/promises), so HQ counts a promise exactly as
the branch head's report does. Computed when asked, over at most MAX_DAYS branch days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from navbat.foundation import event_types as E
from navbat.server.reports.promises import Promise, Verdict, summary, verdicts
from navbat.server.reports.visits import fold
from psycopg import Connection

MAX_DAYS = 62


def figures(conn: Connection, start: dt.date, end: dt.date, province: str | None = None,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """{"provinces": [...], "branches": [...]}: each {key, promised, judged, inside, inside_pct, mean_error,
    mean_abs_error} (and a branch's province)."""
    where, args = ("AND b.province = %s", [province]) if province else ("", [])
    rows = conn.execute(f"""SELECT e.branch, b.province, e.at, e.type, e.ticket_id, e.counter,
                               coalesce(e.data->>'clerk', e.actor) AS clerk, e.data->>'service' AS service,
                               e.data->>'outcome' AS outcome, e.data->>'priority' AS priority,
                               (e.data->>'low')::float AS low, (e.data->>'high')::float AS high,
                               (e.data->>'minutes')::float AS minutes, b.profile->>'timezone' AS tz
                            FROM events e JOIN tickets t ON t.branch = e.branch AND t.ticket_id = e.ticket_id
                            JOIN branches b ON b.id = e.branch
                            WHERE t.day BETWEEN %s AND %s AND e.type LIKE 'ticket.%%' {where}
                            ORDER BY e.branch, e.id""", [start, end, *args]).fetchall()
    per_branch: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        per_branch.setdefault(r["branch"], []).append(r)
    now = now or dt.datetime.now(dt.UTC)
    branches, provinces = [], {}
    for branch, events in per_branch.items():
        zone = ZoneInfo(events[0]["tz"] or "Asia/Tehran")
        as_of = min(now, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
        promises = {e["ticket_id"]: Promise(dt.datetime.fromisoformat(e["at"]), e["low"], e["high"],
                                            e["minutes"] if e["minutes"] is not None else (e["low"] + e["high"]) / 2)
                    for e in reversed(events) if e["type"] == E.TICKET_PROMISED and e["low"] is not None}
        visits = fold((e["at"], e["type"], e["ticket_id"], e["counter"], e["clerk"], e["service"], e["outcome"],
                       e["priority"]) for e in events if e["type"] != E.TICKET_PROMISED)
        judged, made = verdicts(visits.values(), promises, as_of)
        if not made:
            continue
        mine: list[Verdict] = [v for vs in judged.values() for v in vs]
        row = summary(branch, {}, mine, sum(made.values()))
        row.pop("label")
        branches.append({**row, "province": events[0]["province"]})
        acc = provinces.setdefault(events[0]["province"], [[], 0])
        acc[0].extend(mine)
        acc[1] += sum(made.values())
    out_provinces = []
    for name, (mine, count) in sorted(provinces.items()):
        row = summary(name, {}, mine, count)
        row.pop("label")
        out_provinces.append(row)
    return {"from": start.isoformat(), "to": end.isoformat(), "provinces": out_provinces, "branches": branches}
