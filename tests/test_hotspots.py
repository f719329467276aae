import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from esda.getisord import G_Local
from esda.moran import Moran_Local
from libpysal.weights import Queen, lat2W
from shapely.geometry import box

from sna.stats import hotspots as mod
from sna.stats.hotspots import fdr_bh, getis_ord_gi_star, local_moran, spatial_weights

pytestmark = pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def _grid(n=5, cell=100.0):
    """n x n squares, row 0 at the top, ids 'r{row}c{col}'."""
    geoms, ids = [], []
    for r in range(n):
        for c in range(n):
            geoms.append(box(c * cell, (n - r - 1) * cell, (c + 1) * cell, (n - r) * cell))
            ids.append(f"r{r}c{c}")
    return gpd.GeoDataFrame(geometry=geoms, index=pd.Index(ids, name="code"), crs="EPSG:27700")


def _hot_corner(n=5):
    """1 everywhere (plus a little trend), 10 in the 3x3 top-left corner."""
    y = np.ones((n, n)) + np.arange(n * n).reshape(n, n) * 0.01
    y[:3, :3] += 9.0
    return y.ravel()


def test_spatial_weights_queen_row_standardised():
    gdf = _grid()
    w = spatial_weights(gdf)
    assert w.id_order == list(gdf.index) and w.transform == "R"
    assert sorted(w.neighbors["r0c0"]) == ["r0c1", "r1c0", "r1c1"]
    assert len(w.neighbors["r2c2"]) == 8
    for i in w.id_order:
        assert sum(w.weights[i]) == pytest.approx(1.0)
    np.testing.assert_allclose(w.weights["r0c0"], [1 / 3] * 3)


def test_islands_get_nearest_neighbours():
    gdf = _grid()
    far = gpd.GeoDataFrame(
        geometry=[box(700, 0, 800, 100), box(2000, 2000, 2100, 2100)],
        index=pd.Index(["island", "remote"], name="code"),
        crs="EPSG:27700",
    )
    gdf2 = pd.concat([gdf, far])
    w = spatial_weights(gdf2)
    assert w.islands == []
    assert w.neighbors["island"] == ["r4c4"]  # nearest square: bottom-right corner
    assert "island" in w.neighbors["r4c4"]  # attached in both directions
    assert w.neighbors["remote"] == ["r0c4"]  # nearest representative point
    w2 = spatial_weights(gdf2, k_islands=2)
    assert len(w2.neighbors["island"]) == 2
    w0 = spatial_weights(gdf2, k_islands=0)
    assert set(w0.islands) == {"island", "remote"}


def test_spatial_weights_validation():
    gdf = _grid()
    with pytest.raises(ValueError, match="unique"):
        spatial_weights(pd.concat([gdf, gdf.iloc[:1]]))
    with pytest.raises(ValueError, match="at least two"):
        spatial_weights(gdf.iloc[:1])


