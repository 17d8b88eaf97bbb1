"""What the branch head sees on the live floor (D8): queues against targets, windows, alerts.

Read-only views of the Floor's state tables; the page refetches this on every event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from server import ratings
from server.floor import Floor, iso, parse_iso

DEVICE_OK = ("ok",)
DEVICE_WARN = ("paper_near_end",)


def _today_start(floor: Floor) -> str:
    day = floor.branch.branch_day(floor.clock())
    return iso(dt.datetime.combine(day, dt.time(0), tzinfo=floor.branch.tz))


def floor_view(floor: Floor) -> dict[str, Any]:
    now = floor.clock()
    since = _today_start(floor)
    db = floor.db
    longest = {r[0]: r[1] for r in db.execute(
        "SELECT service, min(arrived_at) FROM tickets WHERE state='waiting' GROUP BY service")}
    served = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE state='done' AND finished_at >= ? GROUP BY service", [since]))
    services = []
    for s in floor.services():
        first = longest.get(s["code"])
        wait = (now - parse_iso(first)).total_seconds() / 60 if first else None
        services.append({
            "code": s["code"], "name": s["name"], "unit": s["unit"], "unit_name": s["unit_name"],
            "waiting": s["waiting"], "longest_wait_minutes": wait, "target_wait_minutes": s["target_wait_minutes"],
            "over_target": wait is not None and wait > s["target_wait_minutes"],
            "estimated_wait": s["estimated_wait"], "served_today": served.get(s["code"], 0),
            "open_windows": s["open_windows"], "windows": s["windows"], "available": s["available"],
        })
    per_window = {r[0]: (r[1], r[2]) for r in db.execute(
        """SELECT counter, count(*), avg((julianday(finished_at) - julianday(called_at)) * 1440) FROM tickets
           WHERE state='done' AND finished_at >= ? AND counter IS NOT NULL GROUP BY counter""", [since])}
    windows = []
    for w in floor.counters():
        count, avg = per_window.get(w["number"], (0, None))
        called = (w["current_ticket"] or {}).get("called_at")
        busy = (now - parse_iso(called)).total_seconds() / 60 if called else None
        windows.append({**w, "served_today": count, "avg_service_minutes": avg, "busy_minutes": busy})
    devices = list(db.query("SELECT name, kind, status, detail, at FROM device_status ORDER BY name"))
    return {
        "now": iso(now), "day": floor.branch.branch_day(now).isoformat(), "last_event_id": floor.bus.last_id,
        "services": services, "windows": windows, "devices": devices,
        "alerts": alerts(services, devices),
        "totals": {"waiting": sum(s["waiting"] for s in services),
                   "served_today": sum(served.values()),
                   "open_windows": sum(1 for w in windows if w["state"] == "open"),
                   "windows": len(windows)},
        "satisfaction_today": ratings.summary_today(floor),
    }


def alerts(services: list[dict[str, Any]], devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waits past their target, sub-services nobody can serve, printers and displays down."""
    out = []
    for s in services:
        if s["over_target"]:
            out.append({"kind": "wait_over_target", "level": "danger", "service": s["code"], "name": s["name"],
                        "minutes": round(s["longest_wait_minutes"]), "target": s["target_wait_minutes"]})
        if s["waiting"] and not s["open_windows"]:
            out.append({"kind": "no_open_window", "level": "danger", "service": s["code"], "name": s["name"],
                        "waiting": s["waiting"]})
    for d in devices:
        if d["status"] not in DEVICE_OK:
            out.append({"kind": "device_down" if d["status"] not in DEVICE_WARN else "device_warning",
                        "level": "warning" if d["status"] in DEVICE_WARN else "danger",
                        "device": d["name"], "device_kind": d["kind"], "status": d["status"], "detail": d["detail"]})
    return out
