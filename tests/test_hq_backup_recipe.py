"""docs/deploy.md's HQ recipe, run (issue 14): the role and database as the guide creates them (HQ
migrates and works as their non-superuser owner), then its pg_dump / pg_restore and its base backup
each bring back a database `navbat check --database` calls ok, with every rollup. The commands are the
guide's own lines, taken from it; only the paths, `sudo -u postgres` and the socket differ."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docs_support import ROOT, section
from hq_support import connect, seed_branches
from navbat.hq.pgcluster import Cluster

GUIDE = section((ROOT / "docs/deploy.md").read_text(encoding="utf-8"), "10. Headquarters")


def guide_line(program: str) -> list[str]:
    """The guide's `sudo -u postgres PROGRAM ...` line, as argv without the sudo."""
    line = next(x for x in GUIDE.replace("\\\n", " ").splitlines() if x.startswith(f"sudo -u postgres {program} "))
    return shlex.split(line.split(" #")[0].replace("$(date +%F)", "2026-11-25"))[3:]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A cluster whose superuser is `postgres`, as Debian's is."""
    folder = tempfile.mkdtemp(prefix="navbat-pgr-")
    os.chmod(folder, 0o755)
    c = Cluster(folder, user="postgres")
    c.start()
    yield c
    c.stop()
    shutil.rmtree(folder, ignore_errors=True)


def run(argv: list[str], cluster: Cluster) -> subprocess.CompletedProcess:
    env = {**os.environ, "PGHOST": str(cluster.socket_dir), "PGUSER": "postgres"}
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, f"{shlex.join(argv)}: {out.stderr}"
    return out


def check(url: str) -> str:
    return subprocess.run([sys.executable, "-m", "navbat", "check", "--database", url], capture_output=True,
                          text=True, timeout=120).stdout


def rollups(url: str) -> list[dict]:
    with connect(url) as conn:
        return conn.execute("SELECT * FROM daily ORDER BY branch, day, service").fetchall() + \
            conn.execute("SELECT * FROM monthly ORDER BY branch, month_start").fetchall()


@pytest.mark.slow
def test_the_guides_hq_database_dump_and_base_backup(cluster: Cluster, branch, tmp_path: Path) -> None:  # noqa: ANN001
    run(guide_line("createuser"), cluster)
    run(guide_line("createdb"), cluster)
    url = f"postgresql://navbat@/navbat_hq?host={cluster.socket_dir}"
    assert re.search(r"NAVBAT_HQ_DATABASE=postgresql://navbat@/navbat_hq\?host=", GUIDE)
    run([sys.executable, "-m", "navbat", "hq", "branch", "add", "yazd-01", "--province", "یزد", "--region", "یزد",
         "--type", "2", "--database", url], cluster)  # migrates, as the role that owns the database
    today = dt.date(2026, 11, 24)
    seed_branches(url, branch, [today - dt.timedelta(days=1), today])
    before = rollups(url)
    assert len(before) > 20 and check(url) == "ok\n"

    dump = tmp_path / "navbat-hq.dump"
    run([f"--file={dump}" if a.startswith("--file=") else a for a in guide_line("pg_dump")], cluster)
    with connect(url) as conn:  # the day after: the rollups lost
        conn.execute("DELETE FROM monthly")
        conn.execute("DELETE FROM daily WHERE day = %s", [today])
    assert check(url) != "ok\n"
    restore = guide_line("pg_restore")
    run([*restore[:-1], str(dump)], cluster)
    assert rollups(url) == before and check(url) == "ok\n"

    base = tmp_path / "base"
    run([f"--pgdata={base}" if a.startswith("--pgdata=") else a for a in guide_line("pg_basebackup")], cluster)
    # recovered as the guide says: base.tar.gz into an empty data directory, pg_wal.tar.gz into its pg_wal/
    folder = Path(tempfile.mkdtemp(prefix="navbat-pgb-"))
    os.chmod(folder, 0o755)
    data = folder / "data"
    with tarfile.open(base / "base.tar.gz") as t:
        t.extractall(data, filter="fully_trusted")
    with tarfile.open(base / "pg_wal.tar.gz") as t:
        t.extractall(data / "pg_wal", filter="fully_trusted")
    os.chmod(data, 0o700)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
    recovered = Cluster(folder, user="postgres")
    recovered.start()
    try:
        again = f"postgresql://navbat@/navbat_hq?host={recovered.socket_dir}"
        assert rollups(again) == before and check(again) == "ok\n"
    finally:
        recovered.stop()
        shutil.rmtree(folder, ignore_errors=True)
