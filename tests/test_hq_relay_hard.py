"""HQ's relay under attack (issue 23), over real sockets: `navbat hq` as a process on a real PostgreSQL.

Forty visitors at once on one branch's /join, a branch that takes requests and never answers, and
PostgreSQL stopped each cost a visitor a bounded wait and a Persian page, never the national
dashboard or another branch's shipping; a branch's answer is filtered (no cookie, no CORS, no script
type, no redirect off its pages) and every answer carries HQ's own safety headers; a token polls only
for its own branch, a second poller is refused and named, a rotated token stops at once; and with
--workers 4 a visitor's request and the branch's poll meet whichever workers they land on.
"""

from __future__ import annotations

import base64
import concurrent.futures as cf
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import make_app, serve_in_thread
from hq_support import HQProcess, connect, wait_until
from navbat.foundation.config import Branch
from navbat.hq.pgcluster import Cluster
from navbat.server.hqlink.relay import RelayClient
from relay_support import BRANCH_ID, SERVICE, Setup

BUSY = "دوباره بکوشید"
TIMEOUT = "شعبه به‌موقع پاسخ نداد"
UNAVAILABLE = "نمی‌توان نوبت را از راه دور گرفت"
PAGE = {"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
        "body": base64.b64encode("<p>صفحهٔ شعبه</p>".encode()).decode()}


class FakeHub:
    """A branch's relay link as a client only (a stolen token, a hub that never answers, a slow one):
    polls HQ and answers each request with `answer(req)` (None: never)."""

    def __init__(self, hq_url: str, token: str, answer: Callable[[dict], dict | None] | None = None,
                 poller: str = "fakehub-0001", wait: float = 2.0) -> None:
        self.base, self.answer, self.wait = f"{hq_url}/api/v1/hq/relay", answer, wait
        self.headers = {"Authorization": f"Bearer {token}", "X-Navbat-Poller": poller}
        self.seen: list[dict] = []
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.wait + 10)

    def poll_once(self, wait: float = 0.0) -> requests.Response:
        return requests.get(f"{self.base}/poll", params={"wait": wait}, headers=self.headers, timeout=wait + 10)

    def post(self, rid: str, answer: dict) -> int:
        return requests.post(f"{self.base}/answer/{rid}", json=answer, headers=self.headers, timeout=10).status_code

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                r = self.poll_once(self.wait)
            except requests.RequestException:
                time.sleep(0.2)
                continue
            self.statuses.append(r.status_code)
            if r.status_code != 200:
                time.sleep(0.2)
                continue
            for req in r.json()["requests"]:
                self.seen.append(req)
                if self.answer:
                    threading.Thread(target=self._reply, args=(req,), daemon=True).start()

    def _reply(self, req: dict) -> None:
        got = self.answer(req)
        if got is not None:
            try:
                self.post(req["id"], got)
            except requests.RequestException:
                pass  # HQ stopped first


def _register(url: str, *branches: str) -> dict[str, str]:
    from navbat.hq.accounts import add_branch, add_user

    with connect(url) as conn:
        add_user(conn, "nat", "national", "1234")
        return {b: add_branch(conn, b, "فارس", "شیراز", "2") for b in branches}


def _boss(hq: HQProcess) -> dict[str, str]:
    token = requests.post(f"{hq.url}/api/v1/hq/login", json={"username": "nat", "pin": "1234"}, timeout=10).json()
    return {"Authorization": f"Bearer {token['token']}"}


def _branches(hq: HQProcess, boss: dict[str, str]) -> dict[str, dict]:
    rows = requests.get(f"{hq.url}/api/v1/hq/branches", headers=boss, timeout=5).json()["branches"]
    return {b["branch"]: b for b in rows}


