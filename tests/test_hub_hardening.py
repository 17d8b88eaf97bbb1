"""Issue 15, "Bounded everything" and "Browser safety": the issue's attacks, each over a real
socket against a live hub as `navbat hub` serves it. "Before:" says what the hub did at commit 9359239."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest
import requests
from conftest import PINS, LiveHub, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.server.hub import EXTENSION
from navbat.server.web.guards import MAX_BODY, MAX_DEPTH, MAX_HEADERS, machine_names
from navbat.server.web.pages import display
from navbat.server.web.serve import MAX_HEADER_BYTES

API = "/api/v1"
JSON = {"Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024
BIG_ID = "99999999999999999999"  # past 2**64


class Hub:
    """A live hub, as its devices and an attacker on the LAN reach it."""

    def __init__(self, live: LiveHub) -> None:
        self.url, self.app = live.url, live.app
        self.s = requests.Session()
        self.kiosk = {"Authorization": f"Bearer {live.app.config['KIOSK_TOKEN']}"}
        self._head: dict[str, str] | None = None
        self._keys = 0

    @property
    def head(self) -> dict[str, str]:
        if self._head is None:
            r = self.s.post(f"{self.url}{API}/login", json={"username": "head", "pin": PINS["head"]}, timeout=10)
            assert r.status_code == 200, r.text
            self._head = {"Authorization": f"Bearer {r.json()['token']}"}
        return self._head

    def key(self) -> dict[str, str]:
        self._keys += 1
        return {**self.kiosk, "Idempotency-Key": f"hardening-{self._keys}"}

    def raw(self, method: str, path: str, body: str | bytes, headers: dict[str, str] | None = None,
            ctype: str | None = "application/json") -> requests.Response:
        headers = {**({"Content-Type": ctype} if ctype else {}), **(headers or {})}
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.s.request(method, f"{self.url}{path}", data=data, headers=headers, timeout=30)


@pytest.fixture
def hub(live_hub: LiveHub) -> Iterator[Hub]:
    h = Hub(live_hub)
    yield h
    h.s.close()


def error_of(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/json", r.headers["Content-Type"]
    body = r.json()
    assert body["error"] == code and body["message"], body
    return body


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


# ---- bad input answers 4xx, never 500 ----------------------------------------------------

def test_json_nested_a_thousand_deep_is_refused_with_its_field(hub: Hub) -> None:
    """Before: 500 (RecursionError) on each of these."""
    deep = nested(1000)
    cases = [
        ("POST", f"{API}/login", f'{{"username": "head", "pin": {deep}}}', {}, "pin"),
        ("POST", f"{API}/ratings", f'{{"tracking_code": "X", "score": 5, "comment": {deep}}}', {}, "comment"),
        ("POST", f"{API}/tickets", f'{{"service": "PR1", "priority": {deep}}}', hub.key(), "priority"),
        ("PUT", f"{API}/counters/1/services", f'{{"services": {{"PR1": {deep}}}}}', hub.head, "services.PR1"),
        ("POST", f"{API}/head/what-if", f'{{"changes": {deep}}}', hub.head, "changes"),
    ]
    for method, path, body, headers, field in cases:
        refused = error_of(hub.raw(method, path, body, headers), 400, "too_deep")
        assert refused["field"].startswith(field + "[0]"), (path, refused)
    # The deepest the API takes, and one level more.
    ok = '{"changes": [{"counter": 4, "services": {"PR1": 1.0}}]}'
    assert hub.raw("POST", f"{API}/head/what-if", ok, hub.head).status_code == 200
    too_deep = f'{{"changes": [{{"counter": 4, "services": {{"PR1": {nested(MAX_DEPTH - 3)}}}}}]}}'
    refused = error_of(hub.raw("POST", f"{API}/head/what-if", too_deep, hub.head), 400, "too_deep")
    assert refused["field"] == "changes[0].services.PR1" + "[0]" * (MAX_DEPTH - 4)


def test_a_lone_surrogate_is_refused_not_a_500(hub: Hub) -> None:
    """Before: 500 (UnicodeEncodeError), on unauthenticated /login and /ratings too."""
    cases = [
        (f"{API}/login", r'{"username": "\ud800", "pin": "1404"}', {}, "username"),
        (f"{API}/ratings", r'{"tracking_code": "\udfff", "score": 5}', {}, "tracking_code"),
        (f"{API}/tickets", r'{"service": "PR1", "priority": "a\ud800b"}', hub.key(), "priority"),
        (f"{API}/tickets", r'{"service": "\ud83d"}', hub.key(), "service"),
    ]
    for path, body, headers, field in cases:
        assert error_of(hub.raw("POST", path, body, headers), 400, "bad_text")["field"] == field
    refused = error_of(hub.raw("PUT", f"{API}/counters/1/services", r'{"services": {"\ud800": 1}}', hub.head),
                       400, "bad_text")
    assert refused["field"] == r"services.\ud800"  # the key, shown escaped
    # The same bytes sent raw are not UTF-8 at all; a real pair of surrogates is an emoji, and fine.
    error_of(hub.raw("POST", f"{API}/login", b'{"username": "\xed\xa0\x80", "pin": "1"}'), 400, "malformed_json")
    r = hub.raw("POST", f"{API}/login", r'{"username": "\ud83d\ude00", "pin": "1404"}')
    assert r.status_code == 401, r.text


def test_ids_and_numbers_past_64_bits(hub: Hub) -> None:
    """Before: 500 (OverflowError) for the ticket id in the path and the numbers in a body."""
    error_of(hub.s.post(f"{hub.url}{API}/tickets/{BIG_ID}/cancel", headers=hub.head, timeout=10), 404, "not_found")
    error_of(hub.s.post(f"{hub.url}{API}/tickets/{2**63 - 1}/cancel", headers=hub.head, timeout=10), 404,
             "unknown_ticket")
    for path in (f"{API}/counters/{BIG_ID}", f"/rate/{BIG_ID}", f"{API}/counters/{BIG_ID}/next"):
        assert hub.s.get(f"{hub.url}{path}", headers=hub.head, timeout=10).status_code in (404, 405), path
    body = f'{{"services": {{"PR1": {BIG_ID}}}}}'
    assert error_of(hub.raw("PUT", f"{API}/counters/1/services", body, hub.head), 400,
                    "out_of_range")["field"] == "services.PR1"
    for big in ("1e999", "-1e999"):
        error_of(hub.raw("PUT", f"{API}/counters/1/services", f'{{"services": {{"PR1": {big}}}}}', hub.head), 400,
                 "out_of_range")
    error_of(hub.raw("PUT", f"{API}/counters/1/services", '{"services": {"PR1": NaN}}', hub.head), 400,
             "malformed_json")


def test_no_odd_request_answers_5xx(hub: Hub) -> None:
    """A sweep of odd requests at every write of the API and a few pages. Before: the deep, the
    surrogate and the 64-bit ones answered 500."""
    writes = [("POST", f"{API}/login", {}), ("POST", f"{API}/ratings", {}), ("POST", f"{API}/tickets", hub.key()),
              ("PUT", f"{API}/counters/1/services", hub.head), ("POST", f"{API}/head/what-if", hub.head),
              ("POST", f"{API}/counters/1/transfer", hub.head), ("POST", f"{API}/devices/status", hub.kiosk),
              ("POST", f"{API}/counters/1/done", hub.head)]
    bodies = ["", "{", "[]", "null", '"x"', "1e999", "{}", '{"a": 1e999}', f'{{"a": {BIG_ID}}}',
              '{"a": -' + "9" * 5000 + "}", nested(MAX_DEPTH + 1), nested(5000), r'["\ud800"]', r'{"\udc00": 1}',
              '{"a": "' + "x" * 5000 + '"}', '{"' + "k" * 500 + '": 1}', '{"service": {"a": [1, {"b": null}]}}',
              '{"services": [1, 2]}', '{"changes": "x"}', '{"counter": 1, "ticket": 1, "score": true}',
              '{"username": ["head"], "pin": {"x": 1}}', '{"status": ["ok"], "printer": 7}',
              "\ufeff{}", '{"a": "\\u0000"}', '{"a": 1}' + " " * 1000 + "x"]
    seen = []
    for method, path, headers in writes:
        for body in bodies:
            r = hub.raw(method, path, body, headers)
            seen.append(r.status_code)
            assert r.status_code < 500, (method, path, body[:40], r.status_code, r.text[:200])
    assert 400 in seen
    odd_gets = [f"{API}/tickets/%00", f"{API}/tickets/%ED%A0%80", "/t/%ff%fe", f"/t/{'x' * 5000}",
                f"{API}/ratings/pending?counter={BIG_ID}", f"{API}/ratings/pending?counter=-1",
                f"{API}/events?once=1&last_event_id={BIG_ID}", f"{API}/head/staffing?share=nan",
                f"/display/announce.wav?number=1&counter={'9' * 5000}", "/display?lang=%ED%A0%80",
                f"{API}/reports/daily?date=%ED%A0%80", "/display/clock?lang=xx", f"/rate/{BIG_ID}?faces=5"]
    for path in odd_gets:
        r = hub.s.get(f"{hub.url}{path}", headers=hub.head, timeout=10)
        assert r.status_code < 500, (path, r.status_code, r.text[:200])


# ---- size limits ---------------------------------------------------------------------------

def test_a_large_body_gets_413_without_an_echo(hub: Hub) -> None:
    """Before: accepted everywhere; /tickets answered 404 with the 10 MB echoed in its message."""
    big = '{"service": "' + "x" * TEN_MB + '"}'
    r = hub.raw("POST", f"{API}/tickets", big, hub.key())
    error_of(r, 413, "request_entity_too_large")
    assert len(r.content) < 500
    # Even where no handler reads a body, and on a page route.
    error_of(hub.raw("POST", f"{API}/counters/1/next", "x" * TEN_MB, hub.head), 413, "request_entity_too_large")
    error_of(hub.raw("POST", "/t/XYZ/rate", "score=5&comment=" + "x" * (MAX_BODY + 1),
                     ctype="application/x-www-form-urlencoded"), 413, "request_entity_too_large")
    # Just under the limit is read (and refused for what it says, not for its size).
    under = '{"service": "PR1", "priority": null, "pad": "' + " " * 10 + '"}' + " " * (MAX_BODY - 100)
    assert hub.raw("POST", f"{API}/tickets", under, hub.key()).status_code == 201


def test_error_messages_quote_only_an_excerpt(hub: Hub) -> None:
    """Before: the whole input came back in the message (900 characters here)."""
    for body, path, headers, status in (
        ('{"service": "' + "Q" * 900 + '"}', f"{API}/tickets", hub.key(), 404),
        ('{"services": {"' + "Q" * 64 + '": 1}}', f"{API}/counters/1/services", hub.head, 400),
        ('{"service": "PR1", "priority": "' + "Q" * 900 + '"}', f"{API}/tickets", hub.key(), 400),
    ):
        r = hub.raw("POST" if "tickets" in path else "PUT", path, body, headers)
        assert r.status_code == status, r.text[:200]
        message = r.json()["message"]
        assert "Q" * 61 not in message and len(message) <= 200 and "Q" * 20 in message, message
    refused = error_of(hub.raw("POST", f"{API}/tickets", '{"service": "' + "Q" * 5000 + '"}', hub.key()), 400,
                       "too_long")
    assert refused["field"] == "service"
    key = "K" * 500
    refused = error_of(hub.raw("POST", f"{API}/login", f'{{"{key}": 1}}'), 400, "too_long")
    assert refused["field"] == "K" * 60 + "…"


def test_a_device_status_is_bounded(hub: Hub) -> None:
    """Before: a kiosk could store any printer name (10 MB too), which GET /devices/status served to anyone."""
    url = f"{hub.url}{API}/devices/status"
    for printer in ("P" * 17, "lobby printer", "<img src=x>", 7, ""):
        r = hub.s.post(url, json={"printer": printer, "status": "ok"}, headers=hub.kiosk, timeout=10)
        error_of(r, 400, "bad_printer")
    error_of(hub.raw("POST", f"{API}/devices/status", '{"printer": "' + "P" * TEN_MB + '", "status": "ok"}',
                     hub.kiosk), 413, "request_entity_too_large")
    error_of(hub.s.post(url, json={"status": "ok", "detail": {"a": 1}}, headers=hub.kiosk, timeout=10), 400,
             "bad_field")
    r = hub.s.post(url, json={"printer": "kiosk-1-printer", "status": "paper_out", "detail": "d" * 900},
                   headers=hub.kiosk, timeout=10)
    assert r.status_code == 200, r.text
    devices = hub.s.get(url, timeout=10).json()["devices"]
    assert [d["name"] for d in devices] == ["kiosk-1-printer"]
    assert len(devices[0]["detail"]) == 200


def test_the_announcement_speaks_each_voice_once_and_is_cached(hub: Hub) -> None:
    """Before: voice=fa,fa,… with 2,000 voices built a 216 MB WAV, with no login; nothing was cached."""
    url = f"{hub.url}/display/announce.wav?number=A-012&counter=3"
    started = time.monotonic()
    r = hub.s.get(url + "&voice=" + ",".join(["fa"] * 2000), timeout=10)
    error_of(r, 400, "bad_voice")
    assert time.monotonic() - started < 2
    for voice in ("fa,fa", "en,fa,en", "fa,de", ""):
        error_of(hub.s.get(f"{url}&voice={voice}", timeout=10), 400, "bad_voice")
    display._wav.cache_clear()
    first = hub.s.get(f"{url}&voice=fa,en", timeout=10)
    assert first.status_code == 200 and first.headers["Content-Type"] == "audio/wav"
    assert hub.s.get(f"{url}&voice=fa,en", timeout=10).content == first.content
    assert hub.s.get(f"{url}&voice=en", timeout=10).status_code == 200
    info = display._wav.cache_info()
    assert (info.hits, info.misses, info.maxsize) == (1, 2, display.WAV_CACHE)


def test_big_headers_get_431(hub: Hub) -> None:
    """Before: a header block between 32 KB and waitress' 256 KB was taken (200). Past the
    server's limit, a 300 KB header gets the same JSON 431, not a reset: the server reads and
    drops what the client still sends before it closes (server.serve.HubProtocol)."""
    r = hub.s.get(f"{hub.url}{API}/health", headers={"X-Big": "a" * (MAX_HEADERS + 1)}, timeout=10)
    error_of(r, 431, "request_header_fields_too_large")
    r = hub.s.get(f"{hub.url}{API}/health", headers={f"X-{i}": "a" * 1000 for i in range(40)}, timeout=10)
    error_of(r, 431, "request_header_fields_too_large")
    assert hub.s.get(f"{hub.url}{API}/health?q=" + "a" * (MAX_HEADERS + 1), timeout=10).status_code == 431
    assert hub.s.get(f"{hub.url}{API}/health", headers={"X-Ok": "a" * 8000}, timeout=10).status_code == 200
    assert _get_with_header(hub.url, 300_000)[0] == 431


# ---- browser safety ------------------------------------------------------------------------

def _done_ticket(hub: Hub) -> str:
    """A ticket served at counter 6 (the head acts there), ready to be rated on its tracking page."""
    r = hub.s.post(f"{hub.url}{API}/tickets", json={"service": "PN1"}, headers=hub.key(), timeout=10)
    assert r.status_code == 201, r.text
    for action in ("open", "next", "done"):
        assert hub.s.post(f"{hub.url}{API}/counters/6/{action}", headers=hub.head, timeout=10).status_code == 200
    return r.json()["tracking_code"]


PAGES = ("/display", "/display?lang=en", "/counter", "/head", "/head/reports", "/rate/1", "/rate/2?faces=5")


def test_every_answer_carries_the_browser_safety_headers(hub: Hub) -> None:
    """Before: none of these headers, on any answer."""
    code = _done_ticket(hub)
    answers = [hub.s.get(f"{hub.url}{path}", timeout=10) for path in (
        *PAGES, f"/t/{code}", "/t/NOPE", f"{API}/health", f"{API}/nope", "/static/head/common.js",
        "/fonts/Vazirmatn-Bold.ttf", "/display/announce.wav?number=101&counter=1", f"{API}/events?once=1")]
    answers.append(hub.s.put(f"{hub.url}{API}/health", timeout=10))
    answers.append(hub.s.post(f"{hub.url}/t/{code}/rate", data={"score": "5"}, allow_redirects=False, timeout=10))
    for r in answers:
        csp = r.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp, r.url
        assert "'unsafe-inline'" not in csp.partition("script-src")[2].partition(";")[0]
        assert r.headers.get("X-Content-Type-Options") == "nosniff", r.url
        assert r.headers.get("Referrer-Policy") == "no-referrer", r.url
        assert r.headers.get("X-Frame-Options") == "DENY", r.url


class _Inline(HTMLParser):
    """Script the CSP would block: inline <script> code, on* handlers, javascript: addresses."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.found += [f"<{tag} {k}=…>" for k in a if k.startswith("on")]
        self.found += [f"<{tag} {k}={v}>" for k, v in a.items() if (v or "").strip().lower().startswith("javascript:")]
        self._in_script = tag == "script" and not a.get("src") and a.get("type") != "application/json"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_pages_hold_no_inline_script(hub: Hub) -> None:
    """Before: the head's pages set window.NAVBAT in an inline <script>; the report's Print button had onclick."""
    code = _done_ticket(hub)
    for path in (*PAGES, f"/t/{code}", "/t/NOPE"):
        r = hub.s.get(f"{hub.url}{path}", timeout=10)
        assert r.status_code in (200, 404) and r.headers["Content-Type"].startswith("text/html"), path
        parser = _Inline()
        parser.feed(r.text)
        assert not parser.found, (path, parser.found)
    templates = sorted((Path(str(files("navbat.server.web"))) / "templates").rglob("*.html"))  # as installed
    assert len(templates) > 10
    for template in templates:
        parser = _Inline()
        parser.feed(template.read_text(encoding="utf-8"))
        assert not parser.found, (template.name, parser.found)


