#!/usr/bin/env bash
# Installs what Navbat needs on a fresh Debian 12 with Python 3.11: system packages
# (as root, or through sudo), then a virtual environment with the project in it.
set -euo pipefail
cd "$(dirname "$0")/.."

# systemd and cage: `systemd-analyze verify` of the generated units needs their ExecStart binaries.
APT_PACKAGES=(python3-venv xvfb xauth libgl1 libegl1 libgl1-mesa-dri chromium socat espeak-ng sox systemd cage postgresql)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches axe-core below; a machine whose Node.js comes from elsewhere (NodeSource's nodejs
# carries its own npm and conflicts with Debian's) already has the command.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
# a venv left half-made (an interrupted set-up) is made again
[ -x .venv/bin/pip ] || "$PYTHON" -m venv --clear .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
# What building the wheel takes, in the venv: pyproject.toml's build requirements (scripts/install-wheel.sh
# builds without isolation: quick) and Babel, which compiles the catalogues into it (scripts/catalogues.sh).
.venv/bin/pip install -q "setuptools>=68" wheel "babel>=2.14"
# The project as the wheel a branch gets, with its dependencies and the dev tools. Never editable:
# the tests see exactly what ships (scripts/run-tests.sh reinstalls the wheel when the tree changed).
EXTRAS=dev bash scripts/install-wheel.sh --force

# axe-core, the accessibility engine the browser tests inject into each page (tests/axe.py):
# only its one file, from the npm registry, pinned.
AXE_VERSION=4.14.1
AXE_DIR=var/axe-core
if [ ! -f "$AXE_DIR/axe-$AXE_VERSION.min.js" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
  mkdir -p "$AXE_DIR"
  tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp" package/axe.min.js package/LICENSE
  mv "$tmp/package/axe.min.js" "$AXE_DIR/axe-$AXE_VERSION.min.js"
  mv "$tmp/package/LICENSE" "$AXE_DIR/LICENSE"
  rm -rf "$tmp"
fi
