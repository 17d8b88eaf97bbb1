"""A kiosk working alone (issue 26): the hub does not answer, the ticket comes from the kiosk's lease.

The branch data comes from a real hub on a socket; the hub then "goes away" for the kiosk: a port
nobody listens on (a dead hub: refused at once) or a socket that accepts and never answers (a hung
hub or a cut cable: the kiosk's own time bound decides).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from pathlib import Path

import pytest
from kiosk_support import free_port, kiosk
from navbat.foundation.hub_client import HubClient
from navbat.kiosk import viewmodel as vm
from navbat.kiosk.journal import Journal
from navbat.kiosk.viewmodel import KioskModel
from navbat.printer import layout, raster
from navbat.printer.paper import QR, Barcode, Paper
from navbat.printer.slip import slip_from_ticket

HONEST_FA = "زمان انتظار پس از برقراری سامانه روی تابلو نمایش داده می‌شود."


class BlackHole:
    """Accepts connections and never answers: a hub that hangs, or a LAN that swallows packets."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def hand_lease(branch_day: str, service: str = "PN1", first: int = 40, size: int = 10, lid: int = 7) -> dict:
    """A lease as the hub's POST /leases answers it (docs/leases.md)."""
    now = dt.datetime.now(dt.UTC)
    return {"lease": lid, "service": service, "branch_day": branch_day,
            "numbers": [{"seq": s, "number": str(500 + s)} for s in range(first, first + size)],
            "granted_at": now.isoformat(), "expires_at": (now + dt.timedelta(hours=4)).isoformat()}


@pytest.fixture
def model(branch, live_hub, tmp_path):  # noqa: ANN001, ANN201
    m = kiosk(branch, live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path,
              journal=Journal(tmp_path / "journal.sqlite"))
    m.refresh()  # the branch data, kept in the journal
    m.journal.add_lease(hand_lease(m.branch_day()))
    yield m
    m.printer.stop()


def visit(m: KioskModel, service: str = "PN1", priority: str | None = None) -> dict | None:
    m.home()
    m.open_unit("pension")
    m.open_service(service)
    m.choose_priority(priority)
    return m.take_ticket()


def test_a_dead_hub_gives_the_visitor_a_lease_number_and_an_honest_slip(model, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    model.hub = HubClient(f"http://127.0.0.1:{free_port()}", "token", timeout=(1.0, 3.0))  # nobody listens
    ticket = visit(model, priority="elderly")
    assert ticket is not None and ticket["offline"] and ticket["number"] == "540"
    assert model.screen == vm.TICKET and model.alone
    view = model.ticket_view()
    assert view.number == "۵۴۰" and view.estimate == HONEST_FA and view.print_ok is True
    [row] = model.journal.pending()
    assert (row["number"], row["priority"], row["lease"]) == ("540", "elderly", "7")
    assert row["idempotency_key"] == f"{model.key}.alone"

    # The paper: number, sub-service, documents and steps from the last branch data; the honest line,
    # no people ahead, no estimate, no QR or tracking code (the hub has not seen the ticket).
    assert sorted(p.name for p in (tmp_path / "tickets").iterdir()) == ["540.bin", "540.png"]
    escpos = (tmp_path / "tickets" / "540.bin").read_bytes()
    assert b"\x1dv0\x03" in escpos  # the big number: Persian digits, a raster printed double
    assert b"\x1d(k" not in escpos and b"\x1dk" not in escpos  # no QR, no barcode
    lines: list[str] = []
    real = raster.render_line
    monkeypatch.setattr(raster, "render_line", lambda text, *a, **k: lines.append(text) or real(text, *a, **k))
    slip = slip_from_ticket(ticket, model.hub.url, "fa")
    blocks = layout.ticket_blocks(slip, Paper.of(80, "TM-T88V"))
    assert not any(isinstance(b, QR | Barcode) for b in blocks)
    svc = next(s for s in model.services if s["code"] == "PN1")
    said = " ".join(lines)
    assert HONEST_FA in said and "این نوبت هنگام قطع سامانهٔ نوبت‌دهی صادر شده است." in said
    assert svc["name"]["fa"] in said and svc["documents"][0]["fa"] in said
    assert all(step["fa"] in said for step in svc["steps"]) and "۱. " in said  # steps, Persian digits
    assert "نفر" not in said and "دقیقه" not in said  # no people ahead, no minutes
    assert "مراحل کار" in said


def test_a_hung_hub_is_given_up_once_then_every_ticket_is_issued_alone(model) -> None:  # noqa: ANN001
    hole = BlackHole()
    live = model.hub
    try:
        model.hub = HubClient(hole.url, "token")  # the long default timeouts: the kiosk's own bound decides
        first = visit(model)
        assert first is not None and first["offline"] and model.alone
        assert len(hole.held) == 1  # asked once, gave up after `ALONE_AFTER`
        assert model.alone_text().startswith("این دستگاه اکنون به‌تنهایی کار می‌کند")
        assert [visit(model)["number"] for _ in range(3)] == ["541", "542", "543"]
        assert len(hole.held) == 1  # known alone: the hub is not asked again
        assert all(c.waiting == "" and c.estimate == "" for c in model.home_cards())  # no stale figures
    finally:
        hole.close()
    model.hub = live
    model.hub_state(True)  # the keeper merged the journal: back to the hub
    assert not model.alone and model.alone_text() == ""
    online = visit(model)
    assert online is not None and not online.get("offline") and online["tracking_code"]


def test_a_kiosk_restarted_while_the_hub_is_down_still_issues(model, branch, tmp_path) -> None:  # noqa: ANN001
    dead = HubClient(f"http://127.0.0.1:{free_port()}", "token")
    model.hub = dead
    assert visit(model)["number"] == "540"  # the kiosk's first life, alone
    model.printer.stop()
    again = KioskModel(dead, journal=Journal(tmp_path / "journal.sqlite"))  # a new process' model, no hub
    assert again.branch is not None and again.home_cards()  # drawn from the journal before any answer
    again.refresh()
    assert again.load_problem is None and again.alone
    ticket = visit(again)
    assert ticket is not None and ticket["offline"] and ticket["number"] == "541"  # after the first kiosk life's
    assert [t["number"] for t in again.journal.pending()] == ["540", "541"]


def test_without_a_lease_the_visitor_is_told_plainly(model, tmp_path) -> None:  # noqa: ANN001
    model.hub = HubClient(f"http://127.0.0.1:{free_port()}", "token")
    model.home()
    model.open_unit("pension")
    model.open_service("PN2")  # no lease of PN2
    assert model.take_ticket() is None
    assert model.problem.code == "no_lease" and model.alone
    assert "شمارهٔ دیگری ندارد" in model.message(model.problem)
    assert Path(tmp_path / "tickets").exists() is False or not any((tmp_path / "tickets").iterdir())
