"""What the branch-day test (test_branch_day.py) needs around the installed product: systemd units
read back into a command line and an environment, the pieces as processes with their logs, and the
far ends of the serial cables (socat pty pairs) read like a printer's and an LED board's UART."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import serial


@dataclass
class Unit:
    """What systemd would run for one unit: the command, its environment and its folder."""

    argv: list[str]
    env: dict[str, str]
    env_files: list[str]  # EnvironmentFile= paths as the unit names them ("-" prefix dropped)
    workdir: str | None


def read_unit(text: str) -> Unit:
    """Parses the [Service] lines a process needs: ExecStart (a compositor's `cage ... --` is left out:
    under Xvfb the app gets a window of its own), Environment and EnvironmentFile."""
    argv: list[str] = []
    env: dict[str, str] = {}
    files: list[str] = []
    workdir = None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "ExecStart":
            argv = shlex.split(value)
            if os.path.basename(argv[0]) == "cage":
                argv = argv[argv.index("--") + 1:]
        elif key == "Environment":
            env.update(part.split("=", 1) for part in shlex.split(value))
        elif key == "EnvironmentFile":
            files.append(value.lstrip("-"))
        elif key == "WorkingDirectory":
            workdir = value
    assert argv, f"no ExecStart in the unit:\n{text}"
    return Unit(argv, env, files, workdir)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd reads an EnvironmentFile."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip().strip('"')
    return pairs


@dataclass
class Piece:
    """One running piece of the branch, started from its unit; stdout and stderr go to a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    proc: subprocess.Popen | None = None
    stopped_rc: int | None = None

    def start(self) -> Piece:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def lines(self, prefix: str) -> list[str]:
        return [line for line in self.text().splitlines() if line.startswith(prefix)]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as `systemctl stop` sends it; its exit code (SIGKILL after `timeout`: -9)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.stopped_rc = self.proc.returncode
        return self.stopped_rc

    def tail(self, n: int = 3000) -> str:
        return f"--- {self.name} ({' '.join(self.argv)}):\n{self.text()[-n:]}"


def wait_until(condition, timeout: float, what: str, every: float = 0.1) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Cable:
    """A serial cable made by socat (two linked ptys): the product opens `device`; this end is read
    with pyserial as the printer's or board's UART would be, answering ESC/POS status queries
    (DLE EOT n) with "online, paper present" as a printer does."""

    folder: Path
    baudrate: int = 115200
    answer_status: bool = False
    received: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        assert shutil.which("socat"), "socat is needed (apt install socat)"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.device, far = self.folder / "ttyNAVBAT", self.folder / "cable-end"
        self.socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={self.device}", f"pty,raw,echo=0,link={far}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.device.exists() and far.exists(), 10, "socat's pty pair")
        self.port = serial.Serial(str(far), self.baudrate, timeout=0.1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(4096)
            if not data:
                continue
            with self._lock:
                self.received += data
            if self.answer_status:  # every DLE EOT n gets one status byte: online, no error, paper in
                for _ in range(data.count(b"\x10\x04")):
                    self.port.write(b"\x12")

    def bytes(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.port.close()
        self.socat.terminate()
        self.socat.wait(5)
