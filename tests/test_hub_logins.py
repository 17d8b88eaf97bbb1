"""Issue 15, over a real socket (the hub's server on 127.0.0.1): PINs that cannot be guessed, usernames
that are not public, sessions that end, ratings only from the visitor or the counter's own tablet.

Every test here failed on the hub as it was before issue 15 (main at 9359239), at the assertion
marked "before:" (what that hub answered), and passes now.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import navbat.server.web.auth  # noqa: F401  (loads the submodule used as server.web.auth)
import pytest
import requests
from conftest import PINS, make_app, serve_in_thread
from conftest import HandClock as Clock
from navbat.server.floor.db import open_db

from navbat import server  # noqa: I001

API = "/api/v1"
TEHRAN = ZoneInfo("Asia/Tehran")


class Hub:
    """A hub on a socket with a clock of its own; `requests` against its API."""

    def __init__(self, branch, path: Path, clock: Clock) -> None:  # noqa: ANN001
        self.app = make_app(branch, path, CLOCK=clock)
        self.url, self.stop = serve_in_thread(self.app)
        self.api, self.s, self.clock, self.path = self.url + API, requests.Session(), clock, path

    def login(self, username: str, pin: str | None = None, counter: int | None = None) -> requests.Response:
        body = {"username": username, "pin": PINS[username] if pin is None else pin, "counter": counter}
        return self.s.post(f"{self.api}/login", json=body, timeout=10)

    def token(self, username: str, counter: int | None = None) -> dict[str, str]:
        r = self.login(username, counter=counter)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def get(self, path: str, headers: dict | None = None) -> requests.Response:
        return self.s.get(self.api + path, headers=headers or {}, timeout=10)

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> requests.Response:
        return self.s.post(self.api + path, json=body, headers=headers or {}, timeout=10)


@pytest.fixture
def hub(branch, tmp_path):  # noqa: ANN001, ANN201
    h = Hub(branch, tmp_path / "hub.sqlite", Clock(dt.datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN)))
    yield h
    h.s.close()
    h.stop()


def _wrong(hub: Hub, username: str, n: int) -> list[int]:
    pin = "0000" if PINS[username] != "0000" else "1111"
    return [hub.login(username, pin, counter=3).status_code for _ in range(n)]


# ---- logins that can't be guessed ------------------------------------------------------------

def test_a_pin_guesser_is_locked_out_for_longer_each_time(hub: Hub) -> None:
    # before: 200 wrong PINs in 31 s, every one answered 401, never 429
    assert _wrong(hub, "clerk3", 5) == [401] * 5
    r = hub.login("clerk3", "0001", counter=3)
    assert (r.status_code, r.json()["error"]) == (429, "too_many_attempts")  # before: 401, never 429
    assert int(r.headers["Retry-After"]) == 60
    right = hub.login("clerk3", counter=3)  # the right PIN is refused too while locked out
    assert (right.status_code, int(right.headers["Retry-After"])) == (429, 60)
    assert hub.login("clerk4", counter=4).status_code == 200  # other users log in as ever

    # Each wrong PIN after the lock-out waits twice as long as the last (issue 23: one guess per
    # wait, not five), up to four hours.
    for expected in (120, 240, 480, 960, 1920, 3840, 7680, 14400, 14400):
        hub.clock.advance(seconds=int(hub.login("clerk3").headers["Retry-After"]) + 1)
        assert _wrong(hub, "clerk3", 1) == [401]
        r = hub.login("clerk3", counter=3)
        assert (r.status_code, int(r.headers["Retry-After"])) == (429, expected)

    # What the head's live floor shows: clerk3 locked out from this address (not from everywhere).
    with hub.app.extensions["navbat.hub"].read() as db:
        locks = server.web.auth.lockouts(db, hub.clock())
    assert [(lo["kind"], lo["username"], lo["address"], lo["lockouts"]) for lo in locks] == \
        [("username", "clerk3", "127.0.0.1", 14)]
    assert dt.datetime.fromisoformat(locks[0]["until"]) == hub.clock() + dt.timedelta(seconds=14400)

    # A day after the last wrong PIN they are forgotten; the right PIN logs in once the lockout is over.
    hub.clock.advance(hours=25)
    assert hub.login("clerk3", counter=3).status_code == 200
    hub.s.cookies.clear()  # a stranger's browser, not the clerk's known device
    assert _wrong(hub, "clerk3", 5) == [401] * 5
    assert int(hub.login("clerk3", counter=3).headers["Retry-After"]) == 60


def test_two_hundred_parallel_guesses_get_five_answers(hub: Hub) -> None:
    """Every attempt is counted before its PIN is checked: parallel guessing gains nothing (five in all)."""
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda i: requests.post(f"{hub.api}/login", json={
            "username": "clerk5", "pin": f"{i:04d}", "counter": 5}, timeout=30).status_code, range(200)))
    assert codes.count(401) + codes.count(429) == 200  # before: 200 times 401
    # Logins past the bound of PIN checks are told to come back (429, not counted): the rest of the five
    more = 0
    while (last := hub.login("clerk5", f"{9000 + more}", counter=5).status_code) == 401:
        more += 1
    assert codes.count(401) + more == 5 and last == 429


def test_lockouts_survive_a_restart(branch, tmp_path) -> None:  # noqa: ANN001
    clock = Clock(dt.datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN))
    first = Hub(branch, tmp_path / "hub.sqlite", clock)
    assert _wrong(first, "clerk2", 5) == [401] * 5
    first.stop()
    clock.advance(seconds=30)
    again = Hub(branch, tmp_path / "hub.sqlite", clock)
    try:
        r = again.login("clerk2", counter=2)
        assert r.status_code == 429  # before: 200
        assert int(r.headers["Retry-After"]) == 30
    finally:
        again.stop()


def test_one_address_may_not_try_every_user(hub: Hub) -> None:
    """Four wrong PINs each for five users stay under the per-user limit; the address is at its own."""
    for name in ("clerk1", "clerk2", "clerk3", "clerk4", "clerk5"):
        assert _wrong(hub, name, 4) == [401] * 4
    r = hub.login("clerk6", counter=6)
    assert r.status_code == 429 and r.json()["error"] == "too_many_attempts"  # before: 200
    with hub.app.extensions["navbat.hub"].read() as db:
        locks = server.web.auth.lockouts(db, hub.clock())
    assert [(lo["kind"], lo["username"], lo["address"]) for lo in locks] == [("address", None, "127.0.0.1")]
    hub.clock.advance(seconds=61)
    assert hub.login("clerk6", counter=6).status_code == 200


def test_a_right_guess_does_not_log_the_real_user_out(hub: Hub) -> None:
    real = hub.token("clerk3", 3)
    assert hub.post("/counters/3/open", headers=real).status_code == 200
    guessed = hub.token("clerk3", 3)  # the same user at the same counter (a second tab, or a guesser)
    assert hub.get("/me", real).status_code == 200  # before: 401, the real clerk logged out
    assert hub.get("/me", guessed).status_code == 200
    heads = [hub.token("head") for _ in range(3)]  # a head has as many consoles as they like
    assert all(hub.get("/me", h).status_code == 200 for h in heads)
    # One counter at a time: a clerk moving to another counter leaves their sessions at the old one.
    hub.post("/counters/3/close", headers=real)
    moved = hub.token("clerk3", 4)
    for old in (real, guessed):
        r = hub.get("/me", old)
        assert (r.status_code, r.json()["error"]) == (401, "session_expired")
    assert hub.get("/me", moved).json()["counter"] == 4


# ---- usernames are not public ------------------------------------------------------------------

def test_the_public_sees_display_names_not_usernames(hub: Hub) -> None:
    server.web.auth.add_user(open_db(hub.path), "clerk4", "clerk", PINS["clerk4"], "مریم")
    clerk = hub.token("clerk4", 4)
    hub.post("/counters/4/open", headers=clerk)
    for view in (hub.get("/counters/4").json(), hub.get("/counters").json()["counters"][3]):
        assert "clerk4" not in str(view)  # before: "clerk": "clerk4" for anyone
        assert view["clerk_name"] == "مریم"
    staff = hub.get("/counters/4", clerk).json()
    assert (staff["clerk"], staff["clerk_name"]) == ("clerk4", "مریم")
    assert hub.get("/counters/4", hub.token("head")).json()["clerk"] == "clerk4"
    display = {"Authorization": f"Bearer {hub.app.config['DISPLAY_TOKEN']}"}
    assert "clerk" not in hub.get("/counters/4", display).json()


# ---- sessions that end --------------------------------------------------------------------------

def _expired(r: requests.Response) -> bool:
    return r.status_code == 401 and r.json()["error"] == "session_expired"


def test_a_pin_reset_or_role_change_ends_every_session(hub: Hub) -> None:
    tab = hub.token("clerk2", 2)
    server.web.auth.add_user(open_db(hub.path), "clerk2", "head", "2580")  # PIN and role changed
    assert _expired(hub.get("/me", tab))  # before: 200, and as a head
    assert _expired(hub.get("/head/floor", tab))
    assert hub.login("clerk2").status_code == 401  # the old PIN
    new = hub.login("clerk2", "2580")
    assert hub.get("/me", {"Authorization": f"Bearer {new.json()['token']}"}).json()["role"] == "head"


def test_navbat_user_disable_ends_every_session(hub: Hub) -> None:
    head = hub.token("head")
    r = subprocess.run([sys.executable, "-m", "navbat", "user", "disable", "head", "--db", str(hub.path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr  # before: no such command
    assert _expired(hub.get("/head/floor", head))
    assert hub.login("head").status_code == 401  # no more logins
    nobody = subprocess.run([sys.executable, "-m", "navbat", "user", "disable", "nobody", "--db", str(hub.path)],
                            capture_output=True, text=True, timeout=60)
    assert nobody.returncode == 2
    server.web.auth.add_user(open_db(hub.path), "head", "head", PINS["head"])  # enabled again
    assert hub.login("head").status_code == 200


def test_an_idle_session_ends(hub: Hub) -> None:
    clerk, head = hub.token("clerk1", 1), hub.token("head")
    for _ in range(5):  # a clerk at work: a request every 30 minutes keeps the session
        hub.clock.advance(minutes=30)
        assert hub.get("/me", clerk).status_code == 200
    assert _expired(hub.get("/me", head))  # before: 200; nothing from the head for 2.5 hours
    hub.clock.advance(hours=2, minutes=1)
    r = hub.get("/me", clerk)
    assert _expired(r) and "2 hours" in r.json()["message"]
    assert "clerk" not in hub.get("/counters/1", clerk).json()  # an ended session reads as anyone does


def test_last_use_is_written_once_a_minute_at_most(hub: Hub) -> None:
    clerk = hub.token("clerk1", 1)
    db = hub.app.extensions["navbat.hub"].floor.db

    def last_use() -> str:
        return db.execute("SELECT last_used_at FROM sessions WHERE username='clerk1'").fetchone()[0]

    at_login = last_use()  # before: no such column
    hub.clock.advance(seconds=50)
    hub.get("/me", clerk)
    assert last_use() == at_login  # not a write per request
    hub.clock.advance(seconds=20)
    hub.get("/me", clerk)
    assert last_use() > at_login
    hub.clock.advance(hours=1, minutes=59)
    assert hub.get("/me", clerk).status_code == 200  # idle since the last write, not since the login


def test_a_session_ends_with_the_branch_day(hub: Hub) -> None:
    hub.clock.now = dt.datetime(2026, 11, 21, 23, 50, tzinfo=TEHRAN)
    head = hub.token("head")
    assert hub.get("/me", head).status_code == 200
    hub.clock.advance(minutes=15)  # 00:05 in Tehran: a new branch day
    r = hub.get("/me", head)
    assert _expired(r) and "branch day" in r.json()["message"]  # before: 200
    assert hub.get("/me", hub.token("head")).status_code == 200


def test_an_abandoned_counter_is_free_for_the_next_clerk(hub: Hub) -> None:
    """The day's sessions end; a counter left held by a clerk who never logged out is not kept from others."""
    hub.post("/counters/5/open", headers=hub.token("clerk5", 5))
    assert hub.login("clerk6", counter=5).json()["error"] == "counter_taken"
    hub.clock.advance(hours=24)
    assert hub.login("clerk6", counter=5).status_code == 200  # before: 409 counter_taken
    assert hub.get("/counters/5", hub.token("head")).json()["clerk"] == "clerk6"


