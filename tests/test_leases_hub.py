"""The hub's side of kiosks that issue while the hub is down (issue 26, docs/leases.md): leases of
numbers nobody else is given, a journal merged exactly once, merged tickets in line by their real
issue time, the kiosk's clock, leases that expire, the log as the record, the head's line."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from leases_support import API, Hall, offline, wait_for
from navbat.foundation import event_types as E
from navbat.server.floor import dbcheck, leases
from navbat.server.floor.ahead import people_ahead


def test_a_lease_is_set_aside_and_its_numbers_are_never_given_twice(hall: Hall) -> None:
    first = hall.lease("PR1")
    assert len(first["numbers"]) == leases.SIZE_FLOOR  # a quiet morning: the floor of the size
    assert first["branch_day"] == "2026-12-07" and first["service"] == "PR1"
    assert [n["number"] for n in first["numbers"]] == [f"A-{i:03d}" for i in range(1, 11)]
    granted, expires = dt.datetime.fromisoformat(first["granted_at"]), dt.datetime.fromisoformat(first["expires_at"])
    assert expires - granted == dt.timedelta(hours=leases.LEASE_HOURS) and granted == hall.clock()
    # The hub's own tickets and a second kiosk's leases, all at once: no number and no seq is given twice.
    with ThreadPoolExecutor(8) as pool:
        online = [pool.submit(hall.issue, "PR1", "kiosk-1") for _ in range(24)]
        leased = [pool.submit(hall.lease, "PR1", who) for who in ("kiosk-1", "kiosk-2", "kiosk-2")]
        tickets, more = [f.result() for f in online], [f.result() for f in leased]
    numbers = [t["number"] for t in tickets] + [n["number"] for x in [first, *more] for n in x["numbers"]]
    size = sum(len(x["numbers"]) for x in [first, *more])  # later leases follow the tickets just issued
    assert len(numbers) == 24 + size and len(set(numbers)) == len(numbers)
    seqs = [s for (s,) in hall.rows("SELECT seq FROM tickets")] + [n["seq"] for x in [first, *more]
                                                                      for n in x["numbers"]]
    assert len(set(seqs)) == len(seqs) == 24 + size
    # what the log says is what the kiosks were told
    granted_events = hall.rows("SELECT data FROM events WHERE type=?", [E.LEASE_GRANTED])
    assert len(granted_events) == 4


def test_the_size_follows_the_recent_rate_within_its_bounds(hall: Hall) -> None:
    for _ in range(25):
        hall.issue("PR1")
    assert len(hall.lease("PR1")["numbers"]) == 25  # an hour of this sub-service's tickets
    hall.clock.advance(minutes=61)  # the hour has passed: back to the floor
    assert len(hall.lease("PR1")["numbers"]) == leases.SIZE_FLOOR
    lease = hall.lease("IN1")  # a block of 99 numbers: never more than a quarter of it
    assert [n["number"] for n in lease["numbers"]] == [str(n) for n in range(101, 111)]


def test_the_journal_merges_exactly_once_whatever_the_order(hall: Hall) -> None:
    lease = hall.lease("PR1")
    at = hall.clock()
    journal = [offline(lease, i, at + dt.timedelta(minutes=i)) for i in range(5)]
    hall.clock.advance(minutes=10)
    late = hall.merge(journal[3:])  # a later part first (a retry that crossed the first send)
    assert [r["status"] for r in late] == ["merged", "merged"]
    whole = hall.merge(journal)
    assert [r["status"] for r in whole] == ["merged"] * 3 + ["already"] * 2
    assert [r["ticket"] for r in whole[3:]] == [r["ticket"] for r in late]
    again = hall.merge(journal)
    assert [r["status"] for r in again] == ["already"] * 5
    assert [r["ticket"] for r in again] == [r["ticket"] for r in whole]
    merged = hall.rows("SELECT number, seq FROM tickets ORDER BY seq")
    assert merged == [(n["number"], n["seq"]) for n in lease["numbers"][:5]]
    # one lease.merged per request that merged something: two, five tickets in all
    assert [t for (t,) in hall.rows("SELECT tickets FROM lease_merges ORDER BY event_id")] == [2, 3]


def test_what_is_not_the_kiosks_own_is_refused_and_nothing_is_stored(hall: Hall) -> None:
    mine, theirs = hall.lease("PR1"), hall.lease("PR1", "kiosk-2")
    at = hall.clock()
    wrong_number = offline(mine, 0, at) | {"number": "A-999", "idempotency_key": "w1"}
    unknown_seq = offline(mine, 0, at) | {"seq": 9999, "idempotency_key": "w2"}
    results = hall.merge([offline(theirs, 0, at), wrong_number, unknown_seq,
                          offline(mine, 1, at) | {"lease": 99999},
                          offline(mine, 2, at, priority="nobody"), {"idempotency_key": "x", "lease": "7"}, 42])
    assert [(r["status"], r["error"]) for r in results] == [
        ("refused", "not_your_lease"), ("refused", "not_in_lease"), ("refused", "not_in_lease"),
        ("refused", "not_your_lease"), ("refused", "unknown_priority"), ("refused", "bad_ticket"),
        ("refused", "bad_ticket")]
    ok = hall.merge([offline(mine, 0, at, key="k1")])
    assert ok[0]["status"] == "merged"
    used = hall.merge([offline(mine, 0, at, key="k2")])  # another key for the same seq
    assert (used[0]["status"], used[0]["error"]) == ("refused", "seq_used")
    assert hall.rows("SELECT count(*) FROM tickets") == [(1,)]


def test_bad_requests_are_4xx_json(hall: Hall) -> None:
    lease = hall.lease("PR1")
    checks = [
        (hall.post("/leases", {"service": "PR1"}, who="nobody"), 401, "unauthorized"),
        (hall.post("/leases", {"service": "PR1"}, who="display"), 403, "forbidden"),
        (hall.post("/leases", {"service": "XX9"}), 404, "unknown_service"),
        (hall.post("/leases", {"service": 5}), 400, "bad_field"),
        (hall.post("/leases", [1]), 400, "malformed_json"),
        (hall.post("/offline-tickets", {"sent_at": "yesterday", "tickets": []}), 400, "bad_sent_at"),
        (hall.post("/offline-tickets", {"sent_at": "2026-12-07T10:00:00", "tickets": []}), 400, "bad_sent_at"),
        (hall.post("/offline-tickets", {"sent_at": hall.clock().isoformat(), "tickets": {}}), 400, "bad_tickets"),
        (hall.post("/offline-tickets", {"sent_at": hall.clock().isoformat(),
                                        "tickets": [offline(lease, 0, hall.clock())] * 501}), 400, "batch_too_big"),
        (hall.post(f"/leases/{lease['lease']}/return", who="kiosk-2"), 404, "not_your_lease"),
        (hall.post("/leases/123456/return"), 404, "not_your_lease"),
    ]
    for r, status, code in checks:
        assert (r.status_code, r.json()["error"]) == (status, code), r.text


def test_budgets_leases_per_hour_and_live_per_sub_service(hall: Hall) -> None:
    held = [hall.lease("PR1") for _ in range(leases.LIVE_PER_SERVICE)]
    r = hall.post("/leases", {"service": "PR1"})
    assert (r.status_code, r.json()["error"]) == (409, "lease_limit")
    for x in held:
        assert hall.post(f"/leases/{x['lease']}/return").status_code == 200
    for _ in range(leases.LEASES_PER_HOUR - leases.LIVE_PER_SERVICE):
        x = hall.lease("PR2")
        hall.post(f"/leases/{x['lease']}/return")
    r = hall.post("/leases", {"service": "PR3"})
    assert (r.status_code, r.json()["error"]) == (429, "too_many_leases") and int(r.headers["Retry-After"]) > 0
    assert hall.post("/leases", {"service": "PR3"}, who="kiosk-2").status_code == 201  # a budget per device
    hall.clock.advance(minutes=61)
    assert hall.post("/leases", {"service": "PR3"}).status_code == 201


def test_merged_tickets_wait_by_their_issue_time_and_are_called_in_that_order(hall: Hall) -> None:
    lease = hall.lease("PR1")
    t0 = hall.clock()
    # the hub issues at +1, +3, +5 minutes; the kiosk (cut off) at +0.5, +2, +4, +6
    online = []
    for minute in (1, 3, 5):
        hall.clock.now = (t0 + dt.timedelta(minutes=minute)).astimezone(hall.clock.now.tzinfo)
        online.append((t0 + dt.timedelta(minutes=minute), hall.issue("PR1")["number"]))
    kiosk = [(t0 + dt.timedelta(minutes=m), offline(lease, i, t0 + dt.timedelta(minutes=m)))
             for i, m in enumerate((0.5, 2, 4, 6))]
    hall.clock.advance(minutes=10)
    results = hall.merge([t for _, t in kiosk])
    assert {r["status"] for r in results} == {"merged"}
    expected = [n for _, n in sorted(online + [(at, t["number"]) for at, t in kiosk])]
    issued = {number: at for number, at in hall.rows("SELECT number, issued_at FROM tickets")}
    for at, t in kiosk:
        assert dt.datetime.fromisoformat(issued[t["number"]]) == at  # the real issue time, not the merge's
    # people ahead: each merged ticket counts those who were there before it
    codes = dict(hall.rows("SELECT number, tracking_code FROM tickets"))
    hall.hub.estimates.settled(5.0)
    for i, number in enumerate(expected):
        shown = requests.get(f"{hall.url}{API}/tickets/{codes[number]}", timeout=10).json()
        assert shown["people_ahead"] == i, (number, shown["people_ahead"])
    clerk = hall.login("clerk1", 1)
    assert requests.post(f"{hall.url}{API}/counters/1/open", headers=clerk, timeout=10).status_code == 200
    called = []
    for _ in expected:
        r = requests.post(f"{hall.url}{API}/counters/1/next", headers=clerk, timeout=10)
        assert r.status_code == 200, r.text
        called.append(r.json()["number"])
        assert requests.post(f"{hall.url}{API}/counters/1/done", headers=clerk, timeout=10).status_code == 200
    assert called == expected


def test_the_kiosks_clock_within_the_bound_or_corrected(hall: Hall) -> None:
    lease = hall.lease("PR1")
    granted = hall.clock()
    hall.clock.advance(minutes=30)
    now = hall.clock()
    near = hall.merge([offline(lease, 0, now - dt.timedelta(minutes=10))], sent_at=now - dt.timedelta(seconds=4))
    behind = now - dt.timedelta(hours=2)  # a kiosk whose clock is two hours slow
    far = hall.merge([offline(lease, 1, behind - dt.timedelta(minutes=20)),
                      offline(lease, 2, behind - dt.timedelta(hours=3)),  # before the lease: clamped to its grant
                      offline(lease, 3, behind + dt.timedelta(minutes=5))],  # after the send: clamped to now
                     sent_at=behind)
    ahead = hall.merge([offline(lease, 4, now + dt.timedelta(minutes=50))], sent_at=now + dt.timedelta(hours=1))
    times = dict(hall.rows("SELECT id, issued_at FROM tickets"))

    def at(result: dict) -> dt.datetime:
        return dt.datetime.fromisoformat(times[result["ticket"]])

    assert at(near[0]) == now - dt.timedelta(minutes=10)  # 4 s off: taken as it is
    assert at(far[0]) == now - dt.timedelta(minutes=20)  # corrected by the skew
    assert at(far[1]) == granted and at(far[2]) == now
    assert at(ahead[0]) == now - dt.timedelta(minutes=10)  # a fast clock, corrected back


def test_a_journal_kept_waiting_by_the_writer_keeps_its_times(hall: Hall) -> None:
    """The skew is read as the journal arrives: the time it then waits for the hub's writer (a hub just
    restarted, every kiosk merging at once) is not the kiosk's clock being off, and moves no ticket."""
    lease = hall.lease("PR1")
    hall.clock.advance(minutes=10)
    floor, sent_at = hall.hub.floor, hall.clock()
    arrived, merging = threading.Event(), []

    def clock() -> dt.datetime:  # the hub's clock, telling when the merging thread reads it
        if threading.get_ident() in merging:
            arrived.set()
        return hall.clock()

    def merge() -> list[dict]:
        merging.append(threading.get_ident())
        return leases.merge(floor, "kiosk-1", sent_at, [offline(lease, 0, sent_at - dt.timedelta(minutes=5))])

    floor.clock = clock
    try:
        with ThreadPoolExecutor(1) as pool:
            with floor.write():  # the writer is busy
                result = pool.submit(merge)
                arrived.wait(5)
                hall.clock.advance(seconds=30)  # while the journal waits for it
            [merged] = result.result(timeout=30)
    finally:
        floor.clock = hall.clock
    assert merged["status"] == "merged"
    [(issued,)] = hall.rows("SELECT issued_at FROM tickets WHERE id=?", [merged["ticket"]])
    assert dt.datetime.fromisoformat(issued) == sent_at - dt.timedelta(minutes=5)


