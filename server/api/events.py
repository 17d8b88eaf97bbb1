"""Server-Sent Events: every change, with ids; Last-Event-ID resumes without gaps.

Live events carry the queue summaries of what they touched; after an estimate refresh
the stream also sends `queue.changed` (no id: it is not in the log). A display needs
no request per event.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, request, stream_with_context

from server.hub import current
from server.refusals import Invalid

bp = Blueprint("events", __name__)
HEARTBEAT_S = 15.0
COALESCE_S = 0.02


@bp.get("/events")
def stream() -> Response:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    bus = current().bus
    if raw is None:
        last = bus.last_id  # a new subscriber starts from now
    else:
        try:
            last = int(raw)
        except ValueError:
            raise Invalid("bad_last_event_id", "Last-Event-ID must be an event id") from None
        # An id this log never reached comes from another database (the hub was reset): carry on from
        # now, or the display would stay silent until the new log caught up with it.
        last = min(last, bus.last_id)
    heartbeat = current_app.config.get("SSE_HEARTBEAT_S", HEARTBEAT_S)
    once = request.args.get("once") == "1"  # send what is missed and close (tests, catch-up polls)
    seen_queue = bus.queue_version  # it read GET /services when it started; only newer summaries

    def generate():  # noqa: ANN202 - a generator of SSE text
        nonlocal last, seen_queue
        yield f"retry: 2000\n: connected at event {last}\n\n"  # flushes headers at once
        while True:
            if not once:
                bus.wait(last, seen_queue, heartbeat)
                # Let the events of the next few milliseconds join this write: with dozens of
                # displays, one wake-up and one write per burst instead of per event.
                time.sleep(COALESCE_S)
            events = bus.since(last)
            seen_queue, queue = bus.queue_since(seen_queue) if not once else (seen_queue, "")
            if events:
                last = events[-1].id
            if events or queue:
                yield "".join(ev.sse for ev in events) + queue  # one write per wake-up, not per event
            if once:
                return
            if not events and not queue:
                yield ": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(generate()), mimetype="text/event-stream", headers=headers)
