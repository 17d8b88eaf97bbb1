"""`navbat simulate`: replay busy branch days under several call rules, or advise staffing.

    navbat simulate [--config PATH] [--seed N | --seeds 1-40 [--workers 2]] [--json] [--days N]
                    [--no-estimates] [--staffing] [--backups 1|2] [--utilisation 0.85]
    navbat simulate --channels [--seeds 1-20] [--remote 0.1 --booked 0.1]   (navbat/commands/channels.py)

With --seeds every figure is the mean over the seeds, with its 95 % confidence half-width
(`ci95` in the JSON, ± in the table): one simulated week is mostly noise.
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
    ("range_coverage_waited_pct", "in range %"), ("range_width_rel_median", "range width"),
)
LABELS = {
    "navbat": "navbat (ours)", "lines": "one line per counter", "oldest_first": "oldest first (FQM)",
    "strict_priority": "strict priority", "pooled_fcfs": "pooled first-come",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="compare call rules on simulated busy days; staffing advice")
    add_config(p)
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same run (default 1)")
    p.add_argument("--seeds", help="a range of seeds, e.g. 1-40: every figure averaged over them, with its ci95")
    p.add_argument("--workers", type=int, default=1, help="with --seeds: processes sharing the seeds (default 1)")
    p.add_argument("--no-estimates", action="store_true",
                   help="skip the wait estimates at every issue (the call rules only; much faster)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--days", type=int, default=5, help="branch days to simulate (default 5, a working week)")
    p.add_argument("--staffing", action="store_true", help="counters needed per hour instead of the comparison")
    p.add_argument("--backups", type=int, choices=(0, 1, 2), default=2,
                   help="backup units each counter serves (default 2, as in the branch file; 1 drops the second)")
    p.add_argument("--utilisation", type=float, default=0.85, help="share of the day counters are busy (default 0.85)")
    p.add_argument("--share", type=float, default=0.85,
                   help="with --staffing: share of visitors to call within target (default 0.85)")
    p.add_argument("--channels", action="store_true",
                   help="walk-ins' waits with 0, 20 and 40 %% of visitors remote or booked (issue 18)")
    p.add_argument("--remote", type=float, default=0.0, help="one more mix in the --channels table, this share remote")
    p.add_argument("--booked", type=float, default=0.0, help="one more mix in the --channels table, this share booked")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config

    branch = load_config(args.config)
    if not 1 <= args.days <= 365:
        return _fail("--days must be between 1 and 365")
    if not 0 < args.utilisation < 1:
        return _fail("--utilisation must be between 0 and 1, e.g. 0.85")
    if args.staffing:
        return _staffing(branch, args)
    seeds = [args.seed]
    if args.seeds:
        first, _, last = args.seeds.partition("-")
        if not (first.isdigit() and (last or first).isdigit()) or int(last or first) < int(first):
            return _fail("--seeds must be a range like 1-40")
        seeds = list(range(int(first), int(last or first) + 1))
    if args.channels or args.remote or args.booked:  # a share remote or booked is the channels' table
        if not (0 <= args.remote < 1 and 0 <= args.booked < 1 and args.remote + args.booked < 1):
            return _fail("--remote and --booked must be shares between 0 and 1 that sum to less than 1")
        from navbat.commands import channels

        print(channels.run(branch, args, seeds))
        return 0
    estimate = not args.no_estimates
    result = _run(branch, seeds, args, args.backups, estimate)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    other = 1 if args.backups == 2 else 2
    print(table(result, _run(branch, seeds, args, other, False)))
    return 0


def _run(branch: Any, seeds: list[int], args: argparse.Namespace, backups: int, estimate: bool) -> dict[str, Any]:
    from navbat.queueing.simulate import simulate_branch, simulate_seeds

    if not args.seeds:
        return simulate_branch(branch, seeds[0], args.days, backups, args.utilisation, estimate)
    return simulate_seeds(branch, seeds, workers=max(1, args.workers), days=args.days, backups=backups,
                          utilisation=args.utilisation, estimate=estimate)


def _fail(message: str) -> int:
    print(f"navbat simulate: {message}", file=sys.stderr)
    return 2


def _cell(m: dict[str, Any], key: str) -> str:
    if m.get(key) is None:
        return "-"
    ci = m.get("ci95", {}).get(key)
    return f"{m[key]:g}" if ci is None else f"{m[key]:.2f}±{ci:.2f}"


def table(result: dict[str, Any], alt: dict[str, Any] | None = None) -> str:
    """The readable report: one row per call rule, then the issues' checks."""
    r = result["run"]
    many = result.get("seeds")
    seeds = f"seeds {r['seeds'][0]}-{r['seeds'][-1]} (mean ± 95 % CI)" if many else f"seed {r['seed']}"
    width = 15 if many else 12
    lines = [
        f"Branch {r['branch']}: {r['profile']}, {r['days']} day(s), {seeds}; {r['counters']} counters, "
        f"{r['backups']} backup unit(s) each; {r['visitors_per_hour']} visitors/hour, "
        f"utilisation target {r['utilisation_target']}",
        f"Allen–Cunneen approximation (Erlang C, same load and counters, a steady day): "
        f"{result['bound_mean_wait_min']:.2f} min; one pooled first-come line simulated on the same visitors: "
        f"{result['pooled_fcfs_mean_wait_min']:.2f} min",
        "Waits in minutes, from ticket to call, of visitors who showed up; 'in range %' of those who waited.",
        "",
    ]
    head = f"{'policy':22}" + "".join(f"{label:>{width}}" for _, label in COLUMNS)
    lines += [head, "-" * len(head)]
    for name, m in result["policies"].items():
        lines.append(f"{LABELS.get(name, name):22}" + "".join(f"{_cell(m, k):>{width}}" for k, _ in COLUMNS))
    lines += ["", "Aims (issue 13):"] + [f"  [{'ok' if ok else 'MISSED'}] {text} (aim {goal})"
                                        for text, goal, ok in aims(result)]
    if alt:
        lines += ["", f"Cross-training: with {alt['run']['backups']} backup unit(s) instead, navbat's mean wait is "
                      f"{alt['policies']['navbat']['mean_wait_min']:.2f} min "
                      f"(max {alt['policies']['navbat']['max_wait_over_target']:.2f}× target)."]
    return "\n".join(lines)