def test_only_json_reaches_the_api(hub: Hub) -> None:
    """Before: text/plain and form bodies were parsed as JSON (force=True): a cross-site "simple"
    request (no preflight) reached /login and /ratings."""
    login = '{"username": "head", "pin": "0000"}'
    for ctype in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                  "multipart/form-data; boundary=x", None):
        for path in (f"{API}/login", f"{API}/ratings"):
            error_of(hub.raw("POST", path, login, ctype=ctype), 415, "unsupported_media_type")
    error_of(hub.raw("PUT", f"{API}/counters/1/services", '{"services": ["PR1"]}', hub.head, ctype="text/plain"),
             415, "unsupported_media_type")
    assert hub.raw("POST", f"{API}/login", login, ctype="application/json; charset=utf-8").status_code == 401
    # No body needs no type; the visitor's tracking page still posts its plain form.
    assert hub.s.post(f"{hub.url}{API}/counters/1/open", headers=hub.head, timeout=10).status_code == 200
    code = _done_ticket(hub)
    r = hub.s.post(f"{hub.url}/t/{code}/rate", data={"score": "5", "comment": "خوب"}, allow_redirects=False,
                   timeout=10)
    assert r.status_code == 303, r.text[:200]


def test_a_405_keeps_its_allow_header(hub: Hub) -> None:
    """Before: the JSON error dropped Allow."""
    r = hub.s.put(f"{hub.url}{API}/health", timeout=10)
    error_of(r, 405, "method_not_allowed")
    assert {m.strip() for m in r.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    r = hub.s.get(f"{hub.url}{API}/tickets", timeout=10)
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def _get_with_header(url: str, size: int, host: str | None = None) -> tuple[int, str, bytes]:
    """GET /api/v1/health with one header of `size` bytes over http.client (which, unlike
    requests, gives up if its send fails)."""
    netloc = url.removeprefix("http://")
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        headers = {"X-Big": "a" * size} if size else {}
        if host is not None:
            conn.putrequest("GET", f"{API}/health", skip_host=True)
            conn.putheader("Host", host)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
        else:
            conn.request("GET", f"{API}/health", headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type") or "", r.read()
    finally:
        conn.close()


def test_hosts_outside_the_allow_list_get_400(hub: Hub) -> None:
    """The DNS-rebinding defence. Before: any Host header was answered."""
    port = hub.url.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "localhost.evil.example",
                 "navbat.local.evil.example", "local", "[::1].evil.example"):
        status, ctype, body = _get_with_header(hub.url, 0, host)
        assert (status, ctype) == (400, "application/json") and b'"bad_host"' in body, host
    hostname = sorted(machine_names())[0]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", f"[::1]:{port}", "192.168.1.20:8080",
                 "10.0.0.5", "[fe80::1]", "navbat-hub.local", f"{hostname}:{port}", "app.localhost"):
        assert _get_with_header(hub.url, 0, host)[0] == 200, host


