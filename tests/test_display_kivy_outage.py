"""The Kivy wall in a real window (Xvfb) when the hub goes away and comes back (issue 12): the
day's previous calls are on the wall from the start (a restarted wall), the arrow comes from the
branch file, and a hub that stops answering turns the wall to its "disconnected" state, the big
number marked as the last one known, until the hub answers again.

The hub is real (127.0.0.1); between it and the wall stands a proxy the test can make go
silent: connections stay open and nothing comes through, as with a hung hub or a pulled cable,
which the event stream alone would notice only after 45 s.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from conftest import docs_dir, make_app, serve_in_thread
from display_support import FA, DisplayProcess
from navbat.foundation.hub_events import wait_until

pytestmark = [pytest.mark.gui,
              pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run")]
API = "/api/v1"
DOCS = docs_dir()


class SilentableProxy:
    """127.0.0.1:<port> → the hub. `hush()`: every byte either way is dropped (connections stay
    open); `restore()`: the hushed connections are closed and new ones pass again."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.hushed = threading.Event()
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
                upstream = socket.create_connection(self.upstream)
            except OSError:
                return
            with self.lock:
                self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.hushed.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()

    def hush(self) -> None:
        self.hushed.set()

    def restore(self) -> None:
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.hushed.clear()

    def close(self) -> None:
        self.listener.close()
        self.restore()


def test_a_silent_hub_turns_the_wall_to_disconnected_and_back(branch, tmp_path: Path) -> None:  # noqa: ANN001
    walls = [d.model_copy(update={"directions": {6: "right"}}) if d.name == "hall" else d for d in branch.displays]
    app = make_app(branch.model_copy(update={"displays": walls}), tmp_path / "outage.sqlite")
    url, stop = serve_in_thread(app)
    proxy = SilentableProxy(int(url.rsplit(":", 1)[1]))
    client = app.test_client()
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    token = client.post(f"{API}/login", json={"username": "clerk6", "pin": "6666", "counter": 6}).json["token"]
    clerk = {"Authorization": f"Bearer {token}"}
    client.post(f"{API}/counters/6/open", headers=clerk)
    numbers = []
    for i in range(3):  # the day so far: three visitors called and served before the wall starts
        client.post(f"{API}/tickets", json={"service": "PN1"}, headers={**kiosk, "Idempotency-Key": f"k{i}"})
        numbers.append(client.post(f"{API}/counters/6/next", headers=clerk).json["number"].translate(FA))
        client.post(f"{API}/counters/6/done", headers=clerk)
    shot = DOCS / "display-wall-disconnected-fa.png"
    shot.unlink(missing_ok=True)
    display = DisplayProcess(["--hub", proxy.url, "--display", "hall", "--voice", "none", "--screenshot", str(shot),
                              "--screenshot-when", "offline", "--screenshot-delay", "1"], tmp_path)
    try:
        assert wait_until(lambda: display.said("loaded") and display.said("connected to the hub"), 40), display.lines
        proxy.hush()
        assert wait_until(lambda: display.said("hub unreachable; reconnecting"), 20), display.lines
        assert wait_until(lambda: any(" shows " in line for line in display.lines), 20), display.lines
        proxy.restore()
        rc = display.finish(40)  # the app ends once the hub is back
    finally:
        display.finish(5)
        proxy.close()
        stop()
    assert rc == 0, display.lines
    shown = next(line for line in display.lines if " shows " in line)
    assert shown.endswith(f"number={numbers[2]!r} stale=True direction=right previous={numbers[1::-1]!r}"), shown
    said = [line for line in display.lines if "hub" in line]
    assert said[-3:] == ["navbat display: connected to the hub", "navbat display: hub unreachable; reconnecting",
                         "navbat display: connected to the hub"], display.lines
    assert shot.exists()
