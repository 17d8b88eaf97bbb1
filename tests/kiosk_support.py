"""Helpers the kiosk tests share (no tests here): a kiosk wired to a live hub, a proxy that loses answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from navbat.foundation.config import Branch
from navbat.foundation.hub_client import HubClient
from navbat.kiosk.printing import KioskPrinter
from navbat.kiosk.viewmodel import KioskModel


def file_printer(branch: Branch, folder: Path, queue_db: Path, hub: HubClient, **options: object) -> KioskPrinter:
    """The demo kiosk's file printer, writing into a temporary folder."""
    cfg = branch.printer(branch.kiosks[0].printer).model_copy(update={"path": str(folder)})
    return KioskPrinter(cfg, branch, hub.url, queue_db, report=hub.report_printer, **options).start()


def kiosk(branch: Branch, hub_url: str, token: str, tmp_path: Path, printer_folder: Path | None = None,
          **model_options: object) -> KioskModel:
    hub = HubClient(hub_url, token, timeout=(1.0, 3.0))
    printer = file_printer(branch, printer_folder or tmp_path / "tickets", tmp_path / "print-queue.sqlite", hub,
                           retry_first=0.2)
    return KioskModel(hub, printer, **model_options)


class AnswerDropper:
    """A TCP proxy to the hub that forwards requests but, while `drop` is set, closes the
    connection instead of passing the answer back: the hub acted, the kiosk never heard."""

    def __init__(self, upstream_port: int, drop: bool = True, drop_ticket_answers: int = 0) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.drop = drop
        self.ticket_answers_to_drop = drop_ticket_answers  # only answers to POST /api/v1/tickets
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        asked: dict[str, bool] = {"ticket": False}
        try:
            up = socket.create_connection(self.upstream)
        except OSError:  # the hub has gone (end of test): the client just sees a closed connection
            client.close()
            return
        with client, up:
            threading.Thread(target=self._copy, args=(client, up, asked), daemon=True).start()
            try:
                while data := up.recv(65536):
                    if self.drop:
                        return  # the hub answered, so it acted; the answer is lost on the way back
                    if asked["ticket"] and self.ticket_answers_to_drop > 0:
                        self.ticket_answers_to_drop -= 1
                        return
                    client.sendall(data)
            except OSError:
                pass

    @staticmethod
    def _copy(src: socket.socket, dst: socket.socket, asked: dict[str, bool]) -> None:
        try:
            while data := src.recv(65536):
                if data.startswith(b"POST "):
                    asked["ticket"] = data.startswith(b"POST /api/v1/tickets ")
                elif data[:4] in (b"GET ", b"PUT "):
                    asked["ticket"] = False
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    """`navbat hub` in its own process, so a test can kill it like a power cut and start it again."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        import subprocess
        import sys

        self.db, self.port = db, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        navbat = [sys.executable, "-m", "navbat"]
        out = subprocess.run([*navbat, "device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)],
                             capture_output=True, text=True, timeout=60, check=True)
        self.token = out.stdout.strip()
        self._cmd = [*navbat, "hub", "--db", str(db), "--port", str(self.port), "--ignore-hours"]
        self.proc: subprocess.Popen | None = None

    def start(self) -> HubProcess:
        import subprocess
        import time

        import requests

        self.proc = subprocess.Popen(self._cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/api/v1/health", timeout=0.5)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("the hub did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class FakeHub:
    def __init__(self, remote: Exception | dict, appointment: Exception | dict) -> None:
        self.remote, self.appointment, self.calls = remote, appointment, []

    def check_in(self, code: str) -> dict:
        self.calls.append(("remote", code))
        if isinstance(self.remote, Exception):
            raise self.remote
        return self.remote

    def check_in_appointment(self, code: str) -> dict:
        self.calls.append(("appointment", code))
        if isinstance(self.appointment, Exception):
            raise self.appointment
        return self.appointment


def gui_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "kivy-home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "SDL_AUDIODRIVER": "dummy",
            "KIVY_HOME": str(home)}


def with_display(cmd: list[str]) -> list[str]:
    """Under `make test` a display exists (xvfb-run); alone, bring our own."""
    if os.environ.get("DISPLAY"):
        return cmd
    return ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *cmd]


def run_kiosk(args: list[str], tmp_path: Path, limit: int = 90) -> subprocess.CompletedProcess:
    cmd = with_display(["timeout", "-k", "5", str(limit), sys.executable, *args])
    return subprocess.run(cmd, cwd=tmp_path, env=gui_env(tmp_path), capture_output=True, text=True, timeout=limit + 20)
