"""HQ hosts the branch's public pages and relays them to the branch hub (issue 18), over real sockets:
`navbat hq` as a process on a real PostgreSQL, the branch hub served by uvicorn in a thread, and
the branch's relay client long-polling HQ with its token. A visitor joins through HQ with the SMS
code from the branch's SMS log and follows the turn through HQ; books through HQ; is refused at once,
with nothing made, while the branch keeps no link; and is served again once it is back. A staff
path is not relayed, and the visitor's own address reaches the branch's per-address limits."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import make_app
from hq_support import HQProcess, connect, wait_until
from navbat.foundation.config import Branch
from navbat.server.hqlink.relay import RelayClient
from navbat.server.visitors import verify
from relay_support import BRANCH_ID, SATURDAY, SERVICE, Setup
from sms_support import read_log


def test_join_through_hq_then_follow_the_turn_through_hq(relayed: Setup) -> None:
    s = relayed
    # /join/<branch> at HQ leads to the branch's own page, whose links and forms stay under HQ's /b/<branch>
    page = requests.get(f"{s.hq.url}/join/{BRANCH_ID}?service={SERVICE}", timeout=10)
    assert page.status_code == 200 and page.url == f"{s.base}/join?service={SERVICE}"
    assert "گرفتن نوبت از راه دور" in page.text
    actions = re.findall(r'action="([^"]+)"', page.text)
    assert actions and all(a.startswith(f"/b/{BRANCH_ID}/join/") for a in actions), actions
    pick = requests.get(f"{s.base}/join", timeout=10).text
    for html in (pick, page.text):  # no link or form leaves HQ's /b/<branch>/ (the "?..." ones stay on the page)
        targets = re.findall(r'(?:action|href|src)="([^"?][^"]*)"', html)
        assert all(t.startswith(f"/b/{BRANCH_ID}/") for t in targets), targets
    fonts = re.findall(r'url\("([^"]+)"\)', page.text)
    assert fonts and all(requests.get(f"{s.hq.url}{f}", timeout=5).status_code == 200 for f in fonts)

    phone = "09121110000"
    sent = requests.post(f"{s.base}/join/code", data={"service": SERVICE, "phone": phone}, timeout=10)
    assert sent.status_code == 200 and f'action="/b/{BRANCH_ID}/join/turn' in sent.text
    code = s.code(phone, 1)
    before = s.tickets()
    took = requests.post(f"{s.base}/join/turn", data={"service": SERVICE, "phone": phone, "code": code},
                         timeout=10, allow_redirects=False)
    assert took.status_code == 303, took.text
    where = took.headers["Location"]
    assert where.startswith(f"/b/{BRANCH_ID}/t/"), where  # back through HQ, not to the hub's own address
    tracking = where.split("/t/")[1].split("?")[0]
    assert s.tickets() == before + 1
    with s.app.extensions["navbat.hub"].read() as db:
        state, device = db.execute("SELECT state, device FROM tickets WHERE tracking_code=?", [tracking]).fetchone()
    assert (state, device) == ("remote", "remote")

    # the tracking page through HQ, and the script's live part at the address the page gives it
    track = requests.get(f"{s.hq.url}{where}", timeout=10)
    assert track.status_code == 200 and tracking in track.text and 'data-relayed="1"' in track.text
    assert track.headers["Referrer-Policy"] == "no-referrer"  # the hub's safety headers hold at HQ
    assert "script-src 'self'" in track.headers["Content-Security-Policy"]
    live = re.search(r'data-live="([^"]+)"', track.text).group(1)
    assert live == f"/b/{BRANCH_ID}/t/{tracking}/live"
    assert requests.get(f"{s.hq.url}{live}?lang=fa", timeout=10).status_code == 200
    script = re.search(r'<script src="([^"]+)"', track.text).group(1)
    assert requests.get(f"{s.hq.url}{script}", timeout=5).status_code == 200
    # the SMS link points at HQ too
    joined = [m["text"] for m in read_log(s.log, 2) if m["to"] == phone and "/t/" in m["text"]]
    assert joined and f"{s.base}/t/{tracking}" in joined[0]

    # the same form sent again (say its answer was lost on the way) shows the same turn, makes none
    again = requests.post(f"{s.base}/join/turn", data={"service": SERVICE, "phone": phone, "code": code},
                          timeout=10, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == where and s.tickets() == before + 1


def test_a_booking_through_hq_and_its_page(relayed: Setup) -> None:
    s = relayed
    slots = requests.get(f"{s.base}/api/v1/appointments/slots", params={"service": "PR2", "date": SATURDAY.isoformat()},
                         timeout=10)
    assert slots.status_code == 200, slots.text
    start = next(x["start"] for x in slots.json()["slots"] if x["free"] > 0)
    phone = "09121110001"
    assert requests.post(f"{s.base}/api/v1/remote/verify", json={"phone": phone}, timeout=10).status_code == 202
    booked = requests.post(f"{s.base}/api/v1/appointments", timeout=10, json={
        "service": "PR2", "date": SATURDAY.isoformat(), "start": start, "phone": phone, "code": s.code(phone, 1)})
    assert booked.status_code == 201, booked.text
    code = booked.json()["code"]
    with s.app.extensions["navbat.hub"].read() as db:
        assert db.execute("SELECT count(*) FROM appointments WHERE code=?", [code]).fetchone()[0] == 1
    assert requests.get(f"{s.base}/api/v1/appointments/{code}", timeout=10).json()["code"] == code
    page = requests.get(f"{s.hq.url}/book/{BRANCH_ID}", timeout=10)
    assert page.status_code == 200 and page.url == f"{s.base}/book"
    day = requests.get(f"{s.base}/book", params={"service": "PR2", "date": SATURDAY.isoformat()}, timeout=10)
    for html in (page.text, day.text):  # every form and link of the booking pages stays under HQ's /b/<branch>/
        targets = re.findall(r'(?:action|href)="([^"?][^"]*)"', html)
        assert targets and all(t.startswith(f"/b/{BRANCH_ID}/") for t in targets), targets
    assert f'action="/b/{BRANCH_ID}/book/code' in day.text
    shown = requests.get(f"{s.base}/book/{code}", timeout=10)
    assert shown.status_code == 200
    actions = re.findall(r'action="([^"]+)"', shown.text)
    assert actions and all(a.startswith(f"/b/{BRANCH_ID}/book/{code}/") for a in actions), actions
    cancelled = requests.post(f"{s.base}/book/{code}/cancel", timeout=10, allow_redirects=False)
    assert cancelled.status_code == 303 and cancelled.headers["Location"].startswith(f"/b/{BRANCH_ID}/book/{code}")
    assert requests.get(f"{s.base}/api/v1/appointments/{code}", timeout=10).json()["state"] == "cancelled"

    # and the visitor's own forms: a time, the SMS code, booked; every step under HQ's /b/<branch>/
    other = "09121110009"
    form = {"service": "PR2", "date": SATURDAY.isoformat(), "start": start, "phone": other}
    asked = requests.post(f"{s.base}/book/code", data=form, timeout=10)
    assert asked.status_code == 200 and f'action="/b/{BRANCH_ID}/book/confirm' in asked.text, asked.text[-500:]
    done = requests.post(f"{s.base}/book/confirm", data={**form, "code": s.code(other, 1)}, timeout=10,
                         allow_redirects=False)
    assert done.status_code == 303 and done.headers["Location"].startswith(f"/b/{BRANCH_ID}/book/"), done.text[-300:]
    new_code = done.headers["Location"].split("/book/")[1].split("?")[0]
    assert new_code != code
    shown = requests.get(f"{s.hq.url}{done.headers['Location']}", timeout=10)
    assert shown.status_code == 200 and new_code in shown.text
    # its answer lost (say HQ's relay timed out), the visitor books again with a new code: shown the booking held
    s.clock.advance(seconds=61)  # one code a minute per phone
    assert requests.post(f"{s.base}/book/code", data=form, timeout=10).status_code == 200
    held = requests.post(f"{s.base}/book/confirm", data={**form, "code": s.code(other, 2)}, timeout=10,
                         allow_redirects=False)
    assert held.status_code == 303 and held.headers["Location"].startswith(f"/b/{BRANCH_ID}/book/{new_code}")


def test_offline_branch_is_refused_at_once_then_served_again(relayed: Setup) -> None:
    s = relayed
    s.disconnect()
    wait_until(lambda: s.online() is False, timeout=15)
    before = s.tickets()
    page = requests.post(f"{s.base}/join/code", data={"service": SERVICE, "phone": "09121110002"}, timeout=10)
    assert page.status_code == 503
    assert "اکنون به این شعبه دسترسی نیست" in page.text and "در خود شعبه بگیرید" in page.text
    assert s.app.extensions["navbat.hub"].branch.branch.name.fa in page.text
    api = requests.post(f"{s.base}/api/v1/remote/tickets", timeout=10,
                        json={"service": SERVICE, "phone": "09121110002", "code": "12345"})
    assert api.status_code == 503 and api.json()["error"] == "branch_offline"
    english = requests.get(f"{s.base}/join?lang=en", timeout=10)
    assert english.status_code == 503 and "take a turn at the branch" in english.text
    assert s.tickets() == before and not s.log.exists()  # no code texted, no turn made

    s.connect()  # the branch's link is back
    again = requests.post(f"{s.base}/join/code", data={"service": SERVICE, "phone": "09121110002"}, timeout=10)
    assert again.status_code == 200 and s.code("09121110002", 1)


def test_staff_paths_are_not_relayed(relayed: Setup) -> None:
    s = relayed
    kiosk = {"Authorization": f"Bearer {s.app.config['KIOSK_TOKEN']}"}
    for method, path in (("GET", "/head"), ("GET", "/counter"), ("POST", "/api/v1/auth/login"),
                         ("POST", "/api/v1/tickets"), ("GET", "/api/v1/appointments/today"),
                         ("GET", "/api/v1/events"), ("GET", "/api/v1/remote/settings"),
                         ("POST", "/api/v1/appointments/ABCDEFGH/check-in")):
        r = requests.request(method, f"{s.base}{path}", headers=kiosk, json={"service": SERVICE}, timeout=10)
        assert r.status_code == 404, (path, r.status_code)
    assert requests.get(f"{s.hq.url}/b/nowhere/join", timeout=10).status_code == 404  # a branch HQ does not know
    assert s.tickets() == 0


def test_hqs_own_host_name_reaches_the_hub(relayed: Setup) -> None:
    """The visitor asks for HQ's name, which the branch file's allowed_hosts does not list (its guard
    against DNS rebinding is for browsers that reach the hub itself): relayed, the page is served."""
    s = relayed
    hq_name = {"Host": "navbat-hq.example"}
    assert requests.get(f"{s.base}/join", headers=hq_name, timeout=10).status_code == 200
    assert s.app.test_client().get("/join", headers=hq_name).status_code == 400  # straight to the hub: refused


def _post_from(address: str, url: str, path: str, body: dict) -> tuple[int, dict[str, str]]:
    """A POST from another loopback address (a visitor of its own, as far as HQ can tell)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(address, 0))
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def test_the_visitors_address_reaches_the_branchs_limits(relayed: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    s = relayed
    monkeypatch.setattr(verify, "ADDRESS_PER_HOUR", 3)  # the branch runs in this process
    path = f"/b/{BRANCH_ID}/api/v1/remote/verify"
    for n in range(3):
        assert _post_from("127.0.0.2", s.hq.url, path, {"phone": f"0912222000{n}"})[0] == 202
    status, headers = _post_from("127.0.0.2", s.hq.url, path, {"phone": "09122220009"})
    assert status == 429 and int(headers["retry-after"]) > 0  # this visitor is at the limit...
    assert _post_from("127.0.0.3", s.hq.url, path, {"phone": "09123330000"})[0] == 202  # ...another is not
    with s.app.extensions["navbat.hub"].read() as db:
        seen = dict(db.execute("SELECT address, count(*) FROM phone_code_sends GROUP BY address").fetchall())
    assert seen == {"127.0.0.2": 3, "127.0.0.3": 1}  # never HQ's own address


def test_a_request_hq_gave_up_on_is_never_run(branch: Branch, tmp_path: Path, hq_db: str,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """HQ with a 1.5 s answer time: a request queued while the branch is between polls and not
    fetched in time is told to the visitor (504) and dropped, so the branch never runs it."""
    from navbat.hq.accounts import add_branch, add_user

    with connect(hq_db) as conn:
        token = add_branch(conn, BRANCH_ID, "تهران", "مرکزی", "1")
        add_user(conn, "nat", "national", "1234")
    monkeypatch.setenv("NAVBAT_HQ_RELAY_ANSWER_S", "1.5")
    hq = HQProcess(hq_db).start()
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    setup = Setup(hq, app, log, None, token)  # type: ignore[arg-type]
    hq_url = hq.url
    client = RelayClient(app, hq_url, token, poll_wait_s=1).start()
    try:
        wait_until(setup.online, timeout=10)
        client.stop()  # its link drops; for a few seconds HQ still counts it online (a poll may be on its way)
        late = requests.post(f"{hq_url}/b/{BRANCH_ID}/api/v1/remote/verify", json={"phone": "09121110005"}, timeout=10)
        assert late.status_code == 504 and late.json()["error"] == "relay_timeout"
        wait_until(lambda: setup.online() is False, timeout=10)
        client = RelayClient(app, hq_url, token, poll_wait_s=1).start()  # back: the request is not in its poll
        wait_until(setup.online, timeout=10)
        ok = requests.post(f"{hq_url}/b/{BRANCH_ID}/api/v1/remote/verify", json={"phone": "09121110006"}, timeout=10)
        assert ok.status_code == 202
        assert [m["to"] for m in read_log(log, 1)] == ["09121110006"]
        # and the branch's own guard: a request that reaches it past its deadline is not run
        client._answer({"id": "x", "method": "POST", "path": "/api/v1/remote/verify", "expires_in": 0.2,
                        "body": "", "headers": {}}, time.monotonic() - 1)
        with app.extensions["navbat.hub"].read() as db:
            assert db.execute("SELECT count(*) FROM phone_code_sends").fetchone()[0] == 1
    finally:
        client.stop()
        hq.stop()
        app.extensions["navbat.hub"].stop()


@pytest.mark.slow  # the polls are held their whole 15 s
def test_branches_polling_hold_no_thread_of_hq(hq_process: HQProcess) -> None:  # noqa: F811
    """24 branches keep their poll open at once (more than HQ's 16 request threads) and HQ still
    answers its API meanwhile, counting all 24 online: the polls wait on the event loop."""
    from navbat.hq.accounts import add_branch, add_user

    with connect(hq_process.db_url) as conn:
        tokens = [add_branch(conn, f"b-{n:02d}", "تهران", "مرکزی", "3") for n in range(24)]
        add_user(conn, "nat", "national", "1234")
    pollers = [threading.Thread(target=requests.get, args=(f"{hq_process.url}/api/v1/hq/relay/poll",), kwargs={
        "params": {"wait": 15}, "headers": {"Authorization": f"Bearer {t}"}, "timeout": 30}) for t in tokens]
    for p in pollers:
        p.start()
    boss = {"Authorization": "Bearer " + requests.post(f"{hq_process.url}/api/v1/hq/login", timeout=10,
                                                      json={"username": "nat", "pin": "1234"}).json()["token"]}

    def online() -> int:
        rows = requests.get(f"{hq_process.url}/api/v1/hq/branches", headers=boss, timeout=10).json()["branches"]
        return sum(b["relay_online"] for b in rows)

    wait_until(lambda: online() == 24, timeout=10)
    assert all(p.is_alive() for p in pollers)  # answered while every poll is still held
    assert requests.get(f"{hq_process.url}/api/v1/hq/relay/poll", timeout=5).status_code == 401  # no token
    for p in pollers:
        p.join()


def test_navbat_hub_with_hq_keeps_the_relay(hq_process: HQProcess, tmp_path: Path) -> None:  # noqa: F811
    """The wiring as deployed: `navbat hub --hq URL`, its token in NAVBAT_HQ_TOKEN (a process) ships and long-polls;
    HQ serves its join page; killed, the branch is offline at HQ within seconds."""
    import os
    import subprocess
    import sys

    from hq_support import free_port
    from navbat.hq.accounts import add_branch, add_user

    with connect(hq_process.db_url) as conn:
        token = add_branch(conn, BRANCH_ID, "تهران", "مرکزی", "1")
        add_user(conn, "nat", "national", "1234")
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--db", str(tmp_path / "hub.sqlite"), "--port",
                            str(free_port()), "--ignore-hours", "--sms-log", str(tmp_path / "sms.log"),
                            "--hq", hq_process.url], stdout=subprocess.DEVNULL,
                           env={**os.environ, "NAVBAT_HQ_TOKEN": token})  # as its unit's EnvironmentFile gives it
    try:
        setup = Setup(hq_process, None, tmp_path / "sms.log", None, token)  # type: ignore[arg-type]
        wait_until(setup.online, timeout=30)
        page = requests.get(f"{hq_process.url}/join/{BRANCH_ID}", timeout=10)
        assert page.status_code == 200 and "گرفتن نوبت از راه دور" in page.text
    finally:
        hub.terminate()
        hub.wait(10)
    wait_until(lambda: setup.online() is False, timeout=30)
    assert requests.get(f"{hq_process.url}/join/{BRANCH_ID}", timeout=10).status_code == 503
