"""The events table is the truth: after a busy, random day on the floor, the state tables
rebuilt from the log alone equal the ones the hub kept (issue 3, Storage)."""

from __future__ import annotations

import random

from navbat.server.floor.queries import counter_row
from navbat.server.floor.refusals import Refused

TABLES = ("tickets", "sequences", "counters", "device_status")


def snapshot(db) -> dict[str, list[tuple]]:  # noqa: ANN001
    # Every column comes back from the log: a device's unchanged status (a heartbeat, not an event)
    # moves only device_seen, beside the log (issue 25).
    order = {"tickets": "id", "sequences": "service, branch_day", "counters": "number", "device_status": "name"}
    return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY {order[t]}")] for t in TABLES}


def _clerk_action(floor, w: int, rng: random.Random) -> str:  # noqa: ANN001
    """What the clerk at window w would do next, now and then something the floor refuses."""
    row = counter_row(floor.db, floor.branch, w)
    if rng.random() < 0.05:
        return rng.choice(["next", "close", "pause", "recall", "start", "done"])
    if row["clerk"] is None:
        return "seat"
    if row["state"] == "closed":
        return "open"
    if row["state"] == "paused":
        return "resume"
    if row["current_ticket"] is None:
        return rng.choices(["next", "pause", "close"], weights=[90, 7, 3])[0]
    state = floor.db.execute("SELECT state FROM tickets WHERE id=?", [row["current_ticket"]]).fetchone()[0]
    if state == "called":
        return rng.choices(["start", "recall", "no-show", "transfer"], weights=[60, 15, 15, 10])[0]
    return rng.choices(["done", "transfer"], weights=[85, 15])[0]


def busy_day(floor, branch, rng: random.Random, steps: int) -> dict[str, int]:  # noqa: ANN001
    """Random kiosk, clerk and head actions; refused ones (Refused) are part of a real day too."""
    codes = [s.code for s in branch.services]
    priorities = [None, None, None] + [p.code for p in branch.priority_classes]
    windows = [c.number for c in branch.counters]
    done: dict[str, int] = {}
    for step in range(steps):
        w = rng.choice(windows)
        roll = rng.random()
        action = ("issue" if roll < 0.4 else "cancel" if roll < 0.42 else "skills" if roll < 0.43
                  else "device" if roll < 0.44 else _clerk_action(floor, w, rng))
        try:
            if action == "issue":
                floor.issue_ticket(rng.choice(codes), rng.choice(priorities), f"k{step}", "kiosk-1")
                if rng.random() < 0.1:  # a retried key changes nothing
                    floor.issue_ticket(*floor.db.execute(
                        "SELECT first_service, priority FROM tickets ORDER BY id DESC LIMIT 1").fetchone(),
                        f"k{step}", "kiosk-1")
            elif action == "seat":
                floor.set_clerk(w, f"clerk{w}")
            elif action in ("open", "pause", "resume", "close"):
                floor.set_counter_state(w, action, f"clerk{w}")
            elif action == "next":
                floor.call_next(w, f"clerk{w}")
            elif action == "done":
                floor.act(w, "done", f"clerk{w}", outcome=rng.choice([None, "served", "documents_incomplete"]))
            elif action == "transfer":
                floor.act(w, "transfer", f"clerk{w}", service=rng.choice(codes))
            elif action == "cancel":
                floor.cancel(rng.randint(1, step + 1), "head")
            elif action == "skills":
                floor.set_services(w, {c: rng.choice([0.5, 1.0]) for c in rng.sample(codes, 4)}, "head")
            elif action == "device":
                floor.report_device("kiosk-1-printer", "printer", rng.choice(["ok", "paper_near_end"]), "", "kiosk-1")
            else:
                floor.act(w, action, f"clerk{w}")
            done[action] = done.get(action, 0) + 1
        except Refused:
            done["refused"] = done.get("refused", 0) + 1
    return done


def test_rebuild_from_the_log_equals_the_state(floor, branch):  # noqa: ANN001
    done = busy_day(floor, branch, random.Random(1404), 400)
    # The day really was busy: every kind of change happened, and some requests were refused.
    for action in ("issue", "next", "recall", "start", "done", "no-show", "transfer", "pause", "resume", "cancel",
                   "skills", "refused"):
        assert done.get(action, 0) > 0, (action, done)
    before = snapshot(floor.db)
    states = {r[7] for r in before["tickets"]}
    assert {"waiting", "done", "no_show", "cancelled"} <= states and states & {"called", "serving"}
    assert any(r[4] for r in before["counters"])  # some window holds a current ticket

    replayed = floor.rebuild()
    assert replayed == floor.db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert snapshot(floor.db) == before

    # And the floor carries on from the rebuilt tables: numbering continues.
    last = floor.db.execute("SELECT last FROM sequences WHERE service='PR1'").fetchone()
    t, created = floor.issue_ticket("PR1", None, "after-rebuild", "kiosk-1")
    assert created and t["number"] == branch.service("PR1").numbering.format((last[0] if last else 0) + 1)


def test_rebuild_of_an_emptied_state(floor, branch):  # noqa: ANN001
    busy_day(floor, branch, random.Random(7), 150)
    before = snapshot(floor.db)
    for table in ("tickets", "sequences", "counters"):
        floor.db.execute(f"DELETE FROM {table}")
    floor.rebuild()
    assert snapshot(floor.db) == before
