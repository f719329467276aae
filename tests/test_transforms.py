import doctest

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sna.stats import transforms as mod
from sna.stats.transforms import iod_exponential, skew_kurtosis, treat_outliers


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_skew_kurtosis_matches_type2_definitions():
    x = np.random.default_rng(3).gamma(2.0, size=200)
    sk, ku = skew_kurtosis(x)
    assert sk == pytest.approx(stats.skew(x, bias=False), rel=1e-12)
    assert ku == pytest.approx(stats.kurtosis(x, fisher=True, bias=False), rel=1e-12)
    # NaN ignored
    assert skew_kurtosis(np.r_[x, np.nan]) == pytest.approx((sk, ku))


def test_skew_kurtosis_small_and_constant():
    assert np.isnan(skew_kurtosis([1.0, 2.0])).all()
    sk, ku = skew_kurtosis([1.0, 2.0, 4.0])
    assert not np.isnan(sk) and np.isnan(ku)
    assert np.isnan(skew_kurtosis([5.0] * 10)).all()


def test_symmetric_layer_untouched():
    x = np.random.default_rng(0).normal(size=300)
    res = treat_outliers(x)
    assert res.method == "none" and res.n_winsorised == 0 and res.passed
    np.testing.assert_array_equal(res.values, x)
    assert res.values is not x  # a copy


def test_winsorise_coinr_example():
    # COINr's documented example: 1..10 plus outliers 30 and 100
    x = np.r_[np.arange(1.0, 11.0), 30.0, 100.0]
    res = treat_outliers(x)
    assert res.method == "winsorise" and res.side == "high" and res.n_winsorised == 1
    assert res.values[-1] == 30.0 and res.winsorised.tolist() == [False] * 11 + [True]
    assert res.skew_before > 2 and res.kurt_before > 3.5
    assert abs(res.skew_after) < 2 and res.passed
    # with max_winsor=0 it goes straight to the log transform of the original
    res0 = treat_outliers(x, max_winsor=0)
    assert res0.method == "log"
    span = x.max() - x.min()
    np.testing.assert_allclose(res0.values, np.log(x - x.min() + 0.01 * span))


def test_log_when_winsorising_is_not_enough():
    x = np.exp(np.random.default_rng(1).normal(0.0, 2.0, size=400))
    res = treat_outliers(x)
    assert res.method == "log" and res.side == "high" and not res.winsorised.any()
    span = x.max() - x.min()
    np.testing.assert_allclose(res.values, np.log(x - x.min() + 0.01 * span))
    assert abs(res.skew_after) < abs(res.skew_before)
    assert stats.spearmanr(res.values, x).statistic == pytest.approx(1.0)


def test_low_tail_winsorised_low_and_mirrored_log_keeps_order():
    x = -np.r_[np.arange(1.0, 11.0), 30.0, 100.0]
    res = treat_outliers(x)
    assert res.method == "winsorise" and res.side == "low" and res.values[-1] == -30.0
    y = -np.exp(np.random.default_rng(2).normal(0.0, 2.0, size=400))
    res = treat_outliers(y)
    assert res.method == "log" and res.side == "low"
    assert stats.spearmanr(res.values, y).statistic == pytest.approx(1.0)
    assert abs(res.skew_after) < abs(res.skew_before)


def test_nan_and_series_preserved():
    s = pd.Series(
        np.r_[np.arange(1.0, 11.0), 30.0, 100.0, np.nan], index=[f"u{i}" for i in range(13)]
    )
    res = treat_outliers(s)
    assert isinstance(res.values, pd.Series) and list(res.values.index) == list(s.index)
    assert np.isnan(res.values["u12"]) and res.values["u11"] == 30.0


def test_iod_exponential_formula_range_and_tail():
    n = 1000
    x = np.random.default_rng(5).normal(size=n)
    out = iod_exponential(x)
    assert out.max() == pytest.approx(100.0) and out.argmax() == x.argmax()
    assert 0 < out.min() < 0.1
    assert 0.09 <= np.mean(out > 50) <= 0.11
    # hand value at R = 0.5: -23 ln(1 - 0.5 (1 - e^{-100/23}))
    r_half = np.sort(x)[n // 2 - 1]  # rank n/2 -> R = 0.5
    expected = -23 * np.log(1 - 0.5 * (1 - np.exp(-100 / 23)))
    assert out[x == r_half][0] == pytest.approx(expected) == pytest.approx(15.6468, abs=1e-4)


def test_iod_exponential_direction_and_nan():
    ranks = np.array([1.0, 2.0, 3.0, np.nan])  # 1 = highest risk
    out = iod_exponential(ranks, higher_is_worse=False)
    assert out[0] == pytest.approx(100.0) and np.isnan(out[3])
    np.testing.assert_allclose(out[:3], iod_exponential([3.0, 2.0, 1.0]))
