"""The Kivy wall's layout holds (issue 24): after ten calls (seven earlier ones listed), with a unit's
very long name, at 1280x720, 1366x768, 1920x1080 and 3840x2160 no text is larger than its box and no
box spills out of its column or the window. Each size runs in an X server of that size (Xvfb), and
the wall logs what does not fit (counter_display/fit.py) with its screenshot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from conftest import PINS, LiveHub, docs_dir, loose_branch_file, make_app, serve_in_thread
from navbat.foundation.config import load_config
from navbat.server.hub import EXTENSION
from PIL import Image

pytestmark = [pytest.mark.gui]
DOCS = docs_dir()
LONG_FA = "نام‌نویسی، حساب‌های انفرادی، گواهی سوابق و ادغام سوابق بیمه‌شدگان و کارفرمایان"
LONG_EN = "Registration, individual accounts, insurance record statements and merging of records"


@pytest.fixture
def long_names_hub(tmp_path: Path) -> Iterator[LiveHub]:
    raw = yaml.safe_load(loose_branch_file(tmp_path).read_text(encoding="utf-8"))  # ten tickets in a second
    unit = next(u for u in raw["units"] if u["code"] == "registration")
    unit["name"] = {"fa": LONG_FA, "en": LONG_EN}
    path = tmp_path / "long-names.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    app = make_app(load_config(path), tmp_path / "hub.sqlite")
    url, stop = serve_in_thread(app)
    yield LiveHub(app, url)
    stop()
    app.extensions[EXTENSION].stop()


def ten_calls(hub: LiveHub) -> list[str]:
    """Five counters call two visitors each: the wall shows one and lists the seven before it."""
    s = requests.Session()
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}"}
    for n in range(12):
        r = s.post(f"{hub.url}/api/v1/tickets", json={"service": ["PR1", "IN1", "RG1", "PN1", "FN1"][n % 5]},
                   headers={**kiosk, "Idempotency-Key": f"k{n}"}, timeout=10)
        assert r.status_code == 201, r.text
    clerks = {}
    for c in range(1, 6):
        r = s.post(f"{hub.url}/api/v1/login", json={"username": f"clerk{c}", "pin": PINS[f"clerk{c}"], "counter": c},
                   timeout=10)
        clerks[c] = {"Authorization": f"Bearer {r.json()['token']}"}
        assert s.post(f"{hub.url}/api/v1/counters/{c}/open", headers=clerks[c], timeout=10).status_code == 200
    called = []
    for _round in range(2):
        for c in range(1, 6):
            r = s.post(f"{hub.url}/api/v1/counters/{c}/next", headers=clerks[c], timeout=10)
            assert r.status_code == 200, r.text
            called.append(r.json()["number"])
            s.post(f"{hub.url}/api/v1/counters/{c}/done", headers=clerks[c], timeout=10)
    return called


def run_wall(hub: LiveHub, size: str, lang: str, shot: Path, tmp_path: Path) -> list[str]:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "SDL_AUDIODRIVER": "dummy",
           "KIVY_HOME": str(tmp_path / "kivy-home")}
    env.pop("DISPLAY", None)
    # an X server as large as the wall: the session's Xvfb is 1280x800
    r = subprocess.run(["xvfb-run", "-a", "-s", f"-screen 0 {size}x24", sys.executable, "-m", "navbat", "display",
                        "--hub", hub.url, "--size", size, "--lang", lang, "--voice", "none",
                        "--screenshot", str(shot), "--screenshot-delay", "2"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    return r.stdout.splitlines()


@pytest.mark.parametrize("size", ["1280x720", "1366x768", "1920x1080", "3840x2160"])
def test_the_wall_keeps_its_layout_after_ten_calls(long_names_hub: LiveHub, tmp_path: Path, size: str) -> None:
    called = ten_calls(long_names_hub)
    for lang in ("fa", "en") if size == "1280x720" else ("fa",):
        shot = DOCS / f"display-wall-{size}-{lang}.png"
        lines = run_wall(long_names_hub, size, lang, shot, tmp_path)
        layout = next((line for line in lines if line.startswith(f"navbat display: layout {size}:")), None)
        assert layout == f"navbat display: layout {size}: fits", (layout, lines[-20:])
        shown = next(line for line in lines if line.startswith("navbat display: screenshot"))
        listed = re.search(r"previous=\[(.*)\]", shown).group(1).split(", ")
        assert len(listed) == 7  # the latest call large, the seven before it listed
        digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹") if lang == "fa" else {}
        assert [n.strip("'") for n in listed] == [n.translate(digits) for n in reversed(called[1:-1])][:7]
        width, height = (int(v) for v in size.split("x"))
        with Image.open(shot) as img:
            assert img.size == (width, height)