# ---- ratings only from the visitor or the counter's own tablet -------------------------------------

def test_only_the_visitor_or_the_counters_tablet_rates(hub: Hub) -> None:
    clerk = hub.token("clerk8", 8)
    hub.post("/counters/8/open", headers=clerk)
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}", "Idempotency-Key": "r1"}
    code = hub.s.post(f"{hub.api}/tickets", json={"service": "FN1"}, headers=kiosk, timeout=10).json()["tracking_code"]
    ticket = hub.post("/counters/8/next", headers=clerk).json()
    hub.post("/counters/8/done", headers=clerk)

    # Anyone on the network: no token, or the wrong device.
    r = hub.get("/ratings/pending?counter=8")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"  # before: 200, the ticket to rate
    forged = {"counter": 8, "ticket": ticket["id"], "score": 1}
    assert hub.post("/ratings", forged).status_code == 401  # before: 201, and the visitor's own refused
    assert hub.post("/ratings", forged, clerk).json()["error"] == "forbidden"
    seven = {"Authorization": f"Bearer {hub.app.config['TABLET_TOKENS'][7]}"}
    assert hub.get("/ratings/pending?counter=8", seven).json()["error"] == "wrong_counter"
    assert hub.post("/ratings", forged, seven).json()["error"] == "wrong_counter"

    # The visitor, with the tracking code, no login.
    r = hub.post("/ratings", {"tracking_code": code, "score": 5})
    assert r.status_code == 201 and r.json()["source"] == "tracking"


