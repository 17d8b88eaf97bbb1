"""The figures `navbat simulate` reports: per policy on one run, and their mean over many seeds
with a 95 % confidence half-width (`ci95`), since one simulated week is mostly noise."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

from navbat.queueing.model import Rules
from navbat.queueing.profiles import DayProfile


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarise(outcomes: Sequence[Any], busy_minutes: float, counters: int, days: int, profile: DayProfile,
              rules: Rules) -> dict[str, Any]:
    """The per-policy figures of the JSON report (waits of visitors who showed up, in minutes).

    The range's figures: `range_coverage_waited_pct` is the share of visitors who waited
    (called later than the moment they took their ticket) whose call fell inside the range
    they were given, a visitor told "at once" who then waited counting as a miss; the older
    `estimate_range_coverage_pct` counts everyone, those called at once included.
    `range_width_rel_median` is the median of (high − low) ÷ estimate over those given a range.
    """
    served = [o for o in outcomes if not o.visitor.no_show]
    waits = [(o.called_at - o.visitor.arrival) / 60 for o in served]
    pairs = list(zip(waits, served, strict=True))
    prio = [w for w, o in pairs if o.visitor.priority]
    regular = [w for w, o in pairs if not o.visitor.priority]
    ratios = [w / rules.target(o.visitor.service) for w, o in pairs]
    within = sum(1 for r in ratios if r <= 1.0)
    est = [(o.estimate, w) for w, o in pairs if o.estimate is not None]
    naive = [abs(o.naive - w) for w, o in pairs if o.naive is not None]
    covered = sum(1 for e, w in est if e.low - 1e-9 <= w <= e.high + 1e-9)
    waited = [(e, w) for e, w in est if w > 1e-9]
    waited_in = sum(1 for e, w in waited if not e.at_once and e.low - 1e-9 <= w <= e.high + 1e-9)
    widths = [(e.high - e.low) / e.minutes for e, _ in est if not e.at_once and e.minutes > 0]
    mae = _mean([abs(e.minutes - w) for e, w in est]) if est else None
    mean = _mean(waits)
    return {
        "visitors": len(served),
        "mean_wait_min": round(mean, 2),
        "p90_wait_min": round(_pct(waits, 0.9), 2),
        "max_wait_min": round(max(waits, default=0.0), 2),
        "max_wait_over_target": round(max(ratios, default=0.0), 2),
        "sla_pct": round(100 * within / len(served), 1) if served else 100.0,
        "priority_mean_wait_min": round(_mean(prio), 2),
        "regular_mean_wait_min": round(_mean(regular), 2),
        "utilisation": round(busy_minutes / (counters * profile.minutes * days), 3),
        "estimate_mae_min": round(mae, 2) if mae is not None else None,
        "estimate_mae_pct_of_mean": round(100 * mae / mean, 1) if mae is not None and mean > 0 else None,
        "naive_estimate_mae_min": round(_mean(naive), 2) if naive else None,
        "estimate_range_coverage_pct": round(100 * covered / len(est), 1) if est else None,
        "range_coverage_waited_pct": round(100 * waited_in / len(waited), 1) if waited else None,
        "range_width_rel_median": round(statistics.median(widths), 2) if widths else None,
        "told_at_once_pct": round(100 * sum(1 for e, _ in est if e.at_once) / len(est), 1) if est else None,
    }


def t_quantile(df: int, p: float = 0.975) -> float:
    """Student's t quantile (Cornish–Fisher expansion around the normal; within 1 % from 3 degrees of freedom)."""
    z = NormalDist().inv_cdf(p)
    if df <= 0:
        return math.inf
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def half_width(values: Sequence[float]) -> float:
    """Half-width of the 95 % confidence interval of the mean of `values` (0 for a single value)."""
    if len(values) < 2:
        return 0.0
    return t_quantile(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def _average(items: Sequence[Any], digits: int = 3) -> Any:
    numbers = [x for x in items if isinstance(x, int | float) and not isinstance(x, bool)]
    if len(numbers) != len(items) or not numbers:
        return items[0]
    return round(statistics.fmean(numbers), digits)


def over_seeds(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The runs of several seeds as one report of the same shape: every figure averaged, with
    `"seeds": n` and, per policy, `"ci95": {figure: half-width}`."""
    first = results[0]
    out: dict[str, Any] = {k: _average([r[k] for r in results]) for k in first if k not in ("policies", "run")}
    out["seeds"] = len(results)
    out["policies"] = {}
    for name in first["policies"]:
        runs = [r["policies"][name] for r in results]
        figures = {k: _average([m[k] for m in runs]) for k in runs[0]}
        figures["ci95"] = {k: round(half_width([m[k] for m in runs]), 3) for k in runs[0]
                           if all(isinstance(m[k], int | float) for m in runs)}
        out["policies"][name] = figures
    if "run" in first:
        seeds = [r["run"]["seed"] for r in results]
        out["run"] = {**first["run"], "seed": seeds[0], "seeds": seeds}
    return out
