import numpy as np
import pandas as pd
import pytest

from sna.disclosure.control import assert_no_small_counts, band_rates, public_count, suppress_counts


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


# --- the disclosure geography, surface support and banding ---------------------------------

from types import SimpleNamespace  # noqa: E402

from sna.disclosure.control import (  # noqa: E402
    aggregate_layer,
    band_values,
    disclosure_geography,
    mask_small_support,
    support_counts,
)
from sna.stats.kde import kde_surface  # noqa: E402


def _areas():
    # 8 LSOAs, 4 MSOAs (2 LSOAs each), 2 wards, 1 district
    return pd.DataFrame(
        {
            "lsoa21_code": [f"E0100000{i}" for i in range(8)],
            "msoa21_name": [f"M{i // 2}" for i in range(8)],
            "ward_code": [f"W{i // 4}" for i in range(8)],
            "district_code": ["D"] * 8,
        }
    )


@pytest.mark.parametrize(
    ("counts", "level"),
    [
        ([0, 8, 9, 0, 20, 0, 0, 10], "lsoa"),  # every LSOA 0 or >= 8
        ([4, 4, 0, 0, 8, 0, 3, 5], "msoa"),  # pairs of LSOAs make 8, 0, 8, 8
        ([1, 0, 3, 4, 0, 0, 5, 3], "ward"),  # MSOA M0 holds 1: wards hold 8 and 8
        ([1, 0, 3, 4, 0, 0, 0, 3], "district"),  # ward W1 holds 3
    ],
)
def test_disclosure_geography_is_the_finest_safe_one(counts, level):
    u = disclosure_geography(_areas(), counts)
    assert u.level == level and not u.suppressed
    assert ((u.counts == 0) | (u.counts >= 8)).all()


def test_a_layer_with_a_small_district_is_suppressed():
    u = disclosure_geography(_areas(), [1, 0, 0, 0, 0, 0, 0, 2])
    assert u.suppressed and u.summary()["suppressed"] is True
    assert np.isnan(aggregate_layer(u, [1, 0, 0, 0, 0, 0, 0, 2], [100] * 8)).all()


def test_aggregate_layer_gives_every_lsoa_its_unit_rate():
    counts = [4, 4, 0, 0, 8, 0, 3, 5]
    u = disclosure_geography(_areas(), counts)
    rate = aggregate_layer(u, counts, [100, 300, 100, 100, 200, 200, 100, 100], per=1000)
    np.testing.assert_allclose(rate, [20, 20, 0, 0, 20, 20, 40, 40])


def test_band_values_are_classes_not_rates():
    x = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, np.nan])
    b = band_values(x, k=5)
    assert np.isnan(b[-1]) and set(b[:-1]) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert band_values([2.0, 2.0, 5.0], k=3).tolist()[:2] == [2.0, 2.0]  # ties share a class


def test_zscore_of_a_partner_layer_is_banded():
    from sna.config.region import LayerSpec, ScoringSpec
    from sna.needs.scoring import LayerInput, score_layers

    rng = np.random.default_rng(1)
    rate = rng.gamma(2.0, 1.0, 200)
    spec = dict(kind="risk", level="individual", table="t", measure="column", column="c")
    partner = LayerSpec(id="p", title="P", partner=True, **spec)
    open_ = LayerSpec(id="o", title="O", **spec)
    for sc in (
        ScoringSpec(normalisation="zscore", treat_outliers=False),
        ScoringSpec(normalisation="minmax", treat_outliers=False),
        ScoringSpec(aggregation="geometric", treat_outliers=False),
    ):
        s = score_layers([LayerInput(partner, rate), LayerInput(open_, rate)], sc).scores
        assert s["p"].nunique() <= sc.partner_bands
        assert abs(np.corrcoef(s["o"], rate)[0, 1] - 1) < 1e-12  # open data: the rate again
        assert abs(np.corrcoef(s["p"], rate)[0, 1]) < 0.99  # partner: only its class


def test_support_counts_and_mask():
    # one isolated record, and a cluster of 8 at one place, 2 km apart
    x = np.array([1000.0] + [3000.0] * 8)
    y = np.array([1000.0] + [1000.0] * 8)
    s = kde_surface(x, y, bounds=(0, 0, 4000, 2000), cell=100, bandwidth=400, exact=True)
    sup = support_counts(x, y, s)
    assert sup.max() == 8 and sup[10, 10] == 1  # the single's own cell
    masked, _ = mask_small_support(s, x, y, threshold=8)
    near_single = masked.values[:, :25]
    assert np.isnan(near_single).all()  # nothing shown within reach of the single
    assert np.isfinite(masked.values[10, 30]) and masked.values[10, 30] > 0  # the cluster
    # the same geometry as a plain namespace (what the audit builds from a GeoTIFF)
    grid = SimpleNamespace(cell=100.0, bandwidth=400.0, shape=s.shape, transform=s.transform)
    np.testing.assert_array_equal(support_counts(x, y, grid), sup)


def test_exact_surface_cells_ignore_points_out_of_reach():
    x1, y1 = np.array([500.0, 3500.0]), np.array([500.0, 500.0])
    x2 = np.array([500.0, 3300.0])  # the far point moves
    a = kde_surface(x1, y1, bounds=(0, 0, 4000, 1000), exact=True).values
    b = kde_surface(x2, y1, bounds=(0, 0, 4000, 1000), exact=True).values
    assert np.array_equal(a[:, :10], b[:, :10])  # bit for bit near the first point


def test_disclosure_threshold_cannot_be_lowered():
    from pydantic import ValidationError

    from sna.config.region import ScoringSpec

    with pytest.raises(ValidationError, match="greater than or equal to 8"):
        ScoringSpec(disclosure_threshold=5)
    assert ScoringSpec(disclosure_threshold=10).disclosure_threshold == 10
