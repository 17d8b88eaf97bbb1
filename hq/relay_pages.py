"""HQ hosts every branch's public pages (issue 18): /join/<branch> and /book/<branch> lead to
/b/<branch>/join and /b/<branch>/book, whose requests are relayed to the branch (hq/relay.py,
server/relay.py). The branch polls /api/v1/hq/relay/poll with its HQ token and answers each request.

Only the public paths go through (server.relay.public decides, on both sides); a branch that keeps
no link now gets a clear page (503) at once, never a turn HQ could not deliver. The fonts and the
tracking script are HQ's own copies from the same package: no need to spend the branch's uplink.
"""

from __future__ import annotations

import base64
from importlib.resources import as_file, files
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request, send_file
from navbat.foundation.i18n import direction, gettext_for, parse_lang
from navbat.hq import accounts
from navbat.hq.api import error, pool
from navbat.hq.relay import ANSWER_S, Offline, Relay
from navbat.server.relay import REQUEST_HEADERS, public

bp = Blueprint("hq_relay", __name__, template_folder="templates")
MAX_BODY = 64 * 1024  # the pages' forms and the public API's bodies are a few hundred bytes
POLL_MAX_S = 30.0


def init_app(app: Flask) -> None:
    app.extensions["navbat.hq.relay"] = Relay(app.config.get("RELAY_ANSWER_S", ANSWER_S))
    app.register_blueprint(bp)


def relay() -> Relay:
    return current_app.extensions["navbat.hq.relay"]


def _branch_of_token() -> str | None:
    head = request.headers.get("Authorization", "")
    token = head[7:].strip() if head.startswith("Bearer ") else None
    if not token:
        return None
    with pool().connection() as conn:
        return accounts.branch_of(conn, token)


@bp.get("/api/v1/hq/relay/poll")
def poll() -> Any:
    branch = _branch_of_token()
    if branch is None:
        return error(401, "unauthorized", "a branch token is needed")
    wait = min(max(request.args.get("wait", 20.0, type=float), 0.0), POLL_MAX_S)
    return jsonify({"requests": relay().poll(branch, wait)})


@bp.post("/api/v1/hq/relay/answer/<rid>")
def answer(rid: str) -> Any:
    branch = _branch_of_token()
    if branch is None:
        return error(401, "unauthorized", "a branch token is needed")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("status"), int):
        return error(400, "bad_request", 'send {"status", "headers", "body" (base64)}')
    if not relay().answer(branch, rid, body):
        return error(410, "gone", "HQ no longer waits for this request")
    return Response(status=204)


def _lang() -> str:
    try:
        return parse_lang(request.args.get("lang") or request.cookies.get("navbat_lang"))
    except ValueError:
        return "fa"


def _refuse(status: int, code: str, branch: str, path: str) -> tuple[Any, int]:
    """Said to the visitor: JSON for the API, a page for a person."""
    lang = _lang()
    _ = gettext_for("hq", lang)
    words = {"branch_offline": _("This branch cannot be reached now. Please take a turn at the branch."),
             "relay_timeout": _("The branch did not answer in time. A turn that was taken is texted to you, "
                                "and sending the same form again shows it; a booking that was made is shown "
                                "when you book again with a new code."),
             "not_found": _("There is no such page here.")}
    if path.startswith("/api/"):
        return jsonify({"error": code, "message": words[code]}), status
    row = _known(branch) if code != "not_found" else None
    name = ((row or {}).get("profile") or {}).get("name", {}).get(lang) or f"{_('Branch')} {branch}"
    return render_template("relay_refused.html", _=_, lang=lang, dir=direction(lang), message=words[code],
                           name=name), status


def _known(branch: str) -> dict[str, Any] | None:
    """The branch's row (its profile holds its name, once it has shipped), or None if HQ does not know it."""
    with pool().connection() as conn:
        return conn.execute("SELECT id, profile FROM branches WHERE id=%s", [branch]).fetchone()


@bp.get("/<any(join, book):page>/<branch>")
def entry(page: str, branch: str) -> Any:
    query = request.query_string.decode("latin-1")
    return redirect(f"/b/{branch}/{page}" + (f"?{query}" if query else ""), 302)


@bp.get("/b/<branch>/fonts/<any('Vazirmatn-Regular.ttf', 'Vazirmatn-Bold.ttf'):name>")
@bp.get("/b/<branch>/display/fonts/<any('Vazirmatn-Regular.ttf', 'Vazirmatn-Bold.ttf'):name>")  # url_for's pick
def font(branch: str, name: str) -> Response:
    with as_file(files("navbat.assets") / "fonts" / name) as path:
        return send_file(path, mimetype="font/ttf", max_age=86400)


@bp.get("/b/<branch>/static/tracking/track.js")
def track_js(branch: str) -> Response:
    with as_file(files("navbat.server") / "static" / "tracking" / "track.js") as path:
        return send_file(path, mimetype="text/javascript", max_age=3600)


@bp.route("/b/<branch>/<path:rest>", methods=["GET", "POST"])
def forward(branch: str, rest: str) -> Any:
    path = "/" + rest
    if not public(request.method, path) or not _known(branch):
        return _refuse(404, "not_found", branch, path)
    if (request.content_length or 0) > MAX_BODY:
        return error(413, "too_large", "a public request's body is at most 64 KB")
    req = {"method": request.method, "path": path, "query": request.query_string.decode("latin-1"),
           "headers": {k: v for k, v in request.headers.items() if k.lower() in REQUEST_HEADERS},
           "body": base64.b64encode(request.get_data()[:MAX_BODY]).decode(), "remote_addr": request.remote_addr,
           "host": request.host, "branch": branch, "scheme": request.scheme,
           "lang_cookie": request.cookies.get("navbat_lang", "")}
    try:
        got = relay().forward(branch, req)
    except Offline:
        return _refuse(503, "branch_offline", branch, path)
    if got is None:
        return _refuse(504, "relay_timeout", branch, path)
    response = Response(base64.b64decode(got.get("body") or ""), status=got["status"])
    for name, value in (got.get("headers") or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"  # a visitor's turn is theirs alone
    return response
