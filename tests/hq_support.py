"""Fixtures for headquarters' tests: ONE real PostgreSQL cluster for the whole test run (Debian's
binaries, started by navbat.hq.pgcluster; as root it runs as the `postgres` user), shared by every
module and every pytest-xdist worker, a fresh database per test, and `navbat hq` as a real process
on a free loopback port (so a test can kill it with -9).

The cluster is started by the first test that needs it, under a file lock, in the folder the run's
controller names (NAVBAT_TEST_PG, set by conftest's pytest_configure, inherited by the workers); the
controller stops it when the run ends (conftest's pytest_unconfigure), after every worker is done.
conftest.py imports these fixtures, so every test module has them without importing them."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from conftest import make_app
from filelock import FileLock
from navbat.hq.accounts import add_branch
from navbat.hq.ingest import ingest
from navbat.hq.pgcluster import Cluster
from navbat.server.floor.refusals import Conflict
from navbat.server.hqlink.shipping import Shipper
from navbat.server.hub import Hub
from psycopg.rows import dict_row
from reports_support import DAY, FakeClock, build_day

_names = itertools.count(1)
SHARED_CLUSTER = "NAVBAT_TEST_PG"  # the environment variable naming the run's cluster folder
TEMPLATE = "hq_migrated"  # a database migrated once; each test's database is a copy of it


def _answers(cluster: Cluster) -> bool:
    try:
        with psycopg.connect(cluster.url("postgres"), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@functools.cache
def shared_cluster() -> Cluster:
    """The run's cluster (started here if no worker has started it yet), with TEMPLATE migrated in it."""
    from navbat.hq.store import migrate

    folder = Path(os.environ.get(SHARED_CLUSTER) or tempfile.mkdtemp(prefix="navbat-pg-"))
    with FileLock(f"{folder}.lock"):
        cluster = Cluster(folder)
        if not _answers(cluster):
            folder.mkdir(exist_ok=True)  # not under pytest's tmp: the postgres user must reach it
            os.chmod(folder, 0o755)
            cluster.start()
            if os.environ.get(SHARED_CLUSTER):
                atexit.unregister(cluster.stop)  # other workers still use it: the controller stops it
            migrate(cluster.create_database(TEMPLATE))
    return cluster