def _ship(hq: HQProcess, token: str, branch: Branch, after: int = 0) -> int:
    """One batch of a simulated day, as the branch's shipper sends it; HQ's answer status."""
    from navbat.hq.simulated import day_events, simulated_day
    from navbat.server.hqlink.shipping import profile

    events, ratings = day_events(branch, dt.date(2026, 11, 28), simulated_day(branch, 20, 7), after + 1, 1, 3)
    for n, r in enumerate(ratings, 1):
        r["seq"] = n
    body = {"after": after, "ratings_after": 0, "events": events, "ratings": ratings, "profile": profile(branch)}
    return requests.post(f"{hq.url}/api/v1/hq/ingest", json=body, timeout=5,
                         headers={"Authorization": f"Bearer {token}"}).status_code


def _at_once(n: int, call: Callable[[], requests.Response]) -> cf.Future:
    """n calls started together (a barrier); a future of their responses (or exceptions)."""
    barrier = threading.Barrier(n)

    def one() -> requests.Response | Exception:
        barrier.wait()
        try:
            return call()
        except requests.RequestException as exc:
            return exc

    pool = cf.ThreadPoolExecutor(n)
    futures = [pool.submit(one) for _ in range(n)]
    pool.shutdown(wait=False)
    done = cf.Future()
    threading.Thread(target=lambda: done.set_result([f.result() for f in futures]), daemon=True).start()
    return done


@pytest.fixture
def sender_token(relayed: Setup) -> str:  # noqa: F811
    """A second branch that ships to the same HQ."""
    from navbat.hq.accounts import add_branch

    with connect(relayed.hq.db_url) as conn:
        return add_branch(conn, "shiraz-01", "فارس", "شیراز", "2")


def test_forty_visitors_at_once_on_one_branch_cost_nobody_else(relayed: Setup, sender_token: str,  # noqa: F811
                                                                 branch: Branch) -> None:
    s = relayed
    boss = _boss(s.hq)
    visits = _at_once(40, lambda: requests.get(f"{s.base}/join?service={SERVICE}", timeout=30))
    # while they wait: the national dashboard's API and another branch's shipping answer
    assert requests.get(f"{s.hq.url}/api/v1/hq/summary?from=2026-11-01&to=2026-11-30", headers=boss,
                        timeout=5).status_code == 200
    assert _ship(s.hq, sender_token, branch) == 200
    got = visits.result(timeout=60)
    assert all(isinstance(r, requests.Response) for r in got), [r for r in got if not isinstance(r, requests.Response)]
    served = [r for r in got if r.status_code == 200]
    busy = [r for r in got if r.status_code == 503]
    assert len(served) + len(busy) == 40, sorted(r.status_code for r in got)
    assert len(served) >= 32 and all("گرفتن نوبت از راه دور" in r.text for r in served)
    for r in busy:  # beyond the per-branch bound: HQ's own Persian page, at once
        assert BUSY in r.text and "۵" in r.text and r.headers["Retry-After"] == "5"
    assert requests.get(f"{s.base}/join", timeout=10).status_code == 200  # and the branch is served after


def test_a_slow_branch_holds_at_most_its_bound_of_visitors(hq_process: HQProcess) -> None:  # noqa: F811
    """The branch answers each request after 3 s: of 40 at once, 32 wait (and are served), 8 are told
    at once that the branch is busy; another branch's visitors are not."""
    tokens = _register(hq_process.db_url, "slow-01", "quick-01")
    slow = FakeHub(hq_process.url, tokens["slow-01"], lambda req: time.sleep(3) or PAGE).start()
    quick = FakeHub(hq_process.url, tokens["quick-01"], lambda req: PAGE, poller="fakehub-0002").start()
    try:
        boss = _boss(hq_process)
        wait_until(lambda: all(b["relay_online"] for b in _branches(hq_process, boss).values()), timeout=10)
        visits = _at_once(40, lambda: requests.get(f"{hq_process.url}/b/slow-01/join", timeout=30))
        time.sleep(1.0)
        other = requests.get(f"{hq_process.url}/b/quick-01/join", timeout=5)
        assert other.status_code == 200 and "صفحهٔ شعبه" in other.text
        got = visits.result(timeout=60)
        assert sorted(r.status_code for r in got) == [200] * 32 + [503] * 8
        assert all(BUSY in r.text for r in got if r.status_code == 503)
    finally:
        slow.stop()
        quick.stop()


