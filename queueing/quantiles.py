"""Percentiles of a few dozen replays that do not jump about (the Harrell–Davis estimator).

A 10th percentile read off 24 sorted replays is one or two of them: it moves with every
refresh and sits too close to the middle (the reason 24 replays covered 74 %, not 80 %). The
Harrell–Davis estimate weighs every sorted value by the chance that it is the wanted
quantile (a beta distribution over the order statistics), so it uses all the replays and
is as stable as several times as many raw ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        even = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
        odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
        for num in (even, odd):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-12:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


@lru_cache(maxsize=256)
def hd_weights(n: int, q: float) -> tuple[float, ...]:
    """Weights of the n sorted values in the Harrell–Davis estimate of quantile q."""
    a, b = (n + 1) * q, (n + 1) * (1 - q)
    cdf = [beta_cdf(i / n, a, b) for i in range(n + 1)]
    return tuple(cdf[i + 1] - cdf[i] for i in range(n))


def hd_quantile(sorted_values: Sequence[float], q: float) -> float:
    """Quantile q (0 < q < 1) of sorted values; infinite values (never called) give inf when they weigh."""
    n = len(sorted_values)
    if n == 1:
        return sorted_values[0]
    total = weight = 0.0
    for w, v in zip(hd_weights(n, q), sorted_values, strict=True):
        if w > 1e-9:  # a far "never" (inf) with a negligible weight must not make the answer inf
            total += w * v
            weight += w
    return total / weight


def share_below(sorted_values: Sequence[float], x: float) -> float:
    """Where x falls among the replays (ties split in the middle): 0 below all of them, 1 above."""
    from bisect import bisect_left, bisect_right

    lo, hi = bisect_left(sorted_values, x), bisect_right(sorted_values, x)
    return (lo + hi) / 2 / len(sorted_values) if sorted_values else 0.5
