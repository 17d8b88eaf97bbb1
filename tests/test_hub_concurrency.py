"""Races over a real socket: eight kiosks issuing at once (with retried keys) never lose or
duplicate a ticket; two clerks calling next at the same instant never get the same visitor (D5)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

import requests

API = "/api/v1"
KIOSKS = 8
TICKETS = 500


def test_eight_kiosks_issue_500_tickets_with_retries(live_hub, branch):  # noqa: ANN001
    url, app = live_hub.url + API, live_hub.app
    codes = [s.code for s in branch.services]  # 17 services, under 30 tickets each: no block wraps
    keys = [f"race-{i}" for i in range(TICKETS)]
    plans: list[list[tuple[str, str]]] = [[] for _ in range(KIOSKS)]
    for i, key in enumerate(keys):
        plans[i % KIOSKS].append((key, codes[i % len(codes)]))
        if i % 10 == 0:  # a kiosk that lost the answer sends the same request again
            plans[i % KIOSKS].append((key, codes[i % len(codes)]))
        if i % 25 == 3:  # the same key from another thread, at about the same moment
            plans[(i + 1) % KIOSKS].insert(len(plans[i % KIOSKS]) - 1, (key, codes[i % len(codes)]))
    answers: list[tuple[str, int, dict]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(KIOSKS)
    lock = threading.Lock()

    def kiosk(plan: list[tuple[str, str]]) -> None:
        s = requests.Session()
        auth = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
        try:
            start.wait()
            for key, service in plan:
                r = s.post(f"{url}/tickets", json={"service": service, "priority": None},
                           headers={**auth, "Idempotency-Key": key}, timeout=30)
                with lock:
                    answers.append((key, r.status_code, r.json()))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=kiosk, args=(plan,)) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(answers) == sum(len(p) for p in plans) > TICKETS

    by_key: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for key, status, body in answers:
        assert status in (200, 201), (status, body)
        by_key[key].append((status, body))
    assert set(by_key) == set(keys)
    for key, replies in by_key.items():
        assert [s for s, _ in replies].count(201) == 1, (key, replies)  # retries answer 200...
        assert len({b["id"] for _, b in replies}) == 1, key  # ...with the very same ticket
        assert len({b["tracking_code"] for _, b in replies}) == 1, key
    assert sum(len(r) > 1 for r in by_key.values()) >= 60  # the retries really happened

    db = app.extensions["navbat.hub"].floor.db
    assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == TICKETS
    assert db.execute("SELECT count(*) FROM events WHERE type='ticket.issued'").fetchone()[0] == TICKETS
    dupes = db.execute("""SELECT service, number, count(*) FROM tickets GROUP BY branch_day, service, number
                          HAVING count(*) > 1""").fetchall()
    assert dupes == []
    per_service = Counter(codes[i % len(codes)] for i in range(TICKETS))
    for service, n in per_service.items():
        seqs = [r[0] for r in db.execute("SELECT seq FROM tickets WHERE service=? ORDER BY seq", [service])]
        assert seqs == list(range(1, n + 1)), service  # gapless: no number skipped or taken twice


def _clerk(url: str, user: str, pin: str, window: int) -> tuple[requests.Session, dict[str, str]]:
    s = requests.Session()
    r = s.post(f"{url}/login", json={"username": user, "pin": pin, "counter": window}, timeout=10)
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    assert s.post(f"{url}/counters/{window}/open", headers=auth, timeout=10).status_code == 200
    return s, auth


def test_two_clerks_calling_at_the_same_instant(live_hub):  # noqa: ANN001
    """Windows 1 and 2 both serve PR1-PR3; they press next together, round after round."""
    url, app = live_hub.url + API, live_hub.app
    floor = app.extensions["navbat.hub"].floor
    services = ["PR1", "PR2", "PR3"]
    issued = {floor.issue_ticket(services[i % 3], None, f"two-{i}", "kiosk-1")[0]["id"] for i in range(60)}
    got: dict[int, list[int]] = {1: [], 2: []}
    errors: list[BaseException] = []
    together = threading.Barrier(2)
    stop = threading.Event()

    def clerk(window: int) -> None:
        s, auth = _clerk(url, f"clerk{window}", f"{window}" * 4, window)
        try:
            while not stop.is_set():
                together.wait(10)
                r = s.post(f"{url}/counters/{window}/next", headers=auth, timeout=10)
                if r.status_code == 204:
                    stop.set()
                else:
                    assert r.status_code == 200, r.text
                    got[window].append(r.json()["id"])
                    # No-show on even rounds, served on odd: both free the window for the next call.
                    action = "no-show" if len(got[window]) % 2 else "done"
                    assert s.post(f"{url}/counters/{window}/{action}", headers=auth, timeout=10).status_code == 200
                together.wait(10)
        except BaseException as exc:
            errors.append(exc)
            stop.set()
            together.abort()
        finally:
            s.close()

    threads = [threading.Thread(target=clerk, args=(w,)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    called = got[1] + got[2]
    assert len(called) == len(set(called)) == len(issued)  # nobody called twice, nobody left behind
    assert set(called) == issued
    assert len(got[1]) >= 25 and len(got[2]) >= 25  # both really took part in every round
    calls = floor.db.execute("SELECT ticket_id, count(*) FROM events WHERE type='ticket.called' GROUP BY 1")
    assert all(n == 1 for _, n in calls)
    assert floor.db.execute("SELECT count(*) FROM tickets WHERE state='waiting'").fetchone()[0] == 0
