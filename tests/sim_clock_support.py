"""A wall clock the test moves, shared by every process it starts on it (issue 26's ten-minute outage
in seconds).

Each process on it follows one offset file (sim_clock_site/sitecustomize.py: time-machine in the
interpreter, the file re-read every few milliseconds), so the hub and the kiosks always agree: one
clock, as one machine's. Only the wall clock moves (time.time, datetime.now); the monotonic clock stays
real, so every timeout, wait and budget that counts on it keeps real seconds. The offset file is replaced
whole (a rename): a reader never sees it half written. (libfaketime was tried first: Debian 12's 0.9.10
breaks Python 3.11's time.sleep when the monotonic clock is left real, and made every thread start and
woken wait in the hub tens of milliseconds slower.)
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

SITE = Path(__file__).with_name("sim_clock_site")  # its sitecustomize follows the offset file


class SimClock:
    """The offset of the processes' wall clock from the real one; `start` is where it begins."""

    def __init__(self, folder: Path, start: dt.datetime) -> None:
        assert importlib.util.find_spec("time_machine"), "time-machine is missing: setup.cfg's [dev] extras have it"
        self.file = folder / "sim-clock-offset"
        self.offset = 0.0
        self.set(start.timestamp() - time.time())

    def set(self, offset: float) -> None:
        self.offset = round(offset, 3)  # as the file has it
        tmp = self.file.with_suffix(".new")
        tmp.write_text(f"{self.offset:+.3f}\n", encoding="ascii")
        os.replace(tmp, self.file)

    def now(self) -> float:
        """The processes' time.time()."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.set(self.offset + seconds)

    def env(self) -> dict[str, str]:
        """The environment of a process on this clock."""
        path = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "NAVBAT_SIM_CLOCK": str(self.file), "PYTHONPATH": path}

    def navbat(self, *args: str) -> subprocess.CompletedProcess:
        """`navbat ARGS` on this clock."""
        return subprocess.run([sys.executable, "-m", "navbat", *args], capture_output=True, text=True, timeout=120,
                              check=True, env=self.env())


def branch_morning(zone: str = "Asia/Tehran", hour: int = 9) -> dt.datetime:
    """Today's `hour` o'clock at the branch: a simulated morning far from the day's end wherever CI runs."""
    today = dt.datetime.now(ZoneInfo(zone)).date()
    return dt.datetime.combine(today, dt.time(hour), tzinfo=ZoneInfo(zone))
