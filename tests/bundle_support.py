"""The bundle (`make bundle`, scripts/bundle.sh) built once per test run, and fresh virtual
environments that install from it with no index at all: tests/test_install.py installs the branch
PC from it, tests/test_upgrade.py upgrades an older release with it."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parent.parent
# pip with no configuration and no index: only the folders it is given (a branch without internet)
OFFLINE = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}


@dataclass(frozen=True)
class Bundle:
    tarball: Path  # navbat-bundle-<version>.tar.gz
    version: str
    wheelhouse: Path  # the tarball unpacked: every wheel a branch needs, navbat's among them


@functools.cache
def build_bundle(tmp_path_factory: pytest.TempPathFactory, extras: str = "gui,printers") -> Bundle:
    """scripts/bundle.sh with those extras, once per test run: the first test to ask builds it into the
    run's temporary folder, under a file lock that the pytest-xdist workers share (bundle.sh builds in
    the tree's build/ folder, so never two at once); the others find it there. Its tarball is unpacked
    as a branch would."""
    base = tmp_path_factory.getbasetemp()
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common folder
    out = run / f"bundle-{extras.replace(',', '-')}"
    with FileLock(run / "bundle.lock"):
        made = out / "made.json"
        if not made.exists():
            env = {**os.environ, "PYTHON": sys.executable, "EXTRAS": extras}
            built = subprocess.run(["bash", str(REPO / "scripts/bundle.sh"), str(out)], capture_output=True,
                                   text=True, timeout=900, env=env)
            assert built.returncode == 0, built.stderr[-3000:]
            tarball = Path(built.stdout.strip().splitlines()[-1])
            site = out / "unpacked"
            site.mkdir()
            subprocess.run(["tar", "-xzf", str(tarball), "-C", str(site)], check=True)
            made.write_text(json.dumps({"tarball": str(tarball), "wheelhouse": str(site / "wheelhouse")}))
        paths = json.loads(made.read_text())
    tarball = Path(paths["tarball"])
    version = tarball.name.removeprefix("navbat-bundle-").removesuffix(".tar.gz")
    return Bundle(tarball, version, Path(paths["wheelhouse"]))


def fresh_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where


def pip_offline(venv: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin/pip"), *args], capture_output=True, text=True, timeout=timeout,
                          env=OFFLINE)
