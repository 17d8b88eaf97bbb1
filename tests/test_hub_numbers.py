"""Numbers never shared (issue 15): a wrapped block skips every number an open ticket of that
sub-service and day still holds; when the whole block is held the kiosk gets 409
numbers_exhausted (nothing issued), the head an alert, and a freed number is issued again."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import LOOSE_BUDGETS, make_app
from navbat.foundation.config import DEFAULT_CONFIG, Branch, parse_config
from navbat.foundation.i18n import gettext_for
from navbat.server.floor.refusals import Conflict
from navbat.server.hub import EXTENSION
from navbat.server.web.pages.head import JS_STRINGS

API = "/api/v1"
# Tiny blocks so a test can wrap them: IN1 101-103, IN2 201-212, IN3 301-320 and PR1 A-1..A-9.
TINY = {"IN1": {"start": 101, "end": 103}, "IN2": {"start": 201, "end": 212}, "IN3": {"start": 301, "end": 320},
        "PR1": {"prefix": "A", "digits": 1}}


@pytest.fixture(scope="module")
def branch() -> Branch:
    """The demo branch with a few tiny blocks (overrides conftest's: `app`, `client`, `live_hub` use it)."""
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8")))
    for unit in raw["units"]:
        for service in unit["services"]:
            if service["code"] in TINY:
                service["numbering"] = TINY[service["code"]]
    raw["budgets"] = LOOSE_BUDGETS.model_dump()  # one kiosk token stands for many here
    return parse_config(raw)


class Remote:
    """A kiosk, clerks and the head talking to a hub over a real socket."""

    def __init__(self, url: str, app: Any) -> None:
        self.url, self.app = url + API, app
        self.db = app.extensions[EXTENSION].floor.db
        self.s = requests.Session()
        self.kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
        self.head = self.login("head", "1404")

    def login(self, user: str, pin: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": user, "pin": pin, **({"counter": counter} if counter else {})}
        r = self.s.post(f"{self.url}/login", json=body, timeout=10)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def issue(self, service: str, key: str) -> requests.Response:
        return self.s.post(f"{self.url}/tickets", json={"service": service, "priority": None},
                           headers={**self.kiosk, "Idempotency-Key": key}, timeout=10)

    def counter(self, n: int, action: str, auth: dict[str, str], **body: Any) -> requests.Response:
        return self.s.post(f"{self.url}/counters/{n}/{action}", json=body or None, headers=auth, timeout=10)

    def cancel(self, ticket_id: int) -> None:
        assert self.s.post(f"{self.url}/tickets/{ticket_id}/cancel", headers=self.head, timeout=10).status_code == 200

    def alerts(self, service: str) -> list[dict[str, Any]]:
        floor = self.s.get(f"{self.url}/head/floor", headers=self.head, timeout=10).json()
        return [a for a in floor["alerts"] if a.get("service") == service and a["kind"].startswith("numbers_")]

    def count(self, sql: str) -> int:
        return self.db.execute(sql).fetchone()[0]


@pytest.fixture
def net(live_hub) -> Remote:  # noqa: ANN001
    return Remote(live_hub.url, live_hub.app)


def open_numbers_never_shared(db: Any) -> int:
    """Replays the event log in order: no ticket is ever issued a number another open ticket of the
    same sub-service (first_service) and day still holds. Returns the tickets issued."""
    held: dict[tuple[str, str, str], int] = {}
    first: dict[int, tuple[str, str, str]] = {}
    for type_, data in db.execute("SELECT type, data FROM events WHERE type LIKE 'ticket.%' ORDER BY id"):
        d = json.loads(data)
        if type_ == "ticket.issued":
            slot = (d["service"], d["branch_day"], d["number"])
            assert slot not in held, f"{d['number']} issued while ticket {held.get(slot)} still holds it"
            held[slot] = d["ticket"]
            first[d["ticket"]] = slot
        elif type_ in ("ticket.done", "ticket.no_show", "ticket.cancelled"):
            held.pop(first[d["ticket"]], None)
    return len(first)


def test_concurrent_kiosks_past_the_wrap_never_hold_the_same_number(net: Remote) -> None:
    """Six kiosks issue 90 IN2 tickets into a 12-number block while two clerks call and finish:
    the block wraps about seven times, a kiosk told numbers_exhausted retries with its key."""
    kiosks, per_kiosk = 6, 15
    clerks = {3: net.login("clerk3", "3333", 3), 4: net.login("clerk4", "4444", 4)}
    for n, auth in clerks.items():
        assert net.counter(n, "open", auth).status_code == 200
    issued: dict[str, dict[str, Any]] = {}
    refusals: list[str] = []
    errors: list[BaseException] = []
    kiosks_done = threading.Event()
    lock = threading.Lock()
    start = threading.Barrier(kiosks + len(clerks))

    def kiosk(k: int) -> None:
        s, auth = requests.Session(), net.kiosk
        try:
            start.wait()
            for i in range(per_kiosk):
                key = f"k{k}-{i}"
                for _ in range(500):
                    r = s.post(f"{net.url}/tickets", json={"service": "IN2"}, headers={**auth, "Idempotency-Key": key},
                               timeout=30)
                    if r.status_code == 201:
                        with lock:
                            issued[key] = r.json()
                        break
                    assert r.status_code == 409 and r.json()["error"] == "numbers_exhausted", r.text
                    with lock:
                        refusals.append(key)
                    time.sleep(0.01)  # the same key again, once a clerk may have freed a number
                else:
                    raise AssertionError(f"{key} never issued")
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            s.close()

    def clerk(n: int, auth: dict[str, str]) -> None:
        s = requests.Session()
        try:
            start.wait()
            while True:
                r = s.post(f"{net.url}/counters/{n}/next", headers=auth, timeout=30)
                if r.status_code == 204:
                    if kiosks_done.is_set():
                        return
                    time.sleep(0.005)
                    continue
                assert r.status_code == 200, r.text
                assert s.post(f"{net.url}/counters/{n}/done", headers=auth, timeout=30).status_code == 200
        except BaseException as exc:
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=kiosk, args=(k,)) for k in range(kiosks)]
    clerk_threads = [threading.Thread(target=clerk, args=item) for item in clerks.items()]
    for t in threads + clerk_threads:
        t.start()
    for t in threads:
        t.join(120)
    kiosks_done.set()
    for t in clerk_threads:
        t.join(60)
    assert not errors, errors
    assert len(issued) == kiosks * per_kiosk
    assert net.count("SELECT count(*) FROM tickets WHERE service='IN2'") == kiosks * per_kiosk  # no refusal issued
    assert open_numbers_never_shared(net.db) == kiosks * per_kiosk
    seqs = [r[0] for r in net.db.execute("SELECT seq FROM tickets WHERE first_service='IN2' ORDER BY seq")]
    assert seqs == list(range(1, kiosks * per_kiosk + 1))  # the n-th ticket of the day: gapless, never reused
    numbers = {t["number"] for t in issued.values()}
    assert numbers == {str(n) for n in range(201, 213)}  # every number of the block, many times over
    print(f"{len(refusals)} numbers_exhausted refusals, retried with the same key")


