"""Speed of the queueing engine: `python benchmarks/engine.py [--quick]`.

- choose_next with 5,000 waiting tickets and 40 counters (target: under 1 ms), over a plain
  list (what the hub passes today) and over a WaitingLines index;
- estimate_waits for a busy hall (the kiosk asks for one per sub-service);
- the hub's estimate thread per change: estimate_floor (everyone waiting and a newcomer per
  sub-service from one set of replays), at 50, 200 and 400 waiting (budget: 100 ms at 200);
- the simulator: visitors simulated per second, with and without the wait estimates, and a
  365-day run of every policy without them (`navbat simulate --days 365 --no-estimates`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from navbat.foundation.config import load_config  # noqa: E402
from navbat.queueing import (  # noqa: E402
    Counter,
    QueueState,
    Rules,
    WaitingLines,
    WaitingTicket,
    choose_next,
    counters_from_branch,
    estimate_floor,
    estimate_newcomers,
    estimate_waits,
    rules_from_branch,
)
from navbat.queueing.profiles import busy_day  # noqa: E402
from navbat.queueing.simulate import draw_visitors, run_policy, simulate_branch  # noqa: E402

NOW = 1_800_000_000.0


def big_hall(n_waiting: int, n_counters: int, rng: random.Random) -> tuple[list[WaitingTicket], list[Counter], Rules]:
    services = [f"S{i}" for i in range(40)]
    rules = Rules(priority_weights={"elderly": 3.0, "disability": 3.0, "veteran": 2.0},
                  target_wait_min={s: rng.choice([15.0, 20.0, 25.0]) for s in services},
                  expected_service_min={s: rng.uniform(4, 14) for s in services})
    counters = []
    for n in range(n_counters):
        own = services[(n * 3) % 40:(n * 3) % 40 + 3]
        backup = rng.sample(services, 7)
        counters.append(Counter(n + 1, {**{s: 0.5 for s in backup}, **{s: 1.0 for s in own}}))
    classes = [None] * 8 + ["elderly", "disability", "veteran"]
    waiting = [WaitingTicket(i, rng.choice(services), NOW - rng.uniform(0, 4 * 3600), rng.choice(classes))
               for i in range(n_waiting)]
    return waiting, counters, rules


def time_per_call(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median and p99 seconds per call."""
    samples = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    rng = random.Random(1)
    repeat = 200 if args.quick else 1000

    waiting, counters, rules = big_hall(5000, 40, rng)
    lines = WaitingLines(waiting)
    for label, pool in (("plain list", waiting), ("WaitingLines index", lines)):
        med, p99 = time_per_call(lambda i, pool=pool: choose_next(counters[i % 40], pool, NOW, rules), repeat)
        print(f"choose_next, 5,000 waiting, 40 counters, {label:18}: median {med * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms")
    build_med, _ = time_per_call(lambda i: WaitingLines(waiting), 20 if args.quick else 50)
    print(f"building a WaitingLines index of 5,000 tickets: {build_med * 1e3:.1f} ms (once; then add/remove each)")

    branch = load_config()
    demo_rules = rules_from_branch(branch)
    demo_counters = counters_from_branch(branch)
    codes = [s.code for s in branch.services]
    for n in (10, 40, 100, 1000):
        hall = [WaitingTicket(i, rng.choice(codes), NOW - rng.uniform(0, 1800), rng.choice([None] * 6 + ["elderly"]))
                for i in range(n)]
        busy = [Counter(c.number, c.services, "open", NOW - rng.uniform(0, 600), rng.choice(codes))
                for c in demo_counters]
        recent = [WaitingTicket(10_000 + i, rng.choice(codes), NOW - rng.uniform(0, 3600)) for i in range(50)]
        state = QueueState(hall + [WaitingTicket(-1, "PN1", NOW)], busy, NOW, recent_arrivals=recent)
        reps = 3 if n > 200 else 10 if args.quick else 30
        med, p99 = time_per_call(lambda i, state=state: estimate_waits(state, demo_rules), reps)
        print(f"estimate_waits, demo branch, {n:4} waiting + newcomer: median {med * 1e3:.1f} ms, "
              f"p99 {p99 * 1e3:.1f} ms")
        if n <= 100:
            plain = QueueState(hall, busy, NOW, recent_arrivals=recent)
            med, _ = time_per_call(lambda i, plain=plain: estimate_newcomers(plain, demo_rules, codes), reps)
            print(f"estimate_newcomers, demo branch, {n:4} waiting, all {len(codes)} sub-services at once: "
                  f"median {med * 1e3:.1f} ms")

    for n in (50, 200, 400):
        hall = [WaitingTicket(i, rng.choice(codes), NOW - rng.uniform(0, 3600), rng.choice([None] * 6 + ["elderly"]))
                for i in range(n)]
        busy = [Counter(c.number, c.services, "open", NOW - rng.uniform(0, 600), rng.choice(codes))
                for c in demo_counters]
        recent = [WaitingTicket(10_000 + i, rng.choice(codes), NOW - rng.uniform(0, 7200)) for i in range(100)]
        state = QueueState(hall, busy, NOW, recent_arrivals=recent)
        reps = 5 if args.quick else 20
        med, p99 = time_per_call(lambda i, state=state: estimate_floor(state, demo_rules, codes), reps)
        print(f"hub refresh per change (estimate_floor, {demo_rules.estimate_runs} replays), {n:3} waiting + "
              f"{len(codes)} newcomers: median {med * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")

    profile = busy_day(branch, demo_rules, 0.85)
    days = 2 if args.quick else 5
    visitors = draw_visitors(profile, days, 1)
    for estimate in (False, True):
        t = time.perf_counter()
        run_policy("navbat", visitors, demo_counters, demo_rules, profile, estimate=estimate)
        dt = time.perf_counter() - t
        what = "with a wait estimate at every issue" if estimate else "call rule only"
        print(f"simulator, demo branch, {len(visitors)} visitors ({days} days), {what}: "
              f"{len(visitors) / dt:,.0f} visitors/s")
    if not args.quick:
        t = time.perf_counter()
        result = simulate_branch(branch, 1, 365, estimate=False)
        dt = time.perf_counter() - t
        print(f"simulator, demo branch, 365 days ({result['policies']['navbat']['visitors']:,} visitors who showed "
              f"up), all {len(result['policies'])} policies, no estimates: {dt:.1f} s")


if __name__ == "__main__":
    main()