def test_a_lease_never_returned_expires_and_its_numbers_come_back(hall: Hall) -> None:
    def free() -> int:  # the head's floor: a login each time (the clock jumps past a session)
        floor = requests.get(f"{hall.url}{API}/head/floor", headers=hall.login("head"), timeout=10).json()
        return next(s["numbers_free"] for s in floor["services"] if s["code"] == "IN1")

    dead = hall.lease("IN1")  # a kiosk that will die
    kept = hall.lease("IN1", "kiosk-2")
    assert free() == 99 - 20
    hall.merge([offline(dead, 0, hall.clock())])
    assert free() == 99 - 20  # the merged ticket holds its number now
    hall.clock.advance(hours=leases.LEASE_HOURS, minutes=1)
    worker = next(w for w in hall.hub.workers if w.name == "leases")
    worker.wake()
    wait_for(lambda: hall.rows("SELECT state FROM leases ORDER BY id") == [("expired",), ("expired",)])
    unused = [d for (d,) in hall.rows("SELECT data FROM events WHERE type=? ORDER BY id", [E.LEASE_EXPIRED])]
    assert '"unused": [2, 3, 4, 5, 6, 7, 8, 9, 10]' in unused[0]
    assert free() == 99 - 1  # the merged ticket's number only
    # a ticket the kiosk issued before the lease ran out still merges: nobody holds its number
    late = hall.merge([offline(kept, 0, hall.clock() - dt.timedelta(hours=4))], who="kiosk-2")
    assert late[0]["status"] == "merged"


