"""kill -9 of a `navbat hub` in the middle of issuing tickets, then a restart on the same file:
nothing a kiosk was told about is lost, numbering and event ids carry on (issue 3, Must show)."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests
from hub_process_support import API, SERVICES, Hub, navbat


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[list[Hub]]:
    started: list[Hub] = []
    yield started
    for hub in started:
        hub.stop()


def test_kill_minus_nine_mid_load_loses_nothing(tmp_path, hubs, branch):  # noqa: ANN001
    db = tmp_path / "hub.sqlite"
    token = navbat("device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)).stdout.strip()
    kiosk = {"Authorization": f"Bearer {token}"}
    navbat("user", "add", "clerk1", "--role", "clerk", "--pin", "1111", "--db", str(db))
    hubs.append(Hub(db, tmp_path / "hub.log"))
    url = hubs[0].url + API

    # Some history before the load: a window calls a few visitors.
    s = requests.Session()
    clerk = {"Authorization": "Bearer " + s.post(f"{url}/login", json={"username": "clerk1", "pin": "1111",
                                                                      "counter": 1}, timeout=10).json()["token"]}
    s.post(f"{url}/counters/1/open", headers=clerk, timeout=10)
    for i in range(6):
        s.post(f"{url}/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": f"pre-{i}"}, timeout=10)
    for _ in range(3):
        s.post(f"{url}/counters/1/next", headers=clerk, timeout=10)
        s.post(f"{url}/counters/1/done", headers=clerk, timeout=10)

    told: dict[str, dict] = {}  # key -> the ticket the kiosk was given
    unsure: list[tuple[str, str]] = []  # requests cut off by the kill: (key, service)
    refused: list[str] = []  # (none expected)
    running = threading.Event()

    def kiosk_loop() -> None:
        ks = requests.Session()
        i = 0
        while True:
            key, service = f"load-{i}", SERVICES[i % len(SERVICES)]
            try:
                r = ks.post(f"{url}/tickets", json={"service": service}, headers={**kiosk, "Idempotency-Key": key},
                            timeout=5)
            except requests.RequestException:
                unsure.append((key, service))
                break  # the hub is gone
            if r.status_code not in (200, 201):
                refused.append(r.text)
                break
            told[key] = r.json()
            running.set()
            i += 1
        ks.close()

    loader = threading.Thread(target=kiosk_loop)
    loader.start()
    assert running.wait(20), refused
    time.sleep(0.5)  # mid-load
    hubs[0].kill9()
    loader.join(20)
    assert not refused and len(told) >= 5 and len(unsure) == 1, (len(told), unsure, refused)

    # Restart on the same file.
    hubs.append(Hub(db, tmp_path / "hub.log"))
    url = hubs[1].url + API
    for key, ticket in told.items():
        again = s.get(f"{url}/tickets/{ticket['tracking_code']}", timeout=10)
        assert again.status_code == 200, key
        assert (again.json()["id"], again.json()["number"]) == (ticket["id"], ticket["number"])

    # The request cut off by the kill is retried with its key: one ticket either way, never two.
    key, service = unsure[0]
    retry = s.post(f"{url}/tickets", json={"service": service}, headers={**kiosk, "Idempotency-Key": key}, timeout=10)
    assert retry.status_code in (200, 201)
    assert s.post(f"{url}/tickets", json={"service": service}, headers={**kiosk, "Idempotency-Key": key},
                  timeout=10).json()["id"] == retry.json()["id"]

    with closing(sqlite3.connect(db)) as conn:  # the file itself, as an auditor would read it
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last_seq = dict(conn.execute("SELECT service, max(seq) FROM tickets GROUP BY service").fetchall())
        event_ids = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id")]
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 6 + len(told) + 1
    assert event_ids == list(range(1, len(event_ids) + 1))

    # Numbering carries on per service; event ids carry on after the last one written.
    for svc in SERVICES:
        t = s.post(f"{url}/tickets", json={"service": svc}, headers={**kiosk, "Idempotency-Key": f"post-{svc}"},
                   timeout=10).json()
        assert t["number"] == branch.service(svc).numbering.format(last_seq[svc] + 1), svc
    backlog = s.get(f"{url}/events", params={"last_event_id": event_ids[-1] - 2, "once": 1}, timeout=10).text
    ids = [int(line[4:]) for line in backlog.splitlines() if line.startswith("id: ")]
    # each new ticket is its issue and the range its slip printed (ticket.promised): ids carry on, none skipped
    assert ids == list(range(event_ids[-1] - 1, ids[-1] + 1)) and ids[-1] >= event_ids[-1] + len(SERVICES)
    s.close()


def test_sigterm_with_live_streams_ends_them_and_exits_0(tmp_path, hubs) -> None:  # noqa: ANN001
    """`systemctl stop` with a wall's event stream open: the streams end at once and the hub exits 0,
    no "Exception in ASGI application" (uvicorn cancelling them after its graceful timeout) (issue 22)."""
    hub = Hub(tmp_path / "hub.sqlite", tmp_path / "hub.log")
    hubs.append(hub)
    streams = [requests.get(f"{hub.url}{API}/events", stream=True, timeout=10) for _ in range(2)]
    for s in streams:
        assert s.status_code == 200
        next(s.iter_content(1))  # the stream is live
    began = time.monotonic()
    hub.proc.send_signal(signal.SIGTERM)
    assert hub.proc.wait(10) == 0
    took = time.monotonic() - began
    log = (tmp_path / "hub.log").read_text()
    assert "Exception in ASGI application" not in log and "graceful shutdown exceeded" not in log, log
    assert took < 1.9, took  # not uvicorn's 2 s graceful timeout
    for s in streams:
        s.close()
