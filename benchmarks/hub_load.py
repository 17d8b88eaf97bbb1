"""Load on the hub over real sockets: kiosks issuing, clerks calling, displays listening, a head reading reports.

    .venv/bin/python benchmarks/hub_load.py [--seconds 60] [--kiosks 8] [--clerks 20] [--subscribers 30]
                                            [--report-every S] [--no-displays-poll] [--display-form changes|full]

Starts `navbat hub` in a subprocess on 127.0.0.1 (a fresh database in a temporary folder,
--ignore-hours) on a branch file derived from config/branches.yaml with as many windows
as clerks (the demo branch has 8; window n gets the skills of demo window ((n-1) % 8) + 1).
Kiosks issue at a steady (Poisson) pace and refresh GET /services every 15 s; each clerk
calls next, starts, finishes and calls again; every subscriber reads GET /api/v1/events?changes=1,
as the Kivy and web walls do since 0.3.0 (--display-form full: the whole summaries, as walls did
before), and like them re-reads GET /services after a ticket.* or counter.changed event that
carries neither "changes" nor "queue" (one replayed from the log; a burst within 0.2 s costs one
request, as in the Kivy wall). Until 0.3.4 every ticket's ticket.promised came without either, and
each display re-read /services after it: some 2.3 requests a second per display in this load.
With --report-every S a branch head asks for last (Jalali) month's report every S seconds;
that month is seeded with --report-visits visits written straight into the events table.
Prints throughput, p50/p99 latency of issue, call-next and the report, the delay from a call
to its ticket.called event reaching every subscriber, and the hub's requests per call.
Clients connect and clerks log in and open their windows before the measured period starts.
Targets (issue 3, 2-core machine): issue and next p99 < 50 ms at 50 requests/s; event delivery p99 < 100 ms.

The script imports nothing from the project (only the HTTP API, the command line and the events
table's schema are relied on): copied into another checkout, it benchmarks that tree.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import requests
import yaml
from navbat.foundation import event_types as E
from seed_month import branch_services, last_jalali_month, month_of_events, seed_events

ROOT = Path(__file__).resolve().parent.parent
BRANCHES = ROOT / "config" / "branches.yaml"
API = "/api/v1"
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
HEAD_PIN = "1404"
SEED_TICKET = 10_000_000  # seeded tickets' ids start here, far above what the live hub issues
DISPLAY_KINDS = ("ticket.", E.COUNTER_CHANGED)


def fa_digits(value: object) -> str:
    return str(value).translate(FA_DIGITS)


def child_env() -> dict[str, str]:
    """The hub and the CLI run the navbat installed in this venv (-P: never this folder's navbat/, which
    holds only the commands); to measure another checkout, install its wheel (scripts/install-wheel.sh)."""
    return {**os.environ, "PYTHONSAFEPATH": "1"}


def navbat(*args: str) -> str:
    """Runs `python -m navbat ARGS` on this checkout; its standard output, stripped."""
    done = subprocess.run([sys.executable, "-m", "navbat", *args], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"navbat {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def branch_file(folder: Path, windows: int) -> tuple[Path, dict]:
    """The demo branch with `windows` windows, skills repeated from the demo's eight."""
    raw = yaml.safe_load(BRANCHES.read_text(encoding="utf-8"))
    demo = raw["counters"]
    raw["counters"] = [{**demo[(n - 1) % len(demo)], "number": n,
                        "name": {"fa": f"باجه {fa_digits(n)}", "en": f"Window {n}"}} for n in range(1, windows + 1)]
    # each kiosk here issues 1.5 tickets/s, far above a real one's pace that the kiosk budget is made for (issue 23)
    raw["budgets"] = {**raw.get("budgets", {}), "kiosk_tickets_per_minute": 600, "kiosk_burst": 600}
    path = folder / "branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, raw  # a broken file is refused by the hub itself, before it prints its address


def prepare(db: Path, clerks: int, kiosks: int, head: bool) -> dict[str, str]:
    """Users clerk1..N (PIN n repeated), the head, kiosk tokens: through the CLI, which also creates the database."""
    for n in range(1, clerks + 1):
        navbat("user", "add", f"clerk{n}", "--role", "clerk", "--pin", pin(n), "--db", str(db))
    if head:
        navbat("user", "add", "head", "--role", "head", "--pin", HEAD_PIN, "--db", str(db))
    tokens = {f"kiosk-{k}": navbat("device", "add", f"kiosk-{k}", "--role", "kiosk", "--db", str(db)).splitlines()[-1]
              for k in range(1, kiosks + 1)}
    # the displays' token: registered streams are never refused for anonymous ones (a hub before that ignores it)
    tokens["hall"] = navbat("device", "add", "hall", "--role", "display", "--db", str(db)).splitlines()[-1]
    return tokens


def pin(n: int) -> str:
    return f"{n:04d}"


# ---- the clients ------------------------------------------------------------------------------


class Recorder:
    """Latencies and counts from every client thread, for requests sent during the measured period."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)  # kind -> seconds
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.sent: dict[str, int] = defaultdict(int)  # kind -> requests sent (answered or not)
        self.calls: list[tuple[int, float, float]] = []  # (ticket id, sent at, answered at)
        self.seen: list[dict[int, float]] = []  # per subscriber: ticket id of a call -> received at
        self.issued: set[int] = set()
        self.errors: list[str] = []
        self.display_events = [0, 0]  # subscriber 0: ticket.*/counter.changed events, of which with "queue"
        self.report_visitors: object = None
        self.start = float("inf")  # the measured period, perf_counter
        self.end = float("inf")

    def begin(self) -> None:
        self.start = time.perf_counter()

    def measured(self, started: float) -> bool:
        return self.start <= started < self.end

    def request(self, kind: str, started: float, status: int) -> None:
        if not self.measured(started):
            return  # displays refreshing after the windows opened, or after the end
        with self.lock:
            self.latency[kind].append(time.perf_counter() - started)
            self.status[kind][status] += 1
            self.sent[kind] += 1

    def fail(self, kind: str, started: float, message: str, quiet: bool = False) -> None:
        if not self.measured(started):
            return
        with self.lock:
            self.sent[kind] += 1
            if not quiet:
                self.errors.append(f"{kind}: {message}")


def kiosk(url: str, token: str, name: str, rate: float, refresh_s: float, services: list[str],
          go: threading.Barrier, stop: threading.Event, rec: Recorder) -> None:
    s = requests.Session()
    rng = random.Random(name)
    auth = {"Authorization": f"Bearer {token}"}
    n = 0
    go.wait()
    next_at = time.perf_counter() + rng.random() / rate
    refresh_at = time.perf_counter() + rng.random() * refresh_s
    while not stop.is_set():
        if refresh_at <= next_at:  # the kiosk's home screen refreshes waiting counts and estimates
            time.sleep(max(0.0, refresh_at - time.perf_counter()))
            refresh_at += refresh_s
            t0 = time.perf_counter()
            try:
                rec.request("services", t0, s.get(f"{url}/services", timeout=10).status_code)
            except requests.RequestException as exc:
                rec.fail("services", t0, str(exc), quiet=stop.is_set())
            continue
        time.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += rng.expovariate(rate)  # Poisson arrivals
        n += 1
        body = {"service": rng.choice(services), "priority": rng.choice([None] * 8 + ["elderly", "disability"])}
        t0 = time.perf_counter()
        try:
            r = s.post(f"{url}/tickets", json=body, headers={**auth, "Idempotency-Key": f"{name}-{n}"}, timeout=10)
        except requests.RequestException as exc:
            rec.fail("issue", t0, str(exc), quiet=stop.is_set())
            continue
        rec.request("issue", t0, r.status_code)
        if r.status_code == 201:
            with rec.lock:
                rec.issued.add(r.json()["id"])
    s.close()


def log_in(s: requests.Session, url: str, body: dict) -> str:
    """A login, as a person at a console would: the hub checks a few PINs at a time and answers 429
    with Retry-After past that (issue 23), so twenty clerks logging in at once take turns."""
    for _ in range(60):
        r = s.post(f"{url}/login", json=body, timeout=30)
        if r.status_code != 429:
            return r.json()["token"]
        time.sleep(float(r.headers.get("Retry-After", "1")))
    raise SystemExit(f"{body['username']} could not log in: {r.status_code} {r.text}")


def clerk(url: str, n: int, serve_s: float, go: threading.Barrier, stop: threading.Event, rec: Recorder) -> None:
    s = requests.Session()
    rng = random.Random(n)
    # Logging in (a PIN hash) and opening the window happen before the measured period.
    token = log_in(s, url, {"username": f"clerk{n}", "pin": pin(n), "counter": n})
    auth = {"Authorization": f"Bearer {token}"}
    s.post(f"{url}/counters/{n}/open", headers=auth, timeout=10)
    go.wait()
    stop.wait(rng.random() * serve_s)  # clerks do not all press at the same moment

    def post(kind: str, action: str) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = s.post(f"{url}/counters/{n}/{action}", headers=auth, timeout=10)
        except requests.RequestException as exc:
            rec.fail(kind, t0, str(exc), quiet=stop.is_set())
            return None
        rec.request(kind, t0, r.status_code)
        return r

    while not stop.is_set():
        sent = time.perf_counter()
        r = post("next", "next")
        if r is None or r.status_code != 200:
            stop.wait(1.0)  # nobody waits: look again in a second
            continue
        answered = time.perf_counter()
        with rec.lock:
            rec.calls.append((r.json()["id"], sent, answered))
        stop.wait(serve_s * 0.3)  # the visitor walks to the window
        post("start", "start")
        stop.wait(serve_s * rng.uniform(0.5, 0.9))
        post("done", "done")
    s.close()


def head(url: str, month: str, every: float, go: threading.Barrier, stop: threading.Event, rec: Recorder) -> None:
    """The branch head's report page: last month's report every `every` seconds, one request at a time."""
    s = requests.Session()
    token = log_in(s, url, {"username": "head", "pin": HEAD_PIN})
    auth = {"Authorization": f"Bearer {token}"}
    go.wait()
    next_at = time.perf_counter()
    while not stop.wait(max(0.0, next_at - time.perf_counter())):
        next_at += every
        t0 = time.perf_counter()
        try:
            r = s.get(f"{url}/reports/monthly", params={"month": month}, headers=auth, timeout=120)
        except requests.RequestException as exc:
            rec.fail("report", t0, str(exc), quiet=stop.is_set())
            continue
        rec.request("report", t0, r.status_code)
        if r.status_code == 200 and rec.report_visitors is None:
            try:
                rec.report_visitors = r.json().get("total", {}).get("visitors")
            except (ValueError, AttributeError):
                rec.report_visitors = "?"
        next_at = max(next_at, time.perf_counter())  # a slow report delays the next one; never two at once
    s.close()


class DisplayRefresh:
    """A wall display's waiting counts: an event asks for GET /services; the events of the next `delay`
    seconds (and those arriving during the request) join that request, as in the Kivy wall."""

    def __init__(self, url: str, delay: float, rec: Recorder) -> None:
        self.url, self.delay, self.rec = url, delay, rec
        self.wake = threading.Event()
        self.closed = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def poke(self) -> None:
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    def run(self) -> None:
        s = requests.Session()
        while True:
            self.wake.wait()
            if self.closed:
                break
            time.sleep(self.delay)
            self.wake.clear()
            if self.closed:
                break
            t0 = time.perf_counter()
            try:
                self.rec.request("display_services", t0, s.get(f"{self.url}/services", timeout=10).status_code)
            except requests.RequestException as exc:
                self.rec.fail("display_services", t0, str(exc), quiet=self.closed)
        s.close()


def subscriber(url: str, index: int, ready: threading.Barrier, rec: Recorder, refresh: DisplayRefresh | None,
               token: str, changes: bool = True) -> None:
    """Reads the event stream until the hub goes away; notes when each call arrives; refreshes like a display."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("GET", f"{API}/events" + ("?changes=1" if changes else ""),
                 headers={"Accept": "text/event-stream", "Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    seen = rec.seen[index]
    ready.wait()
    data = None
    try:
        while True:
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                data = line[6:]
            elif line == b"\n" and data is not None:
                now = time.perf_counter()
                ev = json.loads(data)
                kind = ev["type"]
                if kind == E.TICKET_CALLED:
                    seen[ev["ticket"]] = now
                if kind.startswith(DISPLAY_KINDS):
                    known = "queue" in ev or "changes" in ev  # what moved came with it: nothing to re-read
                    if not known and refresh is not None:
                        refresh.poke()
                    if index == 0 and rec.measured(now):
                        rec.display_events[0] += 1
                        rec.display_events[1] += known
                data = None
    except (OSError, http.client.HTTPException):
        pass  # the hub was stopped
    finally:
        conn.close()
        if refresh is not None:
            refresh.close()


def idle_streams(url: str, n: int, wait_s: float = 5.0, per_address: int = 0, first_group: int = 0,
                 ) -> tuple[list[socket.socket], dict[str, int], float]:
    """An attacker's idle anonymous streams: all opened at once, then left open and silent (never
    read). With `per_address`, each group of that many comes from an address of its own (127.0.x.y,
    all loopback: phones on a guest Wi-Fi), else all from 127.0.0.1. Returns the sockets, the
    answers by status within `wait_s` ("no answer": the hub never answered) and the slowest."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    request = f"GET {API}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
    held = []
    t0 = time.perf_counter()
    for i in range(n):
        group = first_group + i // per_address if per_address else -1
        source = (f"127.0.{1 + group // 200}.{2 + group % 200}", 0) if per_address else None
        sock = socket.create_connection((host, int(port)), timeout=10, source_address=source)
        sock.sendall(request)
        held.append(sock)  # kept open either way: a refused one costs the hub a socket, not a thread
    codes: dict[str, int] = defaultdict(int)
    slowest, deadline = 0.0, t0 + wait_s
    for sock in held:
        sock.settimeout(max(0.01, deadline - time.perf_counter()))
        try:
            status = sock.recv(64).split(b" ")[1].decode()
            slowest = max(slowest, time.perf_counter() - t0)
        except (OSError, IndexError):
            status = "no answer"
        codes[status] += 1
    return held, dict(codes), slowest


# ---- figures ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def peak_memory_mb(pid: int) -> float:
    """The highest resident memory the process and its children (the report worker) reached, in MB."""
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    total = 0
    for each in pids:
        try:
            total += next(int(line.split()[1]) for line in Path(f"/proc/{each}/status").read_text().splitlines()
                          if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


class Extra(Protocol):
    """More clients (benchmarks/abuse.py): prepared once the displays listen (before the branch's
    clients connect), started once every window is open, stopped at the measured period's end;
    its own lines and 5xx count join the figures."""

    def prepare(self) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def lines(self) -> list[str]: ...
    def server_errors(self) -> int: ...


def main(argv: list[str] | None = None, extra: Callable[[str, dict[str, str]], Extra] | None = None,
         description: str | None = None) -> int:
    p = argparse.ArgumentParser(description=description or __doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--kiosks", type=int, default=8)
    p.add_argument("--clerks", type=int, default=20)
    p.add_argument("--subscribers", type=int, default=30)
    p.add_argument("--issue-rate", type=float, default=12.0, help="tickets per second, all kiosks together")
    p.add_argument("--serve-seconds", type=float, default=1.3, help="a clerk's cycle: next, start, done")
    p.add_argument("--refresh-seconds", type=float, default=15.0, help="each kiosk's GET /services period")
    p.add_argument("--report-every", type=float, default=0, metavar="S",
                   help="a head reads last month's report every S seconds (0: no head)")
    p.add_argument("--report-visits", type=int, default=25000, help="visits seeded into the reported month")
    p.add_argument("--report-month", help="Jalali month to seed and report, e.g. 1405-07 (default: last month)")
    p.add_argument("--displays-poll", action=argparse.BooleanOptionalAction, default=True,
                   help="subscribers re-read GET /services after an event without what moved, as displays do")
    p.add_argument("--display-form", choices=("changes", "full"), default="changes",
                   help="what the subscribers ask for: what moved in the summaries (as walls do) or all of them")
    p.add_argument("--display-delay", type=float, default=0.2,
                   help="a display's wait before that request; events meanwhile join it")
    p.add_argument("--idle-streams", type=int, default=0, metavar="N",
                   help="an attacker's N idle anonymous event streams, opened before the measured period")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, hub log)")
    args = p.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="navbat-load-"))
    db = folder / "hub.sqlite"
    config, raw = branch_file(folder, args.clerks)
    reporting = args.report_every > 0
    t_prep = time.perf_counter()
    tokens = prepare(db, args.clerks, args.kiosks, reporting)
    print(f"users and devices through the CLI in {time.perf_counter() - t_prep:.1f} s", flush=True)
    services = [s["code"] for s in branch_services(raw)]
    month = args.report_month or last_jalali_month(ZoneInfo(raw["branch"].get("timezone", "Asia/Tehran")))
    if reporting:
        t_seed = time.perf_counter()
        rows, _ = month_of_events(raw, month, args.report_visits, first_ticket=SEED_TICKET + 1)
        seed_events(db, rows)
        print(f"seeded {month}: {args.report_visits:,} visits = {len(rows):,} events "
              f"in {time.perf_counter() - t_seed:.1f} s", flush=True)
    log = (folder / "hub.log").open("wb")
    # --port 0: the hub binds a free port itself and prints it (no race with other servers on this machine).
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--config", str(config), "--db", str(db),
                            "--port", "0", "--ignore-hours"], stdout=subprocess.PIPE, stderr=log, cwd=ROOT,
                           env=child_env())
    try:
        ready_line = select.select([hub.stdout], [], [], 30)[0] and hub.stdout.readline().decode()
        match = re.match(r"navbat hub on (http://127\.0\.0\.1:\d+) ", ready_line or "")
        if not match:
            raise SystemExit(f"the hub did not start; see {folder / 'hub.log'}")
        url = match[1] + API
        # the hub logs a line per event on stdout (for journald): drained into the log, or the pipe
        # fills and the hub blocks on its next line
        threading.Thread(target=shutil.copyfileobj, args=(hub.stdout, log), daemon=True).start()
        requests.get(f"{url}/health", timeout=10).raise_for_status()

        rec = Recorder()
        rec.seen = [{} for _ in range(args.subscribers)]
        stop = threading.Event()
        ready = threading.Barrier(args.subscribers + 1)
        refreshers = [DisplayRefresh(url, args.display_delay, rec) if args.displays_poll else None
                      for _ in range(args.subscribers)]
        subs = [threading.Thread(target=subscriber, args=(url, i, ready, rec, refreshers[i], tokens["hall"],
                                                          args.display_form == "changes"),
                                 daemon=True)
                for i in range(args.subscribers)]
        for t in subs:
            t.start()
        ready.wait(30)
        attack: tuple[list, dict[str, int], float] = ([], {}, 0.0)
        if args.idle_streams:
            attack = idle_streams(url, args.idle_streams)
            print(f"{args.idle_streams} idle anonymous streams: answers {attack[1]}, slowest {ms(attack[2])}",
                  flush=True)
        more = extra(url, tokens) if extra is not None else None
        if more is not None:
            more.prepare()
        go = threading.Barrier(args.kiosks + args.clerks + reporting + 1, action=rec.begin)
        workers = [threading.Thread(target=kiosk, args=(url, tokens[name], name, args.issue_rate / args.kiosks,
                                                          args.refresh_seconds, services, go, stop, rec))
                   for name in tokens if name.startswith("kiosk-")]
        workers += [threading.Thread(target=clerk, args=(url, n, args.serve_seconds, go, stop, rec))
                    for n in range(1, args.clerks + 1)]
        if reporting:
            workers.append(threading.Thread(target=head, args=(url, month, args.report_every, go, stop, rec)))
        for t in workers:
            t.start()
        go.wait(120)  # every window open, every client connected
        if more is not None:
            more.start()
        load = os.getloadavg()[0]
        cpu0, me0, t0 = cpu_seconds(hub.pid), time.process_time(), time.perf_counter()
        time.sleep(args.seconds)
        rec.end = time.perf_counter()
        stop.set()
        elapsed = time.perf_counter() - t0
        cpu, mine = cpu_seconds(hub.pid) - cpu0, time.process_time() - me0
        peak_mb = peak_memory_mb(hub.pid)
        if more is not None:
            more.stop()
        for t in workers:
            t.join(130 if reporting else 15)
        time.sleep(0.5)  # let the last events reach the displays
        waiting = requests.get(f"{url}/services", timeout=10).json()["services"]
    finally:
        hub.terminate()
        hub.wait(10)
        hub.stdout.close()
        log.close()
    for t in subs:
        t.join(5)

    total = sum(len(v) for v in rec.latency.values())
    print(f"hub load: {args.kiosks} kiosks, {args.clerks} clerks, {args.subscribers} subscribers, {elapsed:.0f} s "
          f"(load average at start {load:.2f}; {os.cpu_count()} CPUs shared with other work)")
    print(f"throughput      {total / elapsed:6.1f} requests/s  ("
          + ", ".join(f"{k} {len(v) / elapsed:.1f}/s" for k, v in sorted(rec.latency.items())) + ")")
    print(f"CPU             hub {cpu / elapsed * 100:.0f} %, load clients {mine / elapsed * 100:.0f} % of one core")
    kinds = ["issue", "next", "start", "done", "services"]
    kinds += ["display_services"] * args.displays_poll + ["report"] * reporting
    for kind in kinds:
        v = rec.latency.get(kind, [])
        codes = dict(sorted(rec.status[kind].items()))
        print(f"{kind:<8} latency  p50 {ms(pct(v, 50))}  p90 {ms(pct(v, 90))}  p99 {ms(pct(v, 99))}"
              f"  max {ms(max(v, default=0))}"
              f"  n={len(v)} status={codes}")
    delays_sent, delays_answered, missing = [], [], 0
    for ticket, sent, answered in rec.calls:
        got = [seen.get(ticket) for seen in rec.seen]
        if any(t is None for t in got):
            missing += 1
            continue
        delays_sent.append(max(got) - sent)
        delays_answered.append(max(got) - answered)
    print(f"call -> every subscriber has ticket.called: p50 {ms(pct(delays_sent, 50))}  p99 {ms(pct(delays_sent, 99))}"
          f"  max {ms(max(delays_sent, default=0))}  (from the request; n={len(delays_sent)})")
    print(f"call answered -> every subscriber has it:   p50 {ms(pct(delays_answered, 50))}"
          f"  p99 {ms(pct(delays_answered, 99))}  (negative: the displays had it before the clerk's answer)")
    print(f"calls some subscriber never received: {missing}; client errors: {len(rec.errors)}; "
          f"tickets issued {len(rec.issued)}, still waiting {sum(s['waiting'] for s in waiting)}")
    if reporting:
        r = rec.latency.get("report", [])
        print(f"report {month} ({args.report_visits:,} seeded visits; the hub counted {rec.report_visitors}) every "
              f"{args.report_every:g} s: p50 {ms(pct(r, 50))}  p99 {ms(pct(r, 99))}  max {ms(max(r, default=0))}"
              f"  n={len(r)}")
    calls = sum(1 for _, sent, _ in rec.calls if rec.measured(sent))
    requests_all = sum(rec.sent.values())
    by_displays = rec.sent.get("display_services", 0)
    per_call = (lambda n: n / calls) if calls else (lambda n: float("nan"))
    with_queue, display_events = rec.display_events[1], rec.display_events[0]
    print(f"display events (ticket.*, counter.changed) per subscriber: {display_events}, with what moved in "
          f"the summaries ({args.display_form} form) {with_queue}; displays "
          f"{'re-read GET /services after the others' if args.displays_poll else 'never re-read GET /services'}")
    print(f"requests per call: {calls} calls made; displays {by_displays} requests = {per_call(by_displays):.2f} per "
          f"call; all hub requests {requests_all} = {per_call(requests_all):.2f} per call (SSE streams not counted; "
          + ", ".join(f"{k} {n}" for k, n in sorted(rec.sent.items())) + ")")
    server_errors = sum(n for codes in rec.status.values() for code, n in codes.items() if code >= 500)
    if more is not None:
        for line in more.lines():
            print(line)
        server_errors += more.server_errors()
    print(f"hub peak memory {peak_mb:.0f} MB (with its report worker); 5xx answers {server_errors}")
    issue_p99, next_p99 = pct(rec.latency["issue"], 99), pct(rec.latency["next"], 99)
    ok = issue_p99 < 0.05 and next_p99 < 0.05 and pct(delays_sent, 99) < 0.1 and not missing
    print(f"targets (issue/next p99 < 50 ms, event p99 < 100 ms): {'met' if ok else 'NOT met'}"
          f" ({args.issue_rate:g} tickets/s offered)")
    for e in rec.errors[:5]:
        print("  error:", e)
    report_p99 = f"{pct(rec.latency['report'], 99) * 1000:.1f}" if reporting else "off"
    print(f"RESULT issue_p50={pct(rec.latency['issue'], 50) * 1000:.1f} issue_p99={issue_p99 * 1000:.1f}"
          f" next_p99={next_p99 * 1000:.1f} call_p99={pct(delays_sent, 99) * 1000:.1f} report_p99={report_p99}"
          f" peak_mb={peak_mb:.0f} server_errors={server_errors}"
          f" display_requests_per_call={per_call(by_displays):.2f} hub_requests_per_call={per_call(requests_all):.2f}")
    if args.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
