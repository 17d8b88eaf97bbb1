"""`navbat hub` as a process of its own (its own command line, its own database)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import requests
from conftest import loose_branch_file

API = "/api/v1"


SERVICES = ("PR1", "IN1", "RG1", "PN2")


def readable(stream, timeout: float) -> bool:  # noqa: ANN001
    """Whether a pipe has a line (or its end) within `timeout` seconds: select() by poll(), since a
    worker that has run many test files may hold descriptors past select()'s 1024."""
    poller = select.poll()
    poller.register(stream, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def navbat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navbat", *args], capture_output=True, text=True, timeout=60,
                          check=True)


class Hub:
    """`navbat hub` in a subprocess; it picks a free 127.0.0.1 port itself (--port 0) and prints it,
    so no other test's server can take the port between choosing it and binding it. `port`: a hub
    restarted where a browser page still looks for it (the same origin). `env`: its environment (a simulated
    clock, tests/sim_clock_support.py)."""

    def __init__(self, db: Path, log: Path, port: int = 0, env: dict[str, str] | None = None) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navbat", "hub", "--db", str(db), "--port", str(port), "--ignore-hours",
             "--threads", "16", "--config", str(loose_branch_file(db.parent))],  # kiosks here issue flat out
            stdout=subprocess.PIPE, stderr=self.log, start_new_session=True, env=env)
        ready = readable(self.proc.stdout, 30)
        line = self.proc.stdout.readline().decode() if ready else ""
        match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", line)
        if not match:
            self.stop()
            raise RuntimeError(f"the hub did not start ({line!r}): see {log}")
        self.url = match[1]
        if requests.get(f"{self.url}{API}/health", timeout=10).json()["status"] != "ok":
            self.stop()
            raise RuntimeError(f"the hub does not answer: see {log}")

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        self.proc.stdout.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
