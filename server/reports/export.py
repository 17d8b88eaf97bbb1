"""CSV and XLSX of a report: one row per sub-service plus a total (D9).

The XLSX's first sheet holds exactly the CSV's rows (numbers as numbers); further
sheets add units, counters, clerks, the hourly arrivals, the requests answered later and the
channels (walk-in, remote, appointment).

Text in every cell is neutralised for spreadsheets (`cell`): names come from branch files, clerks
and HQ's branches, and a name beginning `=HYPERLINK(...` must stay a name, never a live formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from navbat.server.reports.figures import Report
from navbat.server.reports.rows import Row

COLUMNS = ("visitors", "called", "mean_wait", "p90_wait", "within_target_pct", "served", "mean_service",
           "no_shows", "transfers", "docs_incomplete", "docs_incomplete_pct", "ratings", "satisfaction",
           "satisfied_pct")
HEADERS = ("visitors", "called", "mean_wait_min", "p90_wait_min", "within_target_pct", "served",
           "mean_service_min", "no_shows", "transfers", "documents_incomplete", "documents_incomplete_pct",
           "ratings", "satisfaction_1_5", "satisfied_pct")

REQUEST_COLUMNS = ("opened", "answered", "answered_on_time", "on_time_pct", "mean_days_to_answer")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes Excel, LibreOffice or Sheets read a formula


def cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made literal by a leading apostrophe (OWASP's
    advice for CSV injection); numbers and other text as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cells(values: list[Any]) -> list[Any]:
    return [cell(v) for v in values]


def _value(v: Any) -> Any:
    if v is None:
        return ""
    return round(v, 1) if isinstance(v, float) else v


def row_values(row: Row) -> list[Any]:
    return [_value(getattr(row, c)) for c in COLUMNS]


def table(report: Report, lang: str = "en") -> list[list[Any]]:
    """The sub-service table: header, one row per sub-service, the total."""
    rows: list[list[Any]] = [["code", "sub_service", "unit", *HEADERS]]
    for r in report.services:
        rows.append([r.key, r.label.get(lang, r.label["en"]), r.group or "", *row_values(r)])
    rows.append(["total", report.total.label.get(lang, "Total"), "", *row_values(report.total)])
    return rows


def to_csv(report: Report, lang: str = "en") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(cells(row) for row in table(report, lang))
    return buf.getvalue()


def to_xlsx(report: Report, lang: str = "en") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "sub-services"
    for values in table(report, lang):
        ws.append(cells(values))
    sheets = (("units", "unit", report.units + [report.total]), ("counters", "counter", report.counters),
              ("clerks", "clerk", report.clerks))
    for title, what, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(["code", what, *HEADERS])
        for r in rows:
            sheet.append(cells([r.key, r.label.get(lang, r.label["en"]), *row_values(r)]))
    hourly = wb.create_sheet("hourly")
    hourly.append(["hour", "arrivals", "served"])
    for h in report.hourly:
        hourly.append([h["hour"], h["arrivals"], h["served"]])
    daily = wb.create_sheet("daily")
    daily.append(["date", "visitors", "served", "mean_wait_min", "within_target_pct"])
    for d in report.daily:
        daily.append([d["date"], d["visitors"], d["served"], _value(d["mean_wait"]), _value(d["within_target_pct"])])
    if report.requests:  # requests answered later (issue 16, F3)
        req = wb.create_sheet("requests")
        req.append(["code", "kind", *REQUEST_COLUMNS])
        figures = report.requests
        for kind, rows in (("sub_service", figures["services"]), ("unit", figures["units"]),
                           ("total", [{"code": "total", **figures["total"]}])):
            for r in rows:
                req.append(cells([r["code"], kind, *(_value(r[c]) for c in REQUEST_COLUMNS)]))
    channels = wb.create_sheet("channels")  # issue 18: walk-in, remote turn, appointment
    channels.append(["code", "channel", *HEADERS])
    for r in report.channels:
        channels.append(cells([r.key, r.label.get(lang, r.label["en"]), *row_values(r)]))
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    wb.properties.title = f"Navbat report {report.period.label}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
