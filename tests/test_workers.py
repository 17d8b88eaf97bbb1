"""One way to run a moving part (issue 25): a worker that dies is restarted after a back-off and reported
(its health on /metrics and the head's floor); SIGTERM to `navbat hub` / `navbat hq`, started as their
systemd units start them, stops every worker within the bound and leaves no thread or child process."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import PINS, loose_branch_file, make_app, serve_in_thread
from hq_support import HQProcess, free_port, register
from hub_process_support import readable
from navbat.foundation.worker_process import ProcessWorker, Unavailable
from navbat.foundation.workers import STOP_WITHIN_S, Loop
from navbat.server.hub import EXTENSION
from prometheus_client.parser import text_string_to_metric_families

API = "/api/v1"
NAVBAT = str(Path(sys.executable).parent / "navbat")  # the console script the units run
SLACK_S = 1.5  # the interpreter's exit after the workers' bound (which counts from the signal)


def until(check: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while time.monotonic() < deadline:
        if got := check():
            return got
        pause.wait(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


def test_a_loop_that_raises_is_restarted_with_back_off_and_reported() -> None:
    calls: list[float] = []

    def step() -> float:
        calls.append(time.monotonic())
        if len(calls) <= 3:
            raise RuntimeError(f"broken {len(calls)}")
        return 0.05

    worker = Loop("flaky", step, backoff_s=(0.1, 1.0))
    worker.start()
    try:
        until(lambda: len(calls) >= 5, what="the loop to run again after three deaths")
        gaps = [b - a for a, b in zip(calls, calls[1:4], strict=False)]
        assert gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.4  # the back-off doubles
        health = worker.health()
        assert health.state == "running" and health.restarts == 3 and health.last_error == "RuntimeError: broken 3"
        assert health.last_beat is not None
    finally:
        worker.stop()
        assert worker.join(2)
    assert worker.health().state == "stopped"


def test_a_loop_that_keeps_dying_is_given_up_and_shown_failed() -> None:
    worker = Loop("hopeless", lambda: 1 / 0, backoff_s=(0.01, 0.02), give_up_after=3)
    worker.start()
    until(lambda: worker.health().state == "failed", what="the worker to give up")
    assert worker.join(2) and worker.health().last_error.startswith("ZeroDivisionError")


def test_a_worker_process_killed_is_made_again_after_its_back_off() -> None:
    worker = ProcessWorker("sums", timeout_s=30, backoff_s=(0.5, 1.0))
    worker.start()
    try:
        assert worker.call(sum, [1, 2, 3]) == 6
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        with pytest.raises(Unavailable):
            worker.call(sum, [1])  # the child is dead: the caller does the work itself this time
        assert worker.health().state == "restarting" and worker.health().restarts == 1
        with pytest.raises(Unavailable):
            worker.call(sum, [1])  # within the back-off: no new child yet
        time.sleep(0.6)
        assert worker.call(sum, [4, 5]) == 9 and worker.pid not in (None, first)
        assert worker.health().state == "running"
        with pytest.raises(ZeroDivisionError):  # the job's own error comes back as raised; the child lives
            worker.call(divmod, 1, 0)
        assert worker.health().state == "running"
    finally:
        worker.stop()
        assert worker.join(5)


# ---- the hub, over real sockets -------------------------------------------------------------------------------


def worker_metrics(url: str) -> dict[tuple[str, str], float]:
    """/metrics (a loopback scraper needs no token): (sample, worker[/state]) -> value."""
    out = {}
    text = requests.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("navbat_worker"):
                out[(s.name, s.labels["worker"] + ("/" + s.labels["state"] if "state" in s.labels else ""))] = s.value
    return out


class HubProcess:
    """`navbat hub` as its unit runs it (the console script, PYTHONUNBUFFERED, the HQ token from the
    environment), linked to an HQ that is not there, so its link's workers run too."""

    def __init__(self, folder: Path, hq: tuple[str, str] | None = None) -> None:
        self.db = folder / "hub.sqlite"
        self.kiosk = subprocess.run([NAVBAT, "device", "add", "kiosk-1", "--role", "kiosk", "--db", str(self.db)],
                                    capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        hq_url, token = hq or (f"http://127.0.0.1:{free_port()}", "not-a-real-token")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NAVBAT_HQ_TOKEN": token}
        self.proc = subprocess.Popen(
            [NAVBAT, "hub", "--db", str(self.db), "--port", "0", "--ignore-hours", "--config",
             str(loose_branch_file(folder)), "--hq", hq_url,
             "--sms-log", str(folder / "sms.log")],
            stdout=subprocess.PIPE, stderr=(folder / "hub.log").open("ab"), env=env, start_new_session=True)
        # the log shares stdout (journald): a worker's warning may come before the hub's own line
        seen, match, deadline = [], None, time.monotonic() + 60
        while match is None and time.monotonic() < deadline:
            if not readable(self.proc.stdout, deadline - time.monotonic()):
                break
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            seen.append(line)
            match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", line)
        assert match, f"the hub did not start: {seen!r}"
        self.url = match[1]

    def issue(self, n: int) -> None:
        with requests.Session() as s:
            for i in range(n):
                r = s.post(f"{self.url}{API}/tickets", json={"service": "PR1"}, timeout=10,
                           headers={"Authorization": f"Bearer {self.kiosk}", "Idempotency-Key": f"w-{time.time()}-{i}"})
                assert r.status_code == 201, r.text

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path)
    yield hub
    hub.close()


