"""The national monthly report (D9): one row per province, region, branch and sub-service, with each
level's total, from the daily rollups; as CSV and XLSX (the first sheet holds exactly the CSV's rows). Branch
text (ids, provinces, regions, sub-service codes) is neutralised for spreadsheets, as in a branch's export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from navbat.hq.figures import SUMS
from navbat.server.reports.export import cells
from navbat.server.reports.period import parse_month
from psycopg import Connection

FIGURES = ("visitors", "served", "called", "mean_wait_min", "sla_pct", "mean_service_min", "no_shows", "transfers",
           "docs_incomplete_pct", "ratings", "satisfaction_pct", "complaints")
HEADERS = ("province", "region", "branch", "sub_service", *FIGURES)


def rows(conn: Connection, month: str, province: str | None = None) -> tuple[str, list[list[Any]]]:
    """(the month's label, the table's rows without the header). Levels are told by the empty cells:
    a province's total has no region, a region's no branch, a branch's no sub-service."""
    period = parse_month(month)
    where, args = ("AND b.province = %s", [province]) if province else ("", [])
    sql = f"""SELECT b.province, b.region, b.id AS branch, d.service, GROUPING(b.region) AS g_region,
                     GROUPING(b.id) AS g_branch, GROUPING(d.service) AS g_service, {SUMS}
              FROM daily d JOIN branches b ON b.id = d.branch
              WHERE d.service <> '' AND d.day BETWEEN %s AND %s {where}
              GROUP BY ROLLUP (b.province, b.region, b.id, d.service)
              ORDER BY b.province NULLS LAST, b.region NULLS FIRST, b.id NULLS FIRST, d.service NULLS FIRST"""
    out = []
    for r in conn.execute(sql, [period.start, period.end - dt.timedelta(days=1), *args]).fetchall():
        if r["province"] is None:
            label = ("total", "", "", "")
        else:
            label = (r["province"], "" if r["g_region"] else r["region"], "" if r["g_branch"] else r["branch"],
                     "" if r["g_service"] else r["service"])
        out.append([*label, *(_value(r[f]) for f in FIGURES)])
    return period.label, out


def _value(v: Any) -> Any:
    if v is None:
        return ""
    return round(float(v), 1) if not isinstance(v, int) else v


def to_csv(table: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([list(HEADERS), *(cells(row) for row in table)])
    return buf.getvalue()


def to_xlsx(table: list[list[Any]], label: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "national"
    ws.append(list(HEADERS))
    for row in table:
        ws.append(cells(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wb.properties.title = f"Navbat national report {label}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
