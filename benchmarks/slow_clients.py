"""Issue 23's attackers, all in one asyncio process of their own, for benchmarks/abuse.py and abuse_hq.py.

The attackers share this machine's two cores with the server they attack and with the measured
clients: here they are one process (not threads of the benchmark, whose clients would wait for
its GIL), one event loop, every connection a coroutine that sleeps between its bytes (no thread
each, no spinning). Each kind comes from loopback addresses of its own:
- idle: connect and send nothing (`per_address` to an address);
- head: a request head sent a byte every `every_s`, never finished;
- body: a whole head announcing `Content-Length: 60000`, then the body a byte every `every_s`;
Whenever the server answers or closes one, what it got is counted (the status, "503 busy" for a
refusal at a connection cap, or "closed" for an end without an answer) and the connection is
opened again `every_s` later: the attack lasts the whole run.
Request attackers (`Paced`), each one request after another, on a connection of its own, at most
`rate` a second and never faster than answered: PIN guessers, 10 MB bodies, spoken calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

CONNECTS_AT_ONCE = 256  # the attacker's own connects in flight (more only queue in its kernel)


@dataclass
class Slot:
    kind: str
    source: str
    first: bytes
    then: bytes


@dataclass
class Paced:
    """A request attacker: `make(n)` is the n-th request's bytes (a whole HTTP/1.1 request)."""

    kind: str
    source: str
    rate: float
    make: Callable[[int], bytes]


