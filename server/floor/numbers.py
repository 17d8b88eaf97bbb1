"""Which printed number the day's next tickets of a sub-service get: the block's next numbers after the
last one given, skipping every number that is held.

Held means an open ticket (waiting, called, serving, a remote turn) issued today *for this
sub-service* (first_service) — a transferred ticket keeps its number, so 101 of IN1 sent on to IN2
still holds IN1's 101 and holds nothing of IN2's block — or an unused number of a live lease (issue 26):
a kiosk may be printing it while the hub cannot hear it. Until the block wraps, the n-th ticket gets
`numbering.format(n)`; the seq itself always counts on.
"""

from __future__ import annotations

import sqlite_utils
from navbat.foundation.config import Numbering
from navbat.server.floor.refusals import Conflict
from navbat.server.floor.transitions import HELD


def held(db: sqlite_utils.Database, service: str, day: str) -> set[str]:
    """The numbers of `service`'s block nobody else may be given today."""
    return {r[0] for r in db.execute(
        "SELECT number FROM tickets WHERE first_service=? AND branch_day=? AND state IN (?, ?, ?, ?) "
        "UNION SELECT n.number FROM lease_numbers n JOIN leases l ON l.id = n.lease_id "
        "WHERE n.service=? AND n.branch_day=? AND n.ticket_id IS NULL AND l.state='live'",
        [service, day, *HELD, service, day])}


def next_free(db: sqlite_utils.Database, numbering: Numbering, service: str, day: str, seq: int, count: int = 1
              ) -> list[str]:
    """`count` free numbers for the day's tickets from `seq` on, in order; Conflict("numbers_exhausted")
    (nothing given) if fewer are free."""
    taken = held(db, service, day)
    previous = db.execute(
        "SELECT number FROM (SELECT seq, number FROM tickets WHERE first_service=? AND branch_day=? "
        "UNION ALL SELECT seq, number FROM lease_numbers WHERE service=? AND branch_day=?) "
        "ORDER BY seq DESC LIMIT 1", [service, day, service, day]).fetchone()
    after = slot(numbering, previous[0]) if previous else None
    first = (seq - 1 if after is None else after + 1) % numbering.size  # 0-based slot to try first
    out: list[str] = []
    for k in range(numbering.size):
        number = numbering.format(first + k + 1)
        if number not in taken:
            out.append(number)
            if len(out) == count:
                return out
    raise Conflict("numbers_exhausted", f"every number of {service} ({numbering.format(1)}–"
                   f"{numbering.format(numbering.size)}) is held by an open ticket or a kiosk's lease; "
                   "finish or cancel old tickets")


def free_count(db: sqlite_utils.Database, numbering: Numbering, service: str, day: str) -> int:
    """How many numbers of the block are free today."""
    return numbering.size - len(held(db, service, day))


def slot(numbering: Numbering, number: str) -> int | None:
    """Where a printed number sits in its block (0-based), or None if it is not of this block."""
    text = number.removeprefix(f"{numbering.prefix}-") if numbering.prefix is not None else number
    if not (text.isascii() and text.isdigit()):
        return None
    pos = int(text) - (1 if numbering.prefix is not None else numbering.start)  # type: ignore[operator]
    return pos if 0 <= pos < numbering.size and numbering.format(pos + 1) == number else None
