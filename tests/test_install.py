"""From a wheel to a working branch (issue 14, Must show): `scripts/bundle.sh` (= `make bundle`)
builds the wheel and a wheelhouse with every dependency; a fresh virtual environment in an empty
folder installs from it offline, and there the hub runs the packaged demo branch, the printer
prints the Persian slip, the kiosk draws its screen under Xvfb, /display loads its font in
Chromium, and site-packages holds `navbat` and third-party packages only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from bundle_support import build_bundle, fresh_venv, pip_offline
from conftest import chromium
from hub_process_support import readable
from PIL import Image, ImageChops

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
# The design card's folders: in the repository at the top, installed only under navbat.
FOLDERS = ("server", "printer", "queueing", "kiosk", "foundation", "counter_display", "assets", "config", "hq")


@dataclass
class Install:
    venv: Path
    cwd: Path  # an empty folder, far from the source tree
    bundle: Path
    version: str  # the bundle's, in its name

    def navbat(self, *args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.venv / "bin/navbat"), *args], cwd=self.cwd, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Install:
    """Built (shared with tests/test_upgrade.py) and installed once for the whole session."""
    bundle = build_bundle(tmp_path_factory)
    # Unpacked where a branch PC would, then installed with no index at all.
    site = tmp_path_factory.mktemp("branch-pc")
    venv = fresh_venv(site / "venv")
    began = time.monotonic()
    pip = pip_offline(venv, "install", "-q", "--no-index", "--find-links", str(bundle.wheelhouse),
                      "navbat[gui,printers]")
    assert pip.returncode == 0, pip.stderr[-3000:]
    cwd = site / "empty"
    cwd.mkdir()
    print(f"offline install: {time.monotonic() - began:.1f} s")
    return Install(venv, cwd, bundle.tarball, bundle.version)


def test_site_packages_has_navbat_and_third_party_packages_only(installed: Install) -> None:
    script = """
import json, site, importlib.metadata as md
owners = {}
for dist in md.distributions():
    for f in dist.files or ():
        top = f.parts[0]
        if top != '..':
            owners.setdefault(top, set()).add(dist.metadata['Name'])
