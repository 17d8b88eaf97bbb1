"""Time and count limits on every connection, kept on the event loop (issue 23): for the hub and HQ.

uvicorn's HTTP/1.1 protocol reads a request head with no time limit and starts its keep-alive
timer only after a first answer, so a connection that sends nothing, or a head a byte at a time,
was held for good; and nothing bounded the connections of one address. Here:
- a request head must be whole within `head_s` of the connection's accept, or of its first byte
  after an answer (a keep-alive connection otherwise closes after uvicorn's `timeout_keep_alive`):
  part of a head gets a JSON 408, silence is just closed;
- one address (but this machine's: a reverse proxy) holds at most `per_address` connections, all
  of them at most `connections`: past either, the connection gets a JSON 503 and is closed at
  once, before any request is read; but `reserve` more past `connections` are admitted on
  probation (scope[PROBATION]): the application serves a request there only for a known caller
  (the hub: server.web.lanes, so a kiosk reconnecting while a flood holds the server is served);
- a refusal is closed gently (`linger`): what the client is still sending is read and dropped for
  a moment, since closing a socket with unread data resets it and the client would lose the answer.
Bodies are read on the loop by server.bodyfirst, under `body_s` plus a minimum rate.

Every bound can be set from the environment (`NAVBAT_HEAD_S`, ...: `Limits.from_env`), so
HQ's worker processes and a test's server take the same values.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

LINGER_S = 2.0
PROBATION_HEAD_S = 1.0  # a head's time on a connection admitted past the cap (PROBATION)
LINGER_BYTES = 4 * 1024 * 1024  # dropped at least; a refused body's announced length, up to LINGER_MAX
LINGER_MAX = 64 * 1024 * 1024
REFUSE = "navbat.refuse"  # the scope's key for the protocol's refuse(), for server.bodyfirst
PROBATION = "navbat.probation"  # the scope's key: the connection came past the cap, on probation (server.web.lanes)
TRANSPORT = "navbat.transport"  # the scope's key for the connection's transport: live streams write to it (server.asgi)
SPARE_FILES = 1024  # descriptors beside the connections: databases, logs, pipes, the listening socket
ACCEPT_FAILED = "socket.accept() out of system resource"


@dataclass(frozen=True)
class Limits:
    head_s: float = 10.0  # a request head, from the accept or the first byte after an answer
    body_s: float = 10.0  # a body's allowance ...
    body_rate: int = 8 * 1024  # ... plus its length at this many bytes a second (a slow WAN still ships)
    body_memory: int = 128 * 1024 * 1024  # bodies held in memory at once, read or waiting for a thread
    keep_alive_s: float = 60.0  # an idle connection between requests (a kiosk's, between tickets)
    per_address: int = 128  # one address's connections (a NAT of phones: raise it)
    connections: int = 8000  # everyone's, streams included
    reserve: int = 0  # more past `connections`, on probation (PROBATION): the hub serves known callers there
    # Not capped per address: this machine, i.e. a reverse proxy in front (HQ behind nginx, which
    # uvicorn trusts for X-Forwarded-For): all its clients share its address, their caps are its own.
    uncapped: tuple[str, ...] = ("127.0.0.1", "::1")

    @classmethod
    def from_env(cls, **defaults: Any) -> Limits:
        """These limits, each overridden by NAVBAT_<FIELD> (upper case) when set."""
        values = dict(defaults)
        for field in dataclasses.fields(cls):
            if field.type not in ("float", "int"):
                continue
            raw = os.environ.get(f"NAVBAT_{field.name.upper()}")
            if raw:
                values[field.name] = float(raw) if field.type == "float" else int(raw)
        return cls(**values)

    def env(self) -> dict[str, str]:
        """The environment that gives these limits to another process (HQ's workers)."""
        return {f"NAVBAT_{f.name.upper()}": str(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.type in ("float", "int")}


def raw_answer(status: int, reason: str, error: str, message: str, extra: str = "") -> bytes:
    """A whole JSON answer that closes the connection, for when h11 has no request to answer."""
    body = json.dumps({"error": error, "message": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"connection: close\r\n{extra}\r\n").encode() + body


BUSY = raw_answer(503, "Service Unavailable", "too_many_connections",
                  "too many connections from this address; try again shortly", "retry-after: 5\r\n")
LATE_HEAD = raw_answer(408, "Request Timeout", "request_timeout", "the request's head came too slowly")


class LimitedProtocol(H11Protocol):
    """uvicorn's h11 protocol with the limits of the module's docstring. Made by uvicorn through
    `functools.partial(LimitedProtocol, limits=..., addresses=Counter())`: the counter is the server's."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *, limits: Limits | None = None,
                 addresses: Counter[str] | None = None) -> None:
        # uvicorn's own set-up of a connection (an h11 state machine, loggers, flow control, two
        # address look-ups; and its tear-down) waits for the connection's first byte (`_start`): a
        # connection that never sends one, thousands a second from an attacker, costs the loop a
        # fraction of it (issue 23).
        self._made: tuple[Any, ...] | None = (config, server_state, app_state, _loop)
        self.loop = _loop or asyncio.get_event_loop()
        self.connections = server_state.connections
        self.transport = None  # type: ignore[assignment]
        self.cycle = None  # type: ignore[assignment]
        self.timeout_keep_alive_task = None
        self.limits = limits or Limits()
        self.addresses: Counter[str] = addresses if addresses is not None else Counter()
        self._address: str | None = None  # counted under it
        self._head_timer: asyncio.TimerHandle | None = None
        self._discard: int | None = None  # bytes still to drop before closing; None: not closing
        self.probation = False  # admitted past the cap: only a known caller is served (PROBATION)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport
        self.connections.add(self)  # counted (and stopped with the server) from the accept
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if len(self.connections) > self.limits.connections:
            if len(self.connections) > self.limits.connections + self.limits.reserve:
                transport.write(BUSY)  # the whole server is full: the descriptor goes back at once
                transport.close()
                return
            self.probation = True
        if address not in self.limits.uncapped:
            if self.addresses[address] >= self.limits.per_address:
                transport.write(BUSY)
                self.linger()
                return
            self._address = address
            self.addresses[address] += 1
        # Somewhere in the last quarter of the bound: thousands of connections opened together (an
        # attacker's) are closed across a few seconds, not in one turn of the loop that every kiosk waits for.
        # On probation, a head at once: the reserve is for kiosks that speak, not for silent floods.
        head_s = min(self.limits.head_s, PROBATION_HEAD_S) if self.probation else self.limits.head_s
        self._head_timer = self.loop.call_later(head_s * random.uniform(0.75, 1.0), self._head_late)

    def _start(self) -> None:
        """The connection's first byte: uvicorn's own set-up, as it would have done at the accept."""
        made, self._made = self._made, None
        transport, timer = self.transport, self._head_timer
        H11Protocol.__init__(self, *made)
        self._head_timer = timer
        H11Protocol.connection_made(self, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is not None:
            self.addresses[self._address] -= 1
            if self.addresses[self._address] <= 0:
                del self.addresses[self._address]
            self._address = None
        self._cancel_head()
        if self._made is not None:  # never sent a byte: uvicorn never knew it
            self.connections.discard(self)
            return
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self._discard is not None or self._made is not None:  # closing already, or silent so far
            self.transport.close()
        else:
            super().shutdown()

    def data_received(self, data: bytes) -> None:
        if self._discard is None:
            if self._made is not None:
                self._start()
            return super().data_received(data)
        self._discard -= len(data)
        if self._discard < 0:
            self.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if self._discard is not None or self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:  # between requests: a head's first bytes start its clock
            if self._head_timer is None and self.conn.trailing_data[0]:
                self._head_timer = self.loop.call_later(self.limits.head_s, self._head_late)
        else:
            self._cancel_head()
        if self.cycle is not None:
            self.cycle.scope[REFUSE] = self.refuse  # type: ignore[literal-required]
            self.cycle.scope[TRANSPORT] = self.transport  # type: ignore[literal-required]
            if self.probation:
                self.cycle.scope[PROBATION] = True  # type: ignore[literal-required]

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._made is not None:  # not a byte since the accept
            self.transport.close()
            return
        if self.transport.is_closing() or self._discard is not None or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0] and self.conn.our_state is h11.IDLE:  # part of a head came
            self.transport.write(LATE_HEAD)
            self.linger()
        else:  # nothing since the accept or the last answer
            self.transport.close()

    def refuse(self, answer: bytes, coming: int = 0) -> None:
        """The application's refusal of a request (server.bodyfirst), in place of an ASGI answer: `answer`
        whole (it says `connection: close`, so no client sends another request here), then linger."""
        if self.cycle is not None:  # answered: uvicorn adds nothing when the application returns
            self.cycle.response_started = self.cycle.response_complete = True
        self.transport.write(answer)
        self.linger(coming)

    def linger(self, coming: int = 0) -> None:
        """After a refusal's answer: our end closed, theirs read and dropped until they stop (or for LINGER_S);
        `coming`: the bytes the client said it would still send (a refused body's length)."""
        if self._discard is not None or self.transport.is_closing():
            return
        self._cancel_head()
        self._unset_keepalive_if_required()
        self._discard = max(LINGER_BYTES, min(coming, LINGER_MAX))
        if self.transport.can_write_eof():
            try:
                self.transport.write_eof()
            except OSError:  # the client is gone already (a reset as its slow body was refused): nothing to linger for
                self.transport.close()
                return
        self.loop.call_later(LINGER_S, self.transport.close)


class OncePerInterval(logging.Filter):
    """asyncio logs a traceback for every failed accept when the process has no descriptor left:
    thousands a second (228 MB in 40 s at HQ). This lets one line through per `every_s`, with the
    count of the ones it held back."""

    def __init__(self, start: str = ACCEPT_FAILED, every_s: float = 60.0) -> None:
        super().__init__()
        self.start, self.every_s = start, every_s
        self._last = -every_s
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.start):
            return True
        now = time.monotonic()
        if now - self._last < self.every_s:
            self._held += 1
            return False
        exc = record.exc_info[1] if record.exc_info else None
        record.msg = f"{self.start}: {exc} ({self._held} more in the last {self.every_s:.0f} s not logged)"
        record.args, record.exc_info, record.exc_text = (), None, None
        self._last, self._held = now, 0
        return True


def quiet_accept_errors(every_s: float = 60.0) -> None:
    """Once per process: the accept failures on asyncio's log, one line per `every_s`."""
    log = logging.getLogger("asyncio")
    if not any(isinstance(f, OncePerInterval) for f in log.filters):
        log.addFilter(OncePerInterval(every_s=every_s))


def raise_file_limit(connections: int) -> int:
    """Every connection is a file descriptor: asks for `connections` + SPARE_FILES (as far as the hard
    limit lets); returns the limit the process runs with, which the server prints."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft
