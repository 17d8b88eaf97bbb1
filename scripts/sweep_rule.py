"""Sweep the call rule's knobs over many simulated weeks: the evidence behind the default rule.

    .venv/bin/python scripts/sweep_rule.py [--seeds 1-12] [--days 3] [--workers 2] [--out var/sweep.jsonl]

Knobs: how much the priority classes weigh (`scale` stretches every class weight's distance
from 1: 0.5 turns elderly ×3 into ×2), their head start (share of the target), how scores grow
per sub-service (`Rules.target_growth`: 1 = minutes ÷ target, 0 = the same for every
sub-service) and what a backup counter's weight is. Every setting runs on the same visitors
as oldest-first and pooled first-come, with the wait estimates on. One JSON line per
(setting, seed) goes to --out as it finishes, so a long sweep can be read while it runs;
scripts/plot_frontier.py draws the picture from that file.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from navbat.foundation.config import load_config  # noqa: E402
from navbat.queueing import Counter, Rules, counters_from_branch, rules_from_branch  # noqa: E402
from navbat.queueing.figures import summarise  # noqa: E402
from navbat.queueing.profiles import busy_day  # noqa: E402
from navbat.queueing.simulate import draw_visitors, run_policy  # noqa: E402

GRID = {"scale": (0.5, 1.0, 1.5), "head_start": (0.0, 0.2, 0.4), "target_growth": (0.0, 1.0),
        "backup_weight": (0.5, 0.8)}
FIGURES = ("mean_wait_min", "max_wait_min", "priority_mean_wait_min", "regular_mean_wait_min",
           "estimate_mae_min", "estimate_mae_pct_of_mean", "range_coverage_waited_pct")


def seeds_from(text: str) -> list[int]:
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def rules_for(base: Rules, knobs: dict[str, float]) -> Rules:
    weights = {k: 1 + knobs["scale"] * (w - 1) for k, w in base.priority_weights.items()}
    return dataclasses.replace(base, priority_weights=weights, priority_head_start=knobs["head_start"],
                               target_growth=knobs["target_growth"], backup_weight=knobs["backup_weight"])


def counters_for(base: list[Counter], backup_weight: float) -> list[Counter]:
    return [dataclasses.replace(c, services={s: (w if w >= 1.0 else backup_weight) for s, w in c.services.items()})
            for c in base]


def run(job: tuple[str, dict[str, float] | None, int, int]) -> dict[str, Any]:
    policy, knobs, seed, days = job
    branch = load_config()
    base = rules_from_branch(branch)
    profile = busy_day(branch, base, 0.85)
    rules = rules_for(base, knobs) if knobs else base
    counters = counters_for(counters_from_branch(branch), knobs["backup_weight"]) if knobs \
        else counters_from_branch(branch)
    outcomes, busy = run_policy(policy, draw_visitors(profile, days, seed), counters, rules, profile,
                                estimate=policy != "pooled_fcfs")
    figures = summarise(outcomes, busy, len(counters), days, profile, rules)
    return {"policy": policy, "knobs": knobs, "seed": seed, "days": days, **{k: figures[k] for k in FIGURES}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-12")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="var/sweep.jsonl")
    parser.add_argument("--settings", help="a JSON list of settings to run instead of the whole grid")
    args = parser.parse_args()
    seeds = seeds_from(args.seeds)
    settings = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    if args.settings:
        settings = json.loads(args.settings)
    jobs: list[tuple[str, dict[str, float] | None, int, int]] = [
        (p, None, s, args.days) for p in ("oldest_first", "pooled_fcfs") for s in seeds]
    jobs += [("navbat", k, s, args.days) for k in settings for s in seeds]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as out, multiprocessing.Pool(args.workers) as pool:
        for i, row in enumerate(pool.imap_unordered(run, jobs), 1):
            out.write(json.dumps(row) + "\n")
            out.flush()
            if i % 20 == 0:
                print(f"{i}/{len(jobs)}", flush=True)


if __name__ == "__main__":
    main()
