"""What every request passes before a handler sees it, and what every answer carries.

Before: a host name the branch allows (the DNS-rebinding defence), a bounded request line and
headers (431), a bounded body (413), JSON and only JSON in the API's writes (415: a cross-site
form or text/plain "simple" request never reaches a handler), and a JSON body of bounded depth,
text and numbers, each refused with the path of the field at fault (400). The body is parsed
here, once; `server.api.common.json_body()` hands it over.

After: the browser-safety headers (a Content-Security-Policy without inline script, nosniff,
no framing, no referrer).

The server has a limit on the request head of its own (server/web/serve.py), set above this one, and
answers past it with the same JSON 431.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
import socket
from typing import Any

from flask import Flask, Response, g, request
from navbat.server.hub import current
from navbat.server.web.errors import Rejected, excerpt
from werkzeug.routing import IntegerConverter, Map

MAX_BODY = 64 * 1024  # the largest real body (a what-if over every counter) is a few KB
# A kiosk's journal of up to 500 tickets issued while the hub was away (issue 26, docs/leases.md) is ~90 KB.
LARGER_BODIES = {"/api/v1/offline-tickets": 256 * 1024}
MAX_HEADERS = 32 * 1024  # request line and headers; nginx allows 4 x 8 KB by default
MAX_DEPTH = 8  # the deepest real body (what-if: {"changes": [{"services": {...}}]}) is 4
MAX_STRING = 1000  # a rating's comment (500) is the longest text a body carries
MAX_KEY = 64
HEADERS_TOO_LARGE = f"the request line and headers must stay under {MAX_HEADERS // 1024} KB"
MAX_INT = 2**63 - 1  # SQLite's INTEGER
API = "/api/v1/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|"|[\[\]{}:,]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_HOST_PORT = re.compile(r"(?:\[(?P<v6>[0-9a-z:.%]+)\]|(?P<name>[^:\[\]]+))(?::\d{0,5})?")

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",  # no inline script, no eval: page data comes in <script type="application/json">
    "style-src 'self' 'unsafe-inline'",  # the pages' <style> blocks (fonts, the tracking page) and style=""
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",  # every page (the wall, the rating tablet) is shown whole, never framed
))
SAFETY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers (old smart TVs) without CSP 2
    "Referrer-Policy": "no-referrer",  # a tracking page's address holds its code: it never leaves
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Int64(IntegerConverter):
    """<int:...> in a URL: at most SQLite's largest integer; a larger one is a 404, like any unknown id."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        if len(args) < 3:  # (fixed_digits, min, max, signed)
            kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: its <int:...> routes take the bounded converter."""
    app.url_map.converters["int"] = Int64
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        # werkzeug's own limit for a body of unknown length (chunked) cuts it short without a word:
        # one byte more than we allow, so that _data() can tell a body that was too long.
        app.config["MAX_CONTENT_LENGTH"] = max(MAX_BODY, *LARGER_BODIES.values()) + 1
    app.before_request(check_request)
    app.after_request(add_safety_headers)


# ---- before ------------------------------------------------------------------------------

def check_request() -> None:
    environ = request.environ
    host = environ.get("HTTP_HOST")
    # a request relayed from HQ (server/hqlink/relay.py, in-process: no header can set this key) carries HQ's host
    relayed = environ.get("navbat.relayed", False)
    if host is not None and not relayed and not host_allowed(host, current().branch.branch.allowed_hosts):
        raise Rejected(400, "bad_host", "this hub does not answer to that host name (allowed_hosts in the branch file)")
    if header_bytes(environ) > MAX_HEADERS:
        raise Rejected(431, "request_header_fields_too_large", HEADERS_TOO_LARGE)
    length = request.content_length
    if length is not None and length > _max_body():
        raise _too_large()
    if request.routing_exception is not None or request.method not in WRITES or not request.path.startswith(API):
        return
    if not length and environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
        return  # no body: POST /counters/3/next
    if request.mimetype != "application/json":
        raise Rejected(415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")
    g.navbat_body = parse_body(_data())


def body() -> Any:
    """The request's JSON body, checked (check_request did it before the view); {} when there is none."""
    if "navbat_body" not in g:
        g.navbat_body = parse_body(_data())
    return g.navbat_body


def _max_body() -> int:
    return LARGER_BODIES.get(request.path, MAX_BODY)


