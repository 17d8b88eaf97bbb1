"""Choose the range's percentile levels (Rules.range_levels) on simulated evidence.

    .venv/bin/python scripts/calibrate_range.py [--seeds 101-116] [--days 5] [--workers 2]

For every visitor who waited, the simulator keeps the replays behind the estimate they were
given and their real wait. If the replays were a perfect forecast, their p10 and p90 would
hold 80 % of real waits. They are not quite (service times learned from a few days, arrivals
guessed from the last two hours, 32 replays), so the levels are found on the evidence: the
low level is the one at which the range's low end (the Harrell–Davis estimate the hub shows)
is above 10 % of real waits, the high level the one at which its high end is below 10 %.
Ranges read at those levels miss 10 % on each side: the narrowest equal-tailed range that
holds 80 %. Seeds 101 on are kept apart from the 1–40 that `navbat simulate --seeds 1-40`
reports, so that report checks the levels on visitors they were not chosen on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from navbat.foundation.config import load_config  # noqa: E402
from navbat.queueing import counters_from_branch, rules_from_branch  # noqa: E402
from navbat.queueing.profiles import busy_day  # noqa: E402
from navbat.queueing.quantiles import hd_quantile  # noqa: E402
from navbat.queueing.simulate import draw_visitors, run_policy  # noqa: E402

Waited = list[tuple[list[float], float]]  # (sorted replays, real wait) of each visitor who waited


def waited(seed_days: tuple[int, int]) -> Waited:
    seed, days = seed_days
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, 0.85)
    outcomes, _ = run_policy("navbat", draw_visitors(profile, days, seed), counters_from_branch(branch), rules,
                             profile, keep_replays=True)
    return [(o.replays, (o.called_at - o.visitor.arrival) / 60) for o in outcomes
            if not o.visitor.no_show and o.called_at > o.visitor.arrival and o.replays is not None]


def share_out(rows: Waited, q: float, below: bool) -> float:
    """Share of real waits below (or above) the range's end read at level q."""
    if below:
        return sum(1 for r, w in rows if w < hd_quantile(r, q) - 1e-9) / len(rows)
    return sum(1 for r, w in rows if w > hd_quantile(r, q) + 1e-9) / len(rows)


def solve(rows: Waited, below: bool, miss: float = 0.10) -> float:
    """The level at which `miss` of real waits fall out on that side (bisection: the share is monotone)."""
    lo, hi = (0.001, 0.5) if below else (0.5, 0.999)
    for _ in range(14):
        mid = (lo + hi) / 2
        out = share_out(rows, mid, below)
        # below: a higher level lifts the low end, more fall under it; above: a higher level, fewer over it
        if (out > miss) == below:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="101-116")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    a, _, b = args.seeds.partition("-")
    jobs = [(s, args.days) for s in range(int(a), int(b or a) + 1)]
    with multiprocessing.Pool(args.workers) as pool:
        rows = [row for part in pool.map(waited, jobs) for row in part]
    lo_q, hi_q = rules_from_branch(load_config()).range_levels
    below, above = share_out(rows, lo_q, True), share_out(rows, hi_q, False)
    print(f"{len(rows)} visitors who waited, {len(jobs)} seeds × {args.days} days")
    print(f"current levels ({lo_q}, {hi_q}): {100 * below:.1f} % called before the range, "
          f"{100 * above:.1f} % after it, {100 * (1 - below - above):.1f} % inside")
    print(f"levels holding 80 %, 10 % out on each side: ({solve(rows, True):.3f}, {solve(rows, False):.3f})")


if __name__ == "__main__":
    main()
