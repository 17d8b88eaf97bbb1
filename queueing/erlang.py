"""Erlang B/C, the Allen–Cunneen correction and square-root staffing (D3).

`a` is the offered load in Erlangs (arrivals per minute × mean service minutes), `c` the
number of counters. Erlang C is exact for Poisson arrivals and exponential service at a steady
load; the Allen–Cunneen correction for other service-time spreads is an approximation, and a
branch day is not steady (it starts empty, its peaks come and go). So the pooled figure
`navbat simulate` prints beside the rules is a yardstick, not a lower bound: simulated weeks
come in under it as well as over, and the pooled first-come line simulated on the same
visitors is the fair comparison.
"""

from __future__ import annotations

import math


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c, by the stable recursion B(k) = aB(k-1) / (k + aB(k-1))."""
    if c < 0 or a < 0:
        raise ValueError("need c >= 0 and a >= 0")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival has to wait in M/M/c (1.0 when the load is c or more)."""
    if c <= 0 or a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


def mmc_wait(c: int, a: float, mean_service: float) -> float:
    """Mean wait in queue of M/M/c, in the unit of `mean_service` (inf when overloaded)."""
    if a >= c:
        return math.inf
    return erlang_c(c, a) * mean_service / (c - a)


def allen_cunneen_wait(c: int, a: float, mean_service: float, cs2: float, ca2: float = 1.0) -> float:
    """Mean wait in queue of G/G/c ≈ M/M/c wait × (ca² + cs²) / 2 (squared coefficients of variation).

    The Allen–Cunneen approximation: exact only for M/M/c (ca² = cs² = 1), good to some per cent
    at a steady load otherwise, and neither a lower nor an upper bound.
    """
    return mmc_wait(c, a, mean_service) * (ca2 + cs2) / 2


def prob_wait_within(c: int, a: float, mean_service: float, t: float, cs2: float = 1.0, ca2: float = 1.0) -> float:
    """P(wait <= t): 1 - C·exp(-(c - a)·t / mean_service), the tail stretched by the Allen–Cunneen factor."""
    if a >= c:
        return 0.0
    stretch = max((ca2 + cs2) / 2, 1e-9)
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * t / mean_service / stretch)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _Phi(x: float) -> float:  # noqa: N802  (the usual name of the normal CDF)
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def halfin_whitt_delay(beta: float) -> float:
    """Halfin–Whitt approximation of P(wait) when c = a + beta·sqrt(a)."""
    if beta <= 0:
        return 1.0
    return 1.0 / (1.0 + beta * _Phi(beta) / _phi(beta))


def sqrt_staffing(a: float, mean_service: float, t: float, share: float, cs2: float = 1.0) -> int:
    """Counters by square-root staffing c = ceil(a + beta·sqrt(a)), beta chosen (Halfin–Whitt) so that
    P(wait > t) <= 1 - share. An independent check on the exact Erlang C search."""
    if a <= 0:
        return 0
    stretch = max((1 + cs2) / 2, 1e-9)

    def late(beta: float) -> float:
        return halfin_whitt_delay(beta) * math.exp(-beta * math.sqrt(a) * t / mean_service / stretch)

    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if late(mid) <= 1 - share else (mid, hi)
    return max(1, math.ceil(a + hi * math.sqrt(a) - 1e-9))
