"""Service times learned from the branch's own history, robust to forgotten "done" presses."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping

from queueing.model import Rules

# Durations further than this from the median, in log terms, are treated as recording
# mistakes (a clerk forgot to press "done", or pressed it twice): ×/÷ 4 around the median.
_LOG_SPAN = math.log(4.0)


def robust_mean(values: Iterable[float]) -> tuple[float, int] | None:
    """Mean of the plausible durations and how many were kept, or None if none are usable.

    Service times are skewed (log-normal-like), so outliers are judged on a log scale around
    the median; the mean (not the median) of what is left is returned, because the mean is
    what sets how fast a counter gets through its line.
    """
    clean = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
    if not clean:
        return None
    centre = math.log(statistics.median(clean))
    kept = [v for v in clean if abs(math.log(v) - centre) <= _LOG_SPAN]
    return sum(kept) / len(kept), len(kept)


def learn_service_minutes(samples: Mapping[str, list[float]], rules: Rules) -> dict[str, float]:
    """Expected service minutes per sub-service (called -> done) from recent history.

    Outliers are dropped (see `robust_mean`); with few samples the value is shrunk toward the
    configured expected minutes, as if the configuration were `rules.prior_samples` extra
    samples, so one odd visitor does not swing the estimates shown at the kiosk (D6).
    Every configured sub-service is in the result.
    """
    out = {code: float(m) for code, m in rules.expected_service_min.items()}
    for code, values in samples.items():
        found = robust_mean(values)
        if found is None:
            continue
        mean, n = found
        prior = rules.expected(code)
        out[code] = (n * mean + rules.prior_samples * prior) / (n + rules.prior_samples)
    return out
