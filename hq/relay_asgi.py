"""The relay served on each worker's event loop (issues 18, 23): the branches' polls and answers and
the visitors' relayed requests (/b/<branch>/...) wait here, so no Flask thread ever waits for a
branch or for the network; the waiting itself is hq/relay.py's, through PostgreSQL.

A visitor always gets an answer within the relay's bounds: the branch's page (filtered:
hq/relay_filter.py), or HQ's own Persian page (hq/templates/relay_refused.html) saying the branch
is offline, busy (503 with Retry-After), slow (504) or that HQ cannot reach it now (503).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from http.cookies import CookieError, SimpleCookie
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, render_template
from navbat.foundation.i18n import direction, gettext_for, parse_lang
from navbat.foundation.persian import fa_digits
from navbat.hq import relay_filter, safety
from navbat.hq.relay import ANSWER_S, Busy, Conflict, Offline, RelayHub, Revoked, Unavailable
from navbat.server.hqlink.relay import REQUEST_HEADERS, public

POLL = "/api/v1/hq/relay/poll"
ANSWER = "/api/v1/hq/relay/answer/"
POLL_MAX_S = 30.0
MAX_BODY = 64 * 1024  # the pages' forms and the public API's bodies are a few hundred bytes
BODY_S = 10.0  # a request's whole body arrives within this
RETRY_S = 5  # what a visitor told "busy" is asked to wait
_BRANCH = re.compile(r"/b/(?P<branch>[A-Za-z0-9_.\-]{1,64})(?P<rest>/.*)\Z")
_POLLER = re.compile(r"[A-Za-z0-9_\-]{8,64}\Z")
_RID = re.compile(r"[0-9]{1,18}\Z")
# HQ's own copies (the same package): the branch's uplink is not spent on them
_STATIC = {
    re.compile(r"(/display)?/fonts/Vazirmatn-(Regular|Bold)\.ttf"): ("font/ttf", 86400),
    re.compile(r"/static/(tracking/track|shared/navbat|shared/event_types)\.js"): ("text/javascript", 3600),
}


class RelayApp:
    """Serves POLL, ANSWER and /b/<branch>/ for one worker process."""

    def __init__(self, flask_app: Flask) -> None:
        self.flask = flask_app
        answer_s = float(flask_app.config.get("RELAY_ANSWER_S")
                         or os.environ.get("NAVBAT_HQ_RELAY_ANSWER_S") or ANSWER_S)  # tests shorten it
        self.hub = RelayHub(flask_app.config["DATABASE"], answer_s=answer_s)
        self._static: dict[str, bytes] = {}
        self._pages: dict[tuple[str, str, str], bytes] = {}  # HQ's own refusal pages, rendered

    @staticmethod
    def handles(path: str) -> bool:
        return path == POLL or path.startswith(ANSWER) or path.startswith("/b/")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"]
        if path == POLL:
            return await self.poll(scope, receive, send)
        if path.startswith(ANSWER):
            return await self.answer(scope, receive, send, path[len(ANSWER):])
        return await self.visit(scope, receive, send)

    # -- the branch's poll and answers --------------------------------------------------------------

    async def _branch_of(self, scope: dict[str, Any]) -> str | None:
        head = _header(scope, b"authorization")
        token = head[7:].strip() if head.startswith("Bearer ") else ""
        return await self.hub.branch_of(token) if token else None

    @staticmethod
    def _poller(scope: dict[str, Any]) -> str:
        """Which hub polls: the id it sends (server/hqlink/relay.py picks one per run), else its address."""
        given = _header(scope, b"x-navbat-poller")
        return given if _POLLER.match(given) else f"addr:{_address(scope)}"

    async def poll(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["method"] != "GET":
            return await _json(send, 405, {"error": "method_not_allowed", "message": "GET only"})
        try:
            branch = await self._branch_of(scope)
            if branch is None:
                return await _json(send, 401, {"error": "unauthorized", "message": "a branch token is needed"})
            try:
                wait = float(_query(scope).get("wait", ["20"])[0])
            except ValueError:
                wait = 20.0
            wait = min(max(wait, 0.0), POLL_MAX_S) if wait == wait else 20.0  # NaN: the default

            async def hung_up() -> None:  # the hub went away: stop counting it online at once
                while (await receive())["type"] != "http.disconnect":
                    pass
            gone = asyncio.ensure_future(hung_up())
            try:
                got = await self.hub.poll(branch, self._poller(scope), _address(scope), wait, gone)
            finally:
                gone.cancel()
        except Conflict:
            return await _json(send, 409, {"error": "another_poller", "message":
                                           "another hub polls for this branch now; HQ's /hq names it"})
        except Revoked:
            return await _json(send, 401, {"error": "unauthorized", "message": "this token was replaced"})
        except Unavailable:
            return await _json(send, 503, {"error": "unavailable", "message": "HQ's database does not answer"},
                               {"Retry-After": str(RETRY_S)})
        if got is not None:
            await _json(send, 200, {"requests": got})

    async def answer(self, scope: dict[str, Any], receive: Any, send: Any, rid: str) -> None:
        if scope["method"] != "POST":
            return await _json(send, 405, {"error": "method_not_allowed", "message": "POST only"})
        try:
            branch = await self._branch_of(scope)
            if branch is None:
                return await _json(send, 401, {"error": "unauthorized", "message": "a branch token is needed"})
            raw = await _body(scope, receive, relay_filter.MAX_ANSWER * 2)
            if raw is None:
                return await _json(send, 413, {"error": "too_large", "message": "an answer is at most 4 MB, "
                                               f"sent within {BODY_S:.0f} s"})
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("status"), int):
                return await _json(send, 400, {"error": "bad_request",
                                               "message": 'send {"status", "headers", "body" (base64)}'})
            if not _RID.match(rid) or not await self.hub.answer(branch, self._poller(scope), int(rid),
                                                                raw.decode("utf-8", "replace")):
                return await _json(send, 410, {"error": "gone", "message": "HQ no longer waits for this request"})
        except Unavailable:
            return await _json(send, 503, {"error": "unavailable", "message": "HQ's database does not answer"})
        await send({"type": "http.response.start", "status": 204, "headers": safety.asgi_headers()})
        await send({"type": "http.response.body", "body": b""})

    # -- a visitor's request --------------------------------------------------------------------

    async def visit(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        method, found = scope["method"], _BRANCH.match(scope["path"])
        lang = _lang(scope)
        if found is None:
            return await self._refuse(send, 404, "not_found", lang, None, scope["path"])
        branch, path = found["branch"], found["rest"]
        for pattern, (mimetype, age) in _STATIC.items():
            if method == "GET" and pattern.fullmatch(path):
                return await self._file(send, path, mimetype, age)
        if not public(method, path):
            return await self._refuse(send, 404, "not_found", lang, None, path)
        try:
            row = await self.hub.branch(branch)
            if row is None:
                return await self._refuse(send, 404, "not_found", lang, None, path)
            body = await _body(scope, receive, MAX_BODY)
            if body is None:
                return await _json(send, 413, {"error": "too_large", "message":
                                               f"a public request's body is at most 64 KB, sent within {BODY_S:.0f} s"})
            req = {"method": method, "path": path, "query": scope.get("query_string", b"").decode("latin-1"),
                   "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                               if k.decode("latin-1").lower() in REQUEST_HEADERS},
                   "body": _b64(body), "remote_addr": _address(scope), "host": _header(scope, b"host") or "hq",
                   "branch": branch, "scheme": scope.get("scheme", "http"), "lang_cookie": _cookie_lang(scope)}
            got = await self.hub.forward(branch, req)
        except Busy:
            return await self._refuse(send, 503, "busy", lang, branch, path, {"Retry-After": str(RETRY_S)})
        except Offline:
            return await self._refuse(send, 503, "branch_offline", lang, branch, path)
        except Unavailable:
            return await self._refuse(send, 503, "unavailable", lang, None, path, {"Retry-After": str(RETRY_S * 6)})
        if got is None:
            return await self._refuse(send, 504, "relay_timeout", lang, branch, path)
        try:
            status, headers, content = relay_filter.filtered(branch, got)
        except relay_filter.BadAnswer:
            return await self._refuse(send, 502, "bad_answer", lang, branch, path)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]})
        await send({"type": "http.response.body", "body": content})

    async def _file(self, send: Any, path: str, mimetype: str, age: int) -> None:
        name = path.rsplit("/", 1)[-1]
        if name not in self._static:
            where = (files("navbat.assets") / "fonts" / name if name.endswith(".ttf")
                     else files("navbat.server.web") / "static" / path.split("/")[-2] / name)  # tracking/ or shared/
            self._static[name] = where.read_bytes()
        await send({"type": "http.response.start", "status": 200, "headers": safety.asgi_headers(
            {"Content-Type": mimetype, "Cache-Control": f"public, max-age={age}"})})
        await send({"type": "http.response.body", "body": self._static[name]})

    async def _refuse(self, send: Any, status: int, code: str, lang: str, branch: str | None, path: str,
                      extra: dict[str, str] | None = None) -> None:
        """Said to the visitor: JSON for the API, HQ's own page for a person."""
        _ = gettext_for("hq", lang)
        seconds = fa_digits(RETRY_S) if lang == "fa" else str(RETRY_S)
        words = {
            "branch_offline": _("This branch cannot be reached now. Please take a turn at the branch."),
            "relay_timeout": _("The branch did not answer in time. A turn that was taken is texted to you, "
                               "and sending the same form again shows it; a booking that was made is shown "
                               "when you book again with a new code."),
            "not_found": _("There is no such page here."),
            "busy": _("Many visitors are reaching this branch at once. Please try again in {seconds} seconds.")
            .format(seconds=seconds),
            "unavailable": _("Turns cannot be taken online for a few minutes. Please try again later or take "
                             "a turn at the branch."),
            "bad_answer": _("The branch's answer could not be shown. Please try again or take a turn at the "
                            "branch."),
        }
        headers = {"Cache-Control": "no-store", **(extra or {})}
        if path.startswith("/api/"):
            return await _json(send, status, {"error": code, "message": words[code]}, headers)
        name = None
        if branch is not None:
            try:
                row = await self.hub.branch(branch)
            except Unavailable:
                row = None
            name = ((row or {}).get("profile") or {}).get("name", {}).get(lang)
        name = name or (f"{_('Branch')} {branch}" if branch else _("Navbat"))
        key = (code, lang, name)
        if key not in self._pages:  # a flood of "busy" answers renders its page once
            with self.flask.test_request_context("/"):  # url_for of HQ's fonts
                page = render_template("relay_refused.html", _=_, lang=lang, dir=direction(lang),
                                       message=words[code], name=name)
            if len(self._pages) >= 1024:
                self._pages.clear()
            self._pages[key] = page.encode()
        await send({"type": "http.response.start", "status": status, "headers": safety.asgi_headers(
            {"Content-Type": "text/html; charset=utf-8", **headers})})
        await send({"type": "http.response.body", "body": self._pages[key]})


async def _json(send: Any, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": safety.asgi_headers(
        {"Content-Type": "application/json", "Cache-Control": "no-store", **(extra or {})})})
    await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})


async def _body(scope: dict[str, Any], receive: Any, limit: int) -> bytes | None:
    """The request's whole body, or None if it is over `limit` or does not arrive within BODY_S."""
    declared = _header(scope, b"content-length")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0

    async def read() -> bool:
        nonlocal size
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return False
            chunks.append(chunk)
            if not message.get("more_body"):
                return True
    try:
        complete = await asyncio.wait_for(read(), BODY_S)
    except TimeoutError:
        return None
    return b"".join(chunks) if complete else None


def _header(scope: dict[str, Any], name: bytes) -> str:
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return ""


def _address(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _query(scope: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def _cookie_lang(scope: dict[str, Any]) -> str:
    try:
        jar = SimpleCookie(_header(scope, b"cookie"))
    except CookieError:
        return ""
    morsel = jar.get("navbat_lang")
    return morsel.value[:5] if morsel else ""


def _lang(scope: dict[str, Any]) -> str:
    try:
        return parse_lang(_query(scope).get("lang", [None])[0] or _cookie_lang(scope) or None)
    except ValueError:
        return "fa"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