def test_fdr_matches_hand_calc():
    # sorted: .01 .03 .04 .2 -> p * m / rank = .04 .06 .0533 .2 -> running min from the top
    got = fdr_bh([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(got, [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    got = fdr_bh([0.5, np.nan, 0.001])
    np.testing.assert_allclose(got, [0.5, np.nan, 0.002])
    assert np.all(fdr_bh(np.linspace(0.001, 1, 50)) <= 1.0)


def test_gi_star_equals_esda_on_lattice():
    y = _hot_corner()
    w = lat2W(5, 5)
    ours = getis_ord_gi_star(y, w, permutations=999, seed=11)
    wb = lat2W(5, 5)
    wb.transform = "B"
    ref = G_Local(y, wb, transform="R", star=True, permutations=999, seed=11, n_jobs=1)
    np.testing.assert_allclose(ours["gi_star"], ref.Gs, rtol=1e-12)
    np.testing.assert_allclose(ours["z"], ref.Zs, rtol=1e-12)
    np.testing.assert_allclose(ours["p_sim"], ref.p_sim)
    np.testing.assert_allclose(ours["p_fdr"], fdr_bh(ref.p_sim))
    # Gi* includes the focal unit: the corner cell's G* is the mean of itself and its two
    # rook neighbours over the total
    assert ours["gi_star"].iloc[0] == pytest.approx(y[[0, 1, 5]].sum() / 3 / y.sum())
    assert w.transform == "O"  # the caller's weights are not modified


def test_gi_star_detects_hot_corner_on_polygons():
    gdf = _grid()
    y = pd.Series(_hot_corner(), index=gdf.index)
    w = spatial_weights(gdf)
    out = getis_ord_gi_star(y, w, permutations=9999, seed=3)
    assert list(out.columns) == ["gi_star", "z", "p_sim", "p_fdr", "label"]
    assert out.loc["r1c1", "label"] == "hot"
    hot = set(out.index[out["label"] == "hot"])
    assert hot and hot <= {f"r{r}c{c}" for r in range(3) for c in range(3)}
    assert (out["p_fdr"] >= out["p_sim"]).all()
    # same as esda with queen weights built directly
    qb = Queen.from_dataframe(gdf, use_index=True)
    qb.transform = "B"
    ref = G_Local(y.to_numpy(), qb, transform="R", star=True, permutations=9999, seed=3, n_jobs=1)
    np.testing.assert_allclose(out["gi_star"], ref.Gs)
    np.testing.assert_allclose(out["p_sim"], ref.p_sim)


def test_values_aligned_by_index_and_checked():
    gdf = _grid()
    w = spatial_weights(gdf)
    y = pd.Series(_hot_corner(), index=gdf.index)
    a = getis_ord_gi_star(y, w, permutations=99, seed=1)
    b = getis_ord_gi_star(y.sample(frac=1.0, random_state=0), w, permutations=99, seed=1)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="lack 1 unit"):
        getis_ord_gi_star(y.drop("r0c0"), w)
    with pytest.raises(ValueError, match="missing or infinite"):
        local_moran(y.where(y.index != "r0c0"), w)
    with pytest.raises(ValueError, match="shape"):
        local_moran(np.ones(3), w)


def test_local_moran_equals_esda_and_labels():
    gdf = _grid()
    w = spatial_weights(gdf)
    y = _hot_corner()
    out = local_moran(y, w, permutations=9999, seed=5)
    qb = Queen.from_dataframe(gdf, use_index=True)
    ref = Moran_Local(y, qb, transformation="r", permutations=9999, seed=5, n_jobs=1)
    np.testing.assert_allclose(out["local_i"], ref.Is)
    np.testing.assert_array_equal(out["quadrant"], ref.q)
    np.testing.assert_allclose(out["p_sim"], ref.p_sim)
    assert out.loc["r1c1", "label"] == "HH"
    labels = set(out["label"])
    assert labels <= {"HH", "LH", "LL", "HL", "not significant"}
    sig = out["label"] != "not significant"
    assert (out.loc[sig, "p_fdr"] <= 0.05).all()
    # the quadrant label follows esda's codes 1 HH, 2 LH, 3 LL, 4 HL
    mapping = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    expected = out.loc[sig, "quadrant"].map(mapping)
    assert (expected == out.loc[sig, "label"]).all()


def test_gi_star_handles_an_index_centred_on_zero():
    """A standardised index sums to ~0; Gi* must still find the hot corner, unchanged."""
    import geopandas as gpd
    from shapely.geometry import box

    from sna.stats.hotspots import getis_ord_gi_star, spatial_weights

    grid = gpd.GeoDataFrame(
        geometry=[box(i, j, i + 1, j + 1) for i in range(12) for j in range(12)]
    )
    rng = np.random.default_rng(3)
    v = rng.normal(size=144)
    hot_corner = [i * 12 + j for i in range(4) for j in range(4)]
    v[hot_corner] += 4
    centred = v - v.mean()
    w = spatial_weights(grid)
    a = getis_ord_gi_star(centred, w, permutations=999, seed=7)
    b = getis_ord_gi_star(v + 50, w, permutations=999, seed=7)
    assert np.isfinite(a["gi_star"]).all() and np.isfinite(a["z"]).all()
    np.testing.assert_allclose(a["z"], b["z"])
    np.testing.assert_allclose(a["p_sim"], b["p_sim"])
    assert (a["label"].iloc[hot_corner] == "hot").sum() >= 8
