#!/usr/bin/env bash
# Runs every test (or those named): GUI tests in a real window under Xvfb, browser tests in Debian's
# chromium. The tests see only what ships: the wheel of this tree is built and installed into .venv
# first (not editable; skipped when the tree has not changed), and Python runs with -P (PYTHONSAFEPATH,
# inherited by every `python -m navbat` a test starts), so the repository's folders are not importable
# under their own names and navbat, its templates, .kv layouts and assets come from site-packages.
# Tests run in parallel (pytest-xdist): NAVBAT_TEST_WORKERS processes (default 4 on the 2-core machine:
# most tests wait on a process, a browser or a socket, and two workers left the cores idle half the run;
# 0: all in this one process), each test file whole on one worker (--dist loadfile: a module's fixtures
# are made once), the longest files first (conftest's LONGEST_FIRST; --no-loadscope-reorder keeps that
# order, where xdist would start the files with the most tests first and the one-test branch day last).
# Under xvfb-run they share one X display; each test's files and ports are its own.
# The whole run is cut after NAVBAT_TEST_TIMEOUT seconds (default 1500).
# A failed test is run once more (NAVBAT_TEST_RERUNS, default 1; pytest-rerunfailures) and every
# rerun is listed in the summary ("RERUN"): four workers on two cores starve a test's clock now and
# then (a server that comes to its accepts after the test's wait); a test that fails twice fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-wheel.sh || exit 1
# a .venv made before the dev extras named pytest-xdist, filelock, time-machine and pytest-rerunfailures gets them (setup.cfg's [dev])
.venv/bin/python -c "import xdist, filelock, time_machine, pytest_rerunfailures" 2>/dev/null || EXTRAS=dev bash scripts/install-wheel.sh --force || exit 1
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 SDL_AUDIODRIVER=dummy PYTHONSAFEPATH=1
unset PYTHONPATH
export KIVY_HOME="$PWD/var/kivy-home"
mkdir -p "$KIVY_HOME"
timeout "${NAVBAT_TEST_TIMEOUT:-1500}" xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -P -m pytest -q -p no:cacheprovider \
  -n "${NAVBAT_TEST_WORKERS:-4}" --dist loadfile --no-loadscope-reorder --durations=15 \
  --reruns "${NAVBAT_TEST_RERUNS:-1}" -rR "$@"
rc=$?
# pytest exits 5 when it collected nothing: no failure of the code when the whole suite was asked
# for (an empty tree), but a test named that does not exist is a mistake to say.
if [ "$rc" -eq 5 ]; then
  [ "$#" -eq 0 ] && { echo "no tests collected"; exit 0; }
  echo "no tests collected from: $*" >&2
fi
exit "$rc"