class SlowClients:
    def __init__(self, host: str, port: int, idle: int, heads: int, bodies: int, body_path: str,
                 every_s: float = 1.0, per_address: int = 100, paced: list[Paced] | None = None) -> None:
        self.host, self.port, self.every_s = host, port, every_s
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # our own end of every connection
        head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100_000
        body_head = (f"POST {body_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 60000\r\n\r\n{{").encode()
        self.slots = [Slot("idle", _source(240, i // per_address), b"", b"") for i in range(idle)]
        self.slots += [Slot("head", _source(241, i // per_address), b"G", head[1:]) for i in range(heads)]
        self.slots += [Slot("body", _source(242, i // per_address), body_head, b" " * 60_000) for i in range(bodies)]
        self.paced = [p for p in paced or [] if p.rate > 0]
        kinds = {s.kind for s in self.slots} | {p.kind for p in self.paced}
        self.outcomes: dict[str, Counter[str]] = {k: Counter() for k in kinds}
        self.lifetimes: dict[str, list[float]] = {k: [] for k in kinds}
        self.refused = 0  # connects the kernel refused (or that found no answer in time)
        self.open_at_end = 0
        self.sent_bytes = 0
        context = multiprocessing.get_context("fork")
        self._stop, self._results = context.Event(), context.Queue()
        self._process = context.Process(target=self._child, daemon=True, name="attackers")

    def start(self) -> None:
        self._process.start()
        self._started, self._cpu0 = time.monotonic(), _cpu_seconds(self._process.pid)

    def stop(self) -> None:
        self.cpu_s = _cpu_seconds(self._process.pid) - self._cpu0
        self.seconds = time.monotonic() - self._started
        self._stop.set()
        (self.outcomes, self.lifetimes, self.refused, self.open_at_end,
         self.sent_bytes) = self._results.get(timeout=90)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()  # its connections go with it
            self._process.join(5)

    # ---- the child -------------------------------------------------------------------------

    def _child(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._open = 0
        self._connects = asyncio.Semaphore(CONNECTS_AT_ONCE)
        tasks = [asyncio.create_task(self._hold(slot)) for slot in self.slots]
        tasks += [asyncio.create_task(self._pace(p)) for p in self.paced]
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._stop.wait)
        # the figures first: cancelling thousands of connections on a loaded machine can take longer
        # than the benchmark waits for them
        self._results.put((self.outcomes, self.lifetimes, self.refused, self._open, self.sent_bytes))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _connect(self, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        async with self._connects:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, local_addr=(source, 0), limit=2**20), 10)
            except (OSError, TimeoutError):
                self.refused += 1
                return None

    async def _hold(self, slot: Slot) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(random.random() * self.every_s)  # a tick of its own: the bytes do not all come at once
        while True:
            pair = await self._connect(slot.source)
            if pair is None:
                await asyncio.sleep(self.every_s)
                continue
            reader, writer = pair
            opened = loop.time()
            self._open += 1
            drip = asyncio.create_task(self._drip(writer, slot))
            got = b""
            try:
                while len(got) < 4096:
                    data = await reader.read(65536)
                    if not data:
                        break
                    got += data
            except OSError:
                pass
            finally:
                self._open -= 1
                drip.cancel()
                writer.transport.abort()
            self.outcomes[slot.kind][_status(got)] += 1
            self.lifetimes[slot.kind].append(loop.time() - opened)
            await asyncio.sleep(self.every_s)  # the attacker comes back at its next tick

    async def _drip(self, writer: asyncio.StreamWriter, slot: Slot) -> None:
        writer.write(slot.first)
        for i in range(len(slot.then)):
            await asyncio.sleep(self.every_s)
            writer.write(slot.then[i:i + 1])

    async def _pace(self, p: Paced) -> None:
        loop = asyncio.get_running_loop()
        next_at, n = loop.time() + random.random() / p.rate, 0
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at = max(next_at + 1 / p.rate, loop.time())  # never faster than answered
            n += 1
            request = p.make(n)
            pair = await self._connect(p.source)
            if pair is None:
                continue
            reader, writer = pair
            started = loop.time()
            self._open += 1
            try:
                writer.write(request)
                self.sent_bytes += len(request)
                got = await asyncio.wait_for(reader.read(4096), 30)
                status = _status(got)
            except (OSError, TimeoutError) as exc:
                status = type(exc).__name__  # a reset while we were still sending: the answer was lost
            finally:
                self._open -= 1
                writer.transport.abort()
            self.outcomes[p.kind][status] += 1
            self.lifetimes[p.kind].append(loop.time() - started)

    # ---- figures ---------------------------------------------------------------------------

    def lines(self, who: str) -> list[str]:
        out = []
        for kind, label in (("idle", "silent connections"), ("head", "slow heads"), ("body", "slow bodies")):
            n = sum(s.kind == kind for s in self.slots)
            if not n:
                continue
            addresses = len({s.source for s in self.slots if s.kind == kind})
            out.append(f"attack on {who}: {n} {label} from {addresses} address(es) (a byte every {self.every_s:g} s, "
                       f"reopened {self.every_s:g} s after each end): ended {dict(self.outcomes[kind])}, "
                       f"median life {_median(self.lifetimes[kind])}")
        for kind in dict.fromkeys(p.kind for p in self.paced):
            mine = [p for p in self.paced if p.kind == kind]
            out.append(f"attack on {who}: {kind} from {len(mine)} address(es) (each up to {mine[0].rate:g}/s, one at a "
                       f"time): {dict(self.outcomes[kind])}, median answer {_median(self.lifetimes[kind])}")
        out.append(f"attack on {who}: connects refused or unanswered {self.refused}; open at the end {self.open_at_end}"
                   f"; {self.sent_bytes / 2**20:,.0f} MB sent by the request attackers; the attackers' process used "
                   f"{self.cpu_s / self.seconds * 100:.0f} % of one core (of this machine's, beside the server)")
        return out

    def server_errors(self) -> int:
        """5xx answers to the attackers, but the connection caps' refusals ("503 busy": the caps at work)."""
        return sum(n for c in self.outcomes.values() for status, n in c.items() if status[:1] == "5"
                   and status != "503 busy")

    def refused_at_caps(self) -> int:
        return sum(c.get("503 busy", 0) for c in self.outcomes.values())


def _source(group: int, index: int) -> str:
    """The index-th address of a group: 127.0.<group>.2..251, then 127.1.<group>.2.., and so on."""
    return f"127.{index // 250}.{group}.{2 + index % 250}"


def _status(got: bytes) -> str:
    match = re.match(rb"HTTP/1\.1 (\d{3})", got)
    if not match:
        return "closed"
    if match[1] == b"503" and b"too_many_connections" in got:
        return "503 busy"
    return match[1].decode()


def _median(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[len(values) // 2]:.2f} s" if values else "-"


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has used so far, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")