def test_the_counters_tablet_rates_with_its_own_token(hub: Hub) -> None:
    clerk = hub.token("clerk8", 8)
    hub.post("/counters/8/open", headers=clerk)
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}", "Idempotency-Key": "r2"}
    hub.s.post(f"{hub.api}/tickets", json={"service": "FN1"}, headers=kiosk, timeout=10)
    ticket = hub.post("/counters/8/next", headers=clerk).json()
    hub.post("/counters/8/done", headers=clerk)
    assert hub.get("/ratings/pending?counter=8").status_code == 401  # before: 200
    r = subprocess.run([sys.executable, "-m", "navbat", "device", "add", "tablet-8b", "--role", "tablet",
                        "--counter", "8", "--db", str(hub.path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    tablet = {"Authorization": f"Bearer {r.stdout.strip()}"}
    assert hub.get("/me", tablet).json() == {"name": "tablet-8b", "display_name": None, "role": "tablet", "counter": 8}
    assert hub.get("/ratings/pending?counter=8", tablet).json()["ticket"] == ticket["id"]
    r = hub.post("/ratings", {"ticket": ticket["id"], "score": 4}, tablet)  # its counter goes without saying
    assert r.status_code == 201 and r.json()["source"] == "tablet"
    no_counter = subprocess.run([sys.executable, "-m", "navbat", "device", "add", "t", "--role", "tablet",
                                 "--db", str(hub.path)], capture_output=True, text=True, timeout=60)
    assert no_counter.returncode == 2 and "--counter" in no_counter.stderr


def test_pin_checks_run_one_at_a_time(hub: Hub, monkeypatch) -> None:  # noqa: ANN001
    """scrypt takes 32 MB and a core per check: one runs at a time, two more may wait, and a crowd
    past that (20 clerks at opening, or guesses from many addresses) is told to come back in a
    second (issue 23: before, every request thread queued for the check). Before issue 15: each of
    the hub's threads could hash at once (the attacked hub reached 700 MB)."""
    running, most, lock = [0], [0], threading.Lock()
    real = server.web.auth.check_password_hash

    def counted(pin_hash: str, pin: str) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        try:
            return real(pin_hash, pin)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(server.web.auth, "check_password_hash", counted)
    names = [n for n in PINS if n.startswith("clerk")]
    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(lambda n: requests.post(f"{hub.api}/login", timeout=30, json={
            "username": n, "pin": PINS[n], "counter": names.index(n) + 1}).status_code, names))
    assert set(answers) <= {200, 429} and answers.count(200) >= 3 and most[0] == 1
    for n in names:  # the ones told to wait log in when they try again
        if answers[names.index(n)] == 429:
            r = requests.post(f"{hub.api}/login", timeout=30, json={"username": n, "pin": PINS[n],
                                                                   "counter": names.index(n) + 1})
            assert r.status_code == 200
