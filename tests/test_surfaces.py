import doctest
import math

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from sna.stats import kde as mod
from sna.stats.kde import (
    Surface,
    kde_surface,
    mask_surface,
    quartic_kernel,
    sample_surface,
    write_geotiff,
)


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_quartic_kernel_integrates_to_one():
    h = 400.0
    d = np.linspace(0, h, 200_001)
    integral = np.trapezoid(2 * np.pi * d * quartic_kernel(d, h), d)
    assert integral == pytest.approx(1.0, abs=1e-8)
    assert quartic_kernel(h, h) == 0.0 and quartic_kernel(2 * h, h) == 0.0


def test_hand_calc_next_to_one_point():
    # one event at the centre of cell (row 5, col 5) of a 1 km square grid of 100 m cells
    s = kde_surface([550.0], [450.0], bounds=(0, 0, 1000, 1000), cell=100, bandwidth=400)
    assert s.shape == (10, 10) and s.bounds == (0, 0, 1000, 1000)
    # hand: K(100 m) = 3 / (pi 400^2) (1 - (100/400)^2)^2 per m2 = 5.2456 per km2
    hand = 3 / (math.pi * 400**2) * (1 - (100 / 400) ** 2) ** 2 * 1e6
    assert hand == pytest.approx(5.2456, abs=1e-4)
    assert s.values[5, 6] == pytest.approx(hand, rel=0.02)  # the cell east of the point
    assert s.values[4, 5] == pytest.approx(hand, rel=0.02)  # the cell north of the point
    assert s.values[5, 5] == pytest.approx(3 / (math.pi * 400**2) * 1e6, rel=0.02)
    # exactly: the analytic kernel divided by the discretisation sum (the mass correction)
    offs = np.arange(-4, 5) * 100.0
    norm = quartic_kernel(np.hypot(*np.meshgrid(offs, offs)), 400).sum() * 100**2
    assert abs(norm - 1) < 0.01
    assert s.values[5, 6] == pytest.approx(hand / norm, rel=1e-9)
    # beyond the bandwidth: nothing
    assert s.values[5, 0] == 0.0 and s.values[0, 0] == 0.0
    assert s.units == "events per km2 per year" and s.crs == "EPSG:27700"


def test_mass_conservation_years_and_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(2000, 8000, 500)
    y = rng.uniform(2000, 8000, 500)
    s = kde_surface(x, y, bounds=(0, 0, 10_000, 10_000), years=2.0)
    assert s.total() == pytest.approx(250.0, rel=1e-9)  # 500 events over 2 years
    assert s.n_points == 500 and s.n_dropped == 0
    w = rng.integers(1, 5, 500).astype(float)
    sw = kde_surface(x, y, bounds=(0, 0, 10_000, 10_000), weights=w)
    assert sw.total() == pytest.approx(w.sum(), rel=1e-9)
    assert (sw.values >= 0).all()  # no FFT round-off below zero


def test_bounds_snapping_and_dropped_points():
    s = kde_surface(
        [10_050.0, 50_000.0, np.nan],
        [20_050.0, 50_000.0, 1.0],
        bounds=(10_030, 20_010, 10_970, 20_990),
    )
    assert s.bounds == (10_000, 20_000, 11_000, 21_000) and s.shape == (10, 10)
    assert s.n_points == 1 and s.n_dropped == 2
    # a point just outside the bounds still contributes inside
    out = kde_surface([-150.0], [500.0], bounds=(0, 0, 1000, 1000))
    assert out.values[:, 0].max() > 0 and out.n_points == 1


def test_input_validation():
    with pytest.raises(ValueError, match="must be > 0"):
        kde_surface([0.0], [0.0], bounds=(0, 0, 10, 10), bandwidth=0)
    with pytest.raises(ValueError, match="bounds"):
        kde_surface([0.0], [0.0], bounds=(10, 0, 0, 10))
    with pytest.raises(ValueError, match="non-negative"):
        kde_surface([0.0], [0.0], bounds=(0, 0, 10, 10), weights=[-1.0])
    with pytest.raises(ValueError, match="y has"):
        kde_surface([0.0, 1.0], [0.0], bounds=(0, 0, 10, 10))


@pytest.fixture(scope="module")
def big_surface():
    rng = np.random.default_rng(1)
    x = rng.normal(430_000, 8_000, 5_000)
    y = rng.normal(280_000, 8_000, 5_000)
    return kde_surface(x, y, bounds=(400_000, 250_000, 460_000, 310_000), years=3.0)


def test_write_geotiff_is_a_cog(tmp_path, big_surface):
    path = write_geotiff(big_surface, tmp_path / "sub" / "vwi.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.dtypes == ("float32",) and src.nodata == -9999.0
        assert src.block_shapes == [(256, 256)] and src.profile["tiled"]
        assert src.compression.name.lower() == "deflate"
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.overviews(1) == [2, 4]
        assert src.transform == big_surface.transform
        assert src.tags()["units"] == "events per km2 per year"
        assert src.tags()["bandwidth_m"] == "400" and src.tags()["years"] == "3"
        data = src.read(1)
    np.testing.assert_allclose(data, big_surface.values, rtol=1e-6, atol=1e-6)


def test_sampling_file_and_memory_agree(tmp_path, big_surface):
    path = write_geotiff(big_surface, tmp_path / "vwi.tif")
    rng = np.random.default_rng(2)
    x = np.r_[rng.uniform(400_000, 460_000, 300), 400_000.0, 459_999.0, 430_000.0, 470_000.0]
    y = np.r_[rng.uniform(250_000, 310_000, 300), 310_000.0, 250_001.0, 280_000.0, 280_000.0]
    mem = sample_surface(big_surface, x, y)
    disk = sample_surface(path, x, y)
    np.testing.assert_allclose(disk, mem, rtol=1e-6, atol=1e-9)
    assert np.isnan(mem[-1]) and np.isnan(disk[-1])  # outside the grid
    # direct index check: (430000, 280000) is the corner of cell (row 300, col 300)
    assert mem[-2] == big_surface.values[300, 300]


def test_mask_writes_nodata_outside(tmp_path):
    s = kde_surface([500.0], [500.0], bounds=(0, 0, 1000, 1000), bandwidth=1000)
    region = box(0, 0, 500, 1000)  # the western half
    masked = mask_surface(s, region)
    assert np.isnan(masked.values[:, 5:]).all() and not np.isnan(masked.values[:, :5]).any()
    assert isinstance(masked, Surface) and not np.isnan(s.values).any()  # original untouched
    path = write_geotiff(s, tmp_path / "m.tif", mask=region)
    with rasterio.open(path) as src:
        data = src.read(1)
    assert (data[:, 5:] == -9999.0).all() and (data[:, :5] > 0).all()
    got = sample_surface(path, [250.0, 750.0], [500.0, 500.0])
    assert got[0] > 0 and np.isnan(got[1])
    np.testing.assert_allclose(
        sample_surface(masked, [250.0, 750.0], [500.0, 500.0]), got, rtol=1e-6
    )