def stop_shared_cluster(folder: str | Path, timeout: float = 30.0) -> None:
    """Stops the cluster in `folder` (whichever worker started it: its postmaster's pid is in
    postmaster.pid; SIGINT is PostgreSQL's fast shutdown) and removes the folder."""
    folder = Path(folder)
    try:
        pid = int((folder / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass  # never started, or stopped
    shutil.rmtree(folder, ignore_errors=True)
    Path(f"{folder}.lock").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    return shared_cluster()


@pytest.fixture
def hq_db(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh, migrated database (a copy of TEMPLATE, which `migrate` made); its URL."""
    name = f"hq_{os.getpid()}_{next(_names)}"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, row_factory=dict_row, autocommit=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HQProcess:
    """`navbat hq` in a process of its own."""

    def __init__(self, url: str, port: int | None = None, workers: int = 1) -> None:
        self.db_url, self.port, self.workers = url, port or free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> HQProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "navbat", "hq", "--database", self.db_url,
                                      "--port", str(self.port), "--workers", str(self.workers)],
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
            assert self.proc.poll() is None, "navbat hq exited"
        raise TimeoutError("navbat hq did not answer")

    def kill(self) -> None:
        """-9: no goodbye, whatever it was doing."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def hq_process(hq_db: str) -> Iterator[HQProcess]:
    hq = HQProcess(hq_db).start()
    yield hq
    hq.stop()


@pytest.fixture(scope="module")
def hq_module_process(pg_cluster: Cluster) -> Iterator[HQProcess]:
    """One `navbat hq` on a fresh database for a whole module, for tests that each keep to a branch of
    their own in it (`add_branch` with a name no other test uses): a process start (about a second of
    CPU) per module, not per test, and no test sees another's rows."""
    name = f"hq_{os.getpid()}_{next(_names)}"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    hq = HQProcess(pg_cluster.url(name)).start()
    yield hq
    hq.stop()
    pg_cluster.drop_database(name)


def wait_until(condition, timeout: float = 30.0, every: float = 0.05) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


# Branches for the dashboard's tests: (id, province, region, type, visitors a day)
DEMO_BRANCHES = (
    ("tehran-01", "تهران", "مرکزی", "premium", 160), ("tehran-07", "تهران", "شمال", "1", 120),
    ("tehran-12", "تهران", "شرق", "3", 70), ("isfahan-01", "اصفهان", "اصفهان", "1", 110),
    ("kashan-02", "اصفهان", "کاشان", "4", 40), ("shiraz-01", "فارس", "شیراز", "2", 90),
    ("mashhad-01", "خراسان رضوی", "مشهد", "1", 130), ("tabriz-01", "آذربایجان شرقی", "تبریز", "2", 80),
    ("ahvaz-01", "خوزستان", "اهواز", "3", 60), ("ahvaz-05", "خوزستان", "اهواز", "medical", 25),
)


def seed_branches(url: str, branch, days: list, lagging: str = "ahvaz-05") -> None:  # noqa: ANN001
    """Registers DEMO_BRANCHES and ingests simulated days for each (all but `lagging`, which never reports)."""
    from navbat.hq.accounts import add_branch
    from navbat.hq.simulated import day_events, simulated_day
    from navbat.server.hqlink.shipping import profile

    with connect(url) as conn:
        for n, (bid, province, region, type_, size) in enumerate(DEMO_BRANCHES):
            add_branch(conn, bid, province, region, type_)
            if bid == lagging:
                continue
            after = ticket = rseq = 0
            for d, day in enumerate(days):
                events, ratings = day_events(branch, day, simulated_day(branch, size, 100 * n + d), after + 1,
                                             ticket + 1, n + d)
                for r in ratings:
                    rseq += 1
                    r["seq"] = rseq
                body = {"after": after, "ratings_after": rseq - len(ratings), "events": events, "ratings": ratings,
                        "profile": {**profile(branch), "name": {"fa": f"شعبه {region}", "en": bid}}}
                ingest(conn, bid, body)
                after, ticket = events[-1]["id"], ticket + sum(e["type"] == "ticket.issued" for e in events)


@pytest.fixture
def day_hub(branch, tmp_path: Path) -> Hub:  # noqa: ANN001
    clock = FakeClock()
    app = make_app(branch, tmp_path / "branch.sqlite", CLOCK=clock)
    hub = app.extensions["navbat.hub"]
    hub.test_clock, hub.test_app = clock, app
    build_day(hub, clock)
    yield hub
    hub.stop()


def busy_day(hub: Hub, clock: FakeClock, tickets: int, day: dt.date = DAY) -> None:
    """`tickets` visits on `day` from 08:00, served one after another at counters 1 and 6."""
    floor = hub.floor
    clock.at("07:50", day)
    floor.set_services(1, {"PR1": 1.0}, "head")
    floor.set_services(6, {"PN1": 1.0}, "head")
    for counter in (1, 6):
        with contextlib.suppress(Conflict):  # already open (the day before was not closed)
            floor.set_counter_state(counter, "open", f"clerk{counter}")
    for i in range(tickets):
        clock.now = clock.now.replace(hour=8) + dt.timedelta(seconds=20 * i)
        floor.issue_ticket("PR1" if i % 2 else "PN1", None, f"busy-{day}-{i}", "kiosk-1")
        counter = 1 if i % 2 else 6
        floor.call_next(counter, f"clerk{counter}")
        clock.now += dt.timedelta(seconds=5)
        floor.act(counter, "done", f"clerk{counter}", outcome="served")


def branch_events(hub: Hub) -> list[tuple]:
    with hub.read() as db:
        rows = db.execute("SELECT id, at, type, data FROM events ORDER BY id")
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def register(url: str, branch_id: str = "tehran-01", province: str = "تهران") -> str:
    with connect(url) as conn:
        return add_branch(conn, branch_id, province, "مرکزی", "1")


def ship_log(hub: Hub, conn: psycopg.Connection, branch_id: str, province: str, region: str, type_: str) -> None:
    """The hub's whole log, as its shipper batches it, ingested at HQ for `branch_id`, added there."""
    shipper = Shipper(hub.store.path, hub.branch, "http://127.0.0.1:9", "unused", batch=10_000).open()
    try:
        add_branch(conn, branch_id, province, region, type_)
        ingest(conn, branch_id, shipper.batch_after())
    finally:
        shipper.stop()


def shipper_for(hub: Hub, url: str, token: str, **kw) -> Shipper:  # noqa: ANN003
    return Shipper(hub.store.path, hub.branch, url, token, **kw)
