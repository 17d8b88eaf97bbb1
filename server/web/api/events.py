"""Server-Sent Events: every change, with ids; Last-Event-ID resumes without gaps.

Live events carry the queue summaries of what they touched; after an estimate refresh
the stream also sends `queue.changed` (no id: it is not in the log). A display needs
no request per event. Anonymous subscribers get the same events without summaries (and
no `queue.changed`), gathered once a second (server.asgi).

A display that keeps the summaries asks `?changes=1`: each event then carries, instead of
`queue`, `changes`: what moved in the summaries since the publish before it, per kind and code
(`{"units": {"PR": {"waiting": 4}}}`, `{}` when nothing did), and `queue.changed` carries
`changes` too, each sent in the order it was published. It reads GET /services when it starts
or reconnects, as before; an event replayed from the log has neither, and asks for that re-read.

A subscriber sends its device or session token as `Authorization: Bearer` or, from a browser's
EventSource (which cannot send headers), as `?token=`. An open stream takes a slot of
`server.streams` first; over a cap the answer is an immediate `503 too_many_streams` with
Retry-After. A `once=1` catch-up (or a HEAD) is one short read and takes none.

This view decides everything about a stream (who asks, from which event, whether it may open).
Served by the hub (server.asgi), it then hands the stream over in the request's environ
(`LIVE`) and the asynchronous server sends it, holding no thread while it waits. Under any
other WSGI server (Flask's test client) the view streams by itself, one thread per subscriber.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context
from flask.blueprints import BlueprintSetupState
from navbat.server.floor.events import KEEP_ALIVE, Cursor
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.web.api.common import bearer, caller
from navbat.server.web.auth import Principal
from navbat.server.web.errors import error
from navbat.server.web.guards import MAX_INT
from navbat.server.web.streams import RETRY_AFTER_S, Limits, Slot, Streams

bp = Blueprint("events", __name__)
HEARTBEAT_S = 15.0
COALESCE_S = 0.02
MAX_TOKEN = 200  # a device or session token is far shorter
STREAMS = "navbat.streams"  # app.extensions[STREAMS]: the streams open now
LIVE = "navbat.live"  # environ[LIVE]: a list the asynchronous server gives, for the view to put the stream in
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass
class Subscription:
    """An admitted stream: what to send (the cursor), how often to say it is alive, its slot."""

    cursor: Cursor
    heartbeat_s: float
    slot: Slot | None

    @property
    def anonymous(self) -> bool:
        return self.slot is not None and self.slot.address is not None

    def release(self) -> None:
        if self.slot is not None:
            self.slot.release()


@bp.record_once
def _count_streams(state: BlueprintSetupState) -> None:
    state.app.extensions[STREAMS] = Streams()


def streams(app: Flask) -> Streams:
    return app.extensions[STREAMS]


def subscriber() -> Principal | None:
    """The device or session behind the header's or the query's token; unknown or ended: anonymous
    (a stream is public, the token only earns a slot that anonymous subscribers cannot take)."""
    token = bearer() or request.args.get("token")
    if token and len(token) > MAX_TOKEN:
        raise Invalid("bad_token", f"a token has at most {MAX_TOKEN} characters")
    return caller(token=token)


def _too_many(anonymous: bool) -> Response:
    response, status = error(503, "too_many_streams", "too many live event streams are open; try again later"
                             + (" or send a device token" if anonymous else ""))
    response.status_code = status
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _event_id(raw: str) -> int:
    try:
        last = int(raw)
    except ValueError:
        raise Invalid("bad_last_event_id", "Last-Event-ID must be an event id") from None
    if not 0 <= last <= MAX_INT:  # SQLite compares no integer past 64 bits: the stream would break
        raise Invalid("bad_last_event_id", "Last-Event-ID must be an event id (0 or more, 64 bits)")
    return last


@bp.route("/events", methods=["GET", "HEAD"])
def stream() -> Response:
    # A browser sends no Last-Event-ID rather than an empty one; the header wins over the query,
    # but neither may be malformed.
    ids = [_event_id(raw) for raw in (request.headers.get("Last-Event-ID"), request.args.get("last_event_id"))
           if raw is not None]
    bus = current().bus
    # An id this log never reached comes from another database (the hub was reset): carry on from
    # now, or the display would stay silent until the new log caught up with it.
    last = min(ids[0], bus.last_id) if ids else bus.last_id  # a new subscriber starts from now
    once = request.args.get("once") == "1" or request.method == "HEAD"  # what is missed, then close
    if once:
        cursor = Cursor(bus, last, bus.queue_version, with_queue=False)
        return Response(cursor.opening() + cursor.take(), mimetype="text/event-stream", headers=HEADERS)
    address = None if subscriber() is not None else (request.remote_addr or "unknown")
    # It read GET /services when it started: only newer summaries. An anonymous subscriber (a phone)
    # gets the events bare: it reads its own ticket when one concerns it, and a thousand phones do
    # not each take every counter's summaries, many times a second, from the guest Wi-Fi.
    # `?changes=1`: a display that keeps the summaries it read is sent only what moved in them.
    cursor = Cursor(bus, last, bus.queue_version, with_queue=address is None, summaries=address is None,
                    changes=request.args.get("changes") == "1")
    slot = streams(current_app).admit(Limits.of(current_app.config), address)
    if slot is None:
        return _too_many(address is not None)
    subscription = Subscription(cursor, current_app.config.get("SSE_HEARTBEAT_S", HEARTBEAT_S), slot)
    live = request.environ.get(LIVE)
    if live is not None:  # the asynchronous server sends it
        live.append(subscription)
        return Response(mimetype="text/event-stream", headers=HEADERS)
    response = Response(stream_with_context(_threaded(subscription)), mimetype="text/event-stream", headers=HEADERS)
    # A generator never iterated (a client gone before the first write) never reaches its finally;
    # the server still closes the response, and so the slot is given back.
    response.call_on_close(subscription.release)
    return response


def _threaded(sub: Subscription) -> Iterator[str]:
    """The stream on a thread of its own, for WSGI servers other than the hub's."""
    cursor = sub.cursor
    try:
        yield cursor.opening()
        while True:
            cursor.bus.wait(cursor.last_id, cursor.queue_version, sub.heartbeat_s)
            # Let the events of the next few milliseconds join this write: with dozens of
            # displays, one wake-up and one write per burst instead of per event.
            time.sleep(COALESCE_S)
            yield cursor.take() or KEEP_ALIVE
    finally:  # the client went away (the server closes the iterator)
        sub.release()
