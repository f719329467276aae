import doctest

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from sna.stats import shrinkage as mod
from sna.stats.shrinkage import eb_shrink


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_weights_equal_formula_hand_calc():
    # One parent, two LSOAs of 100 people with 10 and 40 events.
    # z = ln((r+.5)/(n-r+.5)):  ln(10.5/90.5) = -2.153975, ln(40.5/60.5) = -0.401341
    # s2 = 1/(r+.5) + 1/(n-r+.5): 0.106288, 0.041220
    # tau2 = var(z, ddof=1) - mean(s2) = (1.752634^2 / 2) - 0.073754 = 1.535862 - 0.073754
    #      = 1.462108
    # w = tau2 / (tau2 + s2): 1.462108 / 1.568396 = 0.93223, 1.462108 / 1.503328 = 0.97258
    res = eb_shrink([10, 40], [100, 100], ["P", "P"])
    np.testing.assert_allclose(res.s2, [0.106288, 0.041220], rtol=1e-5)
    assert res.tau2["P"] == pytest.approx(1.462108, rel=1e-6)
    np.testing.assert_allclose(res.weight, [0.93223, 0.97258], rtol=1e-5)
    # parent centre = pooled empirical logit: (50 + .5) / (200 + 1)
    np.testing.assert_allclose(res.parent_rate, [50.5 / 201] * 2)
    z = np.log((np.array([10, 40]) + 0.5) / (np.array([90, 60]) + 0.5))
    zp = np.log(50.5 / 150.5)
    np.testing.assert_allclose(res.rate_shrunk, expit(res.weight * z + (1 - res.weight) * zp))
    np.testing.assert_allclose(res.rate_raw, [0.1, 0.4])


def test_weights_equal_formula_many_parents():
    rng = np.random.default_rng(11)
    n = rng.integers(50, 3000, size=60).astype(float)
    parent = np.repeat([f"M{i}" for i in range(12)], 5)
    r = rng.binomial(n.astype(int), rng.uniform(0.01, 0.2, size=60)).astype(float)
    res = eb_shrink(r, n, parent)
    for p in np.unique(parent):
        sel = parent == p
        z = np.log((r[sel] + 0.5) / (n[sel] - r[sel] + 0.5))
        s2 = 1 / (r[sel] + 0.5) + 1 / (n[sel] - r[sel] + 0.5)
        tau2 = max(z.var(ddof=1) - s2.mean(), 1e-4)
        w = (1 / s2) / (1 / s2 + 1 / tau2)
        np.testing.assert_allclose(res.weight[sel], w, rtol=1e-10)
        assert res.tau2[p] == pytest.approx(tau2)
    assert not res.to_global.any() and not res.no_denominator.any()


def _fixture():
    # parent A: one huge precise unit, one tiny noisy one, two ordinary ones
    counts = np.array([100_000, 1, 15, 80, 12, 80, 5])
    denoms = np.array([1_000_000, 20, 300, 400, 150, 500, 60])
    parent = np.array(["A", "A", "A", "A", "B", "B", "B"])
    return counts, denoms, parent


def test_precise_units_barely_move_small_units_move_toward_parent():
    c, n, p = _fixture()
    res = eb_shrink(c, n, p)
    assert res.weight[0] > 0.99
    assert abs(res.rate_shrunk[0] - res.rate_raw[0]) / res.rate_raw[0] < 0.005
    assert res.weight[1] < 0.5
    assert abs(res.rate_shrunk[1] - res.parent_rate[1]) < abs(res.rate_raw[1] - res.parent_rate[1])
    # weight falls as the denominator falls, within a parent
    order = np.argsort(n[:4])
    assert np.all(np.diff(res.weight[:4][order]) > 0)


@pytest.mark.parametrize("scale", ["logit", "poisson_gamma"])
def test_shrunk_between_raw_and_parent(scale):
    rng = np.random.default_rng(4)
    n = rng.integers(20, 2000, size=200).astype(float)
    r = rng.binomial(n.astype(int), rng.uniform(0.0, 0.3, size=200)).astype(float)
    parent = rng.integers(0, 25, size=200)
    res = eb_shrink(r, n, parent, scale=scale)
    # logit: between the parent and the continuity-corrected raw rate (r+.5)/(n+1);
    # Poisson-Gamma: between the parent and r/n exactly.
    own = (r + 0.5) / (n + 1) if scale == "logit" else r / n
    lo = np.minimum(own, res.parent_rate) - 1e-12
    hi = np.maximum(own, res.parent_rate) + 1e-12
    assert np.all((res.rate_shrunk >= lo) & (res.rate_shrunk <= hi))
    assert np.all((res.weight >= 0) & (res.weight <= 1))


def test_single_child_parent_shrinks_to_global():
    c, n, p = _fixture()
    c = np.append(c, 9)
    n = np.append(n, 50)
    p = np.append(p, "C")  # C has one child
    res = eb_shrink(c, n, p)
    assert res.to_global.tolist() == [False] * 7 + [True]
    assert res.parent_rate[-1] == pytest.approx(res.global_rate)
    assert res.tau2["C"] == pytest.approx(res.global_tau2)
    assert res.weight[-1] == pytest.approx(res.global_tau2 / (res.global_tau2 + res.s2[-1]))
    # global = pooled empirical logit of every rated unit
    assert res.global_rate == pytest.approx((c.sum() + 0.5) / (n.sum() + 1))