print(json.dumps({'site': site.getsitepackages()[0], 'owners': {k: sorted(v) for k, v in owners.items()}}))
"""
    got = json.loads(subprocess.check_output([str(installed.venv / "bin/python"), "-c", script], cwd=installed.cwd))
    top = sorted(p.name for p in Path(got["site"]).iterdir() if p.name != "__pycache__")
    ours = sorted(name for name, dists in got["owners"].items() if "navbat" in dists)
    assert ours == ["navbat", f"navbat-{installed.version}.dist-info"]
    assert installed.navbat("--version").stdout == f"navbat {installed.version}\n"  # the bundle's name says it
    assert not set(FOLDERS) & set(top)
    unowned = [name for name in top if name not in got["owners"] and not name.endswith(".pth")]
    assert unowned == []  # everything else at the top is some installed third-party distribution's


def _start_hub(installed: Install, db: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([str(installed.venv / "bin/navbat"), "hub", "--db", str(db), "--port", "0",
                             "--ignore-hours"], cwd=installed.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode() if readable(proc.stdout, 60) else ""
    match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) \((\w+)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"hub did not start: {line!r} {proc.stderr.read().decode()[-2000:]}")
    return proc, match[1]


@pytest.fixture(scope="module")
def hub(installed: Install) -> Iterator[tuple[str, str]]:
    """The installed hub on the packaged demo branch (no --config); yields (url, kiosk token)."""
    db = installed.cwd / "hub.sqlite"
    token = installed.navbat("device", "add", "kiosk-1", "--role", "kiosk", "--db", str(db)).stdout.strip()
    proc, url = _start_hub(installed, db)
    yield url, token
    proc.terminate()
    proc.wait(20)


def test_hub_runs_the_packaged_demo_branch(installed: Install, hub: tuple[str, str]) -> None:
    url, token = hub
    assert requests.get(f"{url}/api/v1/health", timeout=10).json() == {"status": "ok", "version": installed.version}
    from navbat.foundation.config import load_config
    assert requests.get(f"{url}/api/v1/branch", timeout=10).json()["id"] == load_config().branch.id
    r = requests.post(f"{url}/api/v1/tickets", json={"service": "PR1"}, timeout=10,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "install-1"})
    assert r.status_code == 201, r.text
    assert re.fullmatch(r"\S+", r.json()["number"])
    # Persian pages from the installed catalogues and templates.
    assert "lang=\"fa\"" in requests.get(f"{url}/t/{r.json()['tracking_code']}", timeout=10).text


def test_init_branch_writes_the_demo_file_to_edit(installed: Install) -> None:
    out = installed.navbat("init-branch", "site")
    assert out.returncode == 0, out.stderr
    assert (installed.cwd / "site/branches.yaml").read_bytes() == (REPO / "config/branches.yaml").read_bytes()
    assert installed.navbat("init-branch", "site").returncode == 1  # never overwrites an edited file


def test_printer_test_prints_the_persian_slip(installed: Install, tmp_path: Path) -> None:
    out = installed.navbat("printer", "test")
    assert out.returncode == 0, out.stderr
    assert "printed test ticket A-012 on kiosk-1-printer (file, 80 mm)" in out.stdout
    assert (installed.cwd / "var/tickets/A-012.png").stat().st_size > 5_000
    data = (installed.cwd / "var/tickets/A-012.bin").read_bytes()
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x00") and len(data) < 10_000
    # The same slip, drawn by the installed package and by the source tree at one fixed time:
    # the same pixels, so the packaged font and catalogue shaped the same Persian text.
    at = "2026-11-22T06:35Z"
    assert installed.navbat("printer", "preview", str(tmp_path / "wheel.png"), "--at", at).returncode == 0
    subprocess.run([sys.executable, "-m", "navbat", "printer", "preview", str(tmp_path / "tree.png"), "--at", at],
                   check=True, cwd=REPO, capture_output=True)
    wheel, tree = Image.open(tmp_path / "wheel.png"), Image.open(tmp_path / "tree.png")
    assert wheel.size == tree.size and ImageChops.difference(wheel.convert("L"), tree.convert("L")).getbbox() is None
    en = installed.navbat("printer", "preview", str(tmp_path / "en.png"), "--at", at, "--lang", "en")
    assert en.returncode == 0 and Image.open(tmp_path / "en.png").tobytes() != wheel.tobytes()


@pytest.mark.gui
def test_kiosk_screenshot_under_xvfb(installed: Install, hub: tuple[str, str], tmp_path: Path) -> None:
    url, token = hub
    shot = tmp_path / "kiosk.png"
    env = {"KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "SDL_AUDIODRIVER": "dummy",
           "KIVY_HOME": str(tmp_path / "kivy-home")}
    out = installed.navbat("kiosk", "--hub", url, "--token", token, "--screenshot", str(shot), "--screen", "home",
                           "--lang", "fa", "--no-printer", env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.width >= 800 and len(image.getcolors(1 << 20) or ()) > 50  # a drawn screen, not a blank one


@pytest.mark.browser
def test_display_page_loads_its_font_in_chromium(hub: tuple[str, str]) -> None:
    url, _ = hub
    with chromium() as browser:
        page = browser.new_page()
        fonts = []
        page.on("response", lambda r: fonts.append((r.url, r.status)) if r.url.endswith(".ttf") else None)
        page.goto(f"{url}/display?voice=")
        loaded = page.evaluate("""async () => { await document.fonts.ready;
            await document.fonts.load('700 40px Vazirmatn', 'نوبت');
            return [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Vazirmatn' && f.status === 'loaded')
                                      .map(f => f.weight); }""")
        assert "700" in loaded and page.evaluate("document.fonts.check('700 40px Vazirmatn', 'نوبت')")
        assert fonts and all(status == 200 for _, status in fonts)
