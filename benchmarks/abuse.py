"""The hub (and HQ) under attack from its own LAN while a branch works (issues 15 and 23).

    .venv/bin/python benchmarks/abuse.py [--seconds 60] [--idle-anonymous 2000] [--guessers 40] [--calm]
                                         [--idle-connections 8200] [--slow-heads 50] [--slow-bodies 50]
                                         [hub_load.py's options]
    .venv/bin/python benchmarks/abuse.py --compare [the same options]   # calm, then attacked: side by side
    .venv/bin/python benchmarks/abuse.py --hq [--seconds 30] [--idle-connections ...]   # HQ (benchmarks/abuse_hq.py)

The branch's load is hub_load.py's (8 kiosks issuing, 20 clerks calling, 30 wall displays on
their display token). Once the displays listen, 2,000 idle anonymous event streams are opened
(8 per address, as phones on a guest Wi-Fi; never read) and 100 more from one address (past its
cap: 503 at once); they stay open through the measured period. Once every window is open, the
other attackers start, all in one asyncio process of their own (benchmarks/slow_clients.py: they
share the two cores with the hub and the measured clients, so they sleep between their bytes and
take no thread each), each kind from loopback addresses of its own, at least as strong as issue 23's:
- 8,200 connections that never send a byte (--per-address 100 to an address, so the hub must hold
  each until its head's time limit: the issue's were all from one address, the per-address cap's
  easy case), 50 request heads and 50 bodies of /tickets (Content-Length: 60000) sent a byte a
  second from one address each (the issue: 33 bodies a byte every 5 s); each reopened a second
  after it ends;
- 40 PIN guessers for unknown usernames (the issue's 40; a full PIN check each), an address each,
  one guess after another at up to --guess-rate a second each (80 a second in all: more than the
  hub's PIN checks can take, so they stay busy the whole run);
- 10 MB bodies posted to /tickets, /login and /ratings (--body-rate per second);
- spoken-call requests: a fresh call each time, and every other one with 2,000 voices.
Printed: kiosk issue p50/p99, call-to-every-display p99, the hub's peak memory, every 5xx, and
what each attacker got (the connection caps' 503s to attackers apart: those are the caps at work).
--calm runs the same load without the attackers, for the figures beside.
Targets on the 2-core machine: attacked issue p99 within 2x of calm and < 250 ms, no 5xx, peak
memory < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import hub_load
from slow_clients import Paced, SlowClients

API = "/api/v1"
TEN_MB = 10 * 1024 * 1024
BODY_TARGETS = ("/tickets", "/login", "/ratings")


def _request(method: str, path: str, body: bytes = b"", content_type: str = "application/json") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def request_attackers(args: argparse.Namespace) -> list[Paced]:
    """The attackers that send whole requests, for the attackers' process (benchmarks/slow_clients.py)."""
    def guess(index: int) -> Callable[[int], bytes]:
        rng = random.Random(index)
        return lambda n: _request("POST", f"{API}/login", json.dumps(
            {"username": f"nobody{index}-{n}", "pin": f"{rng.randrange(10_000):04d}", "counter": 1}).encode())

    big = b"{" + b" " * (TEN_MB - 2) + b"}"
    many = ",".join(["fa"] * 2000)

    def spoken(n: int) -> bytes:
        voice = many if n % 2 else "fa,en"  # every other one: 2,000 voices
        return _request("GET", f"/display/announce.wav?number={n % 900 + 100}&counter=1&voice={voice}")

    return [*(Paced("PIN guesses", f"127.0.251.{i + 2}", args.guess_rate, guess(i)) for i in range(args.guessers)),
            Paced("10 MB bodies", "127.0.252.2", args.body_rate,
                  lambda n: _request("POST", API + BODY_TARGETS[n % len(BODY_TARGETS)], big)),
            Paced("spoken calls", "127.0.253.2", args.announce_rate, spoken)]


class Attack:
    """The attackers of the module's docstring; prepare() returns once the idle streams are open."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        u = urlsplit(url)
        self.host, self.port, self.args = u.hostname, u.port, args
        self.held: list[socket.socket] = []
        self.stream_answers: dict[str, int] = {}
        self.over_cap: dict[str, int] = {}
        self.open_s = 0.0
        self.slow = SlowClients(self.host, self.port, args.idle_connections, args.slow_heads, args.slow_bodies,
                                f"{API}/tickets", args.slow_every, args.per_address, request_attackers(args))

    def prepare(self) -> None:
        url = f"http://{self.host}:{self.port}{API}"
        t0 = time.perf_counter()
        held, self.stream_answers, _ = hub_load.idle_streams(url, self.args.idle_anonymous, per_address=8)
        over, self.over_cap, _ = hub_load.idle_streams(url, self.args.over_cap, per_address=self.args.over_cap,
                                                        first_group=1000)
        self.held = held + over
        self.open_s = time.perf_counter() - t0

    def start(self) -> None:
        self.slow.start()

    def stop(self) -> None:
        self.slow.stop()
        for sock in self.held:
            sock.close()

    def lines(self) -> list[str]:
        return [
            f"attack: {self.args.idle_anonymous} idle anonymous streams from {self.args.idle_anonymous // 8} addresses"
            f" answered {self.stream_answers}; {self.args.over_cap} more from one address {self.over_cap}"
            f" (all opened in {self.open_s:.1f} s, before the measured period, held open through it)",
            *self.slow.lines("the hub"),
            f"attack: refusals at the connection caps (503 too_many_connections, the caps at work, not counted as "
            f"5xx): {self.slow.refused_at_caps()}",
        ]

    def server_errors(self) -> int:
        return self.slow.server_errors()


def main() -> int:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--calm", action="store_true", help="the same load, no attackers")
    p.add_argument("--idle-anonymous", type=int, default=2000)
    p.add_argument("--over-cap", type=int, default=100, help="more idle streams, all from one address")
    p.add_argument("--guessers", type=int, default=40, help="PIN guessers for unknown usernames, an address each")
    p.add_argument("--guess-rate", type=float, default=2.0, help="wrong PINs per second, per guesser")
    p.add_argument("--body-rate", type=float, default=1.0, help="10 MB bodies per second")
    p.add_argument("--announce-rate", type=float, default=4.0, help="spoken-call requests per second")
    p.add_argument("--idle-connections", type=int, default=8200, help="connections that never send a byte")
    p.add_argument("--per-address", type=int, default=100, help="the slow and silent connections of one address")
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