def test_exhausted_block_refuses_then_issues_a_freed_number(net: Remote) -> None:
    clerk = net.login("clerk3", "3333", 3)
    assert net.counter(3, "open", clerk).status_code == 200
    first = [net.issue("IN1", f"in1-{i}").json() for i in range(3)]
    assert [t["number"] for t in first] == ["101", "102", "103"]
    assert net.alerts("IN1") == [{"kind": "numbers_exhausted", "level": "danger", "service": "IN1",
                                  "name": {"fa": "غرامت دستمزد ایام بیماری", "en": "Sick-pay compensation"},
                                  "total": 3}]

    for _ in range(2):  # a kiosk retrying its key keeps being refused; nothing is issued or recorded
        r = net.issue("IN1", "waiting-key")
        assert r.status_code == 409 and r.json()["error"] == "numbers_exhausted", r.text
        assert "101" in r.json()["message"] and "103" in r.json()["message"]
    assert net.count("SELECT count(*) FROM tickets") == 3
    assert net.count("SELECT count(*) FROM events WHERE type='ticket.issued'") == 3
    assert net.count("SELECT last FROM sequences WHERE service='IN1'") == 3

    net.cancel(first[1]["id"])  # 102 is freed; 101 and 103 still wait
    assert net.alerts("IN1") == []
    r = net.issue("IN1", "waiting-key")  # the same key now issues, with the freed number
    assert r.status_code == 201 and r.json()["number"] == "102", r.text
    again = net.issue("IN1", "waiting-key")
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]  # and stays that one ticket
    assert net.db.execute("SELECT seq FROM tickets WHERE id=?", [r.json()["id"]]).fetchone()[0] == 4
    assert net.issue("IN1", "next").json()["error"] == "numbers_exhausted"

    # A transferred ticket keeps its number and keeps holding it in the block it was issued from.
    called = net.counter(3, "next", clerk).json()
    assert called["number"] == "101"
    assert net.counter(3, "transfer", clerk, service="IN2").status_code == 200
    assert net.issue("IN1", "next").json()["error"] == "numbers_exhausted"
    assert net.issue("IN2", "in2").json()["number"] == "201"  # IN2's own block is untouched by IN1's 101

    called = net.counter(3, "next", clerk).json()  # 101 again (its place kept), now for IN2
    assert (called["number"], called["service"]) == ("101", "IN2")
    assert net.counter(3, "done", clerk).status_code == 200
    r = net.issue("IN1", "next")
    assert r.status_code == 201 and r.json()["number"] == "101"
    open_numbers_never_shared(net.db)

    # The numbers are in the events: a rebuild gives the very same tickets.
    floor = net.app.extensions[EXTENSION].floor
    before = net.db.execute("SELECT id, seq, number, state FROM tickets ORDER BY id").fetchall()
    floor.rebuild()
    assert net.db.execute("SELECT id, seq, number, state FROM tickets ORDER BY id").fetchall() == before