def test_a_returned_lease_gives_back_what_was_not_used(hall: Hall) -> None:
    lease = hall.lease("PR1")
    hall.merge([offline(lease, i, hall.clock()) for i in (0, 2)])
    seqs = [n["seq"] for n in lease["numbers"]]
    r = hall.post(f"/leases/{lease['lease']}/return")
    assert r.status_code == 200 and r.json() == {"returned": [seqs[1], *seqs[3:]]}
    assert hall.post(f"/leases/{lease['lease']}/return").json() == r.json()  # again: the same answer
    assert hall.rows("SELECT count(*) FROM events WHERE type=?", [E.LEASE_RETURNED]) == [(1,)]
    after = hall.issue("PR1")  # the hub counts on after the lease's numbers
    assert after["number"] == "A-011"


def test_the_log_rebuilds_leases_and_merges_and_check_is_ok(hall: Hall) -> None:
    a, b = hall.lease("PR1"), hall.lease("IN1", "kiosk-2")
    hall.issue("PR1")
    hall.merge([offline(a, i, hall.clock()) for i in range(3)])
    hall.merge([offline(b, 0, hall.clock())], who="kiosk-2")
    hall.post(f"/leases/{a['lease']}/return")
    hall.clock.advance(hours=5)
    leases.expire(hall.hub.floor)
    tables = ("leases", "lease_numbers", "lease_merges", "tickets", "sequences")
    before = {t: hall.rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}  # noqa: S608
    assert dbcheck.check(hall.db_path, full=True) == []
    hall.hub.floor.rebuild()
    assert {t: hall.rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables} == before  # noqa: S608
    assert before["leases"][0][-2:][0] == "returned" and before["leases"][1][-2] == "expired"


