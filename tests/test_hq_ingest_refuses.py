"""Issue 23: HQ's ingest refuses, never crashes. `navbat hq` as a process on PostgreSQL, a branch's
token, batches over a real socket: every bad field is a 400 naming its path, a bad time zone does
not break the branch's next batches, and an empty batch from `after=0` does not wipe its history
(only a batch from a restored branch may make HQ forget). Before (main at 2a08f75) each bad batch
here was a 500 (or, for the empty batch, a 200 that wiped the branch), at the assertion "before:".
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import requests
from hq_support import HQProcess, connect, hq_db, hq_process, pg_cluster  # noqa: F401
from navbat.foundation.config import ConfigError, parse_config
from navbat.hq.accounts import add_branch
from navbat.hq.simulated import day_events, simulated_day
from navbat.server.shipping import profile

DAY = dt.date(2026, 11, 21)


@pytest.fixture
def shipped(branch, hq_db: str, hq_process: HQProcess):  # noqa: ANN001, ANN201, F811
    """A branch with a day of events and ratings at HQ; (post(body) -> response, a good next batch)."""
    with connect(hq_db) as conn:
        token = add_branch(conn, "tehran-01", "تهران", "مرکزی", "1")
    events, ratings = day_events(branch, DAY, simulated_day(branch, 40, 1), 1, 1, 1)
    for seq, r in enumerate(ratings, 1):
        r["seq"] = seq
    half = len(events) // 2
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def post(body: dict[str, Any]) -> requests.Response:
        return session.post(f"{hq_process.url}/api/v1/hq/ingest", json=body, timeout=30)

    first = {"after": 0, "ratings_after": 0, "last_id": events[-1]["id"], "events": events[:half],
             "ratings": ratings, "profile": profile(branch)}
    assert post(first).status_code == 200
    nxt = {"after": events[half - 1]["id"], "ratings_after": len(ratings), "last_id": events[-1]["id"],
           "events": events[half:], "ratings": [], "profile": profile(branch)}
    yield post, nxt, hq_db
    session.close()


def _event_count(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("SELECT count(*) AS n FROM events WHERE branch='tehran-01'").fetchone()["n"]


def _bad(nxt: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(nxt)
    where = body
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = value
    return body


@pytest.mark.parametrize(("path", "value", "field"), [
    (["events", 0, "at"], "9999-12-31T23:59:00+00:00", "events[0].at"),
    (["events", 0, "at"], "0001-01-01T00:00:00+03:30", "events[0].at"),
    (["events", 0, "at"], "2026-11-21T09:00:00", "events[0].at"),  # no offset
    (["events", 0, "id"], 2**70, "events[0].id"),
    (["events", 1, "ticket_id"], 2**64, "events[1].ticket_id"),
    (["events", 1, "counter"], -1, "events[1].counter"),
    (["events", 1, "type"], "ticket.\u0000issued", "events[1].type"),
    (["events", 2, "data"], {"a": 1e300}, "events[2].data.a"),
    (["events", 2, "data"], {"x": [[[[[[[[[[1]]]]]]]]]]}, None),
    (["ratings"], [{"seq": 99, "ticket": 1, "score": 10**30, "at": "2026-11-21T09:00:00+00:00"}], "ratings[0].score"),
    (["ratings"], [{"seq": 99, "ticket": 1, "score": 4, "comment": {"x": 1}, "at": "2026-11-21T09:00:00+00:00"}],
     "ratings[0].comment"),
    (["profile", "timezone"], "Mars/Olympus", "profile.timezone"),
    (["profile", "timezone"], "../../etc/passwd", "profile.timezone"),
    (["profile", "services", 0, "target"], "soon", "profile.services[0].target"),
    (["last_id"], 2**70, "last_id"),
    (["restore"], "yes", "restore"),
])
def test_a_bad_field_is_a_400_naming_it(shipped, path: list, value: Any, field: str | None) -> None:  # noqa: ANN001
    post, nxt, url = shipped
    before = _event_count(url)
    r = post(_bad(nxt, path, value))
    assert r.status_code == 400, r.text  # before: 500
    assert r.json()["error"] == "bad_batch"
    if field is not None:
        assert r.json()["field"].startswith(field)
    assert _event_count(url) == before  # nothing of it stored
    assert post(nxt).status_code == 200  # the branch's next good batch goes in (a bad zone broke them all)
    assert _event_count(url) > before


def test_an_empty_batch_from_zero_does_not_wipe_the_branch(shipped) -> None:  # noqa: ANN001
    post, nxt, url = shipped
    assert post(nxt).status_code == 200
    stored = _event_count(url)
    r = post({"after": 0, "ratings_after": 0, "last_id": 0, "events": []})
    assert (r.status_code, r.json()["error"]) == (409, "restore_needed")  # before: 200, and 0 events left
    assert _event_count(url) == stored
    # A restored branch says so (navbat restore marks its file, its shipper sends restore: true): then HQ
    # takes its log as it is.
    r = post({"after": 0, "ratings_after": 0, "last_id": 0, "events": [], "restore": True})
    assert r.status_code == 200 and r.json()["events_hwm"] == 0
    assert _event_count(url) == 0


def test_time_zones_are_checked_at_the_branch_too(branch) -> None:  # noqa: ANN001
    raw = branch.model_dump(mode="json")
    raw["branch"]["timezone"] = "Mars/Olympus"
    with pytest.raises(ConfigError, match="timezone"):
        parse_config(raw)