def test_a_branch_that_never_answers_costs_a_bounded_wait(relayed: Setup, sender_token: str,  # noqa: F811
                                                          branch: Branch) -> None:
    """A second registered branch takes every request and never answers: its visitors get HQ's
    Persian timeout page (504) after the relay's bound (10 s), or the busy page at once; meanwhile the
    real branch's visitors, the national API and another branch's shipping are served."""
    s = relayed
    from navbat.hq.accounts import add_branch

    with connect(s.hq.db_url) as conn:
        mute_token = add_branch(conn, "mute-01", "تهران", "مرکزی", "2")
    mute = FakeHub(s.hq.url, mute_token).start()
    try:
        boss = _boss(s.hq)
        wait_until(lambda: _branches(s.hq, boss)["mute-01"]["relay_online"], timeout=10)
        started = time.monotonic()
        visits = _at_once(40, lambda: requests.get(f"{s.hq.url}/b/mute-01/join", timeout=30))
        time.sleep(1.0)
        assert requests.get(f"{s.base}/join?service={SERVICE}", timeout=5).status_code == 200
        assert requests.get(f"{s.hq.url}/api/v1/hq/branches", headers=boss, timeout=5).status_code == 200
        assert _ship(s.hq, sender_token, branch) == 200
        got = visits.result(timeout=60)
        assert time.monotonic() - started < 20  # the bound: 10 s, and a little for a loaded machine
        assert sorted(r.status_code for r in got) == [503] * 8 + [504] * 32
        assert all(TIMEOUT in r.text for r in got if r.status_code == 504)
        assert len(mute.seen) == 32  # it took them all; none was left in HQ's queue
    finally:
        mute.stop()


