"""Every bad request gets a clear JSON error {"error", "message"} with the right status,
and changes nothing (house rule: bad input gets a clear error; never lose or duplicate a ticket)."""

from __future__ import annotations

import pytest
import requests

API = "/api/v1"


def assert_error(r, status: int, code: str) -> None:  # noqa: ANN001
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json"
    assert r.json["error"] == code and isinstance(r.json["message"], str) and r.json["message"]


def ticket_count(floor) -> int:  # noqa: ANN001
    return floor.db.execute("SELECT count(*) FROM tickets").fetchone()[0]


@pytest.mark.parametrize("data,content_type,status,code", [
    ("{not json", "application/json", 400, "malformed_json"),
    ('["PR1"]', "application/json", 400, "malformed_json"),
    ('"PR1"', "application/json", 400, "malformed_json"),
    ("service=PR1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),  # JSON only (issue 15)
])
def test_malformed_json(client, actions, floor, data, content_type, status, code):  # noqa: ANN001
    r = client.post(f"{API}/tickets", data=data, content_type=content_type,
                    headers={**actions.kiosk, "Idempotency-Key": "k1"})
    assert_error(r, status, code)
    assert_error(client.post(f"{API}/login", data=data, content_type=content_type), status, code)
    assert ticket_count(floor) == 0


def test_missing_and_mistyped_fields(client, actions, floor):  # noqa: ANN001
    kiosk = {**actions.kiosk, "Idempotency-Key": "k1"}
    r = client.post(f"{API}/tickets", json={"priority": None}, headers=kiosk)
    assert_error(r, 400, "missing_field")
    assert "service" in r.json["message"]
    assert_error(client.post(f"{API}/tickets", headers=kiosk), 400, "missing_field")  # no body at all
    assert_error(client.post(f"{API}/tickets", json={"service": 7}, headers=kiosk), 400, "bad_field")
    assert_error(client.post(f"{API}/tickets", json={"service": "PR1", "priority": 2}, headers=kiosk), 400,
                 "bad_field")
    r = client.post(f"{API}/login", json={"username": "clerk1"})
    assert_error(r, 400, "missing_field")
    assert "pin" in r.json["message"]
    assert_error(client.post(f"{API}/login", json={"username": "clerk1", "pin": "1111", "counter": "1"}), 400,
                 "bad_counter")
    assert_error(client.post(f"{API}/login", json={"username": "clerk1", "pin": "1111"}), 400, "counter_required")
    assert ticket_count(floor) == 0


def test_unknown_service_and_priority(client, actions, floor):  # noqa: ANN001
    r = actions.issue("P9")
    assert_error(r, 404, "unknown_service")
    assert '"P9"' in r.json["message"]
    r = actions.issue("PR1", priority="vip")
    assert_error(r, 400, "unknown_priority")
    assert '"vip"' in r.json["message"]
    assert ticket_count(floor) == 0
    assert actions.issue("PR1", priority="veteran").status_code == 201


def test_idempotency_key_required_and_not_reused(client, actions, floor):  # noqa: ANN001
    body = {"service": "PR1", "priority": None}
    assert_error(client.post(f"{API}/tickets", json=body, headers=actions.kiosk), 400, "idempotency_key_required")
    r = client.post(f"{API}/tickets", json=body, headers={**actions.kiosk, "Idempotency-Key": "  "})
    assert_error(r, 400, "idempotency_key_required")
    r = client.post(f"{API}/tickets", json=body, headers={**actions.kiosk, "Idempotency-Key": "x" * 101})
    assert_error(r, 400, "idempotency_key_required")

    first = actions.issue("PR1", key="same")
    assert first.status_code == 201
    assert_error(actions.issue("PR2", key="same"), 409, "idempotency_conflict")
    assert_error(actions.issue("PR1", priority="elderly", key="same"), 409, "idempotency_conflict")
    again = actions.issue("PR1", key="same")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert ticket_count(floor) == 1


def test_tokens(client, actions, app):  # noqa: ANN001
    body = {"service": "PR1"}
    assert_error(client.post(f"{API}/tickets", json=body, headers={"Idempotency-Key": "a"}), 401, "unauthorized")
    for bad in ("Bearer nonsense", "Basic a2lvc2s6MTIzNA==", f"Token {app.config['KIOSK_TOKEN']}"):
        r = client.post(f"{API}/tickets", json=body, headers={"Authorization": bad, "Idempotency-Key": "a"})
        assert_error(r, 401, "unauthorized")
    assert_error(client.post(f"{API}/counters/1/open"), 401, "unauthorized")
    assert_error(client.get(f"{API}/me"), 401, "unauthorized")
    assert_error(client.post(f"{API}/login", json={"username": "clerk1", "pin": "9999", "counter": 1}), 401,
                 "bad_credentials")
    assert_error(client.post(f"{API}/login", json={"username": "nobody", "pin": "1111", "counter": 1}), 401,
                 "bad_credentials")
    # A logged-out token is dead: an ended session, which the console tells from a wrong token.
    clerk = actions.login("clerk1", 1)
    client.post(f"{API}/logout", headers=clerk)
    assert_error(client.post(f"{API}/counters/1/open", headers=clerk), 401, "session_expired")


def test_roles_and_windows(client, actions, app):  # noqa: ANN001
    clerk1 = actions.open_counter(1)
    actions.issue("PR1")
    r = client.post(f"{API}/counters/2/open", headers=clerk1)
    assert_error(r, 403, "wrong_counter")
    assert "counter 1" in r.json["message"]
    assert_error(client.post(f"{API}/counters/2/next", headers=clerk1), 403, "wrong_counter")
    assert_error(client.post(f"{API}/counters/1/next", headers=actions.kiosk), 403, "forbidden")
    display = {"Authorization": f"Bearer {app.config['DISPLAY_TOKEN']}", "Idempotency-Key": "d1"}
    assert_error(client.post(f"{API}/tickets", json={"service": "PR1"}, headers=display), 403, "forbidden")
    assert_error(client.put(f"{API}/counters/1/services", json={"services": ["PR1"]}, headers=clerk1), 403,
                 "forbidden")
    assert_error(client.post(f"{API}/tickets/1/cancel", headers=clerk1), 403, "forbidden")
    # One clerk per window: another clerk cannot sit at window 1.
    r = client.post(f"{API}/login", json={"username": "clerk2", "pin": "2222", "counter": 1})
    assert_error(r, 409, "counter_taken")
    # The branch head may act anywhere.
    head = actions.login("head")
    assert client.post(f"{API}/counters/1/next", headers=head).json["number"] == "A-001"


def test_conflicts_on_the_window(client, actions):  # noqa: ANN001
    clerk = actions.login("clerk3", 3)
    actions.issue("IN1")
    assert_error(client.post(f"{API}/counters/3/next", headers=clerk), 409, "counter_closed")
    assert_error(client.post(f"{API}/counters/3/close", headers=clerk), 409, "invalid_state")
    client.post(f"{API}/counters/3/open", headers=clerk)
    assert_error(client.post(f"{API}/counters/3/open", headers=clerk), 409, "invalid_state")
    for action in ("recall", "start", "done", "no-show"):
        assert_error(client.post(f"{API}/counters/3/{action}", headers=clerk), 409, "no_current_ticket")
    client.post(f"{API}/counters/3/next", headers=clerk)
    assert_error(client.post(f"{API}/counters/3/next", headers=clerk), 409, "ticket_in_progress")
    assert_error(client.post(f"{API}/counters/3/transfer", headers=clerk, json={}), 400, "missing_field")
    assert_error(client.post(f"{API}/counters/3/transfer", headers=clerk, json={"service": "P9"}), 404,
                 "unknown_service")
    assert_error(client.post(f"{API}/counters/3/done", headers=clerk, json={"outcome": "happy"}), 400, "bad_outcome")
    client.post(f"{API}/counters/3/start", headers=clerk)
    assert_error(client.post(f"{API}/counters/3/recall", headers=clerk), 409, "invalid_state")
    assert client.post(f"{API}/counters/3/done", headers=clerk).json["state"] == "done"


def test_unknown_things(client, actions):  # noqa: ANN001
    head = actions.login("head")
    assert_error(client.get(f"{API}/counters/99"), 404, "unknown_counter")
    assert_error(client.post(f"{API}/counters/99/open", headers=head), 404, "unknown_counter")
    assert_error(client.post(f"{API}/counters/99/next", headers=head), 404, "unknown_counter")
    assert_error(client.post(f"{API}/login", json={"username": "clerk1", "pin": "1111", "counter": 99}), 404,
                 "unknown_counter")
    assert_error(client.get(f"{API}/tickets/ZZZZZZZZ"), 404, "unknown_ticket")
    assert_error(client.post(f"{API}/tickets/4242/cancel", headers=head), 404, "unknown_ticket")
    assert_error(client.get(f"{API}/no-such-thing"), 404, "not_found")
    assert_error(client.delete(f"{API}/tickets"), 405, "method_not_allowed")


def test_head_changes_services_with_checks(client, actions):  # noqa: ANN001
    head = actions.login("head")
    url = f"{API}/counters/2/services"
    assert_error(client.put(url, json={"services": ["P9"]}, headers=head), 400, "unknown_service")
    assert_error(client.put(url, json={"services": {"PR1": 2}}, headers=head), 400, "bad_weight")
    assert_error(client.put(url, json={"services": []}, headers=head), 400, "no_services")
    assert_error(client.put(url, json={"services": "PR1"}, headers=head), 400, "bad_services")
    r = client.put(url, json={"services": {"FN1": 1, "FN2": 0.5}}, headers=head)
    assert r.status_code == 200 and r.json["services"] == [{"code": "FN1", "weight": 1}, {"code": "FN2", "weight": 0.5}]


@pytest.mark.parametrize("value", ["abc", "1.5", "", "12abc"])
def test_bad_last_event_id(client, value):  # noqa: ANN001
    assert_error(client.get(f"{API}/events?last_event_id={value}" if value else f"{API}/events",
                            headers={"Last-Event-ID": value} if value else {"Last-Event-ID": "x"}),
                 400, "bad_last_event_id")


def test_device_status_is_checked(client, actions):  # noqa: ANN001
    assert_error(client.post(f"{API}/devices/status", json={"status": "on fire"}, headers=actions.kiosk), 400,
                 "bad_status")
    assert_error(client.post(f"{API}/devices/status", json={}, headers=actions.kiosk), 400, "missing_field")
    r = client.post(f"{API}/devices/status", json={"printer": "kiosk-1-printer", "status": "paper_out"},
                    headers=actions.kiosk)
    assert r.status_code == 200
    assert client.get(f"{API}/devices/status").json["devices"][0]["status"] == "paper_out"


def test_errors_over_a_real_socket(live_hub):  # noqa: ANN001
    """The same JSON errors reach a device over a real socket, not only through the test client."""
    url, app = live_hub.url + API, live_hub.app
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    with requests.Session() as s:
        cases = [
            (s.post(f"{url}/tickets", data="{oops", headers={**kiosk, "Idempotency-Key": "w1",
                                                             "Content-Type": "application/json"}, timeout=5),
             400, "malformed_json"),
            (s.post(f"{url}/tickets", json={"service": "PR1"}, headers=kiosk, timeout=5), 400,
             "idempotency_key_required"),
            (s.post(f"{url}/tickets", json={"service": "P9"}, headers={**kiosk, "Idempotency-Key": "w2"}, timeout=5),
             404, "unknown_service"),
            (s.post(f"{url}/counters/1/next", headers=kiosk, timeout=5), 403, "forbidden"),
            (s.post(f"{url}/counters/1/next", timeout=5), 401, "unauthorized"),
            (s.get(f"{url}/events", headers={"Last-Event-ID": "soon"}, timeout=5), 400, "bad_last_event_id"),
            (s.get(f"{url}/counters/0", timeout=5), 404, "unknown_counter"),
            (s.put(f"{url}/health", timeout=5), 405, "method_not_allowed"),
        ]
        for r, status, code in cases:
            assert (r.status_code, r.headers["Content-Type"], r.json()["error"]) == (status, "application/json",
                                                                                      code), r.text
            assert r.json()["message"]
