"""A burst of events written to every live stream at once: the same bytes, framed once, straight to each socket.

Through ASGI each stream's write was a coroutine woken, a message built, h11's state machine
and its chunk framing run, per display per burst: with 1,000 wall screens that was most of the
event loop's time, and kiosks and clerks waited behind it (issue 27). Here the broadcaster's
wake-up walks the streams of its lane in one callback: every stream standing at the same place
(last event id, summaries' version, form) is sent the same bytes (server/floor/events.py's
chunk, made once), framed as h11 frames a body's data (HTTP/1.1 chunks) once per pass, and
written to each socket's transport directly. h11 only opens and ends the response.

A reader that does not keep up (its socket's unsent bytes above `slow_bytes`) is skipped, its
cursor left where it stands: when it has drained, the next wake-up sends it everything since, by
id (from memory, or the log read on a thread). One that stays behind for `drop_s` is closed: a
display reconnects with Last-Event-ID and is caught up from the log. Nobody else waits for it.

What a pass costs is mostly the kernel's: to 1,000 displays on the 2-core machine 8 to 11 ms of
the loop thread, some 6 µs a socket in the loopback send and 1.5 µs of Python (each place looked
up once, below; it was 2.5 µs). Sending from pool threads instead (the GIL is
released in send) was measured and did not shorten a pass on the shared machine, and the first
display heard later (the hand-off to a thread), so the loop writes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from navbat.server.floor.events import KEEP_ALIVE, Cursor

SLOW_BYTES = 256 * 1024  # unsent to one stream, past which it is skipped until it drains
DROP_S = 30.0  # skipped this long: closed (it reconnects with Last-Event-ID)


def framed(data: bytes, chunked: bool) -> bytes:
    """`data` as h11 writes a body's data: an HTTP/1.1 chunk, or as it is (HTTP/1.0: until close)."""
    return b"%x\r\n%b\r\n" % (len(data), data) if chunked else data


class RawStream:
    """One live stream's socket, written past ASGI once its response has begun."""

    def __init__(self, transport: asyncio.Transport, chunked: bool, cursor: Cursor,
                 slow_bytes: int = SLOW_BYTES, drop_s: float = DROP_S) -> None:
        self.transport, self.chunked, self.cursor = transport, chunked, cursor
        self.slow_bytes, self.drop_s = slow_bytes, drop_s
        self.slow_since: float | None = None  # time.monotonic() when it was first skipped, while it is
        # resolved when the stream needs its coroutine: a read of the log (on a thread) or its end
        self.handback: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def closed(self) -> bool:
        return self.transport.is_closing()

    def behind(self, now: float) -> bool:
        """Whether it is too far behind to be written now; closes it once it has been so for drop_s."""
        if self.transport.get_write_buffer_size() <= self.slow_bytes:
            self.slow_since = None
            return False
        if self.slow_since is None:
            self.slow_since = now
        elif now - self.slow_since >= self.drop_s:
            self.transport.close()
        return True

    def hand_back(self) -> None:
        if not self.handback.done():
            self.handback.set_result(None)


HAND_BACK = "hand back"  # what a place far behind is "sent": its streams' coroutines read the log


def _next(cursor: Cursor) -> tuple[int, int, bytes, bytes] | str | None:
    """What a stream standing where `cursor` stands is sent: (last id, summaries' version, the
    bytes as they are, framed as a chunk); None when nothing is new (a keep-alive), HAND_BACK
    when what is new is older than memory."""
    if not cursor.pending():
        return None
    if not cursor.in_memory():
        return HAND_BACK
    last_id, version, data = cursor.bus.chunk(cursor.last_id, cursor.queue_version, cursor.with_queue,
                                              cursor.summaries, cursor.changes)
    return last_id, version, data, framed(data, True) if data else b""


def deliver(streams: Iterable[RawStream]) -> int:
    """Writes what each stream has not had yet (a keep-alive when nothing is new); returns the
    streams written. Streams standing at the same place (the usual case: every display of a hall)
    are looked up once: what they are sent is read from the bus and framed once, and each of them
    costs a dictionary look-up and its socket's write."""
    sends: dict[tuple[int, int, bool, bool, bool], tuple[int, int, bytes, bytes] | str | None] = {}
    keep_alive = (KEEP_ALIVE, framed(KEEP_ALIVE, True))
    now, written = time.monotonic(), 0
    for stream in streams:
        transport = stream.transport
        if transport.is_closing() or stream.handback.done() or stream.behind(now):
            continue
        cursor = stream.cursor
        place = (cursor.last_id, cursor.queue_version, cursor.with_queue, cursor.summaries, cursor.changes)
        if place in sends:
            send = sends[place]
        else:
            send = sends[place] = _next(cursor)
        if send is None:
            transport.write(keep_alive[stream.chunked])
        elif send is HAND_BACK:  # far behind: the log is read on a thread, by its coroutine
            stream.hand_back()
            continue
        else:
            cursor.last_id, cursor.queue_version = send[0], send[1]
            if not send[2]:  # newer summaries that moved nothing this form shows: its place moves on, silently
                continue
            transport.write(send[3] if stream.chunked else send[2])
        written += 1
    return written
