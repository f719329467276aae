import doctest

import numpy as np
import pandas as pd
import pytest

from sna.stats import uncertainty as mod
from sna.stats.aggregate import weighted_arithmetic
from sna.stats.ranking import deciles, rank_desc
from sna.stats.uncertainty import (
    compare_rankings,
    dirichlet_weights,
    gamma_redraw,
    monte_carlo,
    poisson_redraw,
    rank_interval_contains,
)


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


@pytest.fixture(scope="module")
def layers():
    rng = np.random.default_rng(9)
    counts = pd.DataFrame(
        rng.poisson(rng.uniform(1, 40, size=(200, 3))).astype(float),
        columns=["vwi", "robbery", "exclusions"],
    )
    return counts, {"vwi": 0.5, "robbery": 0.3, "exclusions": 0.2}


def _index(counts, weights):
    z = (counts - counts.mean()) / counts.std()
    return weighted_arithmetic(z, weights).index.to_numpy()


def _kernel(layers):
    counts, weights = layers

    def kernel(rng, i):
        redrawn = counts.apply(lambda c: poisson_redraw(c.to_numpy(), rng))
        return _index(redrawn, dirichlet_weights(weights, 50.0, rng))

    return kernel


def test_seeded_runs_are_identical(layers):
    point = _index(*layers)
    a = monte_carlo(_kernel(layers), point=point, draws=60, seed=42, keep_draws=True)
    b = monte_carlo(_kernel(layers), point=point, draws=60, seed=42, keep_draws=True)
    for field in ("rank_lo", "rank_median", "rank_hi", "p_top_decile", "decile_confidence"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.simulations, b.simulations)
    assert a.simulations.shape == (60, 200)
    c = monte_carlo(_kernel(layers), point=point, draws=60, seed=43, keep_draws=True)
    assert not np.array_equal(a.simulations, c.simulations)


def test_draw_streams_do_not_depend_on_run_length(layers):
    # draw i always uses the i-th child seed: the first 20 draws of a 60-draw run equal a
    # 20-draw run
    point = _index(*layers)
    short = monte_carlo(_kernel(layers), point=point, draws=20, seed=7, keep_draws=True)
    long = monte_carlo(_kernel(layers), point=point, draws=60, seed=7, keep_draws=True)
    np.testing.assert_array_equal(short.simulations, long.simulations[:20])


def test_every_interval_contains_its_point_rank(layers):
    point = _index(*layers)
    res = monte_carlo(_kernel(layers), point=point, draws=100, seed=1)
    assert rank_interval_contains(res.rank, res.rank_lo, res.rank_hi).all()
    np.testing.assert_array_equal(res.rank, rank_desc(point))
    np.testing.assert_array_equal(res.decile, deciles(point))
    assert (res.rank_hi - res.rank_lo > 0).mean() > 0.9  # there is real noise
    assert 0 <= res.n_widened < 20


def test_widening_is_reported_when_draws_disagree_with_point():
    point = np.arange(10.0)
    reversed_ = point[::-1].copy()
    res = monte_carlo(lambda rng, i: reversed_, point=point, draws=5, seed=0)
    # every draw ranks the units the other way round; the interval is widened to the point
    assert res.n_widened == 10 and res.widened.all()
    assert rank_interval_contains(res.rank, res.rank_lo, res.rank_hi).all()
    np.testing.assert_array_equal(res.rank_median, rank_desc(reversed_))


def test_zero_noise_gives_zero_width(layers):
    point = _index(*layers)
    res = monte_carlo(lambda rng, i: point, point=point, draws=30, seed=5)
    np.testing.assert_array_equal(res.rank_lo, res.rank)
    np.testing.assert_array_equal(res.rank_hi, res.rank)
    np.testing.assert_array_equal(res.decile_confidence, np.ones(200))
    np.testing.assert_array_equal(res.p_top_decile, (res.decile == 1).astype(float))
    assert res.n_widened == 0


def test_clear_leader_is_top_decile_with_certainty():
    rng0 = np.random.default_rng(0)
    point = np.r_[100.0, rng0.normal(size=99)]
    res = monte_carlo(lambda rng, i: point + rng.normal(0, 0.1, 100), point=point, draws=50, seed=3)
    assert res.p_top_decile[0] == 1.0 and res.rank_lo[0] == res.rank_hi[0] == 1


