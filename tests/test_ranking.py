import doctest

import numpy as np
import pandas as pd
import pytest

from sna.stats import ranking as mod
from sna.stats.ranking import BAND_LABELS, bands, deciles, quantile_groups, rank_desc


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_rank_desc_highest_is_one_and_ties():
    x = [0.2, 0.9, 0.5, 0.9, np.nan]
    np.testing.assert_array_equal(rank_desc(x), [4, 1, 3, 1, np.nan])
    np.testing.assert_array_equal(rank_desc(x, method="first"), [4, 1, 3, 2, np.nan])
    np.testing.assert_array_equal(rank_desc(x, method="average"), [4, 1.5, 3, 1.5, np.nan])
    with pytest.raises(ValueError, match="method='best'"):
        rank_desc(x, method="best")  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [10, 100, 1719, 1003])
def test_deciles_equal_count(n):
    x = np.random.default_rng(n).normal(size=n)
    d = deciles(x)
    counts = np.bincount(d.astype(int))[1:]
    assert len(counts) == 10
    assert counts.max() - counts.min() <= 1 and counts.sum() == n
    # decile 1 holds the largest values
    assert x[d == 1].min() > x[d == 2].max()
    assert x[d == 10].max() < x[d == 9].min()


def test_deciles_ties_deterministic():
    # every value the same: nothing to rank, so no decile (not ten made-up ones)
    x = np.ones(20)
    assert np.isnan(deciles(x)).all() and bands(x).tolist() == [None] * 20
    # order of appearance only where asked for (analysis), never by default
    np.testing.assert_array_equal(deciles(x, ties="first"), np.repeat(np.arange(1, 11), 2))
    # a tied block shares the group of its best rank, whatever the order
    y = np.r_[np.full(5, 3.0), np.arange(15.0) / 10]
    for perm in (np.arange(20), np.random.default_rng(1).permutation(20)):
        d = deciles(y[perm])
        assert set(d[y[perm] == 3.0]) == {1.0}
        assert rank_desc(y[perm])[y[perm] == 3.0].tolist() == [1.0] * 5


def test_floating_point_noise_is_a_tie():
    # a population-weighted mean of one district-wide value is not bit-identical across
    # wards: the same value must still give the same band and decile
    v = 0.1 + 0.2  # 0.30000000000000004
    w = np.random.default_rng(7).uniform(1, 3, size=(40, 3))
    means = (w * v).sum(axis=1) / w.sum(axis=1)
    assert len(set(means.tolist())) > 1  # the noise is real
    x = np.r_[means, np.linspace(-1, 1, 60)]
    d, b, r = deciles(x), bands(x), rank_desc(x)
    assert len(set(d[:40])) == 1 and len(set(b[:40])) == 1 and len(set(r[:40])) == 1
    # distinct values (far above the noise) keep their order
    assert rank_desc([1.0, 1.0 + 1e-6, 2.0]).tolist() == [3.0, 2.0, 1.0]


@pytest.mark.parametrize("seed", range(5))
def test_same_value_never_different_band(seed):
    rng = np.random.default_rng(seed)
    x = rng.choice(rng.normal(size=12), size=300)  # heavy ties
    x = x + rng.normal(scale=1e-15, size=300) * np.abs(x)  # with noise
    d, b = deciles(x), bands(x)
    key = np.round(x, 9)
    for v in np.unique(key):
        assert len(set(d[key == v])) == 1 and len(set(b[key == v])) == 1


def test_deciles_nan_excluded_from_count():
    x = np.r_[np.arange(10.0), np.nan]
    d = deciles(x)
    assert np.isnan(d[-1])
    np.testing.assert_array_equal(d[:10], np.arange(10, 0, -1))


def test_quantile_groups_series_and_validation():
    s = pd.Series([4.0, 3.0, 2.0, 1.0], index=list("wxyz"))
    g = quantile_groups(s, 2)
    assert isinstance(g, pd.Series) and g.to_dict() == {"w": 1, "x": 1, "y": 2, "z": 2}
    with pytest.raises(ValueError, match="positive integer"):
        quantile_groups(s, 0)
    with pytest.raises(ValueError, match="ties="):
        quantile_groups(s, 2, ties="max")  # type: ignore[arg-type]


def test_bands_labels_and_quintiles():
    x = np.arange(10.0)  # 9 is the highest
    b = bands(x)
    assert b[9] == "Highest" and b[8] == "Highest" and b[0] == "Lowest" and b[4] == "Medium"
    assert list(pd.Series(b).value_counts().sort_index()) == [2] * 5
    np.testing.assert_array_equal(bands(x, labels=None), quantile_groups(x, 5))
    two = bands(x, labels=("Top half", "Bottom half"))
    assert (two[5:] == "Top half").all() and (two[:5] == "Bottom half").all()
    with pytest.raises(ValueError, match="distinct"):
        bands(x, labels=("a", "a"))


def test_bands_series_is_ordered_categorical_with_missing():
    s = pd.Series([1.0, np.nan, 3.0, 2.0, 5.0, 4.0], index=list("abcdef"))
    b = bands(s)
    assert isinstance(b.dtype, pd.CategoricalDtype) and b.cat.ordered
    assert list(b.cat.categories) == list(BAND_LABELS)
    assert b["e"] == "Highest" and b["a"] == "Lowest" and pd.isna(b["b"])
