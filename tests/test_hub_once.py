"""Each fact computed once per change, and refreshes that keep up with the hall (issue 27):
what the caches keep is always what a fresh read would say."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from conftest import HandClock, make_app
from navbat.foundation.config import load_config
from navbat.queueing.lines import WaitingLines
from navbat.queueing.policy import Picker, pick
from navbat.server.floor.engine_worker import EngineWorker
from navbat.server.floor.queries import serving, waiting_counts
from navbat.server.floor.waits import WaitKeeper
from navbat.server.hub import EXTENSION

from navbat import queueing

API = "/api/v1"


def test_a_change_of_a_counters_services_is_seen_by_the_next_issue(client, actions, hub) -> None:  # noqa: ANN001
    head = actions.login("head")
    actions.open_counter(1)
    assert actions.issue("PN1").status_code == 201  # counters 3, 4 and 5 (and the pension unit's own) serve PN1
    with hub.read() as db:
        before = serving(db, hub.branch, hub.floor.derived)["PN1"]
    servers = [c.number for c in hub.branch.counters if any(s.code == "PN1" for s in c.services)]
    for n in servers:  # the head moves every counter off PN1
        others = {s.code: s.weight for s in hub.branch.counter(n).services if s.code != "PN1"}
        assert client.put(f"{API}/counters/{n}/services", json={"services": others}, headers=head).status_code == 200
    r = actions.issue("PN1")
    assert r.status_code == 409 and r.json["error"] == "service_unavailable", r.json
    services = {s["code"]: s for s in client.get(f"{API}/services").json["services"]}
    assert services["PN1"]["counters"] == [] and services["PN1"]["available"] is False
    assert client.put(f"{API}/counters/{servers[-1]}/services", json={"services": {"PN1": 1.0}},
                      headers=head).status_code == 200
    assert actions.issue("PN1").status_code == 201
    services = {s["code"]: s for s in client.get(f"{API}/services").json["services"]}
    assert services["PN1"]["counters"] == [servers[-1]] and services["PN1"]["waiting"] == 2
    assert [r["number"] for r in before] == servers


def test_the_floors_facts_are_read_once_per_change_and_again_after_one(actions, hub) -> None:  # noqa: ANN001
    actions.open_counter(1)
    actions.issue("PR1")
    derived = hub.floor.derived
    with hub.read() as db:
        first = derived.floor(db, hub.branch)
    with hub.read() as db:
        again = derived.floor(db, hub.branch)
        fresh = (waiting_counts(db), serving(db, hub.branch))
    assert again is first and first == fresh  # nothing changed: the same object, equal to a fresh read
    actions.issue("PR1")
    with hub.read() as db:
        after = derived.floor(db, hub.branch)
        fresh = (waiting_counts(db), serving(db, hub.branch))
    assert after is not first and after == fresh and after[0]["PR1"] == 2


def test_branch_lookups_follow_a_copy_that_replaces_a_list() -> None:
    branch = load_config()
    assert branch.counter(3).number == 3 and branch.service("PN1").code == "PN1"
    assert any(s.code == "PN1" for s in branch.unit_of("PN1").services)
    fewer = branch.model_copy(update={"counters": branch.counters[:2]})
    assert fewer.counter(3) is None and branch.counter(3) is not None  # not the original's stale index
    assert branch.counter([3]) is None and branch.service(None) is None  # an unhashable key is simply not there
    assert [s.code for s in branch.services] == [s.code for u in branch.units for s in u.services]


def test_the_replays_picker_chooses_as_the_call_rule_does() -> None:
    branch = load_config()
    rules = queueing.rules_from_branch(branch)
    codes = [s.code for s in branch.services]
    rng = random.Random(7)
    now = 1_800_000_000.0
    for trial in range(40):
        tickets = [queueing.WaitingTicket(i, rng.choice(codes), now - rng.random() * 7200,
                                          rng.choice([None, None, "elderly", "disability", "veteran"]),
                                          due_at=now + rng.uniform(-900, 900) if rng.random() < 0.1 else None)
                   for i in range(rng.randint(0, 60))]
        lines = WaitingLines(tickets)
        picker = Picker(rules)
        for key, c in enumerate(branch.counters):
            counter = queueing.Counter(c.number, {s.code: s.weight for s in c.services})
            at = now + rng.random() * 600
            expected = pick(counter, tickets, at, rules)
            assert picker(key, counter, lines, at) == (expected.ticket if expected else None), trial


def test_a_coalesced_refresh_converges_to_the_newest_state() -> None:
    state = {"version": 0}
    computed: list[int] = []

    def compute() -> int:
        seen = state["version"]
        sum(i * i for i in range(20000))  # some CPU, so the share's gap is more than nothing
        computed.append(seen)
        return seen

    keeper = WaitKeeper(compute, settle=0.01, period=30, share=0.05)
    keeper.worker.start()
    try:
        keeper.get()
        for _ in range(200):
            state["version"] += 1
            keeper.changed()
        assert keeper.settle_now(30) == 200  # a waiter is not held back by the gap: the newest state
        assert len(computed) < 200  # coalesced: far fewer replays than changes
        state["version"] += 1
        keeper.changed()
        pause = threading.Event()
        for _ in range(600):  # nobody waits now: the refresh comes on its own, after the gap
            if keeper.peek() == 201:
                break
            pause.wait(0.05)
        assert keeper.peek() == 201
    finally:
        keeper.stop()


def test_coalesced_estimates_equal_a_full_refresh(branch, tmp_path) -> None:  # noqa: ANN001
    clock = HandClock(dt.datetime(2026, 5, 9, 10, 0, tzinfo=dt.UTC))
    app = make_app(branch, tmp_path / "hub.sqlite", CLOCK=clock)
    hub = app.extensions[EXTENSION]
    try:
        client = app.test_client()
        kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
        for n in range(40):
            r = client.post(f"{API}/tickets", json={"service": ["PR1", "PN1", "IN2"][n % 3], "priority": None},
                            headers={**kiosk, "Idempotency-Key": f"k{n}"})
            assert r.status_code == 201
        waiting, newcomers = hub.estimates.settled(30)
        full_waiting, full_newcomers = hub.estimates._replay()  # a refresh from scratch, at the same moment
        assert len(waiting) == 40 and waiting == full_waiting and newcomers == full_newcomers
    finally:
        hub.stop()


def test_the_worker_process_gives_the_engines_own_numbers() -> None:
    branch = load_config()
    rules = queueing.rules_from_branch(branch)
    codes = [s.code for s in branch.services]
    rng = random.Random(3)
    now = 1_800_000_000.0
    waiting = [queueing.WaitingTicket(i, rng.choice(codes), now - rng.random() * 3600) for i in range(1, 121)]
    counters = [queueing.Counter(c.number, {s.code: s.weight for s in c.services}) for c in branch.counters]
    state = queueing.QueueState(waiting, counters, now, {})
    worker = EngineWorker(from_waiting=100)
    worker.worker.start()
    try:
        assert worker.estimate_floor(state, rules, codes) == queueing.estimate_floor(state, rules, codes)
        assert worker.worker.pid is not None  # 120 waiting: it went through the worker
    finally:
        worker.stop()


def test_the_worker_process_leaves_with_a_hub_killed_without_a_word(tmp_path) -> None:  # noqa: ANN001
    script = tmp_path / "hub.py"
    script.write_text(textwrap.dedent("""
        import os, random, sys
        from navbat import queueing
        from navbat.foundation.config import load_config
        from navbat.server.floor.engine_worker import EngineWorker
        branch = load_config()
        codes = [s.code for s in branch.services]
        now = 1_800_000_000.0
        waiting = [queueing.WaitingTicket(i, codes[i % len(codes)], now - i) for i in range(1, 11)]
        state = queueing.QueueState(waiting, [queueing.Counter(1, {c: 1.0 for c in codes})], now, {})
        if __name__ == "__main__":  # the worker is spawned: it imports this file again
            worker = EngineWorker(from_waiting=1)
            worker.worker.start()
            worker.estimate_floor(state, queueing.rules_from_branch(branch), codes)
            print(worker.worker.pid, flush=True)
            os._exit(1)  # as a SIGKILL would: no clean-up
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in done.stdout.split()]
    assert done.returncode == 1 and len(pids) == 1, done.stderr
    pause = threading.Event()
    for _ in range(200):
        if not Path(f"/proc/{pids[0]}").exists() or "Z" in Path(f"/proc/{pids[0]}/stat").read_text().split()[2]:
            break
        pause.wait(0.05)
    assert not Path(f"/proc/{pids[0]}").exists() or "Z" in Path(f"/proc/{pids[0]}/stat").read_text().split()[2]


