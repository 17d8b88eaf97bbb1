"""Live streams written by their broadcaster straight to the socket (issue 27, server/web/fanout.py):
the same framed bytes for every stream at the same place, a reader that stops reading is skipped
(its place kept) and caught up by id once it reads again, one that stays stuck is closed, and the
hub's own server frames the body as h11 would (chunks for HTTP/1.1, raw for HTTP/1.0). Real
sockets: a socket pair under asyncio's own transport, and the hub served by uvicorn."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from conftest import LiveHub, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.server.floor.events import KEEP_ALIVE, Cursor, Event, EventBus
from navbat.server.web import fanout

pytestmark = pytest.mark.own_event_loop  # asyncio.run: no Playwright loop may live beside it

IDS = re.compile(rb"^id: (\d+)$", re.M)


def dechunk(raw: bytes) -> bytes:
    """An HTTP/1.1 chunked body back to its data (raising on a malformed frame)."""
    out, at = b"", 0
    while at < len(raw):
        end = raw.index(b"\r\n", at)
        size = int(raw[at:end], 16)
        out += raw[end + 2:end + 2 + size]
        assert raw[end + 2 + size:end + 4 + size] == b"\r\n"
        at = end + 4 + size
    return out


def publish(bus: EventBus, first: int, n: int, pad: int = 2000) -> None:
    bus.publish([Event(i, "ticket.issued", "2026-12-07T10:00:00+00:00", {"ticket": i, "note": "x" * pad})
                 for i in range(first, first + n)])


class Pair:
    """A stream's server end under asyncio's socket transport (small buffers), and its client end."""

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, client: socket.socket) -> None:
        self.loop, self.transport, self.client = loop, transport, client

    @classmethod
    async def open(cls) -> Pair:
        server, client = socket.socketpair()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.setblocking(False)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, server)
        return cls(loop, transport, client)

    def read_all(self) -> bytes:
        out = b""
        while True:
            try:
                data = self.client.recv(1 << 16)
            except BlockingIOError:
                return out
            if not data:
                return out
            out += data


async def _drain(pairs: list[Pair], streams: list[fanout.RawStream]) -> list[bytes]:
    """Reads every pair until the transports have nothing left to send."""
    got = [b""] * len(pairs)
    for _ in range(500):
        for i, p in enumerate(pairs):
            got[i] += p.read_all()
        await asyncio.sleep(0.005)
        if all(s.transport.get_write_buffer_size() == 0 for s in streams):
            for i, p in enumerate(pairs):
                got[i] += p.read_all()
            return got
    raise AssertionError("the transports never drained")


def test_a_reader_that_stops_is_skipped_then_caught_up_by_id_and_others_get_the_same_bytes() -> None:
    async def run() -> None:
        bus = EventBus(lambda last: [], last_id=0)
        pairs = [await Pair.open() for _ in range(3)]
        cursors = [bus_cursor(bus) for _ in pairs]
        streams = [fanout.RawStream(p.transport, True, c, slow_bytes=20_000, drop_s=60) for p, c in zip(pairs, cursors,
                                                                                                       strict=True)]
        got = [b""] * 3
        sent = 0
        # pairs 0 and 1 read as they go; pair 2 reads nothing until the end
        for _ in range(40):
            publish(bus, sent + 1, 5)
            sent += 5
            fanout.deliver(streams)
            await asyncio.sleep(0.002)
            got[0] += pairs[0].read_all()
            got[1] += pairs[1].read_all()
        assert streams[2].slow_since is not None, "the stuck reader was never found behind"
        assert cursors[2].last_id < sent  # skipped: its place is kept, nothing was thrown away
        assert not streams[2].closed()
        # it reads again: the next wake-ups send it everything since its place, by id
        for _ in range(200):
            got[2] += pairs[2].read_all()
            await asyncio.sleep(0.002)
            fanout.deliver(streams)
            if cursors[2].last_id == sent:
                break
        rest = await _drain(pairs, streams)
        got = [g + r for g, r in zip(got, rest, strict=True)]
        for data in got:
            body = dechunk(data)
            assert [int(i) for i in IDS.findall(body)] == list(range(1, sent + 1))  # all, in order, none twice
        assert dechunk(got[0]) == dechunk(got[1])  # the same bytes for those who kept up
        for p in pairs:
            p.transport.close()
            p.client.close()

    asyncio.run(run())


def test_a_reader_stuck_past_drop_s_is_closed_and_the_rest_carry_on() -> None:
    async def run() -> None:
        bus = EventBus(lambda last: [], last_id=0)
        stuck, reader = await Pair.open(), await Pair.open()
        streams = [fanout.RawStream(stuck.transport, True, bus_cursor(bus), slow_bytes=20_000, drop_s=0.2),
                   fanout.RawStream(reader.transport, True, bus_cursor(bus), slow_bytes=20_000, drop_s=0.2)]
        got, sent, began = b"", 0, time.monotonic()
        while not streams[0].closed() and time.monotonic() - began < 10:
            publish(bus, sent + 1, 5)
            sent += 5
            fanout.deliver(streams)
            await asyncio.sleep(0.01)
            got += reader.read_all()
        assert streams[0].closed(), "a reader stuck past drop_s was left open"
        assert not streams[1].closed()
        for _ in range(200):  # what it was not sent while behind, once it has read
            fanout.deliver(streams)
            await asyncio.sleep(0.002)
            got += reader.read_all()
            if streams[1].cursor.last_id == sent:
                break
        got += b"".join(await _drain([reader], streams[1:]))
        assert [int(i) for i in IDS.findall(dechunk(got))] == list(range(1, sent + 1))
        for p in (stuck, reader):
            p.transport.close()
            p.client.close()

    asyncio.run(run())


def test_streams_at_different_places_each_get_their_own_bytes_once_in_order_with_a_slow_reader_among_them() -> None:
    """One pass looks each place up once (fanout.deliver): streams at the same place share the bytes,
    and none is sent another's. Here: two up-to-date HTTP/1.1 streams, an HTTP/1.0 one (unframed), one
    that joined at event 2 (Last-Event-ID), an anonymous one (events without summaries), and one
    that stops reading for a while: every one of them gets every event after its start, once, in
    order, in its own form."""
    async def run() -> None:
        bus = EventBus(lambda last: [], last_id=0)
        pairs = [await Pair.open() for _ in range(6)]
        up1, up2, raw, late, bare, stuck = range(6)
        cursors = [Cursor(bus, 0, 0), Cursor(bus, 0, 0), Cursor(bus, 0, 0), Cursor(bus, 2, 0),
                   Cursor(bus, 0, 0, with_queue=False, summaries=False), Cursor(bus, 0, 0)]
        streams = [fanout.RawStream(p.transport, i != raw, c, slow_bytes=20_000, drop_s=60)
                   for i, (p, c) in enumerate(zip(pairs, cursors, strict=True))]
        got, sent = [b""] * 6, 0

        def with_queue(first: int, n: int) -> None:
            bus.publish([Event(i, "ticket.called", "2026-12-07T10:00:00+00:00", {"ticket": i, "note": "x" * 1500},
                               queue={"PR": {"waiting": i}}) for i in range(first, first + n)])

        for stuck_reads in (False, True):  # the slow reader reads nothing at first, then as the rest
            for _ in range(30 if not stuck_reads else 300):
                if sent < 120:
                    with_queue(sent + 1, 4)
                    sent += 4
                fanout.deliver(streams)
                await asyncio.sleep(0.002)
                for i in range(6 if stuck_reads else 5):
                    got[i] += pairs[i].read_all()
                if sent == 120 and all(c.last_id == sent for c in cursors):
                    break
            if not stuck_reads:
                assert streams[stuck].slow_since is not None and cursors[stuck].last_id < sent  # it was skipped
        rest = await _drain(pairs, streams)
        got = [g + r for g, r in zip(got, rest, strict=True)]
        # what each was sent, keep-alives aside (those go to whoever had nothing new at that pass)
        bodies = [(data if i == raw else dechunk(data)).replace(KEEP_ALIVE, b"") for i, data in enumerate(got)]
        for i, body in enumerate(bodies):
            first = 3 if i == late else 1
            assert [int(n) for n in IDS.findall(body)] == list(range(first, sent + 1)), i  # all, once, in order
        assert bodies[up1] == bodies[up2] == bodies[raw] == bodies[stuck]  # the same events, in the same form
        assert b"\r\n" not in bodies[raw]  # not framed as chunks (HTTP/1.0)
        assert bodies[up1].count(b'"queue"') == sent and b'"queue"' not in bodies[bare]  # each in its own form
        assert bodies[late] == bodies[up1][bodies[up1].index(b"id: 3\n"):]
        for p in pairs:
            p.transport.close()
            p.client.close()

    asyncio.run(run())


def bus_cursor(bus: EventBus) -> Cursor:
    return Cursor(bus, 0, bus.queue_version)


@pytest.fixture
def hub(branch: Branch, tmp_path: Path) -> Iterator[LiveHub]:
    app = make_app(branch, tmp_path / "navbat.sqlite", SSE_HEARTBEAT_S=0.2)
    url, stop = serve_in_thread(app, threads=4)
    yield LiveHub(app, url)
    stop()


def _raw_stream(url: str, version: str, token: str) -> socket.socket:
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=10)
    sock.sendall(f"GET /api/v1/events?token={token} HTTP/{version}\r\nHost: {u.hostname}:{u.port}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    return sock


def _read_until(sock: socket.socket, pattern: bytes, seconds: float = 10) -> bytes:
    data, until = b"", time.monotonic() + seconds
    while pattern not in data and time.monotonic() < until:
        data += sock.recv(1 << 16)
    return data


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_the_hubs_server_frames_fanned_out_events_as_h11_would(hub: LiveHub, version: str) -> None:
    kiosk = {"Authorization": f"Bearer {hub.app.config['KIOSK_TOKEN']}"}
    sock = _raw_stream(hub.url, version, hub.app.config["DISPLAY_TOKEN"])
    try:
        data = _read_until(sock, b"connected at event")
        for i, service in enumerate(("PR1", "IN1")):
            r = requests.post(f"{hub.url}/api/v1/tickets", json={"service": service}, timeout=10,
                              headers={**kiosk, "Idempotency-Key": f"fan-{i}"})
            assert r.status_code == 201, r.text
        data += _read_until(sock, b"event: ticket.issued")
        # then a heartbeat (SSE_HEARTBEAT_S), whole: the last frame ends there
        data += _read_until(sock, b"keep-alive\n\n" + (b"\r\n" if version == "1.1" else b""))
        headers, _, body = data.partition(b"\r\n\r\n")
        if version == "1.1":
            assert b"transfer-encoding: chunked" in headers.lower()
            text = dechunk(body)
        else:
            assert b"transfer-encoding" not in headers.lower()
            text = body
        assert b": connected at event" in text
        assert len(IDS.findall(text)) >= 2 and b"event: ticket.issued" in text
        assert b"\r\n" not in text  # no chunk frame left inside the events
    finally:
        sock.close()


def test_a_burst_reaches_every_stream_slice_by_slice_and_the_next_keeps_to_the_share() -> None:
    """More streams than one slice: one fire writes to all of them (the rest in later turns of the
    loop), and a burst poked after it begins no earlier than the quiet time the writes earned."""
    from navbat.server.web.asgi import FANOUT_SLICE, Broadcaster

    async def run() -> None:
        loop = asyncio.get_running_loop()
        bus = EventBus(lambda last: [], last_id=0)
        pairs = [await Pair.open() for _ in range(FANOUT_SLICE * 2 + 7)]
        broadcaster = Broadcaster(loop, coalesce_s=0.001, heartbeat_s=60, share=0.01)
        streams = [fanout.RawStream(p.transport, True, bus_cursor(bus)) for p in pairs]
        broadcaster.streams[0].update(streams)
        publish(bus, 1, 3, pad=10)
        broadcaster.fire()
        assert sum(s.cursor.last_id == 3 for s in streams) == FANOUT_SLICE  # one slice in this turn
        for _ in range(100):
            await asyncio.sleep(0)
            if all(s.cursor.last_id == 3 for s in streams):
                break
        assert all(s.cursor.last_id == 3 for s in streams)
        bodies = {dechunk(p.read_all()) for p in pairs}
        assert len(bodies) == 1 and [int(i) for i in IDS.findall(bodies.pop())] == [1, 2, 3]  # the same bytes
        quiet_until = broadcaster.quiet_until
        assert quiet_until > loop.time()  # 99 × what the writes took, at share 0.01
        publish(bus, 4, 1, pad=10)
        broadcaster.poke()
        await asyncio.sleep(broadcaster.coalesce_s * 2)
        if loop.time() < quiet_until:  # held back: nobody has the new event yet
            assert all(s.cursor.last_id == 3 for s in streams)
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if all(s.cursor.last_id == 4 for s in streams):
                break
        assert all(s.cursor.last_id == 4 for s in streams)  # then everyone has it
        assert loop.time() >= quiet_until
        broadcaster.stop()
        for p in pairs:
            p.transport.close()
            p.client.close()

    asyncio.run(run())
