"""The hub's live event stream (SSE), followed across outages with Last-Event-ID.

`EventStream` runs on its own thread: it connects to GET /api/v1/events, hands each
event (a dict) to `on_event`, and remembers the last id. When the hub goes away it
says so through `on_status(False)`, retries with a growing pause, and on return asks
for everything after the last id it saw, so no call is missed and none is repeated.

An event without an `id:` line (the hub's "queue.changed": estimates moved, nothing
logged) is delivered like any other but leaves the last id as it was: it is not in
the hub's log, so it can be neither asked for again nor skipped past.

A device sends its token (`Authorization: Bearer`): the hub keeps stream slots for registered
devices that anonymous subscribers cannot take. A hub at its cap answers 503 with Retry-After;
the stream waits that long before it tries again.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

READ_TIMEOUT_S = 45.0  # the hub sends a keep-alive every 15 s; silence this long means it is gone
_CONNECTED = re.compile(r"connected at event (\d+)")


class _Busy(http.client.HTTPException):
    """503: the hub serves as many streams as it may; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"events: HTTP 503, retry after {retry_after:g} s")
        self.retry_after = retry_after


class EventStream:
    def __init__(self, hub_url: str, on_event: Callable[[dict[str, Any]], None],
                 on_status: Callable[[bool], None] | None = None, last_event_id: int | None = None,
                 retry_s: float = 1.0, max_retry_s: float = 10.0, token: str | None = None,
                 query: str = "") -> None:
        parts = urlsplit(hub_url.rstrip("/"))
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"hub URL must look like http://host:port, not {hub_url!r}")
        self.host, self.port, self.prefix = parts.hostname, parts.port or 80, parts.path
        self.on_event, self.on_status = on_event, on_status
        self.token = token
        self.query = query  # e.g. "changes=1": a display that keeps the summaries (server/web/api/events.py)
        self.last_event_id = last_event_id
        self.retry_s, self.max_retry_s = retry_s, max_retry_s
        self.connected = False
        self.connects = 0
        self.handler_errors: list[str] = []
        self._stop = threading.Event()
        self._conn: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(target=self._run, name="hub-events", daemon=True)

    def start(self) -> EventStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read at once
            except OSError:
                pass
        self._thread.join(timeout=5)

    def _set_status(self, up: bool) -> None:
        if up != self.connected:
            self.connected = up
            if self.on_status:
                self.on_status(up)

    def _run(self) -> None:
        pause = self.retry_s
        while not self._stop.is_set():
            try:
                self._follow()
                pause = self.retry_s
            except _Busy as busy:
                pause = max(pause, min(busy.retry_after, 4 * self.max_retry_s))
            except (OSError, http.client.HTTPException, ValueError):
                pass
            finally:
                self._conn = None
            self._set_status(False)
            if self._stop.wait(pause):
                break
            pause = min(pause * 2, self.max_retry_s)

    def _follow(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=READ_TIMEOUT_S)
        self._conn = conn
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn.request("GET", f"{self.prefix}/api/v1/events" + (f"?{self.query}" if self.query else ""), headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            conn.close()
            retry = resp.getheader("Retry-After", "")
            if resp.status == 503:
                raise _Busy(float(retry) if retry.isdigit() else self.max_retry_s)
            raise http.client.HTTPException(f"events: HTTP {resp.status}")
        self.connects += 1
        event_id: str | None = None
        name = ""
        data: list[str] = []
        try:
            while not self._stop.is_set():
                raw = resp.readline()  # de-chunks: waitress streams with Transfer-Encoding: chunked
                if not raw:
                    return  # the hub closed the stream (restart): reconnect
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    m = _CONNECTED.search(line)
                    if m and self.last_event_id is None:
                        self.last_event_id = int(m.group(1))  # resume from here after an outage
                    self._set_status(True)
                elif line == "":
                    if data:
                        self._dispatch(event_id, name, "\n".join(data))
                    event_id, name, data = None, "", []
                else:
                    field, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if field == "id":
                        event_id = value
                    elif field == "event":
                        name = value
                    elif field == "data":
                        data.append(value)
                    elif field == "retry" and value.isdigit():
                        self.retry_s = int(value) / 1000
        finally:
            conn.close()

    def _dispatch(self, event_id: str | None, name: str, payload: str) -> None:
        event = json.loads(payload)
        if name and "type" not in event:
            event["type"] = name
        if event_id:  # no id line: delivered, but the position in the log stays where it was
            self.last_event_id = int(event_id)
        try:
            self.on_event(event)
        except Exception as exc:  # noqa: BLE001 - one bad handler must not drop the stream
            self.handler_errors.append(f"{event.get('type')}: {exc!r}")


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Polls predicate until true or timeout; for callers without a UI loop (LED driver, tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
