import doctest

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from sna.stats import normalisation as mod
from sna.stats.normalisation import NORMALISERS, blom_scores, minmax, normalise, zscores


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_blom_hand_values():
    # ranks 1, 4, 2, 3 of n = 4: Phi^-1((r - 3/8) / (4 + 1/4))
    got = blom_scores([10.0, 40.0, 20.0, 30.0])
    expected = norm.ppf((np.array([1, 4, 2, 3]) - 0.375) / 4.25)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == pytest.approx(-1.0491, abs=1e-4)


def test_blom_ties_averaged_and_nan_kept_out():
    got = blom_scores([1.0, np.nan, 1.0, 2.0])
    expected = norm.ppf((np.array([1.5, 1.5, 3.0]) - 0.375) / 3.25)
    np.testing.assert_allclose(got[[0, 2, 3]], expected)
    assert np.isnan(got[1])
    assert got[0] == got[2]


def test_blom_series_keeps_index_and_name():
    s = pd.Series([3.0, 1.0, 2.0], index=["E01a", "E01b", "E01c"], name="vwi")
    out = blom_scores(s)
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["E01a", "E01b", "E01c"] and out.name == "vwi"
    assert out.idxmax() == "E01a" and out["E01c"] == pytest.approx(0.0)


def test_zscores_hand_and_ddof():
    np.testing.assert_allclose(zscores([2.0, 4.0, 6.0]), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(zscores([2.0, 4.0, 6.0], ddof=0), np.array([-1, 0, 1]) * 1.5**0.5)
    out = zscores([1.0, np.nan, 3.0, 5.0])
    assert np.isnan(out[1])
    assert np.nanmean(out) == pytest.approx(0.0) and np.nanstd(out, ddof=1) == pytest.approx(1.0)
    np.testing.assert_array_equal(zscores([7.0, 7.0, 7.0]), [0.0, 0.0, 0.0])


def test_minmax():
    np.testing.assert_allclose(minmax([5.0, 10.0, 7.5, np.nan]), [0.0, 1.0, 0.5, np.nan])
    np.testing.assert_array_equal(minmax([3.0, 3.0]), [0.5, 0.5])
    assert np.isnan(minmax([np.nan, np.nan])).all()


def test_normalise_direction_flips_before_normalising():
    x = np.array([1.0, 5.0, 2.0, 9.0])
    for method in NORMALISERS:
        up = normalise(x, method, direction=1)
        down = normalise(x, method, direction=-1)
        assert np.argmax(up) == 3 and np.argmax(down) == 0, method
    np.testing.assert_allclose(normalise(x, "zscore", -1), -zscores(x))
    np.testing.assert_allclose(normalise(x, "minmax", -1), 1 - minmax(x))


def test_normalise_series_roundtrip():
    s = pd.Series([1.0, 2.0, np.nan], index=list("abc"))
    out = normalise(s, "minmax")
    assert isinstance(out, pd.Series) and list(out.index) == list("abc")
    assert out["b"] == 1.0 and np.isnan(out["c"])


def test_registry_and_errors():
    assert set(NORMALISERS) == {"rank_normal", "zscore", "minmax"}
    with pytest.raises(TypeError):
        NORMALISERS["x"] = minmax  # type: ignore[index]
    with pytest.raises(ValueError, match=r"method='bogus'.*minmax.*rank_normal.*zscore"):
        normalise([1.0, 2.0], "bogus")
    with pytest.raises(ValueError, match="direction must be"):
        normalise([1.0, 2.0], "zscore", direction=2)
    with pytest.raises(ValueError, match="infinite"):
        blom_scores([1.0, np.inf])
    with pytest.raises(ValueError, match="one-dimensional"):
        zscores(np.ones((2, 2)))
