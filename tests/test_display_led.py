"""Serial LED number boards on a socat pseudo-terminal pair: what reaches the wire."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from navbat.counter_display.led import LedBoard, LedFollower, encode_plain, encode_stx, open_serial
from navbat.counter_display.ledrun import follow
from navbat.foundation.hub_events import wait_until

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="needs socat (apt-get install socat)")


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[str, serial.Serial]]:
    """(board side path for the driver, the board's end opened with pyserial)."""
    a, b = tmp_path / "display", tmp_path / "board"
    proc = subprocess.Popen(["socat", "-d", "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: a.exists() and b.exists(), 5)
        board_end = serial.Serial(str(b), 9600, timeout=0.1)
        yield str(a), board_end
        board_end.close()
    finally:
        proc.terminate()
        proc.wait(5)


def read_all(port: serial.Serial, until: bytes, timeout: float = 5.0) -> bytes:
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and not data.endswith(until):
        data += port.read(64)
    return data


def test_protocol_bytes() -> None:
    assert encode_plain("A-012", 3) == b"A012\r\n"
    assert encode_plain(None, 3) == b"\r\n"
    frame = encode_stx("102", 3)
    assert frame[:1] == b"\x02" and frame[-2:-1] == b"\x03"
    assert frame[1:-2] == b"03 102"
    check = 0
    for byte in b"03 102":
        check ^= byte
    assert frame[-1] == check
    with pytest.raises(ValueError):
        LedBoard(open_serial("loop://", 9600), "morse")


@pytest.mark.parametrize("protocol", ["plain", "stx"])
def test_board_receives_numbers_over_a_real_serial_line(pty_pair, protocol: str) -> None:  # noqa: ANN001
    path, board_end = pty_pair
    board = LedBoard(open_serial(path, 9600), protocol, address=7)
    board.show("101")
    board.show(None)
    board.close()
    want = encode_plain("101", 7) + encode_plain(None, 7) if protocol == "plain" else \
        encode_stx("101", 7) + encode_stx(None, 7)
    got = read_all(board_end, want[-3:])
    assert got == want


def test_follower_shows_calls_at_its_counter_and_blanks_when_done(pty_pair, live_hub, actions) -> None:  # noqa: ANN001
    path, board_end = pty_pair
    auth = actions.open_counter(1)
    actions.issue("PR1")
    actions.issue("PR2")
    other = actions.open_counter(2)
    actions.issue("PR1")
    follower = LedFollower(LedBoard(open_serial(path, 9600), "plain", address=1), 1)
    stop, ready = threading.Event(), threading.Event()
    runner = threading.Thread(target=follow, args=(live_hub.url, follower, stop, ready))
    runner.start()
    try:
        assert ready.wait(10)
        assert read_all(board_end, b"\r\n") == b"\r\n"  # seeded: nobody at counter 1 yet
        client = actions.client
        first = client.post("/api/v1/counters/1/next", headers=auth).json["number"]
        client.post("/api/v1/counters/2/next", headers=other)  # another counter: not on this board
        client.post("/api/v1/counters/1/recall", headers=auth)
        client.post("/api/v1/counters/1/done", headers=auth)
        second = client.post("/api/v1/counters/1/next", headers=auth).json["number"]
        wire = read_all(board_end, encode_plain(second, 1))
    finally:
        stop.set()
        runner.join(10)
    lines = re.findall(rb"([^\r\n]*)\r\n", wire)
    # call, recall (shown again), done (blank), next call; counter 2's call never reaches this board
    assert [line.decode() for line in lines] == [first.replace("-", ""), first.replace("-", ""), "",
                                                 second.replace("-", "")]


def test_navbat_display_led_stops_cleanly_on_sigterm(pty_pair, live_hub, tmp_path: Path) -> None:  # noqa: ANN001
    """`systemctl stop` sends SIGTERM: the board's process closes its port and exits 0, not killed by the
    signal (-15), which the branch day of issue 22 found."""
    import signal
    import sys

    import yaml
    from navbat.foundation.config import DEFAULT_CONFIG

    path, board_end = pty_pair
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    next(d for d in data["displays"] if d["name"] == "led-1")["serial"]["port"] = path
    site = tmp_path / "branches.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True))
    proc = subprocess.Popen([sys.executable, "-m", "navbat", "display", "--hub", live_hub.url, "--led", "led-1",
                             "--config", str(site)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert read_all(board_end, b"\r\n", timeout=30) == b"\r\n"  # seeded: counter 1 has nobody
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
