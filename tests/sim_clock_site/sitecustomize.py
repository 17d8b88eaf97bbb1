"""Loaded by every Python process a test starts on its simulated clock (tests/sim_clock_support.py puts
this folder on the process' PYTHONPATH), multiprocessing's spawned children included.

The process' wall clock (time.time, datetime.now, date.today, time.localtime, ...) is the real one plus
the offset written in the file NAVBAT_SIM_CLOCK names, followed within milliseconds as the test moves
it (time-machine patches those calls in the interpreter). The monotonic clock is left alone, so every
timeout, wait and budget that counts on it keeps real seconds.
"""

import os

_PATH = os.environ.get("NAVBAT_SIM_CLOCK")
if _PATH:
    import threading
    import time

    import time_machine

    def _offset() -> float | None:
        try:
            with open(_PATH, encoding="ascii") as f:
                return float(f.read())
        except (OSError, ValueError):  # replaced at this moment: read it next time
            return None

    _now = _offset() or 0.0
    _coordinates = time_machine.travel(time.time() + _now, tick=True).start()
    time.time()  # time-machine's clock ticks from the first reading on: from now

    def _follow() -> None:
        current = _now
        while True:
            time.sleep(0.005)
            offset = _offset()
            if offset is not None and offset != current:
                _coordinates.shift(offset - current)
                current = offset

    threading.Thread(target=_follow, name="sim-clock", daemon=True).start()
