import numpy as np
import pandas as pd
import pytest

from sna.disclosure import assert_no_small_counts, band_rates, public_count, suppress_counts


def test_suppress_counts_hes_convention():
    out = suppress_counts(pd.Series([0, 1, 7, 8, 12, 13, 100, np.nan]))
    assert out.iloc[0] == 0
    assert out.iloc[1:3].isna().all()
    assert out.iloc[3:7].tolist() == [10.0, 10.0, 15.0, 100.0]
    assert np.isnan(out.iloc[7])
    # nothing published in 1..7
    assert not ((out > 0) & (out < 8)).any()


@pytest.mark.parametrize("threshold", [5, 8, 10])
def test_suppress_never_leaks_below_threshold(threshold):
    counts = pd.Series(np.arange(0, 200))
    out = suppress_counts(counts, threshold=threshold).dropna()
    assert not ((out > 0) & (out < threshold)).any()
    assert (np.mod(out, 5) == 0).all()


def test_public_count():
    assert public_count(0) == 0
    assert public_count(3) == "<8"
    assert public_count(8) == 10
    assert public_count(22) == 20
    assert public_count(None) is None


def test_band_rates_quintiles_highest_first():
    rates = pd.Series(np.arange(100, dtype=float))
    bands = band_rates(rates)
    assert bands.iloc[99] == "Highest" and bands.iloc[0] == "Lowest"
    assert bands.value_counts().tolist() == [20] * 5


def test_assert_no_small_counts_catches_a_leak():
    assert_no_small_counts([0, 10, 15, 2.5])
    with pytest.raises(AssertionError, match="below 8"):
        assert_no_small_counts([0, 10, 3])