@pytest.mark.slow  # a cluster of its own, stopped and started again
def test_postgresql_down_costs_a_visitor_a_bounded_wait() -> None:
    folder = tempfile.mkdtemp(prefix="navbat-pg-down-")
    Path(folder).chmod(0o755)
    cluster = Cluster(folder)
    cluster.start()
    hq = hub = None
    try:
        from navbat.hq.store import migrate

        url = cluster.create_database("hq_down")
        migrate(url)
        tokens = _register(url, "tabriz-01")
        hq = HQProcess(url).start()
        hub = FakeHub(hq.url, tokens["tabriz-01"], lambda req: PAGE).start()
        wait_until(lambda: requests.get(f"{hq.url}/b/tabriz-01/join", timeout=10).status_code == 200, timeout=15)
        cluster.stop()
        for path in ("/b/tabriz-01/join", "/b/tabriz-01/book", "/b/unknown-01/join"):
            started = time.monotonic()
            page = requests.get(f"{hq.url}{path}", timeout=15)
            assert time.monotonic() - started < 10, path
            assert page.status_code == 503 and UNAVAILABLE in page.text, (path, page.status_code)
            assert page.headers["Content-Type"].startswith("text/html")
        api = requests.post(f"{hq.url}/b/tabriz-01/api/v1/remote/verify", json={"phone": "09120000000"}, timeout=15)
        assert api.status_code == 503 and api.json()["error"] == "unavailable"
        assert requests.get(f"{hq.url}/api/v1/health", timeout=2).status_code == 200
        started = time.monotonic()  # HQ's own pages wait a bounded time for the database, then say so
        figures = requests.get(f"{hq.url}/api/v1/hq/branches", headers={"Authorization": "Bearer x"}, timeout=15)
        assert time.monotonic() - started < 10
        assert figures.status_code == 503 and figures.json()["error"] == "unavailable", figures.text
        cluster.start()  # back: the relay serves again, nothing to restart
        wait_until(lambda: requests.get(f"{hq.url}/b/tabriz-01/join", timeout=15).status_code == 200, timeout=30)
    finally:
        if hub:
            hub.stop()
        if hq:
            hq.stop()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_branchs_answer_is_filtered_and_hqs_headers_hold(hq_process: HQProcess) -> None:  # noqa: F811
    """A hub with a stolen token answers with a cookie, CORS, its own CSP, a script and redirects
    off its pages: none of it reaches the visitor as sent."""
    tokens = _register(hq_process.db_url, "evil-01")
    hostile = {"Set-Cookie": "hq_session=stolen; Path=/", "Access-Control-Allow-Origin": "*",
               "Access-Control-Allow-Credentials": "true", "Content-Security-Policy": "script-src 'unsafe-inline'",
               "X-Frame-Options": "ALLOWALL", "Service-Worker-Allowed": "/", "Refresh": "0; url=http://evil.example/"}

    def answer(req: dict) -> dict:
        path = req["path"]
        if path == "/join":
            return {**PAGE, "headers": {**PAGE["headers"], **hostile}}
        if path == "/book":  # a script typed as one
            return {"status": 200, "headers": {"Content-Type": "text/javascript"},
                    "body": base64.b64encode(b"alert(localStorage.token)").decode()}
        target = {"/t/AAAA": "http://evil.example/steal", "/t/BBBB": "/hq", "/t/CCCC": "//evil.example/x",
                  "/t/DDDD": "/b/evil-01/../../hq", "/t/EEEE": "/t/FFFF?lang=fa"}[path]
        return {"status": 303, "headers": {"Location": target}, "body": ""}

    hub = FakeHub(hq_process.url, tokens["evil-01"], answer).start()
    try:
        base = f"{hq_process.url}/b/evil-01"
        wait_until(lambda: requests.get(f"{base}/join", timeout=10).status_code == 200, timeout=10)
        page = requests.get(f"{base}/join", timeout=10)
        assert "صفحهٔ شعبه" in page.text
        names = {k.lower() for k in page.headers}
        assert not names & {"set-cookie", "access-control-allow-origin", "access-control-allow-credentials",
                            "service-worker-allowed", "refresh"}, names
        assert not page.cookies
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
        assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
        script = requests.get(f"{base}/book", timeout=10)
        assert script.headers["Content-Type"] == "application/octet-stream"  # with nosniff: never run as script
        for code in ("AAAA", "CCCC", "DDDD"):  # a redirect off the branch's pages: HQ's own page instead
            r = requests.get(f"{base}/t/{code}", timeout=10, allow_redirects=False)
            assert r.status_code == 502 and "Location" not in r.headers, code
        for code, target in (("EEEE", "/b/evil-01/t/FFFF?lang=fa"), ("BBBB", "/b/evil-01/hq")):  # kept under its own
            moved = requests.get(f"{base}/t/{code}", timeout=10, allow_redirects=False)
            assert moved.status_code == 303 and moved.headers["Location"] == target, code
    finally:
        hub.stop()
    # HQ's own answers carry the same headers: its pages, its API, its refusals
    for path in ("/hq", "/api/v1/health", "/b/nowhere-01/join", "/hq/static/hq.js"):
        r = requests.get(f"{hq_process.url}{path}", timeout=10)
        assert "script-src 'self'" in r.headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
    assert requests.get(f"{hq_process.url}/api/v1/health", timeout=10).headers["Cache-Control"] == "no-store"


