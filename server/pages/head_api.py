"""The branch head's API (D8, D9) and the satisfaction API (F2), under /api/v1.

Registered by server/pages/head.py. Errors are JSON {"error", "message"} like the hub's.
"""

from __future__ import annotations

import datetime as dt

import jdatetime
from flask import Blueprint, Response, jsonify, request

from server import ratings
from server.api.common import floor, json_body, require
from server.floor import FloorError
from server.pages import head_floor, head_staffing
from server.reports import Period, build_report, parse_day, parse_month
from server.reports.export import to_csv, to_xlsx

bp = Blueprint("head_api", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/head/floor")
@require("head")
def live_floor():  # noqa: ANN201
    return jsonify(head_floor.floor_view(floor()))


@bp.get("/head/staffing")
@require("head")
def staffing():  # noqa: ANN201
    share = request.args.get("share", type=float) or head_staffing.TARGET_SHARE
    if not 0.5 <= share < 1:
        raise FloorError(400, "bad_share", "share must be between 0.5 and 0.99")
    return jsonify(head_staffing.advice(floor(), share))


@bp.post("/head/what-if")
@require("head")
def what_if():  # noqa: ANN201
    body = json_body()
    changes = body.get("changes")
    if changes is None and "counter" in body:  # one change: {"counter": 4, "services": [...]}
        changes = [body]
    return jsonify(head_staffing.what_if(floor(), changes))


@bp.get("/ratings/pending")
def pending():  # noqa: ANN201
    counter = request.args.get("counter", type=int)
    if counter is None:
        raise FloorError(400, "missing_field", "send ?counter=<window number>")
    found = ratings.pending_at_counter(floor(), counter)
    return jsonify(found) if found else Response(status=204)


@bp.post("/ratings")
def rate():  # noqa: ANN201
    return jsonify(ratings.rate(floor(), json_body(("score",)))), 201


def _period(kind: str) -> Period:
    today = floor().branch.branch_day(floor().clock())
    try:
        if kind == "day":
            return parse_day(request.args.get("date") or today.isoformat())
        j = jdatetime.date.fromgregorian(date=today)
        return parse_month(request.args.get("month") or f"{j.year}-{j.month:02d}")
    except ValueError as exc:
        raise FloorError(400, "bad_period", str(exc)) from None


def _report(kind: str):  # noqa: ANN202
    fmt = request.args.get("format", "json")
    lang = request.args.get("lang", "en")
    if fmt not in ("json", "csv", "xlsx") or lang not in ("en", "fa"):
        raise FloorError(400, "bad_format", "format must be json, csv or xlsx; lang en or fa")
    period = _period(kind)
    f = floor()
    # No floor lock around this: a month of events takes about a second to read, and the
    # log is append-only, so the report cannot see a half-made change anyway.
    report = build_report(f.db, f.branch, period)
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
def daily():  # noqa: ANN201
    return _report("day")


@bp.get("/reports/monthly")
@require("head")
def monthly():  # noqa: ANN201
    return _report("month")
