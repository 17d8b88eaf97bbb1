"""What branches tell HQ about what outsiders cost them (issue 23): the SMS budget's use, shipped
with each batch (the dashboard warns as it nears), and one open remote turn per phone nationally.

A phone never reaches HQ: a hub sends a slow hash of it (scrypt, server/verify.phone_hash), which
keeps numbers out of HQ's tables and logs and makes trying all 10^9 mobile numbers cost CPU-years;
it is pseudonymous, not anonymous. Two parts:
- a hub asks before a remote turn (`claim`): HQ says whether another branch in contact holds that
  phone and, if not, records the claim for the asker, under a lock on the hash (two branches asking
  at once: one wins). The hub waits a bounded time and, if HQ does not answer, allows the turn;
- every batch lists the hashes of the branch's open turns (`replace_open_turns`): claims it lists are
  confirmed, rows it no longer lists go (an unconfirmed claim is kept CLAIM_GRACE, until the turn's
  own batch). A turn allowed while HQ was away shows up here, and `several_branches` counts it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from psycopg import Connection

MAX_OPEN = 5000  # a branch's open remote turns at once; far above any real day
MAX_BUDGETS = 2000  # characters of the budgets' JSON
CLAIM_GRACE = "30 seconds"  # a claim waits this long for the batch that lists its turn
FRESH = "10 minutes"  # a branch out of contact longer holds no phone (its turns may have ended unseen)
_HASH = re.compile(r"^[0-9a-f]{32}$")


class BadField(ValueError):
    pass


def valid_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HASH.match(value))


def check_open_turns(value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_OPEN or not all(valid_hash(h) for h in value):
        raise BadField(f"open_turns must be a list of at most {MAX_OPEN} phone hashes (32 hex digits)")
    return sorted(set(value))


def check_budgets(value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or len(json.dumps(value)) > MAX_BUDGETS:
        raise BadField(f"budgets must be an object of at most {MAX_BUDGETS} characters")
    return value


def replace_open_turns(conn: Connection, branch: str, hashes: list[str]) -> None:
    """Inside the batch's transaction: the branch's open turns are these."""
    conn.execute("""INSERT INTO open_turns (branch, phone_hash, confirmed) SELECT %s, h, true FROM unnest(%s::text[]) h
                    ON CONFLICT (branch, phone_hash) DO UPDATE SET confirmed = true""", [branch, hashes])
    conn.execute(f"""DELETE FROM open_turns WHERE branch = %s AND NOT (phone_hash = ANY(%s))
                     AND (confirmed OR since < now() - interval '{CLAIM_GRACE}')""", [branch, hashes])


def claim(conn: Connection, branch: str, phone_hash: str) -> bool:
    """True if another branch in contact holds an open turn for this phone; else the claim is the asker's."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [phone_hash])
        held = conn.execute(f"""SELECT 1 FROM open_turns o JOIN branches b ON b.id = o.branch
                                WHERE o.phone_hash = %s AND o.branch <> %s
                                  AND b.last_contact_at > now() - interval '{FRESH}' LIMIT 1""",
                            [phone_hash, branch]).fetchone()
        if held:
            return True
        conn.execute("INSERT INTO open_turns (branch, phone_hash) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     [branch, phone_hash])
        return False


def several_branches(conn: Connection) -> int:
    """Phones with an open turn at more than one branch (allowed while HQ could not be asked)."""
    return conn.execute(f"""SELECT count(*) AS n FROM (SELECT o.phone_hash FROM open_turns o
                              JOIN branches b ON b.id = o.branch WHERE b.last_contact_at > now() - interval '{FRESH}'
                              GROUP BY o.phone_hash HAVING count(*) > 1) s""").fetchone()["n"]
