"""Two kiosks keep issuing through a hub kill -9, a LAN cut and a kiosk kill -9 (issue 26, Must show).

Real processes: `navbat hub` (hub_process_support.Hub) and two kiosks, each its view-model and its lease
keeper in a process of its own (kiosk_alone_driver.py), issuing a ticket every 0.5 s. They reach the
hub through a TCP switch in this test that can pass to the hub of the moment, or cut: a cut holds every
connection and forwards nothing, as a dead LAN switch does (the kiosk's own 3 s bound decides); a
killed hub refuses at once. After each outage the journals are merged; at the end: every ticket
exactly once in the hub's log, no number on two tickets, offline tickets in line at their own issue
time, clerks call each sub-service in that order, every lease given back, `navbat check` ok.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from hub_process_support import API, Hub, navbat
from navbat.kiosk.journal import Journal

pytestmark = pytest.mark.slow
DRIVER = Path(__file__).with_name("kiosk_alone_driver.py")
SERVICES = "IN1,PN1,IN2"  # all three served by counters 3 and 4


class Switch:
    """A TCP hop between the kiosks and the hub: passes to `upstream`, or cuts (holds, forwards nothing)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.cut_off = False
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(client)
            if self.cut_off:
                continue  # held: the kiosk waits for an answer that never comes
            host, port = self.upstream.removeprefix("http://").split(":")
            try:
                up = socket.create_connection((host, int(port)), timeout=1)
            except OSError:
                client.close()  # a dead hub: refused at once
                continue
            up.settimeout(None)
            self.open.append(up)
            for src, dst in ((client, up), (up, client)):
                threading.Thread(target=self._copy, args=(src, dst), daemon=True).start()

    def _copy(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.cut_off:
                    dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            s.close()

    def cut(self) -> None:
        self.cut_off = True

    def restore(self, upstream: str | None = None) -> None:
        """The link is back (to `upstream`, a restarted hub): connections held through the cut are reset."""
        self.upstream = upstream or self.upstream
        held, self.open = self.open, []
        self.cut_off = False
        for s in held:
            s.close()

    def close(self) -> None:
        self.sock.close()
        self.restore()


class KioskProcess:
    def __init__(self, name: str, url: str, token: str, folder: Path) -> None:
        self.name, self.folder = name, folder
        self.journal, self.out = folder / f"{name}-journal.sqlite", folder / f"{name}.jsonl"
        self.cmd = [sys.executable, "-P", str(DRIVER), "--hub", url, "--token", token, "--journal",
                    str(self.journal), "--out", str(self.out), "--name", name, "--services", SERVICES,
                    "--every", "0.5"]
        self.proc: subprocess.Popen | None = None

    def start(self) -> KioskProcess:
        log = (self.folder / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log)
        return self

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def lines(self, event: str = "ticket") -> list[dict]:
        if not self.out.exists():
            return []
        rows = [json.loads(x) for x in self.out.read_text(encoding="utf-8").splitlines() if x.strip()]
        return [r for r in rows if r["event"] == event]


def until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out: {what}"
        time.sleep(0.2)


def offline_since(kiosks: list[KioskProcess], since: float) -> list[int]:
    return [sum(1 for r in k.lines() if r["offline"] and r["t"] >= since) for k in kiosks]


def merged(kiosks: list[KioskProcess]) -> bool:
    return all(not Journal(k.journal).pending() for k in kiosks)


def test_two_kiosks_issue_through_a_hub_kill_a_cut_and_a_kiosk_kill(tmp_path: Path) -> None:
    db, log = tmp_path / "hub.sqlite", tmp_path / "hub.log"
    tokens = [navbat("device", "add", f"kiosk-{i}", "--role", "kiosk", "--db", str(db)).stdout.strip() for i in (1, 2)]
    for n in (3, 4):
        navbat("user", "add", f"clerk{n}", "--role", "clerk", "--pin", f"{n}" * 4, "--db", str(db))
    hub = Hub(db, log)
    switch = Switch(hub.url)
    kiosks = [KioskProcess(f"kiosk-{i}", switch.url, tokens[i - 1], tmp_path) for i in (1, 2)]
    try:
        for k in kiosks:
            k.start()
        until(lambda: all(len(k.lines()) >= 6 for k in kiosks), 60, "both kiosks issue through the hub")
        until(lambda: all(len(Journal(k.journal).leases()) >= 3 for k in kiosks), 30, "a lease per sub-service")

        # 1. The hub is killed -9; both kiosks keep issuing alone; it comes back and the journals merge.
        hub.kill9()
        cut_at = time.time()
        time.sleep(6)
        assert all(n >= 5 for n in offline_since(kiosks, cut_at)), offline_since(kiosks, cut_at)
        hub = Hub(db, log)
        switch.restore(hub.url)
        until(lambda: merged(kiosks), 60, "the journals merged after the hub's restart")

        # 2. The kiosks are cut off from a running hub (the LAN), then the link is back.
        time.sleep(2)
        switch.cut()
        cut_at = time.time()
        time.sleep(7)
        assert all(n >= 3 for n in offline_since(kiosks, cut_at)), offline_since(kiosks, cut_at)
        switch.restore()
        until(lambda: merged(kiosks), 60, "the journals merged after the cut")

        # 3. The hub is down again and a kiosk is killed -9 mid-outage, then started on its journal.
        time.sleep(2)
        hub.kill9()
        cut_at = time.time()
        time.sleep(3)
        kiosks[0].kill9()
        kiosks[0].start()
        time.sleep(5)
        restarted = [r for r in kiosks[0].lines() if r["t"] > cut_at + 3]
        assert restarted and all(r["offline"] for r in restarted)  # a kiosk restarted alone issues from its lease
        hub = Hub(db, log)
        switch.restore(hub.url)
        until(lambda: merged(kiosks), 60, "the journals merged after the kiosk's kill")
        time.sleep(2)
    finally:
        for k in kiosks:
            k.stop()  # SIGTERM: the keeper sends what is left and gives its leases back
        problems = [r for k in kiosks for r in k.lines("problem")]

    try:
        check_the_log(hub, db, kiosks, problems)
    finally:
        hub.stop()
        switch.close()


def check_the_log(hub: Hub, db: Path, kiosks: list[KioskProcess], problems: list[dict]) -> None:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT id, service, number, tracking_code, issued_at, arrived_at, idempotency_key, "
                           "state FROM tickets").fetchall()
    by_id = {r[0]: r for r in rows}
    told = [r for k in kiosks for r in k.lines()]
    online, offline = [r for r in told if not r["offline"]], [r for r in told if r["offline"]]
    journals = [Journal(k.journal) for k in kiosks]
    kept = [t for j in journals for t in j.tickets()]
    assert not problems, problems[:5]
    assert len(offline) >= 20 and len(online) >= 15, (len(offline), len(online))

    # Every ticket exactly once: the hub holds the online ones and the journals' ones, nothing else.
    assert Counter(t["state"] for t in kept) <= Counter({"merged": len(kept), "already": len(kept)})
    hub_ids = [json.loads(t["hub_ticket"]) for t in kept]
    assert len(set(hub_ids)) == len(kept) and set(hub_ids) <= set(by_id)
    codes = Counter(r[3] for r in rows)
    assert all(codes[r["tracking_code"]] == 1 for r in online)
    # A ticket the hub issued and never told the kiosk about (killed between its commit and its answer, or
    # the answer lost in the cut): the visitor got the lease's number instead. Only those are over; the
    # journal names each (`unanswered_key`) and the merge withdrew it (cancelled: no clerk called it yet).
    unanswered = {f"{k.name}:{t['unanswered_key']}" for k, j in zip(kiosks, journals, strict=True)
                  for t in j.tickets() if t["unanswered_key"]}
    told_ids = {r[0] for r in rows if r[3] in {o["tracking_code"] for o in online}} | set(hub_ids)
    ghosts = [r for r in rows if r[0] not in told_ids]
    assert all(r[6] in unanswered and r[7] == "cancelled" for r in ghosts), ghosts
    print(f"tickets: {len(online)} online, {len(kept)} alone ({len(offline)} told), {len(ghosts)} unanswered "
          f"online tickets the hub issued during a cut-off answer")
    assert len(rows) == len(online) + len(kept) + len(ghosts)  # a kiosk killed between journal and paper: once
    keys = {t["idempotency_key"] for t in kept}
    assert all(r["key"] in keys for r in offline)

    # No number on two tickets: every (sub-service, number) of the day once, and each journal's number is the
    # hub's ticket's own.
    assert max(Counter((r[1], r[2]) for r in rows).values()) == 1
    for t, hid in zip(kept, hub_ids, strict=True):
        assert (by_id[hid][1], by_id[hid][2]) == (t["service"], t["number"])
        # In line at its real issue time (one machine's clock: no skew to correct).
        assert dt.datetime.fromisoformat(by_id[hid][4]) == dt.datetime.fromisoformat(t["issued_at"])

    # Every lease given back when the kiosks stopped.
    assert all(lz["returned_at"] for j in journals for lz in j.leases())

    # Clerks call them: each sub-service in the order its visitors arrived.
    s = requests.Session()
    url = hub.url + API
    called: list[int] = []
    clerks = {}
    for n in (3, 4):
        body = {"username": f"clerk{n}", "pin": f"{n}" * 4, "counter": n}
        clerks[n] = {"Authorization": "Bearer " + s.post(f"{url}/login", json=body, timeout=10).json()["token"]}
        assert s.post(f"{url}/counters/{n}/open", headers=clerks[n], timeout=10).status_code == 200
    more = True
    while more:  # the two counters taking turns until nobody waits
        more = False
        for n, auth in clerks.items():
            r = s.post(f"{url}/counters/{n}/next", headers=auth, timeout=60)  # two cores shared: be patient
            if r.status_code == 200:
                more = True
                called.append(r.json()["id"])
                assert s.post(f"{url}/counters/{n}/done", headers=auth, timeout=60).status_code == 200
    assert sorted(called) == sorted(by_id), "every ticket is called once"
    for service in SERVICES.split(","):
        arrivals = [by_id[i][5] for i in called if by_id[i][1] == service]
        assert arrivals == sorted(arrivals), service

    out = subprocess.run([sys.executable, "-m", "navbat", "check", "--db", str(db)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stdout + out.stderr
