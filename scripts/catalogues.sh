#!/usr/bin/env bash
# Compiles the tree's gettext catalogues (foundation/locale/*/LC_MESSAGES/*.po -> .mo) so the wheel
# carries them. Babel's own command, not `python -m navbat.foundation.i18n compile`: that one compiles
# the installed package's catalogues, and before the first build there is none. Usage: [PYTHON=...] catalogues.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
# Only a catalogue whose .po is newer than its .mo: Babel stamps each .mo with the minute it was made,
# so compiling again changes the bytes of a catalogue nobody touched (and the installed copy then
# differs from the tree's: tests/test_ships.py).
for po in foundation/locale/*/LC_MESSAGES/*.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    "$PY" -P -m babel.messages.frontend -q compile -i "$po" -o "$mo"
  fi
done
