"""`navbat check --database postgresql://...` (issue 14): HQ's database answers, its migrations are all
applied, and every stored rollup (daily, monthly, window-hours) equals the same code run again on the
stored events; `ok` and 0 on an HQ fed by a real branch, each tampered row named and 1 otherwise."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from hq_support import HQProcess, busy_day, connect, register, shipper_for
from navbat.server.hub import Hub
from reports_support import DAY


def check(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navbat", "check", "--database", url], capture_output=True,
                          text=True, timeout=120)


def test_check_ok_on_a_fed_hq_then_names_each_tampered_rollup(day_hub: Hub, hq_db: str,  # noqa: F811
                                                              hq_process: HQProcess) -> None:  # noqa: F811
    busy_day(day_hub, day_hub.test_clock, 40, DAY.replace(day=DAY.day + 3))  # a second branch day, counters open
    shipper = shipper_for(day_hub, hq_process.url, register(hq_db), batch=50).open()
    while shipper.ship_once():
        pass
    shipper.stop()
    with connect(hq_db) as conn:
        days = conn.execute("SELECT count(*) AS n, sum(open_hours) AS h FROM daily WHERE service=''").fetchone()
        assert days["n"] >= 3 and days["h"] > 0  # days with window-hours to check
        assert conn.execute("SELECT count(*) AS n FROM monthly").fetchone()["n"] >= 1
    out = check(hq_db)
    assert (out.returncode, out.stdout, out.stderr) == (0, "ok\n", "")

    with connect(hq_db) as conn:
        conn.execute("UPDATE daily SET visitors = visitors + 1 WHERE day=%s AND service='PR1'", [DAY])
        conn.execute("UPDATE monthly SET open_hours = open_hours + 2")
        gone = conn.execute("DELETE FROM daily WHERE day=%s AND service='' RETURNING branch", [DAY]).fetchone()
        assert gone is not None
    out = check(hq_db)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert f"daily branch='tehran-01', day={DAY}, service='PR1': visitors is 3, the events say 2" in lines
    assert f"daily branch='tehran-01', day={DAY}, service='': the events make this row, it is not stored" in lines
    month = next(line for line in lines if line.startswith("monthly "))
    stored, derived = (float(x) for x in re.findall(r"is (\S+), the events say (\S+)$", month)[0])
    assert "open_hours (window-hours)" in month and stored - derived == pytest.approx(2)
    assert len(lines) == 3, lines  # nothing else


def test_a_batch_of_device_reports_alone_refolds_the_window_hours(day_hub: Hub, hq_db: str,  # noqa: F811
                                                                  hq_process: HQProcess) -> None:  # noqa: F811
    """A counter still open counts up to the day's last event of any kind; a later batch holding only a
    device's report moves that end, and HQ's stored window-hours must follow (the branch day of issue 22:
    `navbat check --database` said the open_hours differed on a live, healthy HQ)."""
    clock = day_hub.test_clock
    busy_day(day_hub, clock, 6, DAY.replace(day=DAY.day + 3))  # counters 1 and 6 left open
    shipper = shipper_for(day_hub, hq_process.url, register(hq_db)).open()
    while shipper.ship_once():
        pass
    clock.now += dt.timedelta(minutes=40)
    day_hub.floor.report_device("kiosk-1-printer", "printer", "paper_low", "paper roll is nearly empty", "kiosk-1")
    while shipper.ship_once():
        pass
    shipper.stop()
    out = check(hq_db)
    assert (out.returncode, out.stdout, out.stderr) == (0, "ok\n", "")


def test_check_says_which_migration_is_missing_and_when_nothing_answers(hq_db: str) -> None:  # noqa: F811
    with connect(hq_db) as conn:
        conn.execute("DELETE FROM _yoyo_migration WHERE migration_id = '0005_open_hours'")
    out = check(hq_db)
    assert (out.returncode, out.stdout) == (1, "migration not applied: 0005_open_hours (navbat hq applies it "
                                               "when it starts)\n")
    out = check("postgresql://navbat@127.0.0.1:1/nowhere")
    assert out.returncode == 1 and out.stdout.startswith("database: ") and "Traceback" not in out.stderr


def test_hq_exits_0_on_sigterm(hq_process: HQProcess) -> None:  # noqa: F811
    """`systemctl stop navbat-hq`: a clean stop, exit 0 (uvicorn re-raised SIGTERM: -15) (issue 22)."""
    import signal

    hq_process.proc.send_signal(signal.SIGTERM)
    assert hq_process.proc.wait(20) == 0