def test_a_branch_names_its_own_hosts(branch: Branch, tmp_path: Path) -> None:
    """allowed_hosts in the branch file replaces the defaults."""
    info = branch.branch.model_copy(update={"allowed_hosts": ["navbat.branch14.example"]})
    app = make_app(branch.model_copy(update={"branch": info}), tmp_path / "n.sqlite")
    try:
        url, stop = serve_in_thread(app, threads=4)
        try:
            assert _get_with_header(url, 0, "navbat.branch14.example")[0] == 200
            assert _get_with_header(url, 0, "127.0.0.1")[0] == 400
        finally:
            stop()
    finally:
        app.extensions[EXTENSION].stop()


# ---- the server's own limits (server.serve) --------------------------------------------------

def test_server_limits_as_served(app) -> None:  # noqa: ANN001
    """Between the hub's limits and the server's, Flask answers (JSON); past the server's header
    limit, the server answers the same JSON 431 itself and closes. Before: waitress ran with its
    defaults (1 GB of body, 256 KB of headers) and the hub had no limits of its own."""
    url, stop = serve_in_thread(app)
    try:
        for size in (MAX_HEADERS + 1, MAX_HEADER_BYTES + 1):
            status, ctype, body = _get_with_header(url, size)
            assert (status, ctype) == (431, "application/json"), (size, status, body[:200])
            assert b"request_header_fields_too_large" in body
        # A client still sending when the server closes: requests reads the answer despite the failed send.
        r = requests.get(f"{url}{API}/health", headers={"X-Big": "a" * 2_000_000}, timeout=10)
        assert r.status_code == 431
        r = requests.post(f"{url}{API}/login", data=b"x" * TEN_MB, headers=JSON, timeout=10)
        assert r.status_code == 413
        chunks = (b"x" * 65536 for _ in range(TEN_MB // 65536))  # no Content-Length: chunked
        r = requests.post(f"{url}{API}/login", data=chunks, headers=JSON, timeout=10)
        assert r.status_code == 413 and r.json()["error"] == "request_entity_too_large", r.text[:200]
        r = requests.post(f"{url}{API}/login", data=b" " * (MAX_BODY + 1), headers=JSON, timeout=10)
        assert r.status_code == 413 and r.json()["error"] == "request_entity_too_large"
        assert requests.get(f"{url}{API}/health", timeout=10).status_code == 200  # and it carries on
    finally:
        stop()


def test_a_slow_big_header_does_not_hold_the_hub(live_hub: LiveHub) -> None:
    """Half a header block, then silence: other requests are answered meanwhile."""
    host, port = live_hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        assert requests.get(f"{live_hub.url}{API}/health", timeout=5).status_code == 200