def _too_large() -> Rejected:
    return Rejected(413, "request_entity_too_large", f"the body must stay under {_max_body() // 1024} KB")


def _data() -> bytes:
    data = request.get_data(cache=True)
    if len(data) > _max_body():  # a chunked body, read up to werkzeug's limit (init_app)
        raise _too_large()
    return data


def host_allowed(host: str, allowed: list[str]) -> bool:
    name = _host_name(host)
    for pattern in allowed:
        if (pattern == "*" or name == pattern or (pattern == "<ip>" and _is_ip(name))
                or (pattern == "<hostname>" and name in machine_names())
                or (pattern.startswith("*.") and name.endswith(pattern[1:]))):
            return True
    return False


def _host_name(host: str) -> str:
    """"Name:port", "[v6]:port" or a bare name, lower case; anything else comes back whole (and matches nothing)."""
    host = host.strip().lower()
    m = _HOST_PORT.fullmatch(host)
    return (m["v6"] or m["name"]).rstrip(".") if m else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@functools.cache
def machine_names() -> frozenset[str]:
    """This machine's name, with and without its domain (no DNS lookup: it must not stall a request)."""
    name = socket.gethostname().lower().rstrip(".")
    return frozenset({name, name.partition(".")[0]})


def header_bytes(environ: dict[str, Any]) -> int:
    line = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    size = len(line) if line else len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    for key, value in environ.items():
        if (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")) and isinstance(value, str):
            size += len(key) + len(value) + 4  # "Name: value\r\n"
    return size


def parse_body(raw: bytes) -> Any:
    """JSON with at most MAX_DEPTH levels, text of at most MAX_STRING characters (keys MAX_KEY), no lone
    surrogates, integers SQLite can hold and finite numbers; anything else is refused with its field."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected(400, "malformed_json", "the body must be JSON in UTF-8") from None
    if not text.strip():
        return {}
    _check_depth(text)  # before the parser, whose recursion a deep body would exhaust
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise Rejected(400, "malformed_json", f"the body is not valid JSON ({excerpt(str(exc))})") from None
    _check(value, "")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(text: str) -> None:
    open_: list[list[Any]] = []  # per open container: its bracket and the key or index inside it
    last_string = ""
    for m in _TOKENS.finditer(text):
        token = m[0]
        c = token[0]
        if c == '"':
            if len(token) == 1:
                return  # an unterminated string: the parser says so
            last_string = token
        elif c == ":" and open_ and open_[-1][0] == "{":
            open_[-1][1] = last_string
        elif c == "," and open_ and open_[-1][0] == "[":
            open_[-1][1] += 1
        elif c in "[{":
            open_.append([c, 0 if c == "[" else None])
            if len(open_) > MAX_DEPTH:
                raise Rejected(400, "too_deep", f"the body may nest at most {MAX_DEPTH} levels",
                               _path_of(open_[:-1]))
        elif c in "]}" and open_:
            open_.pop()


def _path_of(open_: list[list[Any]]) -> str:
    path = ""
    for bracket, where in open_:
        if bracket == "[":
            path += f"[{where}]"
        elif where is not None:
            try:
                key = json.loads(where)
            except ValueError:
                key = where[1:-1]
            path = _join(path, key)
    return path


def _join(path: str, key: str) -> str:
    key = excerpt(key.encode("utf-8", "backslashreplace").decode("utf-8"))  # a lone surrogate, shown escaped
    return f"{path}.{key}" if path else key


def _check(value: Any, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path, MAX_STRING)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -MAX_INT - 1 <= value <= MAX_INT:
            raise Rejected(400, "out_of_range", "a whole number must fit in 64 bits", path or None)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Rejected(400, "out_of_range", "a number must be finite", path or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = _join(path, key)
            _check_text(key, where, MAX_KEY)
            _check(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")


def _check_text(text: str, path: str, limit: int) -> None:
    if _SURROGATE.search(text):
        raise Rejected(400, "bad_text", "text must be Unicode: a lone UTF-16 surrogate (\\ud800) is not",
                       path or None)
    if len(text) > limit:
        raise Rejected(400, "too_long", f"at most {limit} characters here", path or None)


# ---- after -------------------------------------------------------------------------------

def add_safety_headers(resp: Response) -> Response:
    for name, value in SAFETY_HEADERS.items():
        resp.headers.setdefault(name, value)
    return resp