def test_a_slips_kept_range_refreshes_nothing_and_carries_no_summaries(actions, hub, monkeypatch) -> None:  # noqa: ANN001
    """ticket.promised (the range a slip printed) changes no count and no counter: a ticket's answer
    costs one estimate refresh and one set of summaries, not two (issue 27)."""
    actions.open_counter(1)
    asked: list[int] = []
    real = hub.estimates.changed
    monkeypatch.setattr(hub.estimates, "changed", lambda: (asked.append(1), real())[1])
    last = hub.bus.last_id
    with hub.read() as db:
        before = list(db.execute("SELECT * FROM tickets ORDER BY id"))
    hub.estimates.settled(5.0)
    assert actions.issue("PR1").status_code == 201
    published = hub.bus.since(last)
    assert [e.type for e in published] == ["ticket.issued", "ticket.promised"]
    issued, promised = published
    assert issued.queue is not None and promised.queue is None  # no summaries derived for it...
    assert promised.changes == {}  # nothing moved, and it says so: no display re-reads GET /services after it
    assert asked == [1]  # ...and no second refresh asked for
    with hub.read() as db:
        after = list(db.execute("SELECT * FROM tickets ORDER BY id"))
    assert len(after) == len(before) + 1  # the fold left the ticket as the issue made it
    assert hub.floor.rebuild() > 0
    with hub.read() as db:
        assert list(db.execute("SELECT * FROM tickets ORDER BY id")) == after
