"""The branches' relay poll served on uvicorn's event loop (issue 18): every online branch keeps one
open for up to 30 s, so a thread each (a2wsgi's pool of 16 for all of Flask) would let a handful of
branches stall HQ. Everything else, the visitors' relayed requests included, stays in Flask."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from navbat.hq import accounts
from navbat.hq.relay import Relay

PATH = "/api/v1/hq/relay/poll"
POLL_MAX_S = 30.0


async def _reply(send: Any, status: int, body: dict[str, Any]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})


def _branch_of(app: Flask, token: str) -> str | None:
    with app.extensions["navbat.hq"].connection() as conn:
        return accounts.branch_of(conn, token)


async def poll(app: Flask, scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["method"] != "GET":
        return await _reply(send, 405, {"error": "method_not_allowed", "message": "GET only"})
    head = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    token = head[7:].strip() if head.startswith("Bearer ") else ""
    branch = await asyncio.to_thread(_branch_of, app, token) if token else None  # a short query, off the loop
    if branch is None:
        return await _reply(send, 401, {"error": "unauthorized", "message": "a branch token is needed"})
    try:
        wait = float(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("wait", ["20"])[0])
    except ValueError:
        wait = 20.0
    relay: Relay = app.extensions["navbat.hq.relay"]

    async def hung_up() -> None:  # the branch's hub went away: stop counting it online at once
        while (await receive())["type"] != "http.disconnect":
            pass

    gone = asyncio.ensure_future(hung_up())
    try:
        got = await relay.poll_async(branch, min(max(wait, 0.0), POLL_MAX_S), gone)
    finally:
        gone.cancel()
    if got is not None:
        await _reply(send, 200, {"requests": got})
