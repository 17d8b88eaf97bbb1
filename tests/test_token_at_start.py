"""A kiosk or a display with a wrong token says so on its first screen, within seconds of
starting, instead of at the first visitor's tap (issue 22): through the view-models against a
real hub, and the Kivy wall display in a real window."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from display_support import DisplayProcess
from navbat.counter_display.viewmodel import CounterModel, WallModel
from navbat.foundation.hub_client import HubClient
from navbat.kiosk.viewmodel import HOME, KioskModel


def test_a_kiosk_with_a_wrong_token_says_so_on_its_home_screen(live_hub) -> None:  # noqa: ANN001
    m = KioskModel(HubClient(live_hub.url, "not-a-token"))
    m.refresh()
    assert m.load_problem.kind == "bad_token" and m.load_problem.code == "unauthorized"
    assert m.screen == HOME and not m.load_problem.can_retry
    assert m.message(m.load_problem).startswith("رمز این دستگاه نوبت‌دهی را سامانه نمی‌پذیرد")
    m.set_lang("en")
    assert m.message(m.load_problem).startswith(
        "This kiosk's token is not accepted by the ticket system (unauthorized)")
    assert "navbat device add NAME --role kiosk" in m.message(m.load_problem)  # the fix, for the IT person
    m.open_unit("premium")  # a tap on the (hidden) home screen leads nowhere
    assert m.screen == HOME and m.units == []


def test_a_display_token_on_a_kiosk_is_named_and_a_good_one_loads(live_hub) -> None:  # noqa: ANN001
    m = KioskModel(HubClient(live_hub.url, live_hub.app.config["DISPLAY_TOKEN"]), lang="en")
    m.refresh()
    assert m.load_problem.code == "not_a_kiosk"
    good = KioskModel(HubClient(live_hub.url, live_hub.app.config["KIOSK_TOKEN"]))
    good.refresh()
    assert good.load_problem is None and good.token_ok and good.home_cards()


@pytest.mark.parametrize("lang,start", [("fa", "رمز این نمایشگر پذیرفته نشد؛ رمز تازه لازم است."),
                                        ("en", "This display's token was refused (unauthorized): it needs a new one.")])
def test_the_display_models_show_a_refused_token_across_the_screen(lang: str, start: str) -> None:
    for model in (WallModel(lang), CounterModel(3, lang)):
        model.set_online(True)
        assert model.view().status == "" and model.view().online
        model.token_problem = "unauthorized"
        view = model.view()
        assert not view.online and view.status == start, view.status  # the band across the screen, one line


@pytest.mark.gui
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run")
def test_the_kivy_wall_says_a_refused_token_within_seconds(live_hub, tmp_path: Path) -> None:  # noqa: ANN001
    shot = tmp_path / "wall.png"
    started = time.monotonic()
    display = DisplayProcess(["--hub", live_hub.url, "--token", "not-a-token", "--voice", "none", "--screenshot",
                              str(shot), "--screenshot-delay", "1"], tmp_path)
    assert display.finish(60) == 0, "\n".join(display.lines)
    said = next(line for line in display.lines if "the hub refuses this display's token (unauthorized)" in line)
    assert "navbat device add NAME --role display" in said
    assert display.lines.index(said) < next(i for i, line in enumerate(display.lines) if "screenshot" in line)
    assert shot.stat().st_size > 0 and time.monotonic() - started < 60


@pytest.mark.gui
def test_the_kivy_kiosk_shows_the_refusal_instead_of_its_units(live_hub, tmp_path: Path) -> None:  # noqa: ANN001
    from kiosk_support import run_kiosk
    from PIL import Image

    colours = {}
    for name, token in (("good", live_hub.app.config["KIOSK_TOKEN"]), ("wrong", "not-a-token")):
        png = tmp_path / f"home-{name}.png"
        out = run_kiosk(["-m", "navbat", "kiosk", "--hub", live_hub.url, f"--token={token}", "--no-printer",
                         "--screenshot", str(png), "--lang", "en"], tmp_path, 60)
        assert out.returncode == 0, out.stderr[-3000:]
        with Image.open(png) as img:
            colours[name] = len(img.convert("RGB").getcolors(maxcolors=1 << 20))
    # the unit tiles' colours and icons are gone: one message on the plain background
    assert colours["wrong"] < colours["good"] / 2, colours
