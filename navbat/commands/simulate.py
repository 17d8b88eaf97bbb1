"""`navbat simulate`: replay busy branch days under several call rules, or advise staffing.

    navbat simulate [--config PATH] [--seed N] [--json] [--days N] [--staffing]
                    [--backups 1|2] [--utilisation 0.85]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from navbat.commands._common import add_config

COLUMNS = (
    ("mean_wait_min", "mean"), ("p90_wait_min", "p90"), ("max_wait_min", "max"),
    ("max_wait_over_target", "max/target"), ("sla_pct", "in target %"),
    ("priority_mean_wait_min", "priority"), ("regular_mean_wait_min", "regular"), ("utilisation", "util"),
    ("estimate_mae_min", "est. MAE"), ("naive_estimate_mae_min", "naive MAE"),
)
LABELS = {
    "navbat": "navbat (ours)", "lines": "one line per counter", "oldest_first": "oldest first (FQM)",
    "strict_priority": "strict priority",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="compare call rules on simulated busy days; staffing advice")
    add_config(p)
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same run (default 1)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--days", type=int, default=5, help="branch days to simulate (default 5, a working week)")
    p.add_argument("--staffing", action="store_true", help="counters needed per hour instead of the comparison")
    p.add_argument("--backups", type=int, choices=(0, 1, 2), default=2,
                   help="backup units each counter serves (default 2, as in the branch file; 1 drops the second)")
    p.add_argument("--utilisation", type=float, default=0.85, help="share of the day counters are busy (default 0.85)")
    p.add_argument("--share", type=float, default=0.85,
                   help="with --staffing: share of visitors to call within target (default 0.85)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from foundation.config import load_config
    from queueing.simulate import simulate_branch

    branch = load_config(args.config)
    if not 1 <= args.days <= 365:
        return _fail("--days must be between 1 and 365")
    if not 0 < args.utilisation < 1:
        return _fail("--utilisation must be between 0 and 1, e.g. 0.85")
    if args.staffing:
        return _staffing(branch, args)
    result = simulate_branch(branch, args.seed, args.days, args.backups, args.utilisation)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    other = 1 if args.backups == 2 else 2
    alt = simulate_branch(branch, args.seed, args.days, other, args.utilisation, estimate=False)
    print(table(result, alt))
    return 0


def _fail(message: str) -> int:
    print(f"navbat simulate: {message}", file=sys.stderr)
    return 2


def table(result: dict[str, Any], alt: dict[str, Any] | None = None) -> str:
    """The readable report: one row per call rule, then the issue's checks."""
    r = result["run"]
    lines = [
        f"Branch {r['branch']}: {r['profile']}, {r['days']} day(s), seed {r['seed']}; {r['counters']} counters, "
        f"{r['backups']} backup unit(s) each; {r['visitors_per_hour']} visitors/hour, "
        f"utilisation target {r['utilisation_target']}",
        f"Pooled bound (Erlang C with Allen–Cunneen, same load and counters): {result['bound_mean_wait_min']:.2f} min; "
        f"one pooled first-come line simulated on the same visitors: {result['pooled_fcfs_mean_wait_min']:.2f} min",
        "Waits in minutes, from ticket to call, of visitors who showed up.",
        "",
    ]
    head = f"{'policy':22}" + "".join(f"{label:>12}" for _, label in COLUMNS)
    lines += [head, "-" * len(head)]
    for name, m in result["policies"].items():
        cells = "".join(f"{'-' if m[k] is None else m[k]:>12}" for k, _ in COLUMNS)
        lines.append(f"{LABELS.get(name, name):22}{cells}")
    p = result["policies"]
    ours, bound = p["navbat"], result["bound_mean_wait_min"]
    ratio = ours["priority_mean_wait_min"] / ours["regular_mean_wait_min"] if ours["regular_mean_wait_min"] else 0
    checks = [
        (f"mean wait {ours['mean_wait_min']:.2f} = {ours['mean_wait_min'] / bound:.2f}× the bound", "≤ 1.25×",
         ours["mean_wait_min"] <= 1.25 * bound),
        (f"one line per counter waits {p['lines']['mean_wait_min'] / max(ours['mean_wait_min'], 1e-9):.2f}× longer",
         "≥ 2×", p["lines"]["mean_wait_min"] >= 2 * ours["mean_wait_min"]),
        (f"priority visitors wait {100 * ratio:.0f} % of regular", "≤ 40 %", ratio <= 0.4),
        (f"longest wait {ours['max_wait_over_target']:.2f}× its target", "≤ 2×", ours["max_wait_over_target"] <= 2),
        (f"estimate MAE {100 * ours['estimate_mae_min'] / max(ours['mean_wait_min'], 1e-9):.0f} % of the mean wait "
         f"(naive {100 * ours['naive_estimate_mae_min'] / max(ours['mean_wait_min'], 1e-9):.0f} %)", "< 35 %",
         ours["estimate_mae_min"] < 0.35 * ours["mean_wait_min"]),
    ]
    lines += ["", "Checks (issue 4):"]
    lines += [f"  [{'ok' if ok else 'MISSED'}] {text} (target {goal})" for text, goal, ok in checks]
    if alt:
        lines += ["", f"Cross-training: with {alt['run']['backups']} backup unit(s) instead, navbat's mean wait is "
                      f"{alt['policies']['navbat']['mean_wait_min']:.2f} min "
                      f"(max {alt['policies']['navbat']['max_wait_over_target']:.2f}× target)."]
    return "\n".join(lines)


def _staffing(branch: Any, args: argparse.Namespace) -> int:
    from queueing.branch import rules_from_branch
    from queueing.profiles import busy_day
    from queueing.staffing import advice_json, staffing_advice

    if not 0 < args.share < 1:
        return _fail("--share must be between 0 and 1, e.g. 0.85")
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, args.utilisation)
    now = len(branch.counters)
    advice = staffing_advice(profile, rules, now, args.share)
    if args.json:
        print(json.dumps(advice_json(advice, now, args.share), indent=2))
        return 0
    print(f"Staffing for {branch.branch.id} ({profile.name}, utilisation {args.utilisation} with {now} counters): "
          f"counters needed so {100 * args.share:.0f} % are called within target")
    print(f"{'hour':13}{'arrivals/h':>11}{'load':>7}{'needed':>8}{'sqrt rule':>10}"
          f"{f'wait@{now}':>9}{f'in target@{now}':>15}")
    for a in advice:
        wait = "overload" if a.expected_wait_min is None else f"{a.expected_wait_min:.1f}"
        print(f"{a.hour:13}{a.arrivals_per_hour:>11.1f}{a.load_erlangs:>7.2f}{a.counters_needed:>8}"
              f"{a.counters_sqrt_rule:>10}{wait:>9}{a.within_target_pct:>14.1f}%")
    print("Assumes one pooled line (Erlang C, Allen–Cunneen); see `navbat simulate` for the counters' real services.")
    return 0