def test_letter_prefix_block_skips_held_numbers(net: Remote) -> None:
    tickets = [net.issue("PR1", f"pr1-{i}").json() for i in range(9)]
    assert [t["number"] for t in tickets] == [f"A-{n}" for n in range(1, 10)]
    r = net.issue("PR1", "tenth")
    assert r.status_code == 409 and r.json()["error"] == "numbers_exhausted"
    net.cancel(tickets[3]["id"])
    assert net.issue("PR1", "tenth").json()["number"] == "A-4"
    net.cancel(tickets[0]["id"])
    net.cancel(tickets[1]["id"])
    # After A-4 the next free number: A-5..A-9 are held, so round to A-1, then A-2.
    assert [net.issue("PR1", k).json()["number"] for k in ("x", "y")] == ["A-1", "A-2"]
    assert net.issue("PR1", "z").json()["error"] == "numbers_exhausted"
    assert net.count("SELECT count(*) FROM tickets WHERE first_service='PR1'") == 12
    assert net.count("SELECT count(DISTINCT number) FROM tickets WHERE first_service='PR1' AND state='waiting'") == 9


def test_numbers_low_and_exhausted_alerts_on_the_head_floor(net: Remote) -> None:
    tickets = [net.issue("IN3", f"in3-{i}").json() for i in range(18)]
    assert net.alerts("IN3") == []  # 2 of 20 free: not yet under 10 %
    tickets.append(net.issue("IN3", "in3-18").json())
    low = net.alerts("IN3")
    assert [(a["kind"], a["level"], a["free"], a["total"]) for a in low] == [("numbers_low", "warning", 1, 20)]
    tickets.append(net.issue("IN3", "in3-19").json())
    assert [(a["kind"], a["level"]) for a in net.alerts("IN3")] == [("numbers_exhausted", "danger")]
    floor = net.s.get(f"{net.url}/head/floor", headers=net.head, timeout=10).json()
    in3 = next(s for s in floor["services"] if s["code"] == "IN3")
    assert (in3["numbers_free"], in3["numbers_total"]) == (0, 20)
    net.cancel(tickets[5]["id"])
    assert [a["kind"] for a in net.alerts("IN3")] == ["numbers_low"]


def test_the_head_console_words_the_alerts(client) -> None:  # noqa: ANN001
    _ = gettext_for("head", "fa")
    for msgid in ("Numbers of {name} are all in use: finish or cancel old tickets",
                  "Only {free} of the {total} numbers of {name} are free"):
        assert msgid in JS_STRINGS and "{name}" in _(msgid) and _(msgid) != msgid
    assert _("Numbers of {name} are all in use: finish or cancel old tickets").startswith("همه شماره\u200cهای {name}")
    js = client.get("/static/head/floor.js").get_data(as_text=True)
    assert 'a.kind === "numbers_exhausted"' in js and 'a.kind === "numbers_low"' in js


def test_a_new_day_starts_the_block_again(branch: Branch, tmp_path: Path) -> None:
    now = [dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)]  # Saturday, 9:30 in Tehran
    app = make_app(branch, tmp_path / "day.sqlite", CLOCK=lambda: now[0])
    floor = app.extensions[EXTENSION].floor
    try:
        for i in range(3):
            floor.issue_ticket("IN1", None, f"sat-{i}", "kiosk-1")
        with pytest.raises(Conflict) as refused:
            floor.issue_ticket("IN1", None, "sat-3", "kiosk-1")
        assert refused.value.code == "numbers_exhausted"
        now[0] += dt.timedelta(days=1)  # yesterday's waiting tickets expire; their numbers are free
        assert floor.issue_ticket("IN1", None, "sun-0", "kiosk-1")[0]["number"] == "101"
    finally:
        app.extensions[EXTENSION].stop()
