#!/usr/bin/env bash
# Compiles the tree's gettext catalogues (foundation/locale/*/LC_MESSAGES/*.po -> .mo) so the wheel
# carries them. Babel's own command, not `python -m navbat.foundation.i18n compile`: that one compiles
# the installed package's catalogues, and before the first build there is none. Usage: [PYTHON=...] catalogues.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
domains=$(for po in foundation/locale/*/LC_MESSAGES/*.po; do basename "$po" .po; done | sort -u | tr '\n' ' ')
"$PY" -P -m babel.messages.frontend -q compile -d foundation/locale -D "$domains"
