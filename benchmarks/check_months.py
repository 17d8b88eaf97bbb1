"""`navbat check` on 1, 6 and 12 months of a busy branch's log (issue 27): full and incremental.

    .venv/bin/python benchmarks/check_months.py [--visits 25000] [--months 1,6,12] [--keep DIR] [--day 1000]

For each length it writes that many months of plausible events for the demo branch
(benchmarks/seed_month.py), lets the hub rebuild its state tables from them (kept in --keep, so a
rerun skips this), then times:
- `full`: the whole log folded again and compared (what `navbat check --full` does; it leaves a
  checkpoint beside the database);
- `incremental`: two more busy days (about `--day`/26 visits each) appended by the hub's own fold,
  a backup taken between them, then `navbat check` again: only the two days are folded, from the
  checkpoint;
- `restore`: that backup restored over the database (the newest checkpoint is past it), then
  `navbat check`: the older checkpoint still fits it, so only the one day is folded.
With --before, the same log is checked by an older dbcheck.py first (`before`). Each with its
ratio to the 1-month figure. Target (issue 27): 12 months check in under 60 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from navbat.foundation.config import DEFAULT_CONFIG, load_config
from navbat.server.floor import dbcheck
from navbat.server.floor.db import open_db
from navbat.server.hub import EXTENSION
from navbat.server.web.app import create_app
from seed_month import month_of_events, seed_events

MONTHS = tuple(f"1403-{m:02d}" for m in range(11, 13)) + tuple(f"1404-{m:02d}" for m in range(1, 11))
DAY_MONTH = "1404-11"


def build(path: Path, months: int, visits: int, raw: dict) -> None:
    open_db(path).conn.close()
    first = 1
    for i, month in enumerate(MONTHS[:months]):
        rows, rates = month_of_events(raw, month, visits, rate=True, first_ticket=first, seed=first)
        seed_events(path, unique(rows, f"{i:02d}"), rates)
        first += visits
    rebuild(path)


def unique(rows: list[tuple], mark: str) -> list[tuple]:
    """Each month's tracking codes and keys made its own (seed_month numbers them from 1 per call)."""
    return [(*r[:5], r[5].replace('"tracking_code": "S', f'"tracking_code": "{mark}S')
             .replace('"seed-', f'"seed{mark}-')) for r in rows]


def rebuild(path: Path) -> int:
    app = create_app({"BRANCH": load_config(), "DB_PATH": str(path), "IGNORE_HOURS": True})
    hub = app.extensions[EXTENSION]
    try:
        return hub.floor.rebuild()
    finally:
        hub.stop()
        hub.store.close()


def add_day(path: Path, visits: int, raw: dict, seed: int) -> None:
    """One more busy day's events, and the state tables brought up to them by the hub's fold."""
    conn = sqlite3.connect(str(path))
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
    conn.close()
    rows, rates = month_of_events(raw, DAY_MONTH, visits, first_ticket=first, seed=seed)
    day = min(r[0][:10] for r in rows)
    rows = [r for r in rows if r[0][:10] == day]  # the month's first day only
    seed_events(path, unique(rows, f"d{seed}"), ())
    rebuild(path)


def timed(path: Path, full: bool, check: Callable[..., list[str]] = dbcheck.check) -> tuple[float, float, list[str]]:
    older = "full" not in inspect.signature(check).parameters  # a checkout before issue 27
    wall, cpu = time.perf_counter(), time.process_time()
    problems = check(path) if older else check(path, full=full)
    return time.perf_counter() - wall, time.process_time() - cpu, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=25000, help="visits per month")
    ap.add_argument("--months", default="1,6,12")
    ap.add_argument("--day", type=int, default=30000, help="visits drawn over a month, of which the first day is kept")
    ap.add_argument("--keep", default=None, help="a folder to keep the built databases in (reruns skip building)")
    ap.add_argument("--before", default=None, metavar="dbcheck.py",
                    help="also time this older server/floor/dbcheck.py (git show REV:server/floor/dbcheck.py > FILE)")
    args = ap.parse_args()
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    base: dict[str, float] = {}
    before = None
    if args.before:
        spec = importlib.util.spec_from_file_location("dbcheck_before", args.before)
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
    with tempfile.TemporaryDirectory() as tmp:
        for months in (int(m) for m in args.months.split(",")):
            built = (keep or Path(tmp)) / f"months-{months}-{args.visits}.sqlite"
            if not built.exists():
                t0 = time.perf_counter()
                build(built, months, args.visits, raw)
                print(f"built {months} months in {time.perf_counter() - t0:.0f} s", flush=True)
            path = Path(tmp) / f"check-{months}.sqlite"
            shutil.copy(built, path)
            conn = sqlite3.connect(str(path))
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            conn.close()
            size = path.stat().st_size / 1e6
            figures: dict[str, tuple[float, float, list[str]]] = {}
            if before is not None:
                figures["before"] = timed(path, True, before.check)
            figures["full"] = timed(path, full=True)
            backup = Path(tmp) / f"backup-{months}.sqlite"
            add_day(path, args.day, raw, seed=7)
            shutil.copy(path, backup)  # last night's backup: the checkpoint's state and a day
            add_day(path, args.day, raw, seed=8)
            figures["incremental"] = timed(path, full=False)  # two days since the checkpoint
            shutil.copy(backup, path)  # `navbat restore` of it: the newest checkpoint does not fit it
            figures["restore"] = timed(path, full=False)
            print(f"{months:>2} months: {events:,} events, {size:.0f} MB", flush=True)
            for name, (wall, cpu, problems) in figures.items():
                ratio = f"{wall / base[name]:.1f}x 1 month" if name in base else "(base)"
                base.setdefault(name, wall)
                verdict = "ok" if not problems else f"{len(problems)} problems: {problems[:2]}"
                print(f"   {name:<11} {wall:6.2f} s wall, {cpu:6.2f} s CPU  {ratio:<14} {verdict}", flush=True)
            for extra in path.parent.glob(path.name + "*"):
                shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
