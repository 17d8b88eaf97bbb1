"""Daily and monthly reports (D9) as JSON, CSV or XLSX. A report is built in a worker process
from its own snapshot (server/reports/worker.py): it never holds the write lock, nor the
hub's interpreter, so kiosks and clerks carry on while it runs."""

from __future__ import annotations

import datetime as dt

import jdatetime
from flask import Blueprint, Response, current_app, jsonify, request
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.reports import Period, parse_day, parse_month, worker
from navbat.server.reports.export import to_csv, to_xlsx
from navbat.server.web.api.common import require

bp = Blueprint("reports_api", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(kind: str) -> Period:
    hub = current()
    today = hub.branch.branch_day(hub.clock())
    try:
        if kind == "day":
            return parse_day(request.args.get("date") or today.isoformat())
        j = jdatetime.date.fromgregorian(date=today)
        return parse_month(request.args.get("month") or f"{j.year}-{j.month:02d}")
    except ValueError as exc:
        raise Invalid("bad_period", str(exc)) from None


def _report(kind: str) -> Response:
    fmt = request.args.get("format", "json")
    lang = request.args.get("lang", "en")
    if fmt not in ("json", "csv", "xlsx") or lang not in ("en", "fa"):
        raise Invalid("bad_format", "format must be json, csv or xlsx; lang en or fa")
    period = _period(kind)
    hub = current()
    report = worker.report(hub.reports, hub.store, hub.branch, period,
                           in_process=current_app.config["REPORTS_IN_PROCESS"])
    name = f"navbat-{period.label}"
    if fmt == "csv":
        return Response(to_csv(report, lang), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(to_xlsx(report, lang), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    out = report.as_dict()
    out["generated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return jsonify(out)


@bp.get("/reports/daily")
@require("head")
def daily() -> Response:
    return _report("day")


@bp.get("/reports/monthly")
@require("head")
def monthly() -> Response:
    return _report("month")
