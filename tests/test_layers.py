"""Layer values: units, possible ranges and the build's refusal of an impossible value."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sna.config.region import LayerSpec, load_region
from sna.errors import ValueOutOfRange
from sna.needs.layers import check_range, check_ranges, compute_layer


def _spec(**kw) -> LayerSpec:
    base = dict(id="x", title="X", kind="risk", level="relationship", table="t")
    return LayerSpec(**{**base, **kw})


def test_possible_ranges_are_derived_or_stated():
    assert _spec(measure="count", denominator="pop_0_15", proportion=True).bounds == (0, 1000)
    assert _spec(measure="count", denominator="pop_total").bounds == (0, math.inf)
    assert _spec(measure="access").bounds == (0, math.inf)
    assert _spec(measure="column", column="c").bounds == (-math.inf, math.inf)
    share = _spec(measure="column", column="c", value_range=[0, 1])
    assert share.bounds == (0, 1)
    rate = _spec(measure="column", column="c", value_range=[0, math.inf])
    assert rate.bounds == (0, math.inf) and rate.model_dump(mode="json")["value_range"] == [0, None]
    with pytest.raises(ValueError, match="low < high"):
        _spec(measure="column", column="c", value_range=[1, 0])
    with pytest.raises(ValueError, match="needs a unit"):
        _spec(measure="count", column="n", denominator_expr="a / b")


def test_access_units_say_what_they_count():
    spec = _spec(measure="access", radius_m=1500.0)
    assert spec.display_unit == "places within 1.5 km of homes (mean)"
    assert "per year" not in spec.surface_unit and "km²" in spec.surface_unit
    assert "per year" in _spec(measure="count", denominator="pop_total").surface_unit
    units = {s.id: s.display_unit for s in load_region("west-midlands").layers}
    assert units["faith_access"] == "places of worship within 1 km of homes (mean)"
    assert units["library_access"] == "libraries within 1.5 km of homes (mean)"


def test_a_value_outside_its_range_is_refused_with_layer_unit_and_lsoa():
    spec = _spec(measure="count", denominator="pop_0_15", proportion=True, column="n")
    check_range(spec, np.array([0.0, 999.0, np.nan]), ["A", "B", "C"])  # NaN: no value
    with pytest.raises(ValueOutOfRange) as err:
        check_range(spec, np.array([10.0, 1985.0, 1200.0, 3.0]), ["A", "B", "C", "D"])
    msg = str(err.value)
    assert "\n" not in msg
    assert "'x' (per 1,000 children aged 0-15)" in msg and "1,985 at LSOA B" in msg
    assert "0 to 1,000" in msg and "(2 LSOAs)" in msg
    with pytest.raises(ValueOutOfRange, match="-0.5 at LSOA A"):
        check_range(_spec(measure="access"), np.array([-0.5, 1.0]), ["A", "B"])


def _areas(n: int = 4) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "lsoa21_code": [f"E0100000{i}" for i in range(n)],
            "pop_0_15": [100.0, 50.0, 80.0, 40.0][:n],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs="EPSG:27700",
    )


def test_a_numerator_over_another_population_is_caught():
    # the IDACI numerator over a Census count of another age range: 120 of "80" children
    iod = pd.DataFrame(
        {
            "lsoa21_code": [f"E0100000{i}" for i in range(4)],
            "num": [10.0, 20.0, 120.0, 5.0],
            "inc_num": [30.0, 60.0, 300.0, 20.0],
            "inc_score": [0.1, 0.2, 0.5, 0.05],
        }
    )
    areas = _areas()
    spec = _spec(measure="count", column="num", denominator="pop_0_15", proportion=True)
    d = compute_layer(spec, {"t": iod}, areas)
    with pytest.raises(ValueOutOfRange, match="1,500 at LSOA E01000002"):
        check_ranges([d], pd.DataFrame({"x": d.raw.to_numpy()}), areas["lsoa21_code"])
    # numerator and denominator of one source, population and year: within range
    fixed = spec.model_copy(
        update={"denominator_expr": "inc_num / inc_score", "unit": "per 1,000 residents"}
    )
    d = compute_layer(fixed, {"t": iod}, areas)
    np.testing.assert_allclose(d.denominator, [300.0, 300.0, 600.0, 400.0])
    np.testing.assert_allclose(d.raw, [1000 / 30, 1000 / 15, 200.0, 12.5])
    check_ranges([d], pd.DataFrame({"x": d.raw.to_numpy()}), areas["lsoa21_code"])


def test_shipped_child_poverty_is_one_sources_share():
    for region in ("west-midlands", "bedfordshire", "england"):
        spec = next(s for s in load_region(region).layers if s.id == "child_poverty")
        assert spec.denominator_expr == "income_domain_numerator / income_score", region
        assert spec.proportion and spec.bounds == (0, 1000)
        assert spec.display_unit == "per 1,000 residents (IoD2025)"
        excl = next(s for s in load_region(region).layers if s.id == "school_exclusions_district")
        assert excl.context_only
        assert excl.geography_words == "one value per district; 2014/15-2016/17"


@pytest.mark.slow
def test_real_child_poverty_is_within_range(wm_store):
    """On the real IoD2025 table: IDACI numerator per 1,000 of the IoD's own population."""
    spec = next(s for s in load_region("west-midlands").layers if s.id == "child_poverty")
    tables = {"iod2025": wm_store.read("iod2025")}
    areas = wm_store.read("lsoa21")
    d = compute_layer(spec, tables, areas)
    check_range(spec, d.raw.to_numpy(), areas["lsoa21_code"])
    assert d.raw.max() < 500 and d.raw.notna().mean() > 0.99
    # the old denominator (Census 2021 children aged 0-15) was impossible in places
    old = spec.model_copy(update={"denominator_expr": "", "denominator": "pop_0_15"})
    with pytest.raises(ValueOutOfRange, match="child_poverty"):
        check_range(old, compute_layer(old, tables, areas).raw.to_numpy(), areas["lsoa21_code"])
