"""Connections that hold a server the way issue 23's attacker did, for benchmarks/abuse.py.

Three kinds, each from loopback addresses of its own, all driven by one process of their own (a
selector; not a thread of the benchmark, whose clients it would slow down for the GIL):
- idle: connect and send nothing;
- head: a request head sent a byte every `every_s`, never finished;
- body: a whole head announcing `Content-Length: 60000`, then the body a byte every `every_s`.
Whenever the server answers or closes one, what it got is counted (the status, or "closed" for an
end without an answer) and the connection is opened again at the next tick: the attack lasts the whole run.
"""

from __future__ import annotations

import multiprocessing
import re
import resource
import selectors
import socket
import time
from collections import Counter


class Slot:
    def __init__(self, kind: str, source: str, first: bytes, then: bytes) -> None:
        self.kind, self.source, self.first, self.then = kind, source, first, then
        self.sock: socket.socket | None = None
        self.sent = 0
        self.got = b""


class SlowClients:
    def __init__(self, host: str, port: int, idle: int, heads: int, bodies: int, body_path: str,
                 every_s: float = 1.0, per_address: int = 100) -> None:
        self.host, self.port, self.every_s = host, port, every_s
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # our own end of every connection
        head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100_000
        body_head = (f"POST {body_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 60000\r\n\r\n{{").encode()
        self.slots = [Slot("idle", f"127.0.240.{2 + i // per_address}", b"", b"") for i in range(idle)]
        self.slots += [Slot("head", f"127.0.241.{2 + i // per_address}", b"G", head[1:]) for i in range(heads)]
        self.slots += [Slot("body", f"127.0.242.{2 + i // per_address}", body_head, b" " * 60_000)
                       for i in range(bodies)]
        self.outcomes: dict[str, Counter[str]] = {k: Counter() for k in ("idle", "head", "body")}
        self.lifetimes: dict[str, list[float]] = {k: [] for k in ("idle", "head", "body")}
        self.refused = 0  # connects the kernel or the server refused
        self.open_at_end = 0
        self._opened: dict[int, float] = {}
        context = multiprocessing.get_context("fork")
        self._stop, self._results = context.Event(), context.Queue()
        self._process = context.Process(target=self._child, daemon=True, name="slow-clients")

    def start(self) -> None:
        self._process.start()

    def stop(self) -> None:
        self._stop.set()
        self.outcomes, self.lifetimes, self.refused, self.open_at_end = self._results.get(timeout=60)
        self._process.join(10)

    def _child(self) -> None:
        self._sel = selectors.DefaultSelector()
        for slot in self.slots:
            self._open(slot)
        self._run()
        self._results.put((self.outcomes, self.lifetimes, self.refused,
                           sum(slot.sock is not None for slot in self.slots)))
        for slot in self.slots:
            if slot.sock is not None:
                slot.sock.close()

    def _open(self, slot: Slot) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=2, source_address=(slot.source, 0))
            sock.sendall(slot.first)
        except OSError:
            self.refused += 1
            slot.sock = None
            return
        sock.setblocking(False)
        slot.sock, slot.sent, slot.got = sock, 0, b""
        self._opened[id(slot)] = time.monotonic()
        self._sel.register(sock, selectors.EVENT_READ, slot)

    def _ended(self, slot: Slot) -> None:
        match = re.match(rb"HTTP/1\.1 (\d{3})", slot.got)
        self.outcomes[slot.kind][match[1].decode() if match else "closed"] += 1
        self.lifetimes[slot.kind].append(time.monotonic() - self._opened.pop(id(slot)))
        self._sel.unregister(slot.sock)
        slot.sock.close()
        slot.sock = None

    def _run(self) -> None:
        next_at = time.monotonic() + self.every_s
        while not self._stop.is_set():
            for key, _ in self._sel.select(max(0.0, min(next_at - time.monotonic(), 0.2))):
                slot = key.data
                try:
                    data = slot.sock.recv(65536)
                except OSError:
                    data = b""
                slot.got += data
                if not data:
                    self._ended(slot)
            if time.monotonic() >= next_at:
                next_at += self.every_s
                for slot in self.slots:
                    if slot.sock is None:
                        self._open(slot)  # the attacker comes back at once
                    elif slot.sent < len(slot.then):
                        try:
                            slot.sock.send(slot.then[slot.sent:slot.sent + 1])
                            slot.sent += 1
                        except OSError:
                            pass

    def lines(self, who: str) -> list[str]:
        out = []
        for kind, label in (("idle", "silent connections"), ("head", "slow heads"), ("body", "slow bodies")):
            n = sum(s.kind == kind for s in self.slots)
            if not n:
                continue
            life = sorted(self.lifetimes[kind])
            median = f"{life[len(life) // 2]:.1f} s" if life else "-"
            out.append(f"attack on {who}: {n} {label} (a byte every {self.every_s:g} s, reopened when closed): "
                       f"ended {dict(self.outcomes[kind])}, median life {median}")
        out.append(f"attack on {who}: connects refused {self.refused}; open at the end {self.open_at_end}")
        return out

    def server_errors(self) -> int:
        return sum(n for c in self.outcomes.values() for status, n in c.items() if status.isdigit()
                   and int(status) >= 500)