def test_the_head_sees_how_many_were_issued_while_the_hub_was_down(hall: Hall) -> None:
    lease = hall.lease("PR1")
    hall.clock.advance(minutes=3)
    hall.merge([offline(lease, i, hall.clock() - dt.timedelta(minutes=2)) for i in range(7)])
    head = hall.login("head")
    floor = requests.get(f"{hall.url}{API}/head/floor", headers=head, timeout=10).json()
    [note] = [a for a in floor["alerts"] if a["kind"] == "offline_merged"]
    local = hall.clock().astimezone(hall.hub.branch.tz).strftime("%H:%M")
    assert note["tickets"] == 7 and note["at"] == local
    fa = local.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert note["text"] == f"۷ نوبت در زمان قطع بودن سامانه صادر شد و ساعت {fa} ثبت شد"
    english = requests.get(f"{hall.url}{API}/head/floor", headers=head, cookies={"navbat_lang": "en"},
                           timeout=10).json()
    assert any(a.get("text") == f"7 tickets issued while the hub was down, merged at {local}"
               for a in english["alerts"])


def test_a_merged_ticket_newer_than_the_last_replay_counts_those_before_it(hall: Hall) -> None:
    lease = hall.lease("PR1")
    t0 = hall.clock()
    hall.clock.advance(minutes=1)
    for _ in range(3):
        hall.issue("PR1")
        hall.clock.advance(minutes=1)
    replayed = hall.hub.estimates.settled(5.0)  # the last replay, from before the merge
    [first, middle] = hall.merge([offline(lease, 0, t0 + dt.timedelta(seconds=30)),
                                  offline(lease, 1, t0 + dt.timedelta(minutes=2, seconds=30))])
    with hall.hub.read() as db:
        rows = {r["id"]: dict(r) for r in db.query("SELECT * FROM tickets")}
        # not at the back, as a newcomer would be (3): before everyone; then after the first and two of the three
        assert people_ahead(replayed, db, rows[first["ticket"]]).count == 0
        assert people_ahead(replayed, db, rows[middle["ticket"]]).count == 3


