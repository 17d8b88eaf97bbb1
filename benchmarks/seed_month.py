"""A month of a busy branch's events, for the benchmarks (report.py, hub_load.py): made from the
branch file's YAML and written with plain sqlite3, no project code, so the same seed benchmarks
any checkout of the hub. Seeded tickets run through issue, call, recall, start, transfer,
no-show and done with outcomes, over the days of a Jalali month (Fridays closed).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
from navbat.foundation import event_types as E


def last_jalali_month(tz: dt.tzinfo) -> str:
    j = jdatetime.date.fromgregorian(date=dt.datetime.now(tz).date())
    year, month = (j.year, j.month - 1) if j.month > 1 else (j.year - 1, 12)
    return f"{year}-{month:02d}"


def month_days(month: str) -> list[dt.date]:
    """The Gregorian days of a Jalali month ('1405-08'), Fridays (closed) left out."""
    year, mon = (int(p) for p in month.split("-"))
    first = jdatetime.date(year, mon, 1).togregorian()
    end = jdatetime.date(year + (mon == 12), mon % 12 + 1, 1).togregorian()
    days = [first + dt.timedelta(days=i) for i in range((end - first).days)]
    return [d for d in days if d.weekday() != 4]


def ticket_number(numbering: dict, seq: int) -> str:
    """As the branch prints it: a letter prefix (A-001 …) or a numeric block (101–199); both wrap."""
    if numbering.get("prefix") is not None:
        digits = numbering.get("digits", 3)
        return f"{numbering['prefix']}-{(seq - 1) % (10**digits - 1) + 1:0{digits}d}"
    start, end = numbering["start"], numbering["end"]
    return str(start + (seq - 1) % (end - start + 1))


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def month_of_events(raw: dict, month: str, visits: int, seed: int = 1, first_ticket: int = 1,
                    rate: bool = False) -> tuple[list[tuple], list[tuple]]:
    """Rows for the events table (at, type, actor, ticket_id, counter, data) for `visits` visits in a
    Jalali month — issue, call, recall, start, transfer, no-show, done with outcomes — and, with `rate`,
    rows for the ratings table. Ticket ids start at `first_ticket`."""
    rnd = random.Random(seed)
    tz = ZoneInfo(raw["branch"].get("timezone", "Asia/Tehran"))
    days = month_days(month)

    def codes(counter: dict) -> set[str]:
        return {s if isinstance(s, str) else s["code"] for s in counter["services"]}

    serving = {s["code"]: [c["number"] for c in raw["counters"] if s["code"] in codes(c)]
               for s in branch_services(raw)}
    services = [s for s in branch_services(raw) if serving[s["code"]]]
    seqs: dict[tuple[str, dt.date], int] = defaultdict(int)
    events, ratings = [], []
    for n in range(1, visits + 1):
        ticket = first_ticket + n - 1
        day = rnd.choice(days)
        svc = rnd.choice(services)
        minute = rnd.triangular(0, 390, 120)  # 07:30 to 14:00, peaking mid-morning
        t = dt.datetime.combine(day, dt.time(7, 30), tzinfo=tz) + dt.timedelta(minutes=minute)
        seqs[svc["code"], day] += 1
        seq = seqs[svc["code"], day]
        number = ticket_number(svc["numbering"], seq)
        kiosk = f"kiosk-{rnd.randint(1, 2)}"
        events.append((t, E.TICKET_ISSUED, kiosk, ticket, None, {
            "ticket": ticket, "number": number, "seq": seq, "service": svc["code"],
            "priority": "elderly" if rnd.random() < 0.2 else None, "tracking_code": f"S{n:07d}",
            "idempotency_key": f"seed-{n}", "device": kiosk, "branch_day": day.isoformat()}))
        service, counter = svc["code"], rnd.choice(serving[svc["code"]])
        t += dt.timedelta(minutes=rnd.expovariate(1 / 12))
        for leg in range(2):
            clerk = f"clerk{counter}"
            base = {"ticket": ticket, "number": number, "service": service, "counter": counter}
            events.append((t, E.TICKET_CALLED, clerk, ticket, counter, {**base, "clerk": clerk, "reason": "seed"}))
            if rnd.random() < 0.1:
                t += dt.timedelta(minutes=1)
                events.append((t, E.TICKET_RECALLED, clerk, ticket, counter, base))
            if rnd.random() < 0.05:
                events.append((t + dt.timedelta(minutes=2), E.TICKET_NO_SHOW, clerk, ticket, counter, base))
                break
            t += dt.timedelta(minutes=0.5)
            events.append((t, E.TICKET_STARTED, clerk, ticket, counter, base))
            t += dt.timedelta(minutes=rnd.lognormvariate(2.1, 0.5))
            if leg == 0 and rnd.random() < 0.04:
                to = rnd.choice(services)["code"]
                events.append((t, E.TICKET_TRANSFERRED, clerk, ticket, counter,
                               {**base, "from_service": service, "service": to}))
                service, counter = to, rnd.choice(serving[to])
                t += dt.timedelta(minutes=rnd.expovariate(1 / 8))
                continue
            outcome = "documents_incomplete" if rnd.random() < 0.08 else "served"
            events.append((t, E.TICKET_DONE, clerk, ticket, counter, {**base, "outcome": outcome}))
            if rate and rnd.random() < 0.3:
                ratings.append((ticket, rnd.choice((1, 3, 5, 5, 5, 4)), None, "tablet", counter, clerk, service,
                                iso(t + dt.timedelta(minutes=1))))
            break
    events.sort(key=lambda e: e[0])
    rows = [(iso(at), type_, actor, tid, counter, json.dumps(data, ensure_ascii=False))
            for at, type_, actor, tid, counter, data in events]
    return rows, ratings


def seed_events(db: Path, rows: list[tuple], ratings: list[tuple] = ()) -> None:
    """Appends the rows with plain sqlite3: the events table (and ratings) are the stable contract."""
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        with conn:
            conn.executemany("INSERT INTO events (at, type, actor, ticket_id, counter, data) VALUES (?,?,?,?,?,?)",
                             rows)
            if ratings:
                conn.executemany("INSERT INTO ratings VALUES (?,?,?,?,?,?,?,?)", ratings)
    finally:
        conn.close()


def branch_services(raw: dict) -> list[dict]:
    return [s for unit in raw["units"] for s in unit["services"] if s.get("enabled", True)]
