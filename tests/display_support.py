"""`navbat display` (Kivy) as a process of its own, its output read as it comes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class DisplayProcess:
    def __init__(self, args: list[str], tmp: Path) -> None:
        env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
               "SDL_AUDIODRIVER": "dummy", "KIVY_HOME": str(tmp / "kivy-home")}
        self.proc = subprocess.Popen([sys.executable, "-m", "navbat", "display", *args], cwd=tmp, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        return any(line == f"navbat display: {text}" for line in self.lines)

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            self._reader.join(5)
