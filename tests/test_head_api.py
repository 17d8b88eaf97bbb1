"""The head's API: live floor, staffing advice, what-if, ratings and reports over HTTP (D8, D9, F2)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from navbat.server.floor.floor import Floor
from navbat.server.web import views
from openpyxl import load_workbook


@pytest.fixture
def head(actions) -> dict[str, str]:  # noqa: ANN001
    return actions.login("head")


def test_head_endpoints_need_the_head(client, actions) -> None:  # noqa: ANN001
    clerk = actions.login("clerk1", 1)
    for path in ("/api/v1/head/floor", "/api/v1/head/staffing", "/api/v1/reports/daily", "/api/v1/reports/monthly"):
        assert client.get(path).status_code == 401
        r = client.get(path, headers=clerk)
        assert r.status_code == 403 and r.json["error"] == "forbidden"
    assert client.post("/api/v1/head/what-if", json={"counter": 1, "state": "open"}, headers=clerk).status_code == 403


def test_floor_view(client, actions, head, floor: Floor) -> None:  # noqa: ANN001
    clerk = actions.open_counter(3)
    for _ in range(3):
        actions.issue("IN1")
    actions.issue("FN1")  # window 3 does not serve it
    client.post("/api/v1/counters/3/next", headers=clerk)
    client.post("/api/v1/counters/3/done", headers=clerk)
    second = client.post("/api/v1/counters/3/next", headers=clerk).json
    body = client.get("/api/v1/head/floor", headers=head).json
    in1 = next(s for s in body["services"] if s["code"] == "IN1")
    assert (in1["waiting"], in1["served_today"], in1["open_counters"]) == (1, 1, 1)
    assert in1["longest_wait_minutes"] is not None and in1["estimated_wait"]["minutes"] >= 0
    w3 = next(w for w in body["counters"] if w["number"] == 3)
    assert (w3["state"], w3["clerk"], w3["served_today"]) == ("open", "clerk3", 1)
    assert w3["current_ticket"]["id"] == second["id"] and w3["busy_minutes"] is not None
    assert "tracking_code" not in w3["current_ticket"]
    assert body["totals"] == {"waiting": 2, "served_today": 1, "open_counters": 1, "counters": 8}
    fn1 = next(s for s in body["services"] if s["code"] == "FN1")
    assert (fn1["waiting"], fn1["open_counters"]) == (1, 0)
    assert [a["kind"] for a in body["alerts"] if a.get("service") == "FN1"] == ["no_open_counter"]
    assert not [a for a in body["alerts"] if a.get("service") == "IN1"]


def test_device_alerts(client, actions, head, app) -> None:  # noqa: ANN001
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    display = {"Authorization": f"Bearer {app.config['DISPLAY_TOKEN']}"}
    client.post("/api/v1/devices/status", json={"printer": "kiosk-1-printer", "status": "paper_out"}, headers=kiosk)
    client.post("/api/v1/devices/status", json={"status": "ok"}, headers=display)
    alerts = client.get("/api/v1/head/floor", headers=head).json["alerts"]
    assert alerts == [{"kind": "device_down", "level": "danger", "device": "kiosk-1-printer", "device_kind": "printer",
                       "status": "paper_out", "detail": ""}]
    client.post("/api/v1/devices/status", json={"printer": "kiosk-1-printer", "status": "ok"}, headers=kiosk)
    assert client.get("/api/v1/head/floor", headers=head).json["alerts"] == []


def test_wait_over_target_alert(branch, tmp_path) -> None:  # noqa: ANN001
    from conftest import make_app

    now = [dt.datetime(2025, 10, 5, 6, 0, tzinfo=dt.UTC)]
    app = make_app(branch, tmp_path / "t.sqlite", CLOCK=lambda: now[0])
    client = app.test_client()
    floor = app.extensions["navbat.hub"].floor
    floor.set_counter_state(1, "open", "clerk1")
    floor.issue_ticket("PR2", None, "k1", "kiosk-1")  # target 15 min
    now[0] += dt.timedelta(minutes=16)
    token = client.post("/api/v1/login", json={"username": "head", "pin": "1404"}).json["token"]
    body = client.get("/api/v1/head/floor", headers={"Authorization": f"Bearer {token}"}).json
    pr2 = next(s for s in body["services"] if s["code"] == "PR2")
    assert pr2["over_target"] and round(pr2["longest_wait_minutes"]) == 16
    assert {"kind": "wait_over_target", "level": "danger", "service": "PR2", "name": pr2["name"], "minutes": 16,
            "target": 15.0} in body["alerts"]


def test_staffing_advice(client, head) -> None:  # noqa: ANN001
    body = client.get("/api/v1/head/staffing", headers=head).json
    assert body["source"] == "model" and body["share"] == 0.85 and body["hours"]
    for h in body["hours"]:
        assert 1 <= h["counters_needed"] <= 20 and abs(h["sqrt_staffing"] - h["counters_needed"]) <= 1
        assert h["open_now"] == 0 and h["expected_wait_minutes"] is None  # nothing open: no finite wait
    # more arrivals need at least as many windows
    by_load = sorted(body["hours"], key=lambda h: h["load"])
    assert [h["counters_needed"] for h in by_load] == sorted(h["counters_needed"] for h in by_load)
    assert client.get("/api/v1/head/staffing?share=2", headers=head).status_code == 400


def test_what_if_changes_nothing_and_compares(client, actions, head, floor: Floor, hub) -> None:  # noqa: ANN001
    actions.open_counter(6)
    for _ in range(6):
        actions.issue("PN1")
    before_events = floor.bus.last_id
    r = client.post("/api/v1/head/what-if", headers=head,
                    json={"changes": [{"counter": 7, "state": "open", "services": ["PN1", "PN2"]}]})
    assert r.status_code == 200, r.json
    pn1 = next(s for s in r.json["services"] if s["code"] == "PN1")
    assert pn1["waiting"] == 6
    assert pn1["after"]["mean_wait"] < pn1["before"]["mean_wait"]  # a second window halves the line
    assert pn1["after"]["newcomer_wait"] < pn1["before"]["newcomer_wait"]
    rest = r.json["rest_of_day"]
    assert rest["after"]["mean_wait"] <= rest["before"]["mean_wait"]
    assert floor.bus.last_id == before_events  # a what-if is not an event
    assert next(c for c in views.counters(hub) if c["number"] == 7)["state"] == "closed"
    # closing the only PN1 window: nobody serves PN1 any more
    r = client.post("/api/v1/head/what-if", headers=head, json={"counter": 6, "state": "closed"})
    pn1 = next(s for s in r.json["services"] if s["code"] == "PN1")
    assert pn1["before"]["served"] and not pn1["after"]["served"] and pn1["after"]["newcomer_wait"] is None


@pytest.mark.parametrize("body, status, error", [
    ({}, 400, "bad_changes"),
    ({"changes": [{"counter": 99, "state": "open"}]}, 404, "unknown_counter"),
    ({"changes": [{"counter": 1, "services": ["XX9"]}]}, 400, "unknown_service"),
    ({"changes": [{"counter": 1, "services": {"PR1": 2}}]}, 400, "bad_weight"),
    ({"changes": [{"counter": 1, "state": "paused"}]}, 400, "bad_state"),
    ({"changes": "window 4"}, 400, "bad_changes"),
])
def test_what_if_rejects_bad_input(client, head, body, status, error) -> None:  # noqa: ANN001
    r = client.post("/api/v1/head/what-if", headers=head, json=body)
    assert (r.status_code, r.json["error"]) == (status, error)
    assert r.json["message"]


def test_tablet_rating_rules(client, actions, floor: Floor) -> None:  # noqa: ANN001
    clerk = actions.open_counter(2)
    tablet, tablet3 = actions.tablet(2), actions.tablet(3)  # each counter's own tablet token
    actions.issue("PR1")
    actions.issue("PR1")
    assert client.get("/api/v1/ratings/pending?counter=2", headers=tablet).status_code == 204
    first = client.post("/api/v1/counters/2/next", headers=clerk).json
    client.post("/api/v1/counters/2/done", headers=clerk)
    pending = client.get("/api/v1/ratings/pending?counter=2", headers=tablet).json
    assert pending["ticket"] == first["id"] and pending["number"] == first["number"]
    assert client.get("/api/v1/ratings/pending", headers=tablet).json == pending  # its own counter by default
    assert client.get("/api/v1/ratings/pending?counter=3", headers=tablet3).status_code == 204  # another window
    bad = client.post("/api/v1/ratings", json={"counter": 3, "ticket": first["id"], "score": 5}, headers=tablet3)
    assert (bad.status_code, bad.json["error"]) == (409, "not_rateable")
    rate = {"counter": 2, "ticket": first["id"]}
    assert client.post("/api/v1/ratings", json={**rate, "score": 0}, headers=tablet).status_code == 400
    assert client.post("/api/v1/ratings", json={**rate, "score": True}, headers=tablet).status_code == 400
    ok = client.post("/api/v1/ratings", json={**rate, "score": 4, "comment": "x" * 900}, headers=tablet)
    assert ok.status_code == 201 and ok.json["source"] == "tablet" and len(ok.json["comment"]) == 500
    assert client.get("/api/v1/ratings/pending?counter=2", headers=tablet).status_code == 204  # rated: faces go
    again = client.post("/api/v1/ratings", json={**rate, "score": 5}, headers=tablet)
    assert again.status_code == 409
    # once the next visitor is called, the previous one can no longer be rated at the tablet
    second = client.post("/api/v1/counters/2/next", headers=clerk).json
    client.post("/api/v1/counters/2/done", headers=clerk)
    client.post("/api/v1/counters/2/next", headers=clerk)  # nobody waiting: 204, the window stays free
    assert client.get("/api/v1/ratings/pending?counter=2", headers=tablet).json["ticket"] == second["id"]
    assert client.post("/api/v1/ratings", json={"score": 5}).json["error"] == "missing_field"
    assert client.get("/api/v1/ratings/pending?counter=x", headers=tablet).status_code == 400


def test_only_the_counters_own_tablet_rates_there(client, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(2)
    actions.issue("PR1")
    first = client.post("/api/v1/counters/2/next", headers=clerk).json
    client.post("/api/v1/counters/2/done", headers=clerk)
    rate = {"counter": 2, "ticket": first["id"], "score": 1}
    for headers, status, error in (({}, 401, "unauthorized"), (clerk, 403, "forbidden"),
                                   (actions.kiosk, 403, "forbidden"), (actions.tablet(3), 403, "wrong_counter")):
        r = client.get("/api/v1/ratings/pending?counter=2", headers=headers)
        assert (r.status_code, r.json["error"]) == (status, error)
        r = client.post("/api/v1/ratings", json=rate, headers=headers)
        assert (r.status_code, r.json["error"]) == (status, error)
    assert client.get("/api/v1/ratings/pending?counter=42", headers=actions.tablet(3)).status_code == 403
    assert client.post("/api/v1/ratings", json={**rate, "score": 5}, headers=actions.tablet(2)).status_code == 201


def test_tablet_rating_expires(branch, tmp_path) -> None:  # noqa: ANN001
    from conftest import make_app

    now = [dt.datetime(2025, 10, 5, 6, 0, tzinfo=dt.UTC)]
    app = make_app(branch, tmp_path / "t.sqlite", CLOCK=lambda: now[0])
    floor, client = app.extensions["navbat.hub"].floor, app.test_client()
    floor.set_counter_state(1, "open", "clerk1")
    floor.issue_ticket("PR1", None, "k1", "kiosk-1")
    floor.call_next(1, "clerk1")
    floor.act(1, "done", "clerk1")
    now[0] += dt.timedelta(minutes=11)
    tablet = {"Authorization": f"Bearer {app.config['TABLET_TOKENS'][1]}"}
    assert client.get("/api/v1/ratings/pending?counter=1", headers=tablet).status_code == 204


def test_reports_over_http(client, actions, head, floor: Floor) -> None:  # noqa: ANN001
    clerk = actions.open_counter(1)
    actions.issue("PR1")
    client.post("/api/v1/counters/1/next", headers=clerk)
    client.post("/api/v1/counters/1/done", json={"outcome": "documents_incomplete"}, headers=clerk)
    day = client.get("/api/v1/reports/daily", headers=head).json
    assert day["period"]["kind"] == "day" and day["total"]["visitors"] == 1 and day["total"]["docs_incomplete"] == 1
    month = client.get("/api/v1/reports/monthly", headers=head).json
    assert month["total"]["served"] == 1 and len(month["daily"]) in (29, 30, 31)
    text = client.get(f"/api/v1/reports/monthly?month={month['period']['label']}&format=csv", headers=head)
    assert text.mimetype == "text/csv" and "attachment" in text.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text.get_data(as_text=True))))
    assert rows[-1][:4] == ["total", "Total", "", "1"]
    xlsx = client.get(f"/api/v1/reports/monthly?month={month['period']['label']}&format=xlsx&lang=fa", headers=head)
    wb = load_workbook(io.BytesIO(xlsx.data))
    sheet = list(wb["sub-services"].iter_rows(values_only=True))
    assert sheet[1][1] == floor.branch.services[0].name.fa and sheet[-1][3] == 1
    for bad in ("month=1404-13", "month=abc", "format=pdf"):
        r = client.get(f"/api/v1/reports/monthly?{bad}", headers=head)
        assert r.status_code == 400 and r.json["error"] in ("bad_period", "bad_format")
    assert client.get("/api/v1/reports/daily?date=1404-02-32", headers=head).status_code == 400


def test_pages_render(client) -> None:  # noqa: ANN001
    for path in ("/head", "/head/reports", "/rate/3", "/rate/3?faces=5", "/head?lang=en"):
        r = client.get(path)
        assert r.status_code == 200, path
    assert "وضعیت زنده" in client.get("/head/reports").get_data(as_text=True)  # Persian first
    assert client.get("/rate/3?faces=5").get_data(as_text=True).count('type="radio" name="score"') == 5
    assert client.get("/rate/99").status_code == 404
    assert client.get("/fonts/Vazirmatn-Regular.ttf").status_code == 200
    assert client.get("/fonts/..%2Fsetup.cfg").status_code == 404


def test_staffing_learns_from_history_and_today(branch, tmp_path) -> None:  # noqa: ANN001
    """Three past days with 6 visitors at 08:00 each: the 07:30 hour expects 6; a rush this
    morning (30 by 08:30) scales the rest of the day by 5."""
    from zoneinfo import ZoneInfo

    from conftest import make_app
    from navbat.server.web import staffing

    tz = ZoneInfo("Asia/Tehran")
    today = dt.date(2025, 10, 8)
    now = [dt.datetime.combine(today - dt.timedelta(days=3), dt.time(8, 0), tzinfo=tz)]
    app = make_app(branch, tmp_path / "h.sqlite", CLOCK=lambda: now[0].astimezone(dt.UTC))
    hub = app.extensions["navbat.hub"]
    floor = hub.floor
    for back in (3, 2, 1):
        for i in range(6):
            now[0] = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(8, i), tzinfo=tz)
            floor.issue_ticket("PR1" if i % 2 else "IN1", None, f"d{back}-{i}", "kiosk-1")
    now[0] = dt.datetime.combine(today, dt.time(7, 20), tzinfo=tz)
    advice = staffing.advice(hub)
    assert advice["source"] == "history" and advice["scaled_to_today"] is None
    assert advice["hours"][0]["hour"] == "07:30-08:30" and advice["hours"][0]["arrivals"] == 6.0
    assert all(h["arrivals"] == 0 for h in advice["hours"][1:])
    for i in range(30):
        now[0] = dt.datetime.combine(today, dt.time(7, 31), tzinfo=tz) + dt.timedelta(minutes=i * 1.5)
        floor.issue_ticket("PR1", None, f"t-{i}", "kiosk-1")
    now[0] = dt.datetime.combine(today, dt.time(8, 30), tzinfo=tz)
    advice = staffing.advice(hub)
    assert advice["scaled_to_today"] == 5.0
    assert advice["hours"][0]["hour"] == "08:30-09:30"  # the hours left today


def test_pin_guessing_shows_on_the_live_floor(client, head) -> None:  # noqa: ANN001
    for _ in range(5):
        r = client.post("/api/v1/login", json={"username": "clerk2", "pin": "0000", "counter": 2})
        assert r.status_code == 401
    assert client.post("/api/v1/login", json={"username": "clerk2", "pin": "2222", "counter": 2}).status_code == 429
    alerts = client.get("/api/v1/head/floor", headers=head).json["alerts"]
    locked = [a for a in alerts if a["kind"] == "login_locked"]
    assert locked and locked[0]["username"] == "clerk2" and locked[0]["until"]
    page = client.get("/head?lang=fa").get_data(as_text=True)
    assert "ورود تا {until} پذیرفته نمی‌شود" in page  # the console's text for it, translated
