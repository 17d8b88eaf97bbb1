#!/usr/bin/env bash
# Builds the navbat wheel from this tree and installs it (not editable) into .venv, so the tests
# import exactly what ships: code, templates, kv, catalogues, assets from site-packages.
# Skipped when nothing under the packages changed since the last install (var/wheel/.tree).
# Usage: [EXTRAS=dev] scripts/install-wheel.sh [--force]   (EXTRAS: also install those extras' dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=var/wheel
# Every folder setup.cfg maps into the navbat package, and what decides the build.
SOURCES=(navbat foundation server queueing printer kiosk counter_display assets config hq setup.cfg pyproject.toml
         README.md)

PYTHON=$PY bash scripts/catalogues.sh
tree=$( { git ls-files -z -co --exclude-standard -- "${SOURCES[@]}" | xargs -0 sha1sum;
          find foundation/locale -name '*.mo' -print0 | xargs -0 sha1sum; } | sha1sum | cut -c1-40)
if [ "${1:-}" != "--force" ] && [ -f "$OUT/.tree" ] && [ "$(cat "$OUT/.tree")" = "$tree" ] \
   && "$PY" -P -c "import navbat, sys; sys.exit('site-packages' not in navbat.__file__)" 2>/dev/null; then
  exit 0
fi
rm -rf build "$OUT" ./*.egg-info   # setuptools' build/ keeps files deleted since
mkdir -p "$OUT"
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$OUT" . >"$OUT/build.log" 2>&1 \
  || { cat "$OUT/build.log"; exit 1; }
# setuptools warns of package data it would drop; such a warning is a wheel missing a file.
if grep -q "Warning" "$OUT/build.log"; then cat "$OUT/build.log" >&2; echo "install-wheel: the build warned" >&2; exit 1; fi
wheel=$(ls "$OUT"/navbat-*.whl)
if [ -n "${EXTRAS:-}" ]; then "$PY" -m pip install -q "$wheel[$EXTRAS]"; fi
# --force-reinstall: the same version number is installed again with this tree's files
"$PY" -m pip install -q --no-deps --force-reinstall "$wheel"
rm -rf build ./*.egg-info
echo "$tree" > "$OUT/.tree"
