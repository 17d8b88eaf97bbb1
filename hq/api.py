"""HQ's API v1: login, branches, summary, health, and the branches' ingest endpoint."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, NoReturn

import psycopg
from flask import Blueprint, Response, jsonify, request
from navbat.foundation import pin_logins
from navbat.hq import accounts, budgets, figures, login_limits, monthly, national, promise_figures, relay
from navbat.hq.asking import bearer, error, pool, user
from navbat.hq.ingest import BadBatch, Gap, RestoreNeeded, ingest
from navbat.hq.metrics import BATCHES, ERRORS, EVENTS, RATINGS, timed
from navbat.hq.openapi import SPEC
from navbat.server.floor.refusals import TOO_MANY_WORDS, TooMany
from werkzeug.exceptions import HTTPException

bp = Blueprint("hq_api", __name__, url_prefix="/api/v1")
MAX_RANGE_DAYS = 400
BUSY = TOO_MANY_WORDS["logins_busy"]


def _bearer_branch(conn: Any) -> str | None:
    """The branch whose HQ token the request carries (its hub shipping, polling or asking), or None."""
    token = bearer()
    return accounts.branch_of(conn, token) if token else None


def _body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _errors_counted(endpoint: str) -> Callable:
    """Counts the branches' requests HQ refused (by the answer's error code) or failed (an exception:
    the database down), for /metrics: the branch resends, but someone should know."""
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                answer = view(*args, **kwargs)
            except HTTPException as exc:  # e.g. a body over MAX_CONTENT_LENGTH
                ERRORS.labels(endpoint, (exc.name or "refused").lower().replace(" ", "_")).inc()
                raise
            except Exception:
                ERRORS.labels(endpoint, "failed").inc()
                raise
            if isinstance(answer, tuple):  # a refusal: (response, status)
                ERRORS.labels(endpoint, answer[0].json["error"]).inc()
            return answer
        return counted
    return wrap


@bp.get("/health")
def health() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/hq/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)


@bp.post("/hq/login")
def login() -> Any:
    """The PIN in any digits; limits, known devices and the PIN check as at a branch hub
    (navbat.foundation.pin_logins, hq.login_limits)."""
    body = _body()
    if body is None or not isinstance(body.get("username"), str) or not isinstance(body.get("pin"), str) \
            or len(body["username"]) > 100 or len(body["pin"]) > 100 or "\0" in body["username"] + body["pin"]:
        return error(400, "bad_request", "send {\"username\", \"pin\"} as JSON")
    username, address = body["username"], request.remote_addr or "-"
    now = dt.datetime.now(dt.UTC)
    cookie = request.cookies.get(pin_logins.device_cookie(username))
    if not cookie and accounts.PIN_CHECKS.full():  # a crowd: refused before any read
        _too_many("too many logins at once: try again in a second", pin_logins.Busy.retry_after, BUSY)
    with pool().connection() as conn:
        pin_hash = accounts.pin_hash_of(conn, username)
    known = pin_logins.device_key(cookie, username, pin_hash, now)
    try:
        with accounts.PIN_CHECKS.slot(known is not None) as run:  # a crowd past the bound: 429, nothing written
            with pool().connection() as conn:  # committed (and the keys' locks let go) before the slow check
                wait = login_limits.admit(conn, username, address, known)
            if wait is not None:
                _too_many(f"too many wrong PINs: try again in {wait} s", wait)
            right = accounts.pin_right(run, pin_hash, body["pin"])
    except pin_logins.Busy:
        _too_many("too many logins at once: try again in a second", pin_logins.Busy.retry_after, BUSY)
    with pool().connection() as conn:
        if not right:
            login_limits.failed(conn)
            return error(401, "bad_credentials", "unknown user or wrong PIN")
        login_limits.succeeded(conn, username, known or address)
        token = accounts.open_session(conn, username)
    response = jsonify({"token": token})
    response.set_cookie(pin_logins.device_cookie(username), pin_logins.device_token(username, pin_hash, now),
                        max_age=int(pin_logins.DEVICE_LIFE.total_seconds()), path=request.path, httponly=True,
                        samesite="Strict")
    return response


def _too_many(message: str, wait: int, words: str | None = None) -> NoReturn:
    """A lock-out or a crowd of logins: the one rate-limit refusal, answered as at a hub (server.errors.too_many)."""
    raise TooMany("too_many_attempts", message, wait, words)


@bp.post("/hq/logout")
def logout() -> Any:
    """Ends this session at HQ: the token no longer works, whoever holds a copy."""
    token = bearer()
    with pool().connection() as conn:
        if not token or not accounts.logout(conn, token):
            return error(401, "unauthorized", "no such session (already logged out?)")
    return jsonify({"status": "logged_out"})


@bp.post("/hq/lockouts/unlock")
def unlock() -> Any:
    """A national manager lifts the locks on a username ({"username"}) or an address ({"address"})."""
    who = user()
    if who is None:
        return error(401, "unauthorized", "log in first (Authorization: Bearer <token>)")
    if who.role != "national":
        return error(403, "forbidden", "only a national manager unlocks")
    body = _body() or {}
    if len(body) != 1 or not isinstance(value := next(iter(body.values())), str) or not value \
            or "\0" in value or next(iter(body)) not in ("username", "address"):
        return error(400, "bad_request", 'send {"username": name} or {"address": ip}')
    with pool().connection() as conn:
        forgotten = login_limits.unlock(conn, body.get("username"), body.get("address"))
    return jsonify({"status": "unlocked", "forgotten": forgotten})


def _scope() -> tuple[accounts.User | None, str | None, tuple[Response, int] | None]:
    """The user and the province they may see (None: all); or the error to answer."""
    who = user()
    if who is None:
        return None, None, error(401, "unauthorized", "log in first (Authorization: Bearer <token>)")
    asked = request.args.get("province") or None
    if who.role == "province":
        if asked and asked != who.province:
            return who, None, error(403, "forbidden", "a province manager sees only their own province")
        return who, who.province, None
    return who, asked, None


def _day(name: str) -> dt.date:
    text = request.args.get(name)
    if not text:
        raise ValueError(f"{name} is required (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, not {text[:20]!r}") from None


@bp.get("/hq/branches")
def branches() -> Any:
    _, province, err = _scope()
    if err:
        return err
    with timed("branches"), pool().connection() as conn:
        rows = figures.branches(conn, province)
        links = relay.links(conn)
        several = budgets.several_branches(conn)
    return jsonify({"branches": [{**b, **relay.shown(links.get(b["branch"]))} for b in rows],
                    "phones_at_several_branches": several})


@bp.get("/hq/summary")
def summary() -> Any:
    _, province, err = _scope()
    if err:
        return err
    start, end = _span()
    with timed("summary"), pool().connection() as conn:
        return jsonify(figures.summary(conn, start, end, province))


class _BadSpan(ValueError):
    """`from`/`to` unusable: answered 400 bad_date by the handler below, whichever view asked."""


@bp.errorhandler(_BadSpan)
def _bad_span(exc: _BadSpan) -> tuple[Response, int]:
    return error(400, "bad_date", str(exc))


def _span() -> tuple[dt.date, dt.date]:
    try:
        start, end = _day("from"), _day("to")
    except ValueError as exc:
        raise _BadSpan(str(exc)) from None
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise _BadSpan(f"to must be on or after from, at most {MAX_RANGE_DAYS} days on")
    return start, end


@bp.get("/hq/branches/<branch_id>/services")
def branch_services(branch_id: str) -> Any:
    who, _, err = _scope()
    if err:
        return err
    start, end = _span()
    with timed("services"), pool().connection() as conn:
        row = conn.execute("SELECT province FROM branches WHERE id=%s", [branch_id]).fetchone()
        if row is None or not who.sees(row["province"]):
            return error(404, "not_found", "no such branch here")
        return jsonify({"branch": branch_id, "services": figures.services(conn, branch_id, start, end)})


@bp.get("/hq/complaints")
def complaints() -> Any:
    _, province, err = _scope()
    if err:
        return err
    start, end = _span()
    with timed("complaints"), pool().connection() as conn:
        return jsonify({"complaints": figures.complaints(conn, start, end, province)})


@bp.get("/hq/promises")
def promises() -> Any:
    """The printed wait, how often it held, per province and branch (issue 24)."""
    _, province, err = _scope()
    if err:
        return err
    start, end = _span()
    if (end - start).days >= promise_figures.MAX_DAYS:
        return error(400, "bad_period", f"ask for at most {promise_figures.MAX_DAYS} days at a time")
    with timed("promises"), pool().connection() as conn:
        return jsonify(promise_figures.figures(conn, start, end, province))


@bp.post("/hq/submissions")
@_errors_counted("submissions")
def submit_month() -> Any:
    """A branch head's monthly report (D9), forwarded by their hub with the branch's token."""
    body = _body()
    with pool().connection() as conn:
        branch = _bearer_branch(conn)
        if branch is None:
            return error(401, "unauthorized", "a branch token is needed")
        if body is None or not isinstance(body.get("month"), str) or not isinstance(body.get("note") or "", str):
            return error(400, "bad_request", 'send {"month": "1404-07", "note": "..."}')
        try:
            return jsonify(monthly.submit(conn, branch, body["month"], body.get("note"), str(body.get("by") or "")))
        except ValueError as exc:
            return error(400, "bad_month", str(exc))


@bp.get("/hq/submissions")
def submissions() -> Any:
    _, province, err = _scope()
    if err:
        return err
    try:
        with timed("submissions"), pool().connection() as conn:
            return jsonify(monthly.late(conn, request.args.get("month", ""), province))
    except ValueError as exc:
        return error(400, "bad_month", str(exc))


@bp.get("/hq/report")
def national_report() -> Any:
    """The national (or, for a province manager, the province's) monthly report; format csv|xlsx|json."""
    _, province, err = _scope()
    if err:
        return err
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx", "json"):
        return error(400, "bad_format", "format is csv, xlsx or json")
    try:
        with timed("report"), pool().connection() as conn:
            label, table = national.rows(conn, request.args.get("month", ""), province)
    except ValueError as exc:
        return error(400, "bad_month", str(exc))
    name = f"navbat-national-{label}"
    if fmt == "json":
        return jsonify({"month": label, "columns": list(national.HEADERS), "rows": table})
    if fmt == "csv":
        return Response(national.to_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return Response(national.to_xlsx(table, label),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@bp.post("/hq/ingest")
@_errors_counted("ingest")
def ingest_batch() -> Any:
    with pool().connection() as conn:
        branch = _bearer_branch(conn)
        if branch is None:
            return error(401, "unauthorized", "a branch token is needed (navbat hq branch add)")
        body = _body()
        if body is None:
            return error(400, "bad_request", "send the batch as a JSON object")
        counts: dict[str, int] = {}
        try:
            marks = ingest(conn, branch, body, counts)
        except BadBatch as exc:
            return error(400, "bad_batch", str(exc), **({"field": exc.path} if exc.path else {}))
        except Gap as exc:
            return error(409, "gap", "resend from HQ's marks", **exc.marks)
        except RestoreNeeded as exc:
            return error(409, "restore_needed", str(exc), **exc.marks)
        except (ArithmeticError, LookupError, TypeError, ValueError, psycopg.DataError) as exc:
            # what the checks let through and folding the batch still choked on: the branch's fault,
            # refused whole (the transaction is rolled back), never a 500
            return error(400, "bad_batch", f"the batch could not be folded into HQ's figures ({type(exc).__name__})")
    BATCHES.labels(branch).inc()
    EVENTS.labels(branch).inc(counts["events"])
    RATINGS.labels(branch).inc(counts["ratings"])
    return jsonify(marks)


@bp.post("/hq/open-turns/check")
@_errors_counted("open_turns")
def open_turn_check() -> Any:
    """A hub, before a remote turn (issue 23): does this phone (a hash) hold an open turn at another
    branch? If not, the turn is claimed for the asking branch (hq/budgets.py)."""
    with pool().connection() as conn:
        branch = _bearer_branch(conn)
        if branch is None:
            return error(401, "unauthorized", "a branch token is needed (navbat hq branch add)")
        body = _body()
        phone_hash = body.get("phone_hash") if body else None
        if not budgets.valid_hash(phone_hash):
            return error(400, "bad_phone_hash", "phone_hash must be 32 hex digits")
        return jsonify({"open_elsewhere": budgets.claim(conn, branch, phone_hash)})
