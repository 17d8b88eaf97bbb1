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


def deliver(streams: Iterable[RawStream]) -> int:
    """Writes what each stream has not had yet (a keep-alive when nothing is new); returns the
    streams written. Each distinct chunk is framed once for all who stand where it starts."""
    frames: dict[int, tuple[bytes, bytes]] = {}  # id(chunk) -> (chunk, its frame); the chunk held: its id stays its
    keep_alive = {True: framed(KEEP_ALIVE, True), False: KEEP_ALIVE}
    now, written = time.monotonic(), 0
    for stream in list(streams):
        if stream.closed() or stream.handback.done() or stream.behind(now):
            continue
        cursor = stream.cursor
        if not cursor.pending():
            stream.transport.write(keep_alive[stream.chunked])
            written += 1
            continue
        if not cursor.in_memory():  # far behind: the log is read on a thread, by its coroutine
            stream.hand_back()
            continue
        data = cursor.take()
        if not data:
            continue
        key = id(data) << 1 | stream.chunked
        held = frames.get(key)
        if held is None or held[0] is not data:
            held = frames[key] = (data, framed(data, stream.chunked))
        stream.transport.write(held[1])
        written += 1
    return written
