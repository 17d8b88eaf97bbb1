"""Fixtures for headquarters' tests: one real PostgreSQL cluster for the session (Debian's
binaries, started by navbat.hq.pgcluster; as root it runs as the `postgres` user), a fresh
database per test, and `navbat hq` as a real process on a free loopback port (so a test can
kill it with -9)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import psycopg
import pytest
import requests
from navbat.hq.pgcluster import Cluster
from psycopg.rows import dict_row

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    folder = tempfile.mkdtemp(prefix="navbat-pg-")  # not under pytest's tmp: the postgres user must reach it
    os.chmod(folder, 0o755)
    cluster = Cluster(folder)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def hq_db(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh, migrated database; its URL."""
    from navbat.hq.store import migrate

    name = f"hq_{os.getpid()}_{next(_names)}"
    url = pg_cluster.create_database(name)
    migrate(url)
    yield url
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
    from navbat.hq.ingest import ingest
    from navbat.hq.simulated import day_events, simulated_day
    from navbat.server.shipping import profile

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