def test_missing_parent_shrinks_to_global():
    res = eb_shrink([1, 2, 3, 4], [10, 20, 30, 40], ["A", "A", None, "B"])
    assert res.to_global.tolist() == [False, False, True, True]


def test_zero_denominator_flagged_and_ignored():
    c, n, p = _fixture()
    base = eb_shrink(c, n, p)
    res = eb_shrink(np.append(c, 0), np.append(n, 0), np.append(p, "A"))
    assert res.no_denominator.tolist() == [False] * 7 + [True]
    assert np.isnan(res.rate_raw[-1]) and np.isnan(res.rate_shrunk[-1]) and np.isnan(res.weight[-1])
    np.testing.assert_allclose(res.rate_shrunk[:7], base.rate_shrunk)
    # a NaN count is treated the same way
    res2 = eb_shrink(np.append(c, np.nan), np.append(n, 100), np.append(p, "A"))
    assert res2.no_denominator[-1] and np.isnan(res2.rate_shrunk[-1])


def test_counts_exceeding_denominator_is_an_error_on_logit_scale():
    counts = pd.Series([5, 12, 3], index=["E01000001", "E01000002", "E01000003"])
    denoms = pd.Series([10, 10, 10], index=counts.index)
    with pytest.raises(ValueError, match=r"1 count\(s\) exceed.*'E01000002' \(12 > 10\)"):
        eb_shrink(counts, denoms, ["A", "A", "A"])
    # allowed on the Poisson-Gamma scale (e.g. crimes per resident in a city centre)
    res = eb_shrink(counts, denoms, ["A", "A", "A"], scale="poisson_gamma")
    assert res.rate_raw[1] == pytest.approx(1.2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="counts has 1 negative value"):
        eb_shrink([-1, 2], [10, 10], ["A", "A"])
    with pytest.raises(ValueError, match="denominators"):
        eb_shrink([1, 2], [10, 10, 10], ["A", "A"])
    with pytest.raises(ValueError, match="parent has shape"):
        eb_shrink([1, 2], [10, 10], ["A"])
    with pytest.raises(ValueError, match="scale='beta'"):
        eb_shrink([1, 2], [10, 10], ["A", "A"], scale="beta")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not aligned"):
        eb_shrink(
            pd.Series([1, 2], index=["a", "b"]), pd.Series([5, 5], index=["b", "a"]), ["A", "A"]
        )


def test_poisson_gamma_marshall_hand_calc():
    # Marshall (1991): m = R/N; tau2 = sum n (x - m)^2 / N - m / nbar; w = tau2 / (tau2 + m/n)
    r = np.array([2.0, 10.0, 30.0])
    n = np.array([100.0, 200.0, 300.0])
    res = eb_shrink(r, n, ["A"] * 3, scale="poisson_gamma")
    m = 42 / 600  # 0.07
    spread = (100 * (0.02 - m) ** 2 + 200 * (0.05 - m) ** 2 + 300 * (0.1 - m) ** 2) / 600
    # spread = (100 * 0.0025 + 200 * 0.0004 + 300 * 0.0009) / 600 = 0.001
    tau2 = spread - m / 200  # 0.001 - 0.00035 = 0.00065
    assert tau2 == pytest.approx(0.00065)
    assert res.tau2["A"] == pytest.approx(0.00065)
    w = tau2 / (tau2 + m / n)
    np.testing.assert_allclose(res.weight, w)
    np.testing.assert_allclose(res.rate_shrunk, w * r / n + (1 - w) * m)
    np.testing.assert_allclose(res.parent_rate, m)


def test_identical_rates_pool_completely_at_floor():
    res = eb_shrink([10, 10, 10], [100, 100, 100], ["A"] * 3, min_tau2=0.0)
    assert res.tau2["A"] == 0.0
    np.testing.assert_array_equal(res.weight, [0.0, 0.0, 0.0])
    res = eb_shrink([10, 10, 10], [100, 100, 100], ["A"] * 3)
    assert res.tau2["A"] == pytest.approx(1e-4)


def test_precision_centre_and_frame():
    c, n, p = _fixture()
    idx = [f"E0100000{i}" for i in range(len(c))]
    res = eb_shrink(
        pd.Series(c, index=idx),
        pd.Series(n, index=idx),
        pd.Series(p, index=idx),
        centre="precision",
    )
    frame = res.to_frame()
    assert list(frame.index) == idx
    assert {
        "rate_raw",
        "rate_shrunk",
        "weight",
        "parent_rate",
        "s2",
        "no_denominator",
        "to_global",
    } <= set(frame.columns)
    pooled = eb_shrink(c, n, p)
    np.testing.assert_allclose(res.weight, pooled.weight)  # tau2 does not depend on the centre
    assert not np.allclose(res.parent_rate, pooled.parent_rate)