def test_a_journal_of_an_earlier_day_is_merged_and_ends_as_that_days_tickets_did(hall: Hall) -> None:
    lease = hall.lease("PR1")
    issued = hall.clock()
    hall.clock.advance(days=1)
    [r] = hall.merge([offline(lease, 0, issued)], sent_at=hall.clock())
    assert r["status"] == "merged"
    assert hall.rows("SELECT state, outcome, branch_day FROM tickets") == [("cancelled", "expired", "2026-12-07")]
    assert hall.issue("PR1")["number"] == "A-001"  # a new day's numbers
    assert dbcheck.check(hall.db_path, full=True) == []


def test_merge_requests_have_a_budget_per_kiosk(hall: Hall) -> None:
    lease = hall.lease("PR1")
    body = [offline(lease, 0, hall.clock())]
    for _ in range(leases.MERGES_PER_MINUTE):
        hall.merge(body)
    r = hall.post("/offline-tickets", {"sent_at": hall.clock().isoformat(), "tickets": body})
    assert (r.status_code, r.json()["error"]) == (429, "too_many_merges") and int(r.headers["Retry-After"]) > 0
    assert hall.post("/offline-tickets", {"sent_at": hall.clock().isoformat(), "tickets": []},
                     who="kiosk-2").status_code == 200


def test_a_ticket_whose_answer_the_kiosk_never_heard_is_withdrawn_at_the_merge(hall: Hall) -> None:
    """The hub issued under the visit's key and died (or the answer was lost) before the kiosk heard;
    the kiosk printed the lease's number instead and names that key: the hub's ticket, which nobody
    holds, is cancelled if it still waits, so no clerk calls an empty hall. One already called stays."""
    lease = hall.lease("PR1")
    lost = hall.issue("PR1")  # the kiosk never heard this answer
    lost_key = hall.last_key
    heard_late = hall.issue("PR1")
    late_key = hall.last_key
    clerk = hall.login("clerk1", 1)
    assert hall.post("/counters/1/open", who="", headers=clerk).status_code == 200
    assert hall.post("/counters/1/next", who="", headers=clerk).json()["id"] == lost["id"]  # called: stays
    at = hall.clock()
    first = offline(lease, 0, at) | {"unanswered_key": lost_key}
    second = offline(lease, 1, at) | {"unanswered_key": late_key}
    third = offline(lease, 2, at) | {"unanswered_key": "never-sent"}
    assert [r["status"] for r in hall.merge([first, second, third])] == ["merged"] * 3
    states = dict(hall.rows("SELECT id, state FROM tickets WHERE id IN (?, ?)", [lost["id"], heard_late["id"]]))
    assert states == {lost["id"]: "called", heard_late["id"]: "cancelled"}
    outcome = hall.rows("SELECT json_extract(data, '$.outcome') FROM events WHERE type=? AND ticket_id=?",
                        [E.TICKET_CANCELLED, heard_late["id"]])
    assert outcome == [(E.SUPERSEDED,)]
    assert dbcheck.check(hall.db_path, full=True) == []
