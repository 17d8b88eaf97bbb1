"""The branch's end of HQ's relay (issue 18): visitors' public requests that reached HQ are run here.

The branch is behind NAT and only dials out, so it keeps a long-poll open to HQ
(GET /api/v1/hq/relay/poll with its HQ token). HQ answers it with the requests waiting for this
branch; each is run against this hub's own Flask app in-process (a WSGI call, no second network
hop) and its response posted back (POST /api/v1/hq/relay/answer/<id>), which HQ hands to the visitor.

Only PUBLIC paths run (the join and book pages and forms, the tracking pages, the public remote and
appointment API routes): whatever HQ sends, a staff path or a token never reaches the app. The
visitor's address goes in the WSGI environ's REMOTE_ADDR, which no header can set, so the per-address
limits (server/visitors/verify.py) count the visitor, not HQ. The app sees SCRIPT_NAME /b/<branch>, so its
url_for links and redirects point back through HQ. A request HQ has given up on (past its deadline
when it arrives) is not run: a visitor is never given a turn they were told nothing about.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from typing import Any
from urllib.parse import quote

import requests
from flask import Flask
from navbat.foundation.tokens import new_token
from navbat.foundation.workers import Loop, ThreadPool
from navbat.server.hqlink.cuttable import CuttableSession

log = logging.getLogger(__name__)
POLL_WAIT_S = 20  # how long HQ holds an empty poll open
_CODE = r"[A-Za-z0-9\-]{1,40}"
PUBLIC: tuple[tuple[str, re.Pattern[str]], ...] = tuple((m, re.compile(p + r"\Z")) for m, p in (
    ("GET", r"/join"), ("POST", r"/join/(code|turn)"),
    ("GET", r"/book"), ("POST", r"/book/(code|confirm)"), ("GET", rf"/book/{_CODE}"),
    ("POST", rf"/book/{_CODE}/(cancel|move)"),
    ("GET", rf"/t/{_CODE}(/live)?"), ("POST", rf"/t/{_CODE}/rate"),
    ("POST", r"/api/v1/remote/(verify|tickets)"),
    ("GET", r"/api/v1/appointments/slots"), ("POST", r"/api/v1/appointments"),
    ("GET", rf"/api/v1/appointments/{_CODE}"), ("POST", rf"/api/v1/appointments/{_CODE}/cancel"),
    ("GET", r"(/display)?/fonts/Vazirmatn-(Regular|Bold)\.ttf"),
    ("GET", r"/static/(tracking/track|shared/navbat|shared/event_types)\.js"),
))
# what of the visitor's request reaches the app: never Authorization, never a staff cookie
REQUEST_HEADERS = ("content-type", "accept", "accept-language", "idempotency-key", "user-agent")
# what of the app's answer goes back: what HQ lets through (hq/relay_filter.py); HQ sets its own safety headers
RESPONSE_HEADERS = ("content-type", "content-language", "location", "retry-after")


def public(method: str, path: str) -> bool:
    """Whether a visitor may reach `path` through HQ (HQ checks it too; this side decides)."""
    if path.startswith("/api/v1/appointments/") and path.rsplit("/", 1)[-1] in ("today", "shares"):
        return False  # staff routes that the booking code's pattern would let through
    return any(m == method and p.match(path) for m, p in PUBLIC)


def run_one(app: Flask, req: dict[str, Any]) -> dict[str, Any]:
    """Runs one relayed request against the app; its status, headers and body (base64)."""
    method, path = req["method"], req["path"]
    if not public(method, path):
        return {"status": 404, "headers": {"Content-Type": "application/json"},
                "body": base64.b64encode(b'{"error": "not_found", "message": "not a public page"}').decode()}
    headers = {k: v for k, v in (req.get("headers") or {}).items() if k.lower() in REQUEST_HEADERS}
    lang = (req.get("lang_cookie") or "")[:5]
    client = app.test_client(use_cookies=False)
    scheme = "https" if req.get("scheme") == "https" else "http"
    response = client.open(
        path, method=method, query_string=req.get("query", ""), headers=headers,
        data=base64.b64decode(req.get("body") or ""),
        base_url=f"{scheme}://{req.get('host') or 'hq'}/b/{quote(str(req.get('branch') or 'branch'), safe='')}",
        environ_base={"REMOTE_ADDR": str(req.get("remote_addr") or "unknown"), "navbat.relayed": True,
                      **({"HTTP_COOKIE": f"navbat_lang={lang}"} if lang.isalpha() else {})})
    try:
        out = {k: v for k, v in response.headers.items() if k.lower() in RESPONSE_HEADERS}
        return {"status": response.status_code, "headers": out, "body": base64.b64encode(response.get_data()).decode()}
    finally:
        response.close()


class RelayClient:
    """The long-poll to HQ, beside the shipper (navbat hub --hq URL --hq-token TOKEN): two of the hub's
    workers, `hq-relay` (the poll) and `relay` (the threads that run what it brings)."""

    def __init__(self, app: Flask, hq_url: str, token: str, workers: int = 4, max_backoff_s: float = 30.0,
                 poll_wait_s: float = POLL_WAIT_S) -> None:
        self.app, self.base, self.poll_wait_s = app, hq_url.rstrip("/") + "/api/v1/hq/relay", poll_wait_s
        self.http = CuttableSession()  # the poller's stop cuts a poll in flight (server/hqlink/cuttable.py)
        self.http.headers["Authorization"] = f"Bearer {token}"
        # who polls, for HQ: one hub per branch at a time, so a second (a stolen token) is refused, not raced
        self.http.headers["X-Navbat-Poller"] = new_token(16)
        self.pool = ThreadPool("relay", workers)
        self.max_backoff_s = max_backoff_s
        self._backoff = 1.0
        self.poller = Loop("hq-relay", self._step, interrupt=self.http.cut)

    @property
    def workers(self) -> tuple[ThreadPool, Loop]:
        return self.pool, self.poller  # the pool first: it is there before the poll hands it work

    def start(self) -> RelayClient:
        """Alone, without a hub (tests); a hub's workers are the hub's (server/web/app.py adds them)."""
        for worker in self.workers:
            worker.start()
        return self

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
        for worker in reversed(self.workers):
            worker.join(5)

    def _step(self) -> float:
        """The worker's step: one poll, its requests handed to the pool; seconds until the next poll."""
        try:
            r = self.http.get(f"{self.base}/poll", params={"wait": self.poll_wait_s}, timeout=self.poll_wait_s + 15)
            if r.status_code == 409:  # another hub holds this branch's link (HQ's /hq names it)
                raise requests.RequestException("HQ says another hub polls for this branch now")
            if r.status_code != 200:
                raise requests.RequestException(f"HTTP {r.status_code}")
            received = time.monotonic()
            if self.poller.stopping:  # stopped while the poll was out: the requests are left to time out
                return 0.0
            for req in r.json().get("requests", []):
                self.pool.submit(self._answer, req, received)
        except (requests.RequestException, ValueError) as exc:
            if self.poller.stopping:
                return 0.0
            wait, self._backoff = self._backoff, min(self._backoff * 2, self.max_backoff_s)
            log.warning("HQ relay unreachable (%s); retrying in %.0f s", exc, wait)
            return wait
        self._backoff = 1.0
        return 0.0

    def _answer(self, req: dict[str, Any], received: float) -> None:
        if time.monotonic() - received > float(req.get("expires_in", 0)):
            log.warning("relayed %s %s arrived after HQ gave up on it; not run", req.get("method"), req.get("path"))
            return
        try:
            answer = run_one(self.app, req)
        except Exception:  # noqa: BLE001 - the visitor gets a 500 from HQ, the hub carries on
            log.exception("relayed %s %s failed", req.get("method"), req.get("path"))
            answer = {"status": 500, "headers": {}, "body": ""}
        try:
            self.http.post(f"{self.base}/answer/{req['id']}", json=answer, timeout=15)
        except requests.RequestException as exc:
            log.warning("could not answer relayed request %s (%s)", req.get("id"), exc)