def aims(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The rule's aims against the same visitors' pooled first-come line and oldest-first."""
    p = result["policies"]
    ours, pooled, oldest = p["navbat"], p.get("pooled_fcfs"), p.get("oldest_first")
    out = []
    if pooled:
        ratio = ours["mean_wait_min"] / max(pooled["mean_wait_min"], 1e-9)
        out.append((f"mean wait {ratio:.2f}× pooled first-come's", "≤ 1.10×", ratio <= 1.10))
    share = ours["priority_mean_wait_min"] / ours["regular_mean_wait_min"] if ours["regular_mean_wait_min"] else 0
    out.append((f"priority visitors wait {100 * share:.0f} % of regular", "≤ 40 %", share <= 0.4))
    if oldest:
        out.append((f"longest wait {ours['max_wait_min']:.1f} min, oldest-first's {oldest['max_wait_min']:.1f}",
                    "no worse", ours["max_wait_min"] <= oldest["max_wait_min"]))
    if ours.get("estimate_mae_min") is not None:
        err = ours["estimate_mae_min"] / max(ours["mean_wait_min"], 1e-9)
        out.append((f"estimate MAE {100 * err:.0f} % of the mean wait", "≤ 30 %", err <= 0.30))
    if ours.get("range_coverage_waited_pct") is not None:
        cov = ours["range_coverage_waited_pct"]
        out.append((f"{cov:.1f} % of those who waited called inside their range", "80 %", abs(cov - 80) <= 2))
    return out


def _staffing(branch: Any, args: argparse.Namespace) -> int:
    from navbat.queueing.branch import rules_from_branch
    from navbat.queueing.profiles import busy_day
    from navbat.queueing.staffing import advice_json, staffing_advice

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