def test_a_token_polls_only_for_its_branch_and_a_second_poller_is_refused(hq_process: HQProcess) -> None:  # noqa: F811
    tokens = _register(hq_process.db_url, "ilam-01", "yazd-01")
    ilam = FakeHub(hq_process.url, tokens["ilam-01"], lambda req: PAGE).start()
    yazd = FakeHub(hq_process.url, tokens["yazd-01"], poller="fakehub-yazd")  # polls by hand
    try:
        boss = _boss(hq_process)
        wait_until(lambda: _branches(hq_process, boss)["ilam-01"]["relay_online"], timeout=10)
        assert yazd.poll_once().status_code == 200  # yazd online for a moment (grace)...
        visit = cf.ThreadPoolExecutor(1).submit(requests.get, f"{hq_process.url}/b/yazd-01/join", timeout=20)
        time.sleep(1.0)
        assert all(r["branch"] == "ilam-01" for r in ilam.seen)  # ilam's token never polls yazd's visitor
        got = yazd.poll_once()
        assert got.status_code == 200 and [r["path"] for r in got.json()["requests"]] == ["/join"]
        rid = got.json()["requests"][0]["id"]
        ilam_by_hand = FakeHub(hq_process.url, tokens["ilam-01"], poller="fakehub-0001")
        assert ilam_by_hand.post(rid, PAGE) == 410  # nor answers it
        assert yazd.post(rid, PAGE) == 204
        assert visit.result(20).status_code == 200

        # a second hub for ilam (the stolen token elsewhere): refused while ilam's own holds the link, and named
        thief = FakeHub(hq_process.url, tokens["ilam-01"], poller="thief-000001")
        refused = thief.poll_once()
        assert refused.status_code == 409 and refused.json()["error"] == "another_poller"
        named = _branches(hq_process, boss)["ilam-01"]["relay_refused"]
        assert named and named["address"] == "127.0.0.1"
        for _ in range(5):  # every visitor's request still reaches ilam's own hub
            assert requests.get(f"{hq_process.url}/b/ilam-01/join", timeout=10).status_code == 200
        assert thief.poll_once().status_code == 409
    finally:
        ilam.stop()


