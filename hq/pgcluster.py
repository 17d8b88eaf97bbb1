"""A throw-away PostgreSQL cluster from Debian's binaries: for the tests, the benchmark and `make hq-demo`.

initdb and postgres refuse to run as root, so as root they run as the `postgres` user, in a
folder that user owns. The cluster listens on a Unix socket only (listen_addresses=''), in
its own folder: nothing on the network, no port to collide with another engineer's.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg


def bin_dir() -> Path:
    """Debian's newest PostgreSQL binaries (Debian 12: /usr/lib/postgresql/15/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise FileNotFoundError("no PostgreSQL server: apt-get install postgresql")
    return Path(found[-1]).parent


class Cluster:
    """One cluster in `folder` (data/ and the socket's folder beside it), started and stopped here."""

    def __init__(self, folder: str | Path, user: str = "navbat") -> None:
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "sock"
        self.user = user
        self._proc: subprocess.Popen | None = None
        self._as_root = os.geteuid() == 0

    def _run_as(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if self._as_root else []

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(path, "postgres", "postgres")

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self._own(self.folder)
        self._own(self.data)
        os.chmod(self.data, 0o700)
        subprocess.run([*self._run_as(), str(bin_dir() / "initdb"), "-D", str(self.data), "-U", self.user,
                        "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)

    def start(self, timeout: float = 30.0) -> None:
        self.init()
        self._own(self.socket_dir)
        opts = ["-c", "listen_addresses=", "-c", f"unix_socket_directories={self.socket_dir}",
                "-c", "fsync=on", "-c", "max_connections=200", "-c", "shared_buffers=64MB"]
        self._proc = subprocess.Popen([*self._run_as(), str(bin_dir() / "postgres"), "-D", str(self.data), *opts],
                                      stdout=subprocess.DEVNULL, stderr=open(self.folder / "postgres.log", "ab"))
        atexit.register(self.stop)  # a cluster never outlives the process that started it
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start; see {self.folder / 'postgres.log'}") from None
                time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """A "fast" shutdown (SIGINT: clients are cut, nothing committed is lost). The signal goes to
        the postmaster itself (its pid is in postmaster.pid): as root, our child is runuser, which
        would not pass it on."""
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, signal.SIGINT)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
