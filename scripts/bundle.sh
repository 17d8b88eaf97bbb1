#!/usr/bin/env bash
# `make bundle`: the navbat wheel and a wheelhouse with every dependency (hub, kiosks, displays:
# the gui extra), as one tarball to carry to a branch without internet. Usage: scripts/bundle.sh [OUT]
# OUT/dist/navbat-<v>-py3-none-any.whl, OUT/wheelhouse/*.whl, OUT/navbat-bundle-<v>.tar.gz (and its .sha256)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-var/bundle}")
PY=${PYTHON:-.venv/bin/python}
EXTRAS=${EXTRAS:-gui,printers}

PYTHON=$PY bash scripts/catalogues.sh                  # the .mo files go into the wheel
rm -rf build "$OUT/dist" "$OUT/wheelhouse"             # setuptools' build/ keeps files deleted since
"$PY" -m pip wheel -q --no-deps -w "$OUT/dist" .
wheel=$(ls "$OUT"/dist/navbat-*.whl)
version=$(basename "$wheel" | cut -d- -f2)
# Every dependency as a wheel (from pip's cache when it has them), the navbat wheel among them.
"$PY" -m pip wheel -q -w "$OUT/wheelhouse" "$wheel[$EXTRAS]"
tar -czf "$OUT/navbat-bundle-$version.tar.gz" -C "$OUT" wheelhouse
# to check the copy that reached the branch: sha256sum -c navbat-bundle-<v>.tar.gz.sha256
(cd "$OUT" && sha256sum "navbat-bundle-$version.tar.gz" > "navbat-bundle-$version.tar.gz.sha256")
echo "$OUT/navbat-bundle-$version.tar.gz"