def test_navbat_hq_branch_rotate(hq_process: HQProcess) -> None:  # noqa: F811
    tokens = _register(hq_process.db_url, "qom-01")
    old = tokens["qom-01"]
    held = cf.ThreadPoolExecutor(1).submit(requests.get, f"{hq_process.url}/api/v1/hq/relay/poll", params={"wait": 20},
                                           headers={"Authorization": f"Bearer {old}"}, timeout=30)
    time.sleep(0.5)
    done = subprocess.run([sys.executable, "-m", "navbat", "hq", "branch", "rotate", "qom-01", "--database",
                           hq_process.db_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip()
    assert new and new != old and "\n" not in new
    assert held.result(10).status_code == 401  # the poll held with the old token ends at once
    poll = f"{hq_process.url}/api/v1/hq/relay/poll"
    assert requests.get(poll, headers={"Authorization": f"Bearer {old}"}, timeout=5).status_code == 401
    assert requests.post(f"{hq_process.url}/api/v1/hq/ingest", json={}, timeout=5,
                         headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert requests.get(poll, params={"wait": 0}, headers={"Authorization": f"Bearer {new}"},
                        timeout=5).status_code == 200
    unknown = subprocess.run([sys.executable, "-m", "navbat", "hq", "branch", "rotate", "nowhere", "--database",
                              hq_process.db_url], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and unknown.stderr.startswith("navbat hq branch rotate: no branch")


@pytest.fixture
def four_workers(hq_db: str) -> Iterator[HQProcess]:  # noqa: F811
    hq = HQProcess(hq_db, workers=4).start()
    yield hq
    hq.stop()


def test_four_workers_relay(four_workers: HQProcess, branch: Branch, tmp_path: Path) -> None:
    """`navbat hq --workers 4` and a real branch hub: every visitor's request, on whichever worker it
    lands, reaches the hub's poll on whichever worker holds it, and the answer comes back."""
    from navbat.hq.accounts import add_branch

    with connect(four_workers.db_url) as conn:
        token = add_branch(conn, BRANCH_ID, "تهران", "مرکزی", "1")
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    _, stop = serve_in_thread(app)
    client = RelayClient(app, four_workers.url, token, poll_wait_s=2).start()
    base = f"{four_workers.url}/b/{BRANCH_ID}"
    try:
        wait_until(lambda: requests.get(f"{base}/join", timeout=10).status_code == 200, timeout=15)
        with cf.ThreadPoolExecutor(8) as pool:  # new connections each: spread over the workers
            pages = list(pool.map(lambda _: requests.get(f"{base}/join?service={SERVICE}", timeout=15), range(40)))
        assert [p.status_code for p in pages] == [200] * 40
        assert all("گرفتن نوبت از راه دور" in p.text for p in pages)
        for n in range(4):
            sent = requests.post(f"{base}/api/v1/remote/verify", json={"phone": f"0912444000{n}"}, timeout=15)
            assert sent.status_code == 202, sent.text
        wait_until(lambda: log.exists() and len(log.read_text().splitlines()) == 4, timeout=10)
        assert sorted(json.loads(m)["to"] for m in log.read_text().splitlines()) == [f"0912444000{n}" for n in range(4)]
    finally:
        client.stop()
        stop()
        app.extensions["navbat.hub"].stop()


@pytest.mark.browser
def test_a_hostile_branch_page_runs_no_script_on_hqs_origin(hq_process: HQProcess) -> None:  # noqa: F811
    """In Chromium: a branch page (stolen token) with inline script and a script of its own, typed
    as one, served through HQ: neither runs, so a national manager's token in HQ's storage is safe."""
    from conftest import chromium

    tokens = _register(hq_process.db_url, "evil-02")
    page_html = ('<!doctype html><html><head><title>branch</title></head><body><p id="p">صفحه</p>'
                 '<script>document.title = "inline ran"</script>'
                 '<script src="/b/evil-02/book"></script></body></html>')

    def answer(req: dict) -> dict:
        if req["path"] == "/book":
            return {"status": 200, "headers": {"Content-Type": "text/javascript"},
                    "body": base64.b64encode(b'document.title = "branch script ran"').decode()}
        return {"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
                "body": base64.b64encode(page_html.encode()).decode()}

    hub = FakeHub(hq_process.url, tokens["evil-02"], answer).start()
    try:
        wait_until(lambda: requests.get(f"{hq_process.url}/b/evil-02/join", timeout=10).status_code == 200, timeout=10)
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"{hq_process.url}/hq")
            page.evaluate("localStorage.setItem('probe', 'secret')")
            page.goto(f"{hq_process.url}/b/evil-02/join")
            page.wait_for_selector("#p")
            page.wait_for_load_state("load")
            assert page.title() == "branch"  # neither the inline script nor the branch's own file ran
    finally:
        hub.stop()


@pytest.mark.browser
def test_the_relayed_pages_break_no_rule_of_hqs_csp(relayed: Setup) -> None:  # noqa: F811
    """In Chromium, the branch's own join and booking pages through HQ: drawn with HQ's font copy,
    and not one thing refused by HQ's Content-Security-Policy."""
    from conftest import chromium

    s = relayed
    with chromium() as browser:
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.add_init_script("document.addEventListener('securitypolicyviolation', (e) =>"
                             " console.error('Content Security Policy: ' + e.violatedDirective))")
        for path in (f"/join/{BRANCH_ID}", f"/book/{BRANCH_ID}", f"/b/{BRANCH_ID}/join?service={SERVICE}",
                     f"/b/{BRANCH_ID}/book?service=PR2&date=2026-11-28"):
            page.goto(f"{s.hq.url}{path}")
            page.wait_for_load_state("load")
            assert page.evaluate("document.fonts.ready.then(() => [...document.fonts].some((f) =>"
                                 " f.family.includes('Vazirmatn') && f.status === 'loaded'))"), path
            assert page.locator("form, a").count() > 0, path
        assert refused == []
