"""The hub's log: one line per record on standard output, for journald (which adds the time,
the unit and the process). A traceback is folded onto its record's line, so one event or one
failure is one journal entry that `journalctl -u navbat-hub -g ...` finds whole."""

from __future__ import annotations

import logging
import sys


class OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " ⏎ ")


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(OneLine("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
