"""A layer coarser than the LSOA never ranks LSOAs on its own and is never a driver.

On the real West Midlands build the interim DfE exclusion rates (one value per district,
2014/15-2016/17) are context: shown with their geography and years, weight 0 in the needs
index. Before, they carried a quarter of the weight: nine of Wolverhampton's 35 LSOAs in
England's most deprived IMD2025 decile fell in the region's lower half of need, and 71% of
the priority-list explanations cited school exclusions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sna.answers.groups import aggregate
from sna.prepare.store import Store

LAYER = "school_exclusions_district"
WOLVERHAMPTON = "E08000031"


@pytest.fixture(scope="module")
def wm_lsoa(wm_build: Path) -> pd.DataFrame:
    return pd.DataFrame(pd.read_parquet(wm_build / "lsoa.parquet").drop(columns="geometry"))


@pytest.mark.slow
def test_wolverhamptons_most_deprived_are_not_in_the_lower_half_of_need(wm_lsoa, test_data_dir):
    iod = Store("west-midlands", test_data_dir).read("iod2025")[["lsoa21_code", "imd_decile"]]
    lsoa = wm_lsoa.merge(iod, on="lsoa21_code")
    most = lsoa[(lsoa["district_code"] == WOLVERHAMPTON) & (lsoa["imd_decile"] == 1)]
    assert len(most) == 35
    lower_half = most[most["need_rank"] > len(lsoa) / 2]
    assert lower_half.empty, lower_half[["lsoa21_code", "need_rank"]].to_dict("records")


@pytest.mark.slow
def test_the_district_layer_is_context_and_never_a_driver(wm_build: Path, wm_lsoa):
    manifest = json.loads((wm_build / "manifest.json").read_text())
    meta = next(d for d in manifest["layers"] if d["id"] == LAYER)
    assert meta["geography"] == "district" and meta["effective_weight"] == 0.0
    assert "context only (one value per district; 2014/15-2016/17)" in meta["status"]
    # the value is still there to show, one per district
    assert wm_lsoa.groupby("district_code")[f"v_{LAYER}"].nunique().max() == 1
    # ... and in no contribution, driver list or explanation
    assert f"c_{LAYER}" not in wm_lsoa.columns
    assert not wm_lsoa["drivers"].str.contains(LAYER).any()
    assert not wm_lsoa["explanation"].str.contains("exclusion").any()
    pcs = pd.read_parquet(wm_build / "postcodes.parquet", columns=None)
    assert f"pc_c_{LAYER}" not in pcs.columns
    for level in ("ward", "district"):
        assert f"c_{LAYER}" not in aggregate(wm_lsoa, level, []).columns
    # no layer left in the index is constant across every district
    c_cols = [c for c in wm_lsoa.columns if c.startswith("c_")]
    constant = [c for c in c_cols if wm_lsoa.groupby("district_code")[c].nunique().max() == 1]
    assert constant == []


@pytest.mark.slow
def test_answers_say_the_layers_geography_and_years(wm_build: Path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    app = create_app(
        ApiSettings(region="west-midlands", data_dir=wm_build.parents[2], reload_interval=60)
    )
    with TestClient(app) as client:
        body = client.get("/api/v1/areas/E01033620").json()["result"]  # B1 1BB
        catalogue = client.get("/api/v1/layers").json()["result"]
    layers = {x["id"]: x for x in body["layers"]}
    assert layers[LAYER]["geography"] == "one value per district; 2014/15-2016/17"
    assert layers[LAYER]["in_index"] is False and layers[LAYER]["contribution"] is None
    assert all(d["layer"] != LAYER for d in body["indices"]["need"].get("drivers", []))
    assert layers["child_poverty"]["unit"] == "per 1,000 residents (IoD2025)"
    assert 0 <= layers["child_poverty"]["value"] <= 1000
    entries = {x["id"]: x for x in catalogue["layers"]}
    assert entries[LAYER]["geography_note"] == "one value per district; 2014/15-2016/17"
    assert entries["child_poverty"]["range"] == [0, 1000]
    assert entries["faith_access"]["unit"] == "places of worship within 1 km of homes (mean)"
    assert entries["faith_access"]["surface"]["unit"] == "places per km² (kernel density)"
