"""The Kivy wall display in a real window (Xvfb) against a live hub: it receives the calls,
shows the latest one large, and speaks them in order. Also the screen above one counter.

Kivy runs in a subprocess (`python -m navbat display`) with a timeout; announcements go
to WAV files (--audio-out) so the test hears exactly what the hall would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import docs_dir
from display_support import FA, DisplayProcess
from navbat.foundation import speech
from navbat.foundation.hub_events import wait_until
from PIL import Image

pytestmark = [pytest.mark.gui,
              pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run")]
DOCS = docs_dir()


def test_wall_display_window_receives_calls_and_speaks_them_in_order(live_hub, actions, tmp_path: Path) -> None:
    a3, a5 = actions.open_counter(3), actions.open_counter(5)
    for service in ("IN1", "IN2", "RG1", "RG2"):
        actions.issue(service)
    audio, shot = tmp_path / "audio", DOCS / "display-wall-fa.png"
    shot.unlink(missing_ok=True)
    display = DisplayProcess(["--hub", live_hub.url, "--audio-out", str(audio), "--screenshot", str(shot),
                              "--screenshot-delay", "4"], tmp_path)
    try:
        assert wait_until(lambda: display.said("loaded") and display.said("connected to the hub"), 40), display.lines
        client = actions.client
        first = client.post("/api/v1/counters/3/next", headers=a3).json["number"]
        second = client.post("/api/v1/counters/5/next", headers=a5).json["number"]
        client.post("/api/v1/counters/3/recall", headers=a3)
        rc = display.finish(60)
    finally:
        display.finish(5)
    assert rc == 0, display.lines
    calls = [line for line in display.lines if line.startswith("navbat display: call ")]
    assert calls == [f"navbat display: call {first} -> counter 3", f"navbat display: call {second} -> counter 5",
                     f"navbat display: call {first} -> counter 3 (recall)"]
    heard = sorted(audio.glob("*.wav"))
    assert [p.name for p in heard] == [f"001-{first}-3.wav", f"002-{second}-5.wav", f"003-{first}-3.wav"]
    for path, (number, counter) in zip(heard, [(first, 3), (second, 5), (first, 3)], strict=True):
        assert path.read_bytes() == speech.announcement_wav(number, counter, ("fa",))
    # the recalled ticket is back on top of the screen, in Persian digits
    shown = next(line for line in display.lines if line.startswith("navbat display: screenshot"))
    assert f"number={first.translate(FA)!r} stale=False direction=- previous=[{second.translate(FA)!r}]" in shown
    with Image.open(shot) as img:
        assert img.size == (1280, 800)
        colours = img.convert("RGB").resize((64, 40)).getcolors(64 * 40)
        assert colours is not None and len(colours) > 20  # drawn, not a blank window


def test_counter_display_shows_its_ticket_and_sub_services(live_hub, actions, tmp_path: Path) -> None:
    auth = actions.open_counter(6)
    actions.issue("PN4")
    number = actions.client.post("/api/v1/counters/6/next", headers=auth).json["number"]
    shot = DOCS / "display-counter-fa.png"
    shot.unlink(missing_ok=True)
    display = DisplayProcess(["--hub", live_hub.url, "--counter", "6", "--screenshot", str(shot),
                              "--screenshot-delay", "1"], tmp_path)
    rc = display.finish(60)
    assert rc == 0, display.lines
    shown = next(line for line in display.lines if line.startswith("navbat display: screenshot"))
    assert shown.endswith(f"number={number.translate(FA)!r}")
    assert shot.exists()


def test_display_cli_refuses_bad_options(tmp_path: Path) -> None:
    env = {**os.environ}
    for args, message in ((["--hub", "127.0.0.1:8080"], "--hub must be an http:// URL"),
                          (["--voice", "de"], "--voice takes fa, en, fa,en or none"),
                          (["--led", "nope"], "no serial LED display 'nope'"),
                          (["--led", "led-1"], "cannot open /dev/ttyUSB1")):
        r = subprocess.run([sys.executable, "-m", "navbat", "display", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode in (1, 2) and message in r.stderr, (args, r.stderr)
