"""What the branch head sees on the live floor (D8): queues against targets, counters, alerts.

Read from one snapshot of the floor's state tables; the page refetches this on every event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import digits
from navbat.server.floor import leases, numbers
from navbat.server.floor.queries import device_statuses
from navbat.server.floor.times import iso, parse_iso
from navbat.server.hub import Hub
from navbat.server.visitors import ratings
from navbat.server.web import auth, views
from navbat.server.web.worker_health import worker_alerts

DEVICE_OK = ("ok",)
DEVICE_WARN = ("paper_near_end",)
NUMBERS_LOW = 0.1  # warn when fewer than this share of a sub-service's block is free


def _today_start(hub: Hub) -> str:
    day = hub.branch.branch_day(hub.clock())
    return iso(dt.datetime.combine(day, dt.time(0), tzinfo=hub.branch.tz))


def floor_view(hub: Hub, lang: str = "fa") -> dict[str, Any]:
    with hub.read() as db:
        view = _floor_view(hub, db)
        view["alerts"] += merge_notes(hub, db, lang)
    view["alerts"] += worker_alerts(hub.workers.health(), lang)  # background work that died (worded by the hub)
    return view


def _floor_view(hub: Hub, db: Any) -> dict[str, Any]:
    now = hub.clock()
    since = _today_start(hub)
    longest = {r[0]: r[1] for r in db.execute(
        "SELECT service, min(arrived_at) FROM tickets WHERE state='waiting' GROUP BY service")}
    served = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE state='done' AND finished_at >= ? GROUP BY service", [since]))
    # Numbers held today, per block: open tickets by the sub-service they were issued for (a
    # transferred ticket keeps its number) and kiosks' live leases, as the floor counts them (server/floor/numbers.py).
    day = hub.branch.branch_day(now).isoformat()
    services = []
    for s in views.services(hub)["services"]:
        first = longest.get(s["code"])
        block = hub.branch.service(s["code"]).numbering.size
        wait = (now - parse_iso(first)).total_seconds() / 60 if first else None
        services.append({
            "code": s["code"], "name": s["name"], "unit": s["unit"], "unit_name": s["unit_name"],
            "waiting": s["waiting"], "longest_wait_minutes": wait, "target_wait_minutes": s["target_wait_minutes"],
            "over_target": wait is not None and wait > s["target_wait_minutes"],
            "estimated_wait": s["estimated_wait"], "served_today": served.get(s["code"], 0),
            "open_counters": s["open_counters"], "counters": s["counters"], "available": s["available"],
            "note": s["note"], "numbers_total": block,
            "numbers_free": numbers.free_count(db, hub.branch.service(s["code"]).numbering, s["code"], day),
        })
    per_counter = {r[0]: (r[1], r[2]) for r in db.execute(
        """SELECT counter, count(*), avg((julianday(finished_at) - julianday(called_at)) * 1440) FROM tickets
           WHERE state='done' AND finished_at >= ? AND counter IS NOT NULL GROUP BY counter""", [since])}
    counters = []
    for c in views.counters(hub):
        count, avg = per_counter.get(c["number"], (0, None))
        called = (c["current_ticket"] or {}).get("called_at")
        busy = (now - parse_iso(called)).total_seconds() / 60 if called else None
        counters.append({**c, "served_today": count, "avg_service_minutes": avg, "busy_minutes": busy})
    devices = device_statuses(db)
    return {
        "now": iso(now), "day": hub.branch.branch_day(now).isoformat(), "last_event_id": hub.bus.last_id,
        "services": services, "counters": counters, "devices": devices,
        "alerts": alerts(services, devices) + lockout_alerts(auth.lockouts(db, now)),
        "totals": {"waiting": sum(s["waiting"] for s in services),
                   "served_today": sum(served.values()),
                   "open_counters": sum(1 for c in counters if c["state"] == "open"),
                   "counters": len(counters)},
        "satisfaction_today": ratings.summary_today(db, hub.branch, hub.clock),
    }


MERGED = "{count} tickets issued while the hub was down, merged at {time}"  # the "head" catalogue


def merge_notes(hub: Hub, db: Any, lang: str) -> list[dict[str, Any]]:
    """Today's merges of kiosks' journals (issue 26), one line per minute they were merged in."""
    per_minute: dict[str, int] = {}
    for m in leases.merges_since(db, _today_start(hub)):
        at = leases.minutes_of(m["merged_at"], hub.branch.tz)
        per_minute[at] = per_minute.get(at, 0) + m["tickets"]
    words = gettext_for("head", lang)(MERGED)
    return [{"kind": "offline_merged", "level": "ok", "tickets": count, "at": at,
             "text": words.format(count=digits(count, lang), time=digits(at, lang))}
            for at, count in per_minute.items()]


def lockout_alerts(lockouts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Someone is guessing PINs: the user (or address) locked out, and until when (D8)."""
    return [{"kind": "login_locked", "level": "warning", "username": lo["username"], "address": lo["address"],
             "until": lo["until"]} for lo in lockouts]


def alerts(services: list[dict[str, Any]], devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waits past their target, sub-services nobody can serve or with (almost) every number held, printers and
    displays down."""
    out = []
    for s in services:
        if s["over_target"]:
            out.append({"kind": "wait_over_target", "level": "danger", "service": s["code"], "name": s["name"],
                        "minutes": round(s["longest_wait_minutes"]), "target": s["target_wait_minutes"]})
        if s["waiting"] and not s["open_counters"]:
            out.append({"kind": "no_open_counter", "level": "danger", "service": s["code"], "name": s["name"],
                        "waiting": s["waiting"]})
        if not s["numbers_free"]:
            out.append({"kind": "numbers_exhausted", "level": "danger", "service": s["code"], "name": s["name"],
                        "total": s["numbers_total"]})
        elif s["numbers_free"] < NUMBERS_LOW * s["numbers_total"]:
            out.append({"kind": "numbers_low", "level": "warning", "service": s["code"], "name": s["name"],
                        "free": s["numbers_free"], "total": s["numbers_total"]})
    for d in devices:
        if d["status"] not in DEVICE_OK:
            out.append({"kind": "device_down" if d["status"] not in DEVICE_WARN else "device_warning",
                        "level": "warning" if d["status"] in DEVICE_WARN else "danger",
                        "device": d["name"], "device_kind": d["kind"], "status": d["status"], "detail": d["detail"]})
    return out
