"""Server-Sent Events: every change, with ids; Last-Event-ID resumes without gaps."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, request, stream_with_context

from server.api.common import floor
from server.floor import FloorError

bp = Blueprint("events", __name__)
HEARTBEAT_S = 15.0
COALESCE_S = 0.02


@bp.get("/events")
def stream():  # noqa: ANN201
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    f = floor()
    if raw is None:
        last = f.bus.last_id  # a new subscriber starts from now
    else:
        try:
            last = int(raw)
        except ValueError:
            raise FloorError(400, "bad_last_event_id", "Last-Event-ID must be an event id") from None
        # An id this log never reached comes from another database (the hub was reset): carry on from
        # now, or the display would stay silent until the new log caught up with it.
        last = min(last, f.bus.last_id)
    heartbeat = current_app.config.get("SSE_HEARTBEAT_S", HEARTBEAT_S)
    once = request.args.get("once") == "1"  # send what is missed and close (tests, catch-up polls)

    def generate():  # noqa: ANN202
        nonlocal last
        yield f"retry: 2000\n: connected at event {last}\n\n"  # flushes headers at once
        while True:
            events = f.bus.wait(last, 0 if once else heartbeat)
            if events and not once:
                # Let the events of the next few milliseconds join this write: with dozens of
                # displays, one wake-up and one write per burst instead of per event.
                time.sleep(COALESCE_S)
                events = f.bus.since(last)
            if events:
                last = events[-1].id
                yield "".join(ev.sse for ev in events)  # one write per wake-up, not per event
            if once:
                return
            if not events:
                yield ": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(generate()), mimetype="text/event-stream", headers=headers)
