"""Erlang B/C, Allen–Cunneen and square-root staffing against published and closed-form values (D3)."""

from __future__ import annotations

import math

import pytest
from navbat.queueing.erlang import (
    allen_cunneen_wait,
    erlang_b,
    erlang_c,
    halfin_whitt_delay,
    mmc_wait,
    prob_wait_within,
    sqrt_staffing,
)


@pytest.mark.parametrize(("c", "a", "published"), [
    (5, 2.0, 0.0367),  # Erlang B tables (e.g. Kleinrock, Vol. 1; any teletraffic handbook)
    (10, 5.0, 0.01838),
    (10, 8.0, 0.12166),
    (20, 15.0, 0.04559),
])
def test_erlang_b_tables(c: int, a: float, published: float) -> None:
    assert erlang_b(c, a) == pytest.approx(published, abs=5e-5)


@pytest.mark.parametrize(("agents", "published"), [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)])
def test_erlang_c_call_centre_example(agents: int, published: float) -> None:
    # The classic worked example: 10 Erlangs (e.g. 200 calls/hour of 3 minutes).
    assert erlang_c(agents, 10.0) == pytest.approx(published, abs=5e-5)


def test_erlang_c_closed_forms() -> None:
    for rho in (0.1, 0.5, 0.9):
        assert erlang_c(1, rho) == pytest.approx(rho)  # M/M/1: P(wait) = rho
        assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))  # M/M/2
    assert erlang_c(10, 6.0) == pytest.approx(0.10, abs=0.002)  # textbook: 120/h × 3 min, 10 servers: "about 0.10"
    assert erlang_c(8, 8.0) == 1.0 and erlang_c(8, 0.0) == 0.0


def test_mean_waits() -> None:
    # M/M/1: Wq = rho / (mu - lambda) = rho × S / (1 - rho)
    assert mmc_wait(1, 0.8, 10.0) == pytest.approx(0.8 * 10 / 0.2)
    # 14 agents, 10 Erlangs, 180 s calls: average speed of answer 7.8 s
    assert mmc_wait(14, 10.0, 180.0) == pytest.approx(7.8, abs=0.05)
    assert math.isinf(mmc_wait(5, 5.0, 1.0))


def test_allen_cunneen_is_exact_for_one_counter() -> None:
    # M/G/1 (Pollaczek–Khinchine): Wq = rho × S × (1 + cs²) / (2 (1 - rho)); M/D/1 has cs² = 0
    rho, s = 0.7, 6.0
    assert allen_cunneen_wait(1, rho, s, cs2=0.0) == pytest.approx(rho * s / (2 * (1 - rho)))
    assert allen_cunneen_wait(1, rho, s, cs2=0.36) == pytest.approx(rho * s * 1.36 / (2 * (1 - rho)))
    assert allen_cunneen_wait(8, 6.5, 9.0, cs2=1.0) == pytest.approx(mmc_wait(8, 6.5, 9.0))


def test_wait_distribution() -> None:
    assert prob_wait_within(10, 6.0, 3.0, 0.0) == pytest.approx(1 - erlang_c(10, 6.0))
    assert prob_wait_within(10, 6.0, 3.0, 1e9) == pytest.approx(1.0)
    # 14 agents, 10 Erlangs, 180 s: 1 - 0.1741 e^{-4 × 20 / 180} answered within 20 s
    assert prob_wait_within(14, 10.0, 180.0, 20.0) == pytest.approx(1 - 0.1741 * math.exp(-80 / 180), abs=1e-4)
    assert prob_wait_within(4, 5.0, 3.0, 10.0) == 0.0


def test_square_root_staffing_agrees_with_erlang_c() -> None:
    assert halfin_whitt_delay(0.0) == 1.0 and 0 < halfin_whitt_delay(1.0) < 0.5
    for a in (5.0, 10.0, 40.0):
        for share in (0.8, 0.9):
            exact = next(c for c in range(1, 200) if prob_wait_within(c, a, 5.0, 2.0) >= share)
            assert abs(sqrt_staffing(a, 5.0, 2.0, share) - exact) <= 1, (a, share)
