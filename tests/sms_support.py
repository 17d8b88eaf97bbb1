"""SMS helpers for the tests: the file log's messages and the codes in them, a fake HTTP gateway."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def read_log(path: Path, count: int = 1, timeout: float = 5.0) -> list[dict]:
    """The SMS the file log holds, once it holds at least `count` (the worker sends after the commit)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"{path} has fewer than {count} messages")


def code_from(message: dict) -> str:
    from navbat.foundation.persian import latin_digits
    return "".join(ch for ch in latin_digits(message["text"]) if ch.isdigit())


class FakeGateway(BaseHTTPRequestHandler):
    """An SMS gateway as the Iranian ones answer: GET with the message in the query string."""

    up = False
    received: list[dict] = []
    failures = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not type(self).up:
            type(self).failures += 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass
