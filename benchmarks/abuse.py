"""The hub (and HQ) under attack from its own LAN while a branch works (issues 15 and 23).

    .venv/bin/python benchmarks/abuse.py [--seconds 60] [--idle-anonymous 2000] [--guessers 4] [--calm]
                                         [--idle-connections 2000] [--slow-heads 50] [--slow-bodies 50]
                                         [hub_load.py's options]
    .venv/bin/python benchmarks/abuse.py --compare [the same options]   # calm, then attacked: side by side
    .venv/bin/python benchmarks/abuse.py --hq [--seconds 30] [--idle-connections ...]   # HQ (benchmarks/abuse_hq.py)

The branch's load is hub_load.py's (8 kiosks issuing, 20 clerks calling, 30 wall displays on
their display token). Once the displays listen, 2,000 idle anonymous event streams are opened
(8 per address, as phones on a guest Wi-Fi; never read) and 100 more from one address (past its
cap: 503 at once); they stay open through the measured period. Once every window is open, the
other attackers start, each from loopback addresses of its own:
- PIN guessing from 4 clients, each a steady --guess-rate of wrong PINs for the clerks' usernames;
- 10 MB bodies posted to /tickets, /login and /ratings (--body-rate per second);
- spoken-call requests: a fresh call each time, and one with 2,000 voices;
- (issue 23, benchmarks/slow_clients.py) 2,000 connections that never send a byte, 50 request heads
  and 50 bodies of /tickets (Content-Length: 60000) sent a byte a second, each reopened when closed.
Printed: kiosk issue p50/p99, call-to-every-display p99, the hub's peak memory, every 5xx, and
what each attacker got. --calm runs the same load without the attackers, for the figures beside.
Targets on the 2-core machine: issue p99 < 100 ms, call-to-display p99 < 200 ms, no 5xx,
peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import hub_load
from slow_clients import SlowClients

API = "/api/v1"
TEN_MB = 10 * 1024 * 1024
BODY_TARGETS = ("/tickets", "/login", "/ratings")


class Attack:
    """The attackers of the module's docstring; start() returns once the idle streams are open."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        u = urlsplit(url)
        self.host, self.port, self.args = u.hostname, u.port, args
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.answers: dict[str, Counter[str]] = {k: Counter() for k in ("guess", "body", "announce")}
        self.sent_bytes = 0
        self.held: list[socket.socket] = []
        self.stream_answers: dict[str, int] = {}
        self.over_cap: dict[str, int] = {}
        self.open_s = 0.0
        self.threads: list[threading.Thread] = []
        self.slow = SlowClients(self.host, self.port, args.idle_connections, args.slow_heads, args.slow_bodies,
                                f"{API}/tickets", args.slow_every)

    # ---- each attacker -------------------------------------------------------------------

    def _request(self, kind: str, method: str, path: str, source: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            status = str(conn.getresponse().status)
        except OSError as exc:  # a reset while we were still sending: the answer was lost
            status = type(exc).__name__
        finally:
            conn.close()
        with self.lock:
            self.answers[kind][status] += 1

    def _paced(self, rate: float, act: callable) -> None:
        if rate <= 0:  # this attacker is off
            return
        next_at = time.perf_counter()
        while not self.stop_event.is_set():
            act()
            next_at += 1 / rate
            self.stop_event.wait(max(0.0, next_at - time.perf_counter()))

    def guesser(self, index: int) -> None:
        source = f"127.0.251.{index + 2}"
        users = [f"clerk{n}" for n in range(1, self.args.clerks + 1)]
        self._paced(self.args.guess_rate, lambda: self._request(
            "guess", "POST", f"{API}/login", source,
            json.dumps({"username": random.choice(users), "pin": f"{random.randrange(10_000):04d}",
                        "counter": random.randrange(1, self.args.clerks + 1)}).encode(),
            {"Content-Type": "application/json"}))

    def big_bodies(self) -> None:
        body = b"{" + b" " * (TEN_MB - 2) + b"}"

        def post() -> None:
            self._request("body", "POST", API + random.choice(BODY_TARGETS), "127.0.252.2", body,
                          {"Content-Type": "application/json"})
            with self.lock:
                self.sent_bytes += len(body)
        self._paced(self.args.body_rate, post)

    def announcer(self) -> None:
        many = ",".join(["fa"] * 2000)
        calls = iter(range(100, 10**9))

        def ask() -> None:
            number = next(calls) % 900 + 100
            voice = many if number % 2 else "fa,en"  # every other one: 2,000 voices
            self._request("announce", "GET", f"/display/announce.wav?number={number}&counter=1&voice={voice}",
                          "127.0.253.2")
        self._paced(self.args.announce_rate, ask)

    # ---- the run ---------------------------------------------------------------------------

    def prepare(self) -> None:
        url = f"http://{self.host}:{self.port}{API}"
        t0 = time.perf_counter()
        held, self.stream_answers, _ = hub_load.idle_streams(url, self.args.idle_anonymous, per_address=8)
        over, self.over_cap, _ = hub_load.idle_streams(url, self.args.over_cap, per_address=self.args.over_cap,
                                                        first_group=1000)
        self.held = held + over
        self.open_s = time.perf_counter() - t0

    def start(self) -> None:
        self.threads = [threading.Thread(target=self.guesser, args=(i,), daemon=True)
                        for i in range(self.args.guessers)]
        self.threads += [threading.Thread(target=self.big_bodies, daemon=True),
                         threading.Thread(target=self.announcer, daemon=True)]
        for t in self.threads:
            t.start()
        self.slow.start()

    def stop(self) -> None:
        self.slow.stop()
        self.stop_event.set()
        for t in self.threads:
            t.join(35)
        for sock in self.held:
            sock.close()

    def lines(self) -> list[str]:
        return [
            f"attack: {self.args.idle_anonymous} idle anonymous streams from {self.args.idle_anonymous // 8} addresses"
            f" answered {self.stream_answers}; {self.args.over_cap} more from one address {self.over_cap}"
            f" (all opened in {self.open_s:.1f} s, before the measured period, held open through it)",
            f"attack: PIN guesses from {self.args.guessers} clients {dict(self.answers['guess'])}",
            f"attack: 10 MB bodies {dict(self.answers['body'])} ({self.sent_bytes / 2**20:,.0f} MB sent)",
            f"attack: spoken calls {dict(self.answers['announce'])}",
            *self.slow.lines("the hub"),
        ]

    def server_errors(self) -> int:
        return sum(n for answers in self.answers.values() for status, n in answers.items()
                   if status.isdigit() and int(status) >= 500) + self.slow.server_errors()


def main() -> int:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--calm", action="store_true", help="the same load, no attackers")
    p.add_argument("--idle-anonymous", type=int, default=2000)
    p.add_argument("--over-cap", type=int, default=100, help="more idle streams, all from one address")
    p.add_argument("--guessers", type=int, default=4)
    p.add_argument("--guess-rate", type=float, default=10.0, help="wrong PINs per second, per guesser")
    p.add_argument("--body-rate", type=float, default=1.0, help="10 MB bodies per second")
    p.add_argument("--announce-rate", type=float, default=4.0, help="spoken-call requests per second")
    p.add_argument("--idle-connections", type=int, default=2000, help="connections that never send a byte")
    p.add_argument("--slow-heads", type=int, default=50, help="request heads sent a byte at a time")
    p.add_argument("--slow-bodies", type=int, default=50, help="60,000-byte bodies sent a byte at a time")
    p.add_argument("--slow-every", type=float, default=1.0, help="seconds between a slow client's bytes")
    p.add_argument("--compare", action="store_true", help="a calm run, then an attacked one, figures side by side")
    p.add_argument("--hq", action="store_true", help="attack HQ instead (benchmarks/abuse_hq.py)")
    ours, rest = p.parse_known_args()
    if ours.hq:
        import abuse_hq

        return abuse_hq.main(ours, rest)
    if ours.compare:
        return compare([a for a in sys.argv[1:] if a != "--compare"])
    ours.clerks = 20
    for i, arg in enumerate(rest):  # hub_load's --clerks decides the usernames guessed
        if arg == "--clerks" and i + 1 < len(rest):
            ours.clerks = int(rest[i + 1])
    description = __doc__.splitlines()[0]
    print("abuse:", "calm (no attackers)" if ours.calm else "attacked", flush=True)
    extra = None if ours.calm else (lambda url, tokens: Attack(url, ours))
    return hub_load.main(rest, extra=extra, description=description)


def compare(argv: list[str]) -> int:
    """This script twice, calm then attacked, each in a process of its own; their RESULT lines side by side."""
    import re
    import subprocess

    results = {}
    for label, extra in (("calm", ["--calm"]), ("attacked", [])):
        out = subprocess.run([sys.executable, __file__, *argv, *extra], capture_output=True, text=True).stdout
        print(out, flush=True)
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), "")
        results[label] = {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", line)}
    calm, hit = results["calm"], results["attacked"]
    if not calm or not hit:
        print("a run gave no RESULT line")
        return 1
    ratio = hit["issue_p99"] / calm["issue_p99"] if calm["issue_p99"] else float("inf")
    ok = ratio <= 2 and hit["issue_p99"] < 250 and hit["server_errors"] == 0 and hit["peak_mb"] < 500
    print(f"kiosk issue p50 {calm['issue_p50']:.1f} ms calm, {hit['issue_p50']:.1f} ms attacked; "
          f"p99 {calm['issue_p99']:.1f} ms calm, {hit['issue_p99']:.1f} ms attacked ({ratio:.2f}x); "
          f"5xx {hit['server_errors']:.0f}; hub peak memory {calm['peak_mb']:.0f} MB calm, {hit['peak_mb']:.0f} MB "
          f"attacked")
    verdict = "met" if ok else "NOT met"
    print(f"targets (attacked issue p99 within 2x of calm and < 250 ms, no 5xx, < 500 MB): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
