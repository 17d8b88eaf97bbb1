"""The lease keeper against a real hub on a socket (issue 26): leases taken and topped up, the journal
merged exactly once (a crash between the send and the answer included), leases given back."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kiosk_support import free_port, gui_env, kiosk, with_display
from navbat.foundation.hub_client import HubClient
from navbat.kiosk.journal import ALREADY, MERGED, Journal
from navbat.kiosk.leases import LeaseKeeper, lease_id


@pytest.fixture
def kept(branch, live_hub, tmp_path):  # noqa: ANN001, ANN201
    m = kiosk(branch, live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path,
              journal=Journal(tmp_path / "journal.sqlite"))
    m.refresh()
    keeper = LeaseKeeper(m.hub, m.journal, lambda: ["PN1", "PN2"], m.branch_day, on_hub=m.hub_state)
    yield m, keeper
    m.printer.stop()


def hub_rows(live_hub, sql: str) -> list[tuple]:  # noqa: ANN001
    with live_hub.app.extensions["navbat.hub"].read() as db:
        return [tuple(r) for r in db.execute(sql)]


def visit(m, service: str = "PN1") -> dict:  # noqa: ANN001
    m.home()
    m.open_unit("pension")
    m.open_service(service)
    return m.take_ticket()


def test_leases_taken_used_alone_merged_once_and_given_back(kept, live_hub) -> None:  # noqa: ANN001
    m, keeper = kept
    keeper.step()
    leases = m.journal.leases()
    assert sorted(lz["service"] for lz in leases) == ["PN1", "PN2"] and keeper.reachable and not m.alone
    size = leases[0]["size"]
    assert size >= 10  # the hub's least lease

    live = keeper.hub
    keeper.hub = m.hub = HubClient(f"http://127.0.0.1:{free_port()}", "token")  # the hub goes away
    keeper.step()
    assert keeper.reachable is False and m.alone
    pn1 = next(lz for lz in leases if lz["service"] == "PN1")
    alone = [visit(m) for _ in range(size // 2 + 1)] + [visit(m, "PN2")]
    assert [t["number"] for t in alone[:-1]] == [n["number"] for n in pn1["numbers"][:size // 2 + 1]]
    started = dt.datetime.now(dt.UTC)

    # A crash mid-send: the first two reached the hub, the kiosk died before it marked them.
    first = m.journal.pending(2)
    results = live.offline_tickets(started.isoformat(), [
        {k: (lease_id(t[k]) if k == "lease" else t[k]) for k in
         ("idempotency_key", "lease", "seq", "number", "service", "priority", "issued_at")} for t in first])
    assert [r["status"] for r in results] == [MERGED, MERGED]
    assert all(t["state"] == "pending" for t in m.journal.tickets())

    keeper.hub = m.hub = live  # back
    keeper.step()
    states = [t["state"] for t in m.journal.tickets()]
    assert states == [ALREADY, ALREADY] + [MERGED] * (len(alone) - 2)
    assert keeper.reachable and not m.alone and keeper.refused_tickets == 0
    held = hub_rows(live_hub, "SELECT number, service FROM tickets ORDER BY id")
    assert sorted(held) == sorted((t["number"], t["service"]) for t in alone)  # each once, with its number
    # More than half of PN1's lease is used: the keeper took the next one.
    assert [lz["service"] for lz in m.journal.leases()].count("PN1") == 2

    online = visit(m)  # through the hub again; a number no lease holds
    assert not online.get("offline") and online["number"] not in {n["number"] for lz in m.journal.leases()
                                                                   for n in lz["numbers"]}

    keeper.give_back()  # the kiosk stops
    assert all(lz["returned_at"] for lz in m.journal.leases())
    assert hub_rows(live_hub, "SELECT count(*) FROM tickets") == [(len(alone) + 1,)]


def test_a_kiosk_alone_on_a_visitors_timeout_is_told_the_hub_is_back(kept) -> None:  # noqa: ANN001
    """The visitor's request failed, the keeper's did not: its next good step brings the kiosk back."""
    m, keeper = kept
    keeper.step()
    live = m.hub
    m.hub = HubClient(f"http://127.0.0.1:{free_port()}", "token")
    assert visit(m)["offline"] and m.alone and keeper.reachable
    m.hub = live
    keeper.step()
    assert not m.alone and [t["state"] for t in m.journal.tickets()] == [MERGED]


@pytest.mark.slow
def test_navbat_kiosk_takes_leases_and_gives_them_back_on_sigterm(live_hub, tmp_path) -> None:  # noqa: ANN001
    """The real command in a real window: its keeper takes a lease per sub-service a visitor can take, and
    `systemctl stop` (SIGTERM) gives every one back to the hub."""
    journal = tmp_path / "journal.sqlite"
    cmd = with_display([sys.executable, "-m", "navbat", "kiosk", "--hub", live_hub.url, "--token",
                        live_hub.app.config["KIOSK_TOKEN"], "--no-printer", "--journal", str(journal)])
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=gui_env(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        end = time.monotonic() + 60
        while not (journal.exists() and len(Journal(journal).leases()) >= 3):
            assert time.monotonic() < end and proc.poll() is None, "the kiosk took no leases"
            time.sleep(0.3)
        time.sleep(2)  # the keeper's first step is done
        held = {lz["id"] for lz in Journal(journal).leases()}
        # the kiosk's own process (under xvfb-run when the test has no display of its own)
        pids = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in pids:
            if Path(f"/proc/{pid}/comm").read_text().startswith("python"):
                os.kill(int(pid), signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert all(lz["returned_at"] for lz in Journal(journal).leases())
    states = dict(hub_rows(live_hub, "SELECT id, state FROM leases"))
    assert {str(k) for k in states} == held and set(states.values()) == {"returned"}