def _rename(db: Path, old: str, new: str) -> None:
    """The column the remote turns' sweeper looks at first, renamed from outside the hub (as a broken
    upgrade or a careless admin would): its loop raises, and nothing else of the hub needs the column."""
    with sqlite3.connect(db, timeout=10) as conn:
        conn.execute(f"ALTER TABLE remote_turns RENAME COLUMN {old} TO {new}")


def test_a_hub_worker_that_dies_is_restarted_and_shown_on_metrics(hub_process: HubProcess) -> None:
    url = hub_process.url
    before = worker_metrics(url)
    assert before[("navbat_worker_state", "remote/running")] == 1
    assert {"waits", "sms", "remote", "engine", "reports", "checkpoint", "requests", "hq-shipping", "hq-relay",
            "relay"} <= {k[1].split("/")[0] for k in before}
    _rename(hub_process.db, "ended", "ended_away")
    hub_process.issue(1)  # an event: the remote turns' sweeper wakes, and its query fails
    dead = until(lambda: (m := worker_metrics(url))[("navbat_worker_state", "remote/restarting")] == 1 and m,
                 what="the sweeper to be shown restarting")
    assert dead[("navbat_worker_restarts_total", "remote")] >= 1
    assert dead[("navbat_worker_state", "sms/running")] == 1  # the others carry on
    hub_process.issue(1)  # the hub still answers
    _rename(hub_process.db, "ended_away", "ended")
    back = until(lambda: (m := worker_metrics(url))[("navbat_worker_state", "remote/running")] == 1 and m,
                 what="the sweeper to run again after its back-off")
    assert back[("navbat_worker_last_beat_seconds", "remote")] > time.time() - 30


def test_sigterm_stops_every_hub_worker_within_the_bound(hub_process: HubProcess) -> None:
    hub_process.issue(3)
    head = requests.get(f"{hub_process.url}/metrics", timeout=10)
    assert head.ok
    children = _children(hub_process.proc.pid)
    started = time.monotonic()
    hub_process.proc.send_signal(signal.SIGTERM)
    assert hub_process.proc.wait(STOP_WITHIN_S + SLACK_S) == 0
    took = time.monotonic() - started
    said = hub_process.proc.stdout.read().decode()
    assert "threads left: none" in said and "still running" not in said, said
    assert re.search(r"navbat hub stopped: 1\d workers in \d\.\d s", said), said
    assert took < STOP_WITHIN_S + SLACK_S
    assert not [pid for pid in children if _alive(pid)]  # no child process outlives it


def test_sigterm_after_a_report_leaves_no_report_process(hub_process: HubProcess) -> None:
    """The report worker's child process is running (a report was built in it); SIGTERM ends it too."""
    subprocess.run([NAVBAT, "user", "add", "head", "--role", "head", "--pin", "140414", "--db", str(hub_process.db)],
                   capture_output=True, text=True, check=True, timeout=60)
    login = requests.post(f"{hub_process.url}{API}/login", json={"username": "head", "pin": "140414"}, timeout=10)
    assert login.status_code == 200, login.text
    hub_process.issue(2)
    head = {"Authorization": f"Bearer {login.json()['token']}"}
    assert requests.get(f"{hub_process.url}{API}/reports/monthly", headers=head, timeout=60).ok
    children = until(lambda: _children(hub_process.proc.pid), what="the report's process")
    hub_process.proc.send_signal(signal.SIGTERM)
    assert hub_process.proc.wait(STOP_WITHIN_S + SLACK_S) == 0
    said = hub_process.proc.stdout.read().decode()
    assert "navbat hub stopped" in said and "still running" not in said, said
    # the report's process was joined; multiprocessing's resource tracker (spawn's) leaves as the hub does
    until(lambda: not [pid for pid in children if _alive(pid)], timeout=3, what="no child process left")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.extend(int(p) for p in text)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_head_sees_a_worker_that_died(branch, tmp_path: Path) -> None:  # noqa: ANN001
    """The floor's alerts carry a line, worded by the hub in Persian, for a worker that is not healthy."""
    app = make_app(branch, tmp_path / "hub.sqlite", REMOTE_SWEEP_S=0.1)
    url, stop = serve_in_thread(app)
    try:
        hub = app.extensions[EXTENSION]
        with requests.Session() as s:
            pin = s.post(f"{url}{API}/login", json={"username": "head", "pin": "1404"}, timeout=10).json()["token"]
            s.headers["Authorization"] = f"Bearer {pin}"
            s.cookies.set("navbat_lang", "fa")
            assert not [a for a in s.get(f"{url}{API}/head/floor", timeout=10).json()["alerts"]
                        if a["kind"] == "worker_unhealthy"]
            _rename(hub.store.path, "ended", "ended_away")
            until(lambda: hub.workers.health() and any(h.name == "remote" and not h.healthy
                                                       for h in hub.workers.health()), what="the sweeper to die")
            alerts = [a for a in s.get(f"{url}{API}/head/floor", timeout=10).json()["alerts"]
                      if a["kind"] == "worker_unhealthy"]
            assert [(a["worker"], a["state"]) for a in alerts] == [("remote", "restarting")]
            assert alerts[0]["text"].startswith("پیامک‌های نوبت‌های غیرحضوری با خطا متوقف شد")
            assert "ended" in alerts[0]["text"]  # the error itself, for whoever fixes it
            _rename(hub.store.path, "ended_away", "ended")
            until(lambda: not [a for a in s.get(f"{url}{API}/head/floor", timeout=10).json()["alerts"]
                               if a["kind"] == "worker_unhealthy"], what="the alert to go once it runs again")
    finally:
        stop()


