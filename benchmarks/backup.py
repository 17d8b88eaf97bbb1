"""Backup, restore and check times for a hub database holding months of a busy branch (issue 14).

Writes `--months` months of plausible events for the demo branch (benchmarks/seed_month.py), lets
the hub rebuild its state tables from them, then times `navbat backup`'s copy, a restore and
`navbat check` (integrity check + rebuild from the log, compared).

    .venv/bin/python benchmarks/backup.py [--visits 25000] [--months 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml
from navbat.foundation.config import DEFAULT_CONFIG, load_config  # noqa: E402
from navbat.server.floor.backup import backup, restore  # noqa: E402
from navbat.server.floor.db import open_db  # noqa: E402
from navbat.server.floor.dbcheck import check  # noqa: E402
from navbat.server.hub import EXTENSION  # noqa: E402
from navbat.server.web.app import create_app  # noqa: E402
from seed_month import month_of_events, seed_events

MONTHS = ("1404-05", "1404-06", "1404-07", "1404-08", "1404-09", "1404-10")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=25000, help="visits per month")
    ap.add_argument("--months", type=int, default=3, choices=range(1, len(MONTHS) + 1))
    args = ap.parse_args()
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.sqlite"
        open_db(path).conn.close()
        first = 1
        for month in MONTHS[:args.months]:
            rows, rates = month_of_events(raw, month, args.visits, rate=True, first_ticket=first)
            seed_events(path, rows, rates)
            first += args.visits
        app = create_app({"BRANCH": load_config(), "DB_PATH": str(path), "IGNORE_HOURS": True})
        hub = app.extensions[EXTENSION]
        replayed = hub.floor.rebuild()
        hub.stop()
        hub.store.close()
        size = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        copy = backup(path, Path(tmp) / "backups", keep=2)
        t1 = time.perf_counter()
        restore(copy, Path(tmp) / "restored.sqlite")
        t2 = time.perf_counter()
        cpu = time.process_time()
        problems = check(copy)
        t3 = time.perf_counter()
        cpu = time.process_time() - cpu
        print(f"{args.visits * args.months:,} tickets, {replayed:,} events, {size:.1f} MB")
        print(f"backup {t1 - t0:.2f} s, restore {t2 - t1:.2f} s, check {t3 - t2:.2f} s ({cpu:.2f} s of CPU) "
              f"({'ok' if not problems else problems[:3]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
