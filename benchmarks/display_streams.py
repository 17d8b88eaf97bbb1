"""Calls reaching 30, 300 and 1,000 display streams while clerks work as fast as they can (issue 27).

    .venv/bin/python benchmarks/display_streams.py [--subscribers 30,300,1000] [--seconds 20]
                                                   [--forms full,changes] [--runs 3]

For each form and number of subscribers: a fresh `navbat hub` (uvicorn, as in production) on a
temporary database, N registered display streams (one display token, as a hall of wall screens)
read by one process over plain sockets and epoll (a recv, a clock reading and a search for the
call's id per read: the readers share the hub's two cores, and asyncio client processes, a task
and a StreamReader per stream, `--reader asyncio`, cost them about five times the CPU per visit,
taken from the hub), and 8 clerks in this process, each visit being a kiosk's
ticket, the clerk's "next" and "done", back to back for `--seconds`. Measured: for every call,
the time from just before POST /counters/<n>/next is sent until the last of the N streams has
read its ticket.called event (call-to-all-displays), and the clerks' visits per second.
`full` streams get each event's summaries (GET /api/v1/events, as before issue 27); `changes`
streams ask ?changes=1 (what moved in the summaries only). Each clerk's tickets come from a kiosk
token of its own (a kiosk token's budget, issue 23, is 10 tickets/s at most). With --runs N each
figure is the median of N runs (a fresh hub each), printed with the ratio to the first size's.
Printed beside: the CPU seconds per second of the hub and of the readers over the clerks' window.
Targets (issue 27): at 1,000 displays, call-to-all p99 within 1.5x of 30's and under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from calling import ROOT, _up, free_port, loose_config, percentile, prepare
from navbat.foundation import event_types as E
from navbat.foundation.config import load_config
from navbat.foundation.hub_events import wait_until
from navbat.server.floor.db import open_db
from navbat.server.web.auth import add_device

CALL_TYPE = E.TICKET_CALLED.encode()  # what a display reads a call by, in the bytes it receives

PER_CLIENT = 250  # streams per client process (--reader asyncio)
CALLED = re.compile(rb'event: ' + re.escape(CALL_TYPE) + rb'\ndata: \{[^\n]*?"ticket": ?(\d+)')


def subscribers(url: str, token: str, n: int, changes: bool, ready: mp.Event, stop: mp.Event,
                out: mp.connection.Connection, cheap: bool = True) -> None:
    """N streams read in this process; sends back ({ticket: [streams that read it, first and last arrival]},
    the bytes read, this process's CPU seconds while the clerks worked)."""
    (epoll_reader if cheap else asyncio_reader)(url, token, n, changes, ready, stop, out)


def _path(token: str, changes: bool) -> str:
    return f"/api/v1/events?token={token}" + ("&changes=1" if changes else "")


def _arrived(arrivals: dict[int, list], text: bytes, cut: int, now: float) -> None:
    for m in CALLED.finditer(text, 0, cut):
        seen = arrivals.setdefault(int(m.group(1)), [0, now, now])  # streams that read it, the first and last read
        seen[0] += 1
        seen[2] = max(seen[2], now)


def epoll_reader(url: str, token: str, n: int, changes: bool, ready: mp.Event, stop: mp.Event,
                 out: mp.connection.Connection) -> None:
    """N plain non-blocking sockets under one epoll: per read a recv, a clock reading and a search
    for the call's id, nothing more (a display's own drawing is not what is measured)."""
    host, port = url.removeprefix("http://").split(":")
    request = f"GET {_path(token, changes)} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
    poller, socks, tails = select.epoll(), {}, {}
    for i in range(n):
        sock = socket.create_connection((host, int(port)), timeout=30)
        sock.sendall(request)
        sock.setblocking(False)
        socks[sock.fileno()], tails[sock.fileno()] = sock, b""
        poller.register(sock.fileno(), select.EPOLLIN)
        if i % 50 == 49:
            time.sleep(0.05)
    opened, arrivals, read, cpu = set(), {}, 0, None
    perf, recv_size = time.perf_counter, 1 << 16
    while not stop.is_set():
        for fd, _ in poller.poll(0.5):
            try:
                data = socks[fd].recv(recv_size)
            except BlockingIOError:
                continue
            if not data:
                poller.unregister(fd)
                continue
            now = perf()
            read += len(data)
            text = tails[fd] + data if tails[fd] else data
            cut = text.rfind(b"\n\n") + 2  # whole messages only; the rest waits for its end
            if CALL_TYPE in text:
                _arrived(arrivals, text, cut, now)
            tails[fd] = text[cut:] if cut >= 2 else text
            if cpu is None:
                opened.add(fd)
                if len(opened) == n:  # every stream has its opening line: the clerks may begin
                    cpu = time.process_time()
                    ready.set()
    out.send((arrivals, read, time.process_time() - (cpu or 0.0)))
    for sock in socks.values():
        sock.close()


def asyncio_reader(url: str, token: str, n: int, changes: bool, ready: mp.Event, stop: mp.Event,
                   out: mp.connection.Connection) -> None:
    """N streams in one asyncio loop, a task and a StreamReader each (the benchmark's first reader)."""
    host, port = url.removeprefix("http://").split(":")
    path = _path(token, changes)
    arrivals: dict[int, list] = {}
    read = [0, 0]  # bytes, connected

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        read[1] += 1
        tail = b""
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(reader.read(1 << 16), 0.5)
            except TimeoutError:
                continue
            if not data:
                return
            now = time.perf_counter()
            read[0] += len(data)
            text = tail + data
            cut = text.rfind(b"\n\n") + 2  # whole messages only; the rest waits for its end
            _arrived(arrivals, text, cut, now)
            tail = text[cut:] if cut >= 2 else text
        writer.close()

    async def main() -> float:
        tasks = []
        for i in range(n):
            tasks.append(asyncio.ensure_future(one()))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        while read[1] < n:
            await asyncio.sleep(0.05)
        cpu = time.process_time()
        ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return cpu

    cpu = asyncio.run(main())
    out.send((arrivals, read[0], time.process_time() - cpu))


def _cpu_s(pid: int) -> float:
    """A process's CPU seconds so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(n: int, changes: bool, seconds: float, cheap: bool = True, hub_path: str = "") -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="navbat-streams-"))
    db = tmp / "bench.sqlite"
    kiosk = prepare(db)
    floor_db = open_db(db)
    display = add_device(floor_db, "wall-1", "display")
    kiosks = {1: kiosk, **{k: add_device(floor_db, f"kiosk-{k}", "kiosk") for k in range(2, 9)}}
    floor_db.conn.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--db", str(db), "--config", str(loose_config(tmp)),
                            "--port", str(port), "--threads", "64", "--ignore-hours"], cwd=ROOT,
                           env={**os.environ, "PYTHONSAFEPATH": "1", **({"PYTHONPATH": hub_path} if hub_path else {})},
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    stop = mp.Event()
    # --reader asyncio: the streams spread over client processes of at most PER_CLIENT each (a task and
    # a StreamReader per stream cost about what the hub spends on it); --reader epoll: one process
    # devices, and one Python process reading them all measured its own lag as much as the hub's
    per = n if cheap else PER_CLIENT
    shares = [n // -(-n // per) + (1 if i < n % -(-n // per) else 0) for i in range(-(-n // per))]
    pipes = [mp.Pipe() for _ in shares]
    readies = [mp.Event() for _ in shares]
    procs = [mp.Process(target=subscribers, args=(url, display, k, changes, ready, stop, there, cheap))
             for k, ready, (_, there) in zip(shares, readies, pipes, strict=True)]
    try:
        http = requests.Session()
        if not wait_until(lambda: _up(http, url), 20):
            raise SystemExit("the hub did not start")
        for proc in procs:
            proc.start()
        if not all(ready.wait(60) for ready in readies):
            raise SystemExit("the streams did not connect")
        branch = load_config()
        primary = {c.number: [s.code for s in c.services if s.weight >= 1] for c in branch.counters}
        clerks = {}
        for k in range(1, 9):
            token = http.post(f"{url}/api/v1/login", json={"username": f"clerk{k}", "pin": str(k) * 4,
                                                           "counter": k}).json()["token"]
            clerks[k] = {"Authorization": f"Bearer {token}"}
            http.post(f"{url}/api/v1/counters/{k}/open", headers=clerks[k]).raise_for_status()
        time.sleep(1)
        sent: dict[int, float] = {}
        answered: list[float] = []  # ms from a call's POST to its answer: the clerk's own wait
        visits, i, busy = 0, 0, set()
        began, hub_cpu = time.perf_counter(), _cpu_s(hub.pid)
        while time.perf_counter() - began < seconds:
            k = i % 8 + 1
            i += 1
            http.post(f"{url}/api/v1/tickets", json={"service": primary[k][i // 8 % len(primary[k])]},
                      headers={"Authorization": f"Bearer {kiosks[k]}", "Idempotency-Key": f"s-{i}"}).raise_for_status()
            if k in busy:
                http.post(f"{url}/api/v1/counters/{k}/done", headers=clerks[k]).raise_for_status()
                visits += 1
            t0 = time.perf_counter()
            r = http.post(f"{url}/api/v1/counters/{k}/next", headers=clerks[k])
            r.raise_for_status()
            if r.status_code == 200:
                sent[r.json()["id"]] = t0
                answered.append((time.perf_counter() - t0) * 1000)
                busy.add(k)
        elapsed = time.perf_counter() - began
        time.sleep(3)  # the last calls reach everyone
        stop.set()
        window, hub_cpu = time.perf_counter() - began, _cpu_s(hub.pid) - hub_cpu  # the readers' window too
        arrivals, read, readers_cpu = {}, 0, 0.0
        for here, _ in pipes:
            theirs, bytes_read, cpu = here.recv()
            read, readers_cpu = read + bytes_read, readers_cpu + cpu
            for ticket, (count, first, last) in theirs.items():
                seen = arrivals.setdefault(ticket, [0, first, last])
                seen[:] = seen[0] + count, min(seen[1], first), max(seen[2], last)
        for proc in procs:
            proc.join(10)
    finally:
        stop.set()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        hub.terminate()
        hub.wait(10)
    to_all = [(arrivals[t][2] - t0) * 1000 for t, t0 in sent.items() if arrivals.get(t, (0,))[0] >= n]
    to_first = [(arrivals[t][1] - t0) * 1000 for t, t0 in sent.items() if t in arrivals]
    missing = sum(1 for t in sent if arrivals.get(t, (0,))[0] < n)
    return {"p50": percentile(to_all, 50), "p99": percentile(to_all, 99), "mean": statistics.fmean(to_all),
            "first p50": percentile(to_first, 50), "first p99": percentile(to_first, 99),
            "answer p50": percentile(answered, 50), "answer p99": percentile(answered, 99),
            "visits/s": visits / elapsed, "calls": len(sent), "missing": missing,
            "KB/s per display": read / n / elapsed / 1000,
            "hub CPU": hub_cpu / window, "readers CPU": readers_cpu / window}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", default="30,300,1000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--forms", default="full,changes")
    ap.add_argument("--runs", type=int, default=1, help="runs per figure; the median is printed")
    ap.add_argument("--reader", choices=("epoll", "asyncio"), default="epoll",
                    help="epoll: one process reads every stream with plain sockets (default); asyncio: a task and "
                         "a StreamReader per stream, 250 streams a process (the first reader, costlier)")
    ap.add_argument("--hub-path", default="",
                    help="a folder holding another build's `navbat` package, put first on the hub's path: "
                         "two builds compared side by side (the readers and clerks stay this one's)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    for form in args.forms.split(","):
        base = None
        for n in (int(x) for x in args.subscribers.split(",")):
            runs = [run_once(n, form == "changes", args.seconds, args.reader == "epoll", args.hub_path)
                    for _ in range(args.runs)]
            if args.runs > 1:
                for k, one in enumerate(runs, 1):
                    print(f"  run {k}: {n} displays: p50 {one['p50']:6.1f} ms  p99 {one['p99']:6.1f} ms  "
                          f"(to the first display p50 {one['first p50']:.1f}, p99 {one['first p99']:.1f}; "
                          f"the call's answer p50 {one['answer p50']:.1f}, p99 {one['answer p99']:.1f})  "
                          f"{one['visits/s']:5.1f} visits/s  {one['calls']} calls  CPU: hub {one['hub CPU']:.2f}, "
                          f"readers {one['readers CPU']:.2f} s/s", flush=True)
            r = {key: statistics.median(one[key] for one in runs) for key in runs[0]}
            base = base or r
            print(f"{form:<8} {n:>5} displays: call-to-all p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms "
                  f"({r['p99'] / base['p99']:.2f}x 30's)  clerks {r['visits/s']:5.1f} visits/s "
                  f"({r['visits/s'] / base['visits/s']:.2f}x)  {r['KB/s per display']:5.1f} KB/s per display "
                  f"({r['KB/s per display'] / r['visits/s']:.2f} KB a visit)  "
                  f"{r['calls']:.0f} calls, {r['missing']:.0f} not at all displays  "
                  f"CPU s/s: hub {r['hub CPU']:.2f}, readers {r['readers CPU']:.2f}", flush=True)
        print(f"RESULT {form} p99_ratio_{n}={r['p99'] / base['p99']:.2f} p99_{n}_ms={r['p99']:.1f} "
              f"(targets 1.5 and 200 ms: {'met' if r['p99'] / base['p99'] <= 1.5 and r['p99'] < 200 else 'not met'})",
              flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