def test_nan_units_and_frame():
    point = pd.Series([3.0, np.nan, 1.0, 2.0], index=list("abcd"))
    res = monte_carlo(
        lambda rng, i: point.to_numpy() + rng.normal(0, 0.01, 4), point=point, draws=10, seed=2
    )
    frame = res.to_frame()
    assert list(frame.index) == list("abcd")
    assert np.isnan(frame.loc["b", "rank_lo"]) and not frame.loc["b", "interval_widened"]
    assert frame.loc["a", "rank"] == 1 and frame.loc["d", "rank"] == 2


def test_monte_carlo_argument_checks():
    point = np.ones(3)
    with pytest.raises(TypeError, match="seed"):
        monte_carlo(lambda rng, i: point, point=point, seed=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="draws"):
        monte_carlo(lambda rng, i: point, point=point, draws=0, seed=1)
    with pytest.raises(ValueError, match=r"shape \(2,\) on draw 0"):
        monte_carlo(lambda rng, i: np.ones(2), point=point, draws=3, seed=1)
    with pytest.raises(ValueError, match="percentiles"):
        monte_carlo(lambda rng, i: point, point=point, seed=1, percentiles=(95, 50, 5))


def test_poisson_and_gamma_redraws():
    rng = np.random.default_rng(0)
    counts = np.array([0.0, 5.0, 100.0, np.nan])
    draws = np.array([poisson_redraw(counts, rng) for _ in range(4000)])
    assert (draws[:, 0] == 0).all() and np.isnan(draws[:, 3]).all()
    assert draws[:, 2].mean() == pytest.approx(100, rel=0.02)
    assert draws[:, 2].var() == pytest.approx(100, rel=0.1)
    g = np.array([gamma_redraw(counts, rng) for _ in range(4000)])
    assert (g[:, 0] > 0).all()  # a zero count can still be a small positive rate
    assert g[:, 1].mean() == pytest.approx(5.5, rel=0.05)  # Gamma(r + 1/2, 1) has mean r + 1/2
    with pytest.raises(ValueError, match="negative"):
        poisson_redraw([-1.0], rng)
    s = poisson_redraw(pd.Series([1.0, 2.0], index=["x", "y"]), rng)
    assert list(s.index) == ["x", "y"]


def test_dirichlet_weights():
    rng = np.random.default_rng(1)
    w = {"a": 0.5, "b": 0.3, "c": 0.2, "d": 0.0}
    draws = pd.DataFrame([dirichlet_weights(w, 100.0, rng) for _ in range(3000)])
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    assert (draws["d"] == 0).all()
    np.testing.assert_allclose(draws.mean(), [0.5, 0.3, 0.2, 0.0], atol=0.005)
    # Var = w (1 - w) / (c + 1)
    assert draws["a"].var() == pytest.approx(0.25 / 101, rel=0.1)
    arr = dirichlet_weights(np.array([1.0, 3.0]), 10.0, rng)
    assert isinstance(arr, np.ndarray) and arr.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="concentration"):
        dirichlet_weights(w, 0.0, rng)
    with pytest.raises(ValueError, match="not all zero"):
        dirichlet_weights({"a": 0.0}, 1.0, rng)


def test_rank_interval_contains():
    got = rank_interval_contains([1, 5, 3, np.nan, 2], [1, 6, 1, 1, np.nan], [1, 9, 3, 2, 4])
    assert got.tolist() == [True, False, True, True, False]


def test_compare_rankings():
    x = np.random.default_rng(0).normal(size=100)
    same = compare_rankings(x, x)
    assert same.spearman == pytest.approx(1.0)
    assert same.decile_changed == 0.0 and same.mean_abs_rank_shift == 0
    rev = compare_rankings(x, -x)
    assert rev.spearman == pytest.approx(-1.0) and rev.decile_changed == 1.0
    part = compare_rankings(np.r_[x, np.nan], np.r_[x + 1e-3, 5.0])
    assert part.n == 100 and part.spearman == pytest.approx(1.0)