@pytest.mark.browser
def test_the_head_floor_page_draws_the_hubs_line_for_a_dead_worker(browser, branch, tmp_path: Path) -> None:  # noqa: ANN001
    """The page shows the alert's words as the hub sent them (floor.js decides nothing about workers)."""
    app = make_app(branch, tmp_path / "hub.sqlite", REMOTE_SWEEP_S=0.1)
    url, stop = serve_in_thread(app)
    try:
        hub = app.extensions[EXTENSION]
        _rename(hub.store.path, "ended", "ended_away")
        until(lambda: any(h.name == "remote" and not h.healthy for h in hub.workers.health()),
              what="the sweeper to die")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/head")
        page.fill("input[name=pin]", PINS["head"])
        page.click("#login button[type=submit]")
        line = page.locator("#alerts .alert", has_text="پیامک‌های نوبت‌های غیرحضوری")
        line.wait_for()
        assert "دوباره راه‌اندازی می‌شود" in line.inner_text() and "ended" in line.inner_text()
        assert "warning" in line.get_attribute("class")
        page.close()
    finally:
        stop()


# ---- HQ ------------------------------------------------------------------------------------------------------


def test_sigterm_cuts_the_relay_poll_hq_holds(hq_db: str, tmp_path: Path) -> None:
    """Linked to a live HQ, the hub's relay poll is held there up to 20 s and its shipper posts batches:
    SIGTERM cuts them (server/hqlink/cuttable.py), so the hub still stops within the bound, every worker joined."""
    hq = HQProcess(hq_db).start()
    try:
        hub = HubProcess(tmp_path, (hq.url, register(hq_db)))
        try:
            hub.issue(2)
            until(lambda: "navbat_hq_seconds_since_ack" in requests.get(f"{hub.url}/metrics", timeout=10).text,
                  what="HQ to acknowledge a batch")
            time.sleep(1.0)  # the relay's poll is now held at HQ, waiting for a visitor
            started = time.monotonic()
            hub.proc.send_signal(signal.SIGTERM)
            assert hub.proc.wait(STOP_WITHIN_S + SLACK_S) == 0
            took = time.monotonic() - started
            said = hub.proc.stdout.read().decode()
        finally:
            hub.close()
    finally:
        hq.stop()
    assert "threads left: none" in said and "still running" not in said, said
    assert took < STOP_WITHIN_S + SLACK_S


def test_sigterm_stops_every_hq_worker_within_the_bound(hq_db: str) -> None:
    """`navbat hq --workers 2` as its unit runs it: each uvicorn worker process stops its workers (the
    request threads, the database pool) and the relay's coroutines within the bound, and says so."""
    port = free_port()
    proc = subprocess.Popen([NAVBAT, "hq", "--database", hq_db, "--port", str(port), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        until(lambda: _answers(f"http://127.0.0.1:{port}/api/v1/health"), timeout=60, what="navbat hq")
        for _ in range(8):  # requests on the Flask threads of both workers
            assert requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).ok
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_WITHIN_S + SLACK_S) == 0
        took = time.monotonic() - started
        said = proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
    stopped = re.findall(r"navbat hq worker \d+ stopped: (\d+) workers in [\d.]+ s(.*); threads left: (.*)", said)
    assert len(stopped) == 2, said  # one line for each worker process
    # uvicorn's own thread in each of its worker processes answers the supervisor's pings until the
    # process exits (uvicorn's multiprocess mode); nothing of HQ's is left
    assert all(int(n) >= 2 and not late and all(t.endswith("(always_pong)") for t in left.split(", "))
               for n, late, left in stopped), said
    assert took < STOP_WITHIN_S + SLACK_S


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.ConnectionError:
        return False
