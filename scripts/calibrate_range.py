"""Choose the range's percentile levels (Rules.range_levels) on simulated evidence.

    .venv/bin/python scripts/calibrate_range.py [--seeds 101-116] [--days 5] [--workers 2]

For every visitor who waited, the simulator notes where their real wait fell among the
replays behind the estimate they were given (0: below every replay, 1: above). If the
replays were a perfect forecast these shares would be spread evenly, and the replays' own
p10 and p90 would hold 80 %. They are not quite (service times learned from a few days,
arrivals guessed from the last two hours), so the levels are read off the shares
themselves: the 10th and 90th percentile of where real waits fell. Ranges read at those
levels miss 10 % on each side, the narrowest equal-tailed range that holds 80 %. Seeds
101 on are kept apart from the 1–40 that `navbat simulate --seeds 1-40` reports, so that
report checks the levels on visitors they were not chosen on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from foundation.config import load_config  # noqa: E402
from queueing import counters_from_branch, rules_from_branch  # noqa: E402
from queueing.profiles import busy_day  # noqa: E402
from queueing.simulate import draw_visitors, run_policy  # noqa: E402


def shares(seed_days: tuple[int, int]) -> list[float]:
    seed, days = seed_days
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, 0.85)
    outcomes, _ = run_policy("navbat", draw_visitors(profile, days, seed), counters_from_branch(branch), rules,
                             profile)
    return [o.pit for o in outcomes if not o.visitor.no_show and o.called_at > o.visitor.arrival
            and o.pit is not None]


def level(values: list[float], q: float) -> float:
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    return s[lo] + (s[min(lo + 1, len(s) - 1)] - s[lo]) * (pos - lo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="101-116")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    a, _, b = args.seeds.partition("-")
    jobs = [(s, args.days) for s in range(int(a), int(b or a) + 1)]
    with multiprocessing.Pool(args.workers) as pool:
        pits = [p for part in pool.map(shares, jobs) for p in part]
    current = rules_from_branch(load_config()).range_levels
    inside = sum(1 for p in pits if current[0] <= p <= current[1]) / len(pits)
    print(f"{len(pits)} visitors who waited, {len(jobs)} seeds × {args.days} days")
    print(f"current levels {current}: {100 * inside:.1f} % inside")
    print(f"below every replay {100 * sum(p == 0 for p in pits) / len(pits):.1f} %, "
          f"above every replay {100 * sum(p == 1 for p in pits) / len(pits):.1f} %")
    print(f"levels holding 80 %, 10 % out on each side: ({level(pits, 0.1):.3f}, {level(pits, 0.9):.3f})")


if __name__ == "__main__":
    main()
