"""Service times learned from the branch's own history, robust to forgotten "done" presses."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from statistics import NormalDist

from navbat.queueing.model import Rules

# Durations further than this from the median, in log terms, are treated as recording
# mistakes (a clerk forgot to press "done", or pressed it twice): ×/÷ 4 around the median.
_LOG_SPAN = math.log(4.0)
_SPAN = 4.0
_PHI = NormalDist().cdf


def _kept_share_of_mean(sigma: float) -> float:
    """E[X | kept] / E[X] for a log-normal X of log-spread sigma cut at ×/÷ 4 around its median.

    Cutting both tails on a log scale takes more off the top than the bottom (the mean lives
    in the long upper tail): at the usual spread (sd / mean 0.6) the kept mean is 2 % low.
    """
    if sigma <= 1e-6:
        return 1.0
    k = _LOG_SPAN / sigma
    return (_PHI(k - sigma) - _PHI(-k - sigma)) / (_PHI(k) - _PHI(-k))


def _robust_sorted(s: Sequence[float], lo: int = 0, hi: int | None = None) -> tuple[float, int] | None:
    """robust_mean of s[lo:hi], already sorted and clean."""
    hi = len(s) if hi is None else hi
    n = hi - lo
    if n <= 0:
        return None
    mid = lo + n // 2
    median = s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
    a, b = bisect_left(s, median / _SPAN, lo, hi), bisect_right(s, median * _SPAN, lo, hi)
    kept = b - a
    mean = sum(s[a:b]) / kept
    # the log-spread from the kept values' quartiles (outliers do not move them)
    if kept >= 8:
        q1, q3 = s[a + kept // 4], s[a + (3 * kept) // 4]
        sigma = (math.log(q3) - math.log(q1)) / 1.349
        mean /= _kept_share_of_mean(min(sigma, _LOG_SPAN))
    return mean, kept


def robust_mean(values: Iterable[float]) -> tuple[float, int] | None:
    """Mean of the plausible durations and how many were kept, or None if none are usable.

    Service times are skewed (log-normal-like), so outliers are judged on a log scale around
    the median; the mean (not the median) of what is left is returned, because the mean is
    what sets how fast a counter gets through its line. The cut's own bias is corrected for
    (`_kept_share_of_mean`), so clean log-normal durations give their true mean.
    """
    clean = sorted(v for v in values if isinstance(v, (int, float)) and math.isfinite(v) and v > 0)
    return _robust_sorted(clean)


def _shrunk(found: tuple[float, int] | None, code: str, rules: Rules) -> float | None:
    if found is None:
        return None
    mean, n = found
    return (n * mean + rules.prior_samples * rules.expected(code)) / (n + rules.prior_samples)


def learn_service_minutes(samples: Mapping[str, list[float]], rules: Rules) -> dict[str, float]:
    """Expected service minutes per sub-service (called -> done) from recent history.

    Outliers are dropped (see `robust_mean`); with few samples the value is shrunk toward the
    configured expected minutes, as if the configuration were `rules.prior_samples` extra
    samples, so one odd visitor does not swing the estimates shown at the kiosk (D6).
    Every configured sub-service is in the result.
    """
    out = {code: float(m) for code, m in rules.expected_service_min.items()}
    for code, values in samples.items():
        learned = _shrunk(robust_mean(values), code, rules)
        if learned is not None:
            out[code] = learned
    return out


class RollingLearner:
    """learn_service_minutes over the last `window` seconds of durations, kept up to date as
    they come and go: each sub-service's durations stay sorted, so a refresh costs a few
    bisections and one sum, however long the history (the hub reads 30 days the same way)."""

    def __init__(self, rules: Rules, window: float) -> None:
        self.rules, self.window = rules, window
        self._sorted: dict[str, list[float]] = {}
        self._order: deque[tuple[float, str, float]] = deque()

    def add(self, service: str, at: float, minutes: float) -> None:
        if not (math.isfinite(minutes) and minutes > 0):
            return
        insort(self._sorted.setdefault(service, []), minutes)
        self._order.append((at, service, minutes))

    def learned(self, now: float) -> dict[str, float]:
        while self._order and self._order[0][0] < now - self.window:
            _, service, minutes = self._order.popleft()
            values = self._sorted[service]
            del values[bisect_left(values, minutes)]
        out = {code: float(m) for code, m in self.rules.expected_service_min.items()}
        for code, values in self._sorted.items():
            learned = _shrunk(_robust_sorted(values), code, self.rules)
            if learned is not None:
                out[code] = learned
        return out
