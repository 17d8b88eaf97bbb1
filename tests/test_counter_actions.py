"""Issue 25: what a counter may do is decided once, in the hub (server/floor/counter_actions.py):
GET /counters/<n> ships it (`actions`), and the floor refuses with the same rule, so an action
the view says is refused is refused by the API, with the code it names, and one it allows is done."""

from __future__ import annotations

import pytest
from navbat.server.floor.counter_actions import ACTIONS

API = "/api/v1"
PATHS = {a: a for a in ACTIONS}
BODIES = {"transfer": {"service": "PN2"}, "done": {}}


def setup(client, actions, stage: str) -> dict[str, str]:  # noqa: ANN001
    """Counter 6 at a stage of its day: closed, open, paused, called, called late, serving."""
    clerk = actions.login("clerk6", 6)
    if stage == "closed":
        return clerk
    actions.issue("PN1")
    client.post(f"{API}/counters/6/open", headers=clerk)
    if stage == "paused":
        client.post(f"{API}/counters/6/pause", headers=clerk)
    if stage in ("called", "serving"):
        assert client.post(f"{API}/counters/6/next", headers=clerk).status_code == 200
    if stage == "serving":
        client.post(f"{API}/counters/6/start", headers=clerk)
    return clerk


@pytest.mark.parametrize("stage", ["closed", "open", "paused", "called", "serving"])
def test_the_shipped_actions_are_what_the_floor_accepts(client, actions, stage: str) -> None:  # noqa: ANN001
    clerk = setup(client, actions, stage)
    shipped = client.get(f"{API}/counters/6", headers=clerk).json["actions"]
    assert set(shipped["allowed"]) | set(shipped["refused"]) == set(ACTIONS)
    assert shipped["primary"] in shipped["allowed"] or shipped["primary"] is None
    for action, why in shipped["refused"].items():
        if action == "open" and "resume" in shipped["allowed"]:
            continue  # one button for a paused counter: the head's "Open" resumes it too
        r = client.post(f"{API}/counters/6/{PATHS[action]}", headers=clerk, json=BODIES.get(action, {}))
        assert r.status_code == 409, (stage, action, r.json)
        assert r.json["error"] == why or (r.json["error"] == "invalid_state" and why.split("_")[0] in
                                          ("counter", "ticket")), (stage, action, why, r.json)
    # and the first allowed one is done (a refused one changes nothing, so the state is still `stage`)
    allowed = [a for a in shipped["allowed"] if a != "uncall"]
    if allowed:
        r = client.post(f"{API}/counters/6/{PATHS[allowed[0]]}", headers=clerk, json=BODIES.get(allowed[0], {}))
        assert r.status_code in (200, 204), (stage, allowed[0], r.json)


def test_the_primary_action_and_what_follows_a_visit(client, actions) -> None:  # noqa: ANN001
    clerk = setup(client, actions, "closed")
    assert client.get(f"{API}/counters/6", headers=clerk).json["actions"]["primary"] == "open"
    clerk = setup(client, actions, "called")
    view = client.get(f"{API}/counters/6", headers=clerk).json["actions"]
    assert view["primary"] == "start" and "uncall" in view["allowed"] and "next" not in view["allowed"]
    # while the console's undo bar holds the visit's end, it offers what the hub says comes next
    assert view["after_visit"]["primary"] == "next" and "next" in view["after_visit"]["allowed"]
    assert view["refused"]["next"] == "ticket_in_progress"
