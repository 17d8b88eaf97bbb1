"""What outsiders may make the branch spend (issue 23): SMS queued per hour and per branch day,
counted from the outbox so that a restart forgets nothing (a new code is refused past either;
/head and HQ see how near it is), and a kiosk token's new tickets (a token bucket in memory: a
restart refills at most one burst). Bookings per address are counted in server/visitors/appointments.py.

The budgets themselves are the branch file's `budgets:` with the head's changes on top
(server/remote_settings.budgets). Every refusal is a `refusals.TooMany`: 429 with Retry-After.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from navbat.foundation.config import Branch
from navbat.foundation.remote import Budgets
from navbat.server.floor.refusals import TooMany
from navbat.server.floor.times import iso, parse_iso

HOUR = dt.timedelta(hours=1)


def day_start(branch: Branch, now: dt.datetime) -> dt.datetime:
    """The start of the branch day holding `now` (midnight, branch time)."""
    return dt.datetime.combine(branch.branch_day(now), dt.time(), tzinfo=branch.tz)


def sms_use(db: Any, branch: Branch, budgets: Budgets, now: dt.datetime) -> dict[str, Any]:
    """SMS queued in the last hour and this branch day against their budgets; `state` is "ok",
    "near" (at `alarm_percent` of either or past it) or "spent" (new codes are refused)."""
    hour = db.execute("SELECT count(*) FROM sms_outbox WHERE created_at >= ?", [iso(now - HOUR)]).fetchone()[0]
    day = db.execute("SELECT count(*) FROM sms_outbox WHERE created_at >= ?",
                     [iso(day_start(branch, now))]).fetchone()[0]
    percent = max(100 * hour / budgets.sms_per_hour, 100 * day / budgets.sms_per_day)
    state = "spent" if percent >= 100 else "near" if percent >= budgets.alarm_percent else "ok"
    return {"hour": {"used": hour, "budget": budgets.sms_per_hour},
            "day": {"used": day, "budget": budgets.sms_per_day},
            "percent": round(percent, 1), "alarm_percent": budgets.alarm_percent, "state": state}


def refuse_code_if_spent(db: Any, branch: Branch, budgets: Budgets, now: dt.datetime) -> None:
    """Inside the write that would queue a code: TooMany("sms_budget_spent") once the hour's or the
    day's SMS reach their budget (the write lock makes the count exact: parallel asks cannot pass it)."""
    use = sms_use(db, branch, budgets, now)
    if use["day"]["used"] >= budgets.sms_per_day:
        wait = (day_start(branch, now) + dt.timedelta(days=1) - now).total_seconds()
        raise TooMany("sms_budget_spent", f"this branch has sent the {budgets.sms_per_day} SMS its head allows "
                      "a day; codes are sent again tomorrow", wait)
    if use["hour"]["used"] >= budgets.sms_per_hour:
        # the hour's count falls under the budget when the message that many places back leaves the window
        over = use["hour"]["used"] - budgets.sms_per_hour
        first = db.execute("SELECT created_at FROM sms_outbox WHERE created_at >= ? ORDER BY created_at "
                           "LIMIT 1 OFFSET ?", [iso(now - HOUR), over]).fetchone()[0]
        wait = (parse_iso(first) + HOUR - now).total_seconds()
        raise TooMany("sms_budget_spent", f"this branch has sent the {budgets.sms_per_hour} SMS its head allows "
                      f"an hour; try again in {max(1, round(wait))} s", wait)


class TokenBuckets:
    """A token bucket per key (a kiosk's device name): `burst` tokens, refilled at `per_minute`.
    Kept in memory: a restart refills at most one burst, which drains no sub-service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str, per_minute: int, burst: int, now: float) -> float:
        """0.0 if a token was taken at `now` (seconds, the hub's clock); else the seconds until one
        will be there (nothing taken)."""
        rate = per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + max(0.0, now - at) * rate)  # a clock set back refills nothing
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


def take_kiosk_ticket(buckets: TokenBuckets, budgets: Budgets, device: str, now: dt.datetime) -> None:
    """A new ticket from a kiosk token; TooMany("too_many_tickets") past its rate."""
    wait = buckets.take(device, budgets.kiosk_tickets_per_minute, budgets.kiosk_burst, now.timestamp())
    if wait > 0:
        raise TooMany("too_many_tickets", f"this kiosk may issue {budgets.kiosk_tickets_per_minute} tickets a "
                      f"minute (a burst of {budgets.kiosk_burst}); try again in a moment", wait)
