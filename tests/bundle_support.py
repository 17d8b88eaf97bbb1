"""The bundle (`make bundle`, scripts/bundle.sh) built once per test session, and fresh virtual
environments that install from it with no index at all: tests/test_install.py installs the branch
PC from it, tests/test_upgrade.py upgrades an older release with it."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# pip with no configuration and no index: only the folders it is given (a branch without internet)
OFFLINE = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}


@dataclass(frozen=True)
class Bundle:
    tarball: Path  # navbat-bundle-<version>.tar.gz
    version: str
    wheelhouse: Path  # the tarball unpacked: every wheel a branch needs, navbat's among them


@functools.cache
def build_bundle(out: Path) -> Bundle:
    """scripts/bundle.sh into `out` (once per session), its tarball unpacked as a branch would."""
    built = subprocess.run(["bash", str(REPO / "scripts/bundle.sh"), str(out)], capture_output=True, text=True,
                           timeout=900, env={**os.environ, "PYTHON": sys.executable})
    assert built.returncode == 0, built.stderr[-3000:]
    tarball = Path(built.stdout.strip().splitlines()[-1])
    version = tarball.name.removeprefix("navbat-bundle-").removesuffix(".tar.gz")
    site = out / "unpacked"
    site.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(site)], check=True)
    return Bundle(tarball, version, site / "wheelhouse")


def fresh_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where


def pip_offline(venv: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin/pip"), *args], capture_output=True, text=True, timeout=timeout,
                          env=OFFLINE)
