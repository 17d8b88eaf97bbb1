"""What of a branch's answer reaches a visitor through HQ (issue 23): a filter, not a pipe.

The branch is trusted with its own pages, not with HQ's origin: only the headers the public pages
need pass, a content type only from an allow-list that has no script type in it (with nosniff, a
browser then runs none of the branch's bytes as script, so HQ's `script-src 'self'` means HQ's own
files), and a redirect only to a path under the branch's own /b/<branch>/. Set-Cookie, CORS, the
branch's CSP and everything else are dropped; HQ sets its own safety headers (hq/safety.py).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from typing import Any
from urllib.parse import quote, urlsplit

from navbat.hq import safety

CONTENT_TYPES = ("text/html", "application/json", "text/plain")
MAX_ANSWER = 2 * 1024 * 1024  # a page is tens of KB
_VALUE = re.compile(r"[\x20-\x7e]{0,1000}\Z")  # printable ASCII on one line, bounded
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?\Z")


class BadAnswer(ValueError):
    """The branch's answer cannot be given to a visitor as it is."""


def prefix(branch: str) -> str:
    return f"/b/{quote(branch, safe='')}/"


def location(branch: str, value: str) -> str | None:
    """The redirect's target under /b/<branch>/, or None: an address elsewhere (another host, another
    branch, HQ's own pages) is not followed."""
    if "\\" in value or not _VALUE.match(value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    path, base = parts.path, prefix(branch)
    if not path.startswith(base):
        path = base.rstrip("/") + path  # the hub's own root: under the branch's prefix
    tidy = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
    if not tidy.startswith(base):
        return None  # /b/<branch>/../../hq
    return tidy + (f"?{parts.query}" if parts.query else "")


def filtered(branch: str, answer: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body a visitor gets for the branch's `answer`; BadAnswer if none fits."""
    status = answer.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise BadAnswer(f"status {status!r}")
    raw = answer.get("body") or ""
    if not isinstance(raw, str) or len(raw) > MAX_ANSWER * 4 // 3 + 4:
        raise BadAnswer("body")
    try:
        body = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadAnswer("body is not base64") from None
    headers = answer.get("headers") if isinstance(answer.get("headers"), dict) else {}
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str) or not _VALUE.match(value):
            continue
        n = name.lower()
        if n == "content-type" and value.split(";")[0].strip().lower() in CONTENT_TYPES:
            out["Content-Type"] = value
        elif n == "content-language" and _LANGUAGE.match(value):
            out["Content-Language"] = value
        elif n == "retry-after" and value.isdigit() and len(value) <= 6:
            out["Retry-After"] = value
        elif n == "location" and 300 <= status < 400:
            target = location(branch, value)
            if target is not None:
                out["Location"] = target
    if 300 <= status < 400 and "Location" not in out:
        raise BadAnswer("a redirect out of the branch's pages")
    out.setdefault("Content-Type", "application/octet-stream")  # never sniffed, never run
    return status, {**safety.HEADERS, **out, "Cache-Control": "no-store"}, body
