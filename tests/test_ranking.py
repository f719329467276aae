import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from sna.ranking import BAND_LABELS, bands, deciles, quantile_groups, rank_desc

mod = importlib.import_module("sna.ranking")  # the package re-exports same-named functions


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
    x = np.ones(20)
    first = deciles(x)
    np.testing.assert_array_equal(first, np.repeat(np.arange(1, 11), 2))
    np.testing.assert_array_equal(deciles(x), first)  # same input, same answer
    np.testing.assert_array_equal(deciles(x, ties="min"), np.ones(20))


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
