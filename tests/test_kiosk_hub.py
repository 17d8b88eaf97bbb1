"""The kiosk's hub client against a real hub: answers, refusals and silence (issue 6)."""

from __future__ import annotations

import pytest
from navbat.foundation.hub_client import HubClient, HubRefused, HubUnreachable
from navbat.kiosk.viewmodel import KioskModel


def test_issue_is_idempotent_per_key(live_hub) -> None:  # noqa: ANN001
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    first = hub.issue_ticket("IN1", None, "visit-1")
    again = hub.issue_ticket("IN1", None, "visit-1")
    other = hub.issue_ticket("IN1", None, "visit-2")
    assert first["id"] == again["id"] and other["id"] != first["id"]
    assert (first["number"], other["number"]) == ("101", "102")


def test_refusals_carry_the_hubs_error_code(live_hub) -> None:  # noqa: ANN001
    with pytest.raises(HubRefused) as bad_token:
        HubClient(live_hub.url, "not-a-token").issue_ticket("IN1", None, "k")
    assert bad_token.value.status == 401 and bad_token.value.code == "unauthorized"
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    with pytest.raises(HubRefused) as unknown:
        hub.issue_ticket("ZZ9", None, "k2")
    assert unknown.value.code == "unknown_service"


def test_a_refused_ticket_is_explained_and_frees_the_key(live_hub) -> None:  # noqa: ANN001
    from navbat.server.web.auth import add_device

    m = KioskModel(HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"]))
    m.refresh()
    with live_hub.app.extensions["navbat.hub"].floor.write() as tx:  # re-keyed while it runs
        add_device(tx.db, "kiosk-1", "kiosk")
    m.open_unit("premium")
    m.open_service("PR1")
    assert m.take_ticket() is None
    assert m.problem.kind == "refused" and not m.problem.can_retry and m.key is None
    assert "unauthorized" in m.message(m.problem) and "میز اطلاعات" in m.message(m.problem)


def test_silence_is_unreachable_within_the_timeout() -> None:
    import socket
    import time

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        hub = HubClient(f"http://127.0.0.1:{port}", "t", timeout=(0.5, 0.5))
        started = time.monotonic()
        with pytest.raises(HubUnreachable):
            hub.services()
        assert time.monotonic() - started < 3


def test_printer_status_reaches_the_hub(live_hub) -> None:  # noqa: ANN001
    hub = HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"])
    hub.report_printer("kiosk-1-printer", "paper_out", "paper roll is empty")
    devices = HubClient(live_hub.url).session.get(f"{live_hub.url}/api/v1/devices/status").json()["devices"]
    assert any(d["name"] == "kiosk-1-printer" and d["status"] == "paper_out" for d in devices)
