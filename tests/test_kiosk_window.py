"""The kiosk in a real window (Xvfb): a visitor taps through a whole visit (issue 6, V2).

Kivy runs in a subprocess under `timeout` (python -m navbat.kiosk.autopilot), so a hung window
cannot block pytest; the hub runs here, on a real socket, so the test counts its tickets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kiosk_support import (
    AnswerDropper,
    run_kiosk,  # noqa: F401
)
from PIL import Image

pytestmark = pytest.mark.gui


def autopilot(hub_url: str, token: str, tmp_path: Path, printer_folder: Path, *extra: str) -> dict:
    # --token=: a token may start with "-", which argparse would take for an option.
    out = run_kiosk(["-m", "navbat.kiosk.autopilot", "--hub", hub_url, f"--token={token}",
                     "--printer-folder", str(printer_folder), "--queue-db", str(tmp_path / "queue.sqlite"),
                     *extra], tmp_path)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the kiosk (exit {out.returncode}):\n{out.stderr[-3000:]}"
    return json.loads(lines[-1])


def tickets(app) -> list[dict]:  # noqa: ANN001
    return list(app.extensions["navbat.hub"].floor.db.query("SELECT * FROM tickets"))


def test_a_visit_in_the_window_issues_once_and_prints_once(live_hub, tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / "tickets"
    log = autopilot(live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path, folder, "--priority", "elderly")
    assert log["error"] is None, log
    assert log["screens"] == ["home", "unit", "service", "ticket", "home"]
    assert log["number"] == "۵۰۱" and log["print_state"] == "ok" and log["problems"] == []
    # read aloud (S1): the home screen's guidance, then the number itself and what to do next
    assert log["spoken"] == [["guide-home"], ["guide-ticket", "500", "and", "1", "|", "guide-after"]]
    rows = tickets(live_hub.app)  # "take a ticket" was tapped twice: one ticket
    assert len(rows) == 1 and rows[0]["service"] == "PN1" and rows[0]["priority"] == "elderly"
    assert sorted(p.name for p in folder.iterdir()) == ["501.bin", "501.png"]  # printed once
    assert (folder / "501.bin").read_bytes().startswith(b"\x1b@")  # ESC @: a real ESC/POS job
    assert log["window"] == [1280, 800]
    assert log["overflow"] == [] and log["smallest_target_px"] >= 90  # 9 mm at 96 dpi is 34 px


def test_lost_answer_in_the_window_then_try_again_gives_one_ticket(live_hub, tmp_path) -> None:  # noqa: ANN001
    port = int(live_hub.url.rsplit(":", 1)[1])
    proxy = AnswerDropper(port, drop=False, drop_ticket_answers=1)
    try:
        folder = tmp_path / "tickets"
        log = autopilot(proxy.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path, folder,
                        "--unit", "finance", "--service", "FN1")
    finally:
        proxy.close()
    assert log["error"] is None, log
    assert len(log["problems"]) == 1 and "پاسخ نمی‌دهد" in log["problems"][0]  # "not answering", in Persian
    assert log["number"] == "F-۰۰۱" and log["print_state"] == "ok"
    assert len(tickets(live_hub.app)) == 1  # the retry reused the key
    assert sorted(p.name for p in folder.iterdir()) == ["F-001.bin", "F-001.png"]


def test_printer_down_in_the_window_says_note_the_number(live_hub, tmp_path) -> None:  # noqa: ANN001
    blocker = tmp_path / "no-paper"
    blocker.write_text("a file where the printer's folder should be: the printer cannot be opened")
    log = autopilot(live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path, blocker,
                    "--unit", "insured", "--service", "IN2", "--lang", "en")
    assert log["error"] is None, log
    assert log["print_state"] == "failed" and "note your number" in log["note"]
    assert log["number"] == "201" and len(tickets(live_hub.app)) == 1
    status = list(live_hub.app.extensions["navbat.hub"].floor.db.query(
        "SELECT status FROM device_status WHERE name='kiosk-1-printer'"))
    assert status == [{"status": "offline"}]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_unit_and_sub_service_screen_fits(live_hub, tmp_path, lang) -> None:  # noqa: ANN001
    """Each of the 17 sub-services' confirm screens and the 5 unit screens: no text cut off or spilling
    over other widgets, and every touch target far above 9 mm."""
    log = autopilot(live_hub.url, live_hub.app.config["KIOSK_TOKEN"], tmp_path, tmp_path / "t", "--tour",
                    "--lang", lang)
    assert log["error"] is None, log
    assert len([s for s in log["screens"] if s.startswith("service:")]) == 17
    assert log["overflow"] == []
    assert log["smallest_target_px"] >= 90
    assert tickets(live_hub.app) == []


@pytest.mark.parametrize(("screen", "lang"), [("home", "fa"), ("service", "en")])
def test_screenshot_mode_writes_the_screen(live_hub, tmp_path, screen, lang) -> None:  # noqa: ANN001
    png = tmp_path / f"kiosk-{screen}-{lang}.png"
    out = run_kiosk(["-m", "navbat", "kiosk", "--hub", live_hub.url, f"--token={live_hub.app.config['KIOSK_TOKEN']}",
                     "--no-printer", "--screenshot", str(png), "--screen", screen, "--lang", lang], tmp_path, 60)
    assert out.returncode == 0, out.stderr[-3000:]
    with Image.open(png) as img:
        assert img.size == (1280, 800)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # drawn, not a blank window


def test_screenshot_of_a_dead_hub_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = run_kiosk(["-m", "navbat", "kiosk", "--hub", f"http://127.0.0.1:{port}", "--token", "x", "--no-printer",
                     "--screenshot", str(tmp_path / "x.png")], tmp_path, 60)
    assert out.returncode == 1 and "did not answer" in out.stderr
