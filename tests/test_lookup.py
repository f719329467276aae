"""The build reader over the fixture build: answers, aggregation, disclosure and reloading."""

from __future__ import annotations

import json
import shutil

import numpy as np
import orjson
import pandas as pd
import pytest
from build_fixture import (
    BUILD_ID,
    LIVE_POSTCODE,
    PARTNER_COUNTS,
    PARTNER_LAYER,
    REGION,
    make_fixture_build,
    partner_violations,
)

from api.routers.postcodes import bulk_items
from sna.answers import clean_query
from sna.builds.registry import current_target, list_builds, open_build
from sna.builds.watcher import BuildWatcher
from sna.errors import AreaNotFound, BuildNotFound, InvalidPostcode, PostcodeNotFound


@pytest.fixture(scope="module")
def build(fixture_build):
    return open_build(fixture_build / REGION / "builds" / "current")


def test_postcode_is_lenient_about_case_and_spaces(build):
    for text in ("b11ab", " B1  1AB ", "b1 1ab"):
        body = orjson.loads(build.postcode_json(text))
        assert body["postcode"] == LIVE_POSTCODE
    assert body["status"] == "live"
    assert body["lsoa21"]["code"] == "E01000000"
    assert body["ward"] == {"code": "E05000001", "name": "Ward A"}
    assert body["district"] == {"code": "E08000025", "name": "Birmingham"}
    loc = body["location"]
    assert loc["source"] == "postcode"
    assert (loc["easting"], loc["northing"]) == (405200.0, 285300.0)
    assert -2.0 < loc["longitude"] < -1.8 and 52.4 < loc["latitude"] < 52.6


def test_postcode_answer_carries_indices_drivers_assets_and_provenance(build):
    body = orjson.loads(build.postcode_json(LIVE_POSTCODE))
    need = body["indices"]["need"]
    assert need["band"] in {"Highest", "High", "Medium", "Low", "Lowest"}
    assert 1 <= need["decile"] <= 10 and need["of"] == 12
    lo, hi = need["rank_interval"]["lo"], need["rank_interval"]["hi"]
    assert lo <= need["rank"] <= hi
    assert body["drivers"] and all(d["text"] for d in body["drivers"])
    assert body["explanation"]
    # St Mary's is 141 m away, Central Mosque 806 m; the library 922 m, the far one > 1 km.
    names = [a["name"] for a in body["assets"]["nearest"]]
    assert names[0] == "St Mary's Church" and body["assets"]["nearest"][0]["distance_m"] == 141
    assert "Far Library" not in names
    assert body["assets"]["count"] == len(names)
    assert body["synthetic"] is True and body["synthetic_layers"] == [PARTNER_LAYER]
    assert body["notice"] and "synthetic" in body["notice"]
    assert any(v.startswith("IoD2025") for v in body["vintages"].values())  # per source
    assert body["periods"]["income_deprivation"] == "IoD2025"  # per layer
    assert body["build_id"] == BUILD_ID


def test_terminated_postcode_answers_with_its_last_area(build):
    body = orjson.loads(build.postcode_json("b19zz"))
    assert body["status"] == "terminated"
    assert body["date_terminated"] == "2019-05"
    assert "terminated" in body["note"] and "last" in body["note"]
    assert body["lsoa21"]["code"] == "E01000000"
    assert body["location"]["source"] == "area"  # no grid reference: the LSOA's centre
    assert body["indices"]["need"]["band"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("B1", "5 to 7"), ("12345", "not a valid UK postcode"), ("B1 1AB!", "not a valid")],
)
def test_invalid_postcode_says_why(build, text, reason):
    with pytest.raises(InvalidPostcode, match=reason):
        build.postcode_json(text)


def test_unknown_postcode_is_not_found(build):
    with pytest.raises(PostcodeNotFound, match="B99 9ZZ is not a postcode"):
        build.postcode_json("B99 9ZZ")


def test_bulk_lookup_items_have_their_own_status(build):
    items = orjson.loads(bulk_items(build, ["b11ab", "nonsense", "B99 9ZZ"]))
    assert [r["status"] for r in items] == [200, 404, 404]
    assert items[0]["result"]["postcode"] == LIVE_POSTCODE
    assert items[1]["result"] is None and "not a valid" in items[1]["error"]


def test_autocomplete_prefix_and_space_semantics(build):
    assert build.autocomplete("b1 1")["result"] == ["B1 1AB", "B1 1AD", "B1 1AE"]
    compact = build.autocomplete("b11", limit=100)["result"]
    assert "B1 1AB" in compact and "B11 1AB" in compact
    assert (
        build.autocomplete("B1", limit=2)["result"]
        == sorted(build.autocomplete("B1", limit=100)["result"], key=lambda p: p.replace(" ", ""))[
            :2
        ]
    )
    assert build.autocomplete("ZZ")["result"] == []
    with pytest.raises(InvalidPostcode):
        clean_query("B1;DROP")


def test_ward_and_district_indices_are_population_weighted_means(build):
    lsoa = build.lsoa_raw
    ward = orjson.loads(build.area_json("E05000001"))
    members = lsoa[lsoa["ward_code"] == "E05000001"]
    expected = np.average(members["need"], weights=members["pop_total"])
    assert ward["indices"]["need"]["value"] == pytest.approx(expected, abs=1e-4)
    assert ward["n_lsoa"] == 3 and ward["population"] == int(members["pop_total"].sum())
    assert ward["indices"]["need"]["of"] == 4
    district = orjson.loads(build.area_json("e08000026"))  # case-insensitive
    members = lsoa[lsoa["district_code"] == "E08000026"]
    expected = np.average(members["risk"], weights=members["pop_total"])
    assert district["indices"]["risk"]["value"] == pytest.approx(expected, abs=1e-4)
    assert district["wards"] == ["E05000003", "E05000004"]
    ranks = sorted(
        orjson.loads(build.area_json(c))["indices"]["need"]["rank"]
        for c in ("E08000025", "E08000026")
    )
    assert ranks == [1, 2]


def test_lsoa_area_compares_with_district_and_region(build):
    body = orjson.loads(build.area_json("E01000005"))
    assert body["level"] == "lsoa"
    cmp = body["comparison"]
    assert cmp["district"]["code"] == "E08000025"
    region = np.average(build.lsoa_raw["need"], weights=build.lsoa_raw["pop_total"])
    assert cmp["region"]["need"] == pytest.approx(region, abs=1e-4)
    assert cmp["difference_from_region"]["need"] == pytest.approx(
        body["indices"]["need"]["value"] - region, abs=2e-4
    )
    with pytest.raises(AreaNotFound, match="E01999999"):
        build.area_json("E01999999")


def test_public_answers_band_partner_layers_and_hide_counts(build):
    # LSOA E01000001 has 3 partner records: the count must not appear anywhere public.
    body = orjson.loads(build.area_json("E01000001"))
    layer = next(x for x in body["layers"] if x["id"] == PARTNER_LAYER)
    assert layer["value"] is None and layer["count"] is None
    assert layer["band"] in {"Highest", "High", "Medium", "Low", "Lowest"}
    assert partner_violations(body, [PARTNER_LAYER]) == []
    open_layer = next(x for x in body["layers"] if x["id"] == "child_poverty")
    assert open_layer["value"] is not None and open_layer["count"] is not None
    pc = orjson.loads(build.postcode_json(LIVE_POSTCODE))
    assert pc["local"][PARTNER_LAYER]["value"] is None
    assert pc["local"][PARTNER_LAYER]["band"] is not None
    assert pc["local"]["faith_access"]["value"] is not None


def test_analyst_answers_carry_restricted_values(build):
    body = build.analyst_area("E01000001")
    assert body["layers"][PARTNER_LAYER]["count"] == PARTNER_COUNTS[1] == 3
    ward = build.analyst_area("E05000001")
    lsoa = build.lsoa_raw
    expected = lsoa.loc[lsoa["ward_code"] == "E05000001", f"n_{PARTNER_LAYER}"].sum()
    assert ward["layers"][PARTNER_LAYER]["count"] == expected
    pc = build.analyst_postcode("b11ab")
    assert pc["raw"][f"local_{PARTNER_LAYER}"] is not None
    assert partner_violations(body, [PARTNER_LAYER])  # the walker sees restricted data


def test_area_table_filters_sorts_and_pages(build):
    rows = build.area_table(district="birmingham", sort="need", limit=100)
    assert set(rows["district_code"]) == {"E08000025"} and len(rows) == 6
    assert rows["need"].is_monotonic_decreasing
    assert (
        list(build.area_table(sort="need", order="asc", limit=3)["need"])
        == sorted(build.lsoa_raw["need"].round(4))[:3]
    )
    assert len(build.area_table(limit=5, offset=10)) == 2
    wards = build.area_table(level="ward", district="E08000026")
    assert list(wards["level"].unique()) == ["ward"] and len(wards) == 2
    with pytest.raises(AreaNotFound, match="not a district"):
        build.area_table(district="Atlantis")


def test_exports_csv_and_geojson(build):
    body = build.areas_csv(district="Coventry", limit=100)
    frame = pd.read_csv(pd.io.common.BytesIO(body))
    # priority lists lead with violence risk: highest expected offences first by default
    assert len(frame) == 6 and frame["violence_risk"].is_monotonic_decreasing
    body = build.areas_csv(district="Coventry", limit=100, sort="need")
    frame_need = pd.read_csv(pd.io.common.BytesIO(body))
    assert frame_need["need"].is_monotonic_decreasing
    assert not [c for c in frame.columns if PARTNER_LAYER in c]
    body = build.areas_geojson(limit=3)
    gj = json.loads(body)
    assert len(gj["features"]) == 3
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    lon, lat = ring[0]
    assert -2.0 < lon < -1.8 and 52.4 < lat < 52.6  # EPSG:4326
    body = build.areas_geojson(level="district")
    assert {f["id"] for f in json.loads(body)["features"]} == {"E08000025", "E08000026"}


def test_layers_list_vintages_licences_and_styling(build):
    layers = {x["id"]: x for x in build.layers()}
    assert layers[PARTNER_LAYER]["synthetic"] and layers[PARTNER_LAYER]["notice"]
    assert layers[PARTNER_LAYER]["display"] == "band"
    assert layers[PARTNER_LAYER]["surface"]["mode"] == "classes"
    labels = [e["label"] for e in layers[PARTNER_LAYER]["surface"]["legend"]]
    assert labels == ["Lowest", "Low", "Medium", "High", "Highest"]  # no numbers
    assert layers["faith_access"]["surface"]["mode"] == "ramp"
    assert layers["income_deprivation"]["licence"] == "OGL v3.0"
    assert layers["faith_access"]["licence"] == "ODbL 1.0"
    assert layers["child_poverty"]["surface"] is None


def test_list_builds_and_current_target(fixture_build):
    target = current_target(REGION, fixture_build)
    assert target is not None and target.name == BUILD_ID
    builds = list_builds(REGION, fixture_build)
    assert builds[0]["build_id"] == BUILD_ID and builds[0]["current"] is True
    assert current_target("nowhere", fixture_build) is None


def test_watcher_reloads_when_current_moves(tmp_path):
    make_fixture_build(tmp_path)
    watcher = BuildWatcher(REGION, tmp_path, interval=0)
    first = watcher.get()
    assert first.build_id == BUILD_ID
    make_fixture_build(tmp_path, "20250202T000000Z", shift=1.0)
    # the old build answers while the new one loads; with build-time answers a load takes a few
    # ms, so a poll may already have finished it: either id, never an error or a wait
    assert watcher.get().build_id in {BUILD_ID, "20250202T000000Z"}
    watcher.wait(60)
    second = watcher.get()
    assert second.build_id == "20250202T000000Z"
    old = orjson.loads(first.area_json("E01000000"))["layers"][1]["score"]
    new = orjson.loads(second.area_json("E01000000"))["layers"][1]["score"]
    assert new == pytest.approx(old + 1.0, abs=1e-3)


def test_watcher_keeps_old_build_when_new_one_is_broken(tmp_path):
    make_fixture_build(tmp_path)
    watcher = BuildWatcher(REGION, tmp_path, interval=0)
    assert watcher.get().build_id == BUILD_ID
    broken = make_fixture_build(tmp_path, "20250303T000000Z")
    (broken / "lsoa.parquet").write_bytes(b"not parquet")
    watcher.get()
    watcher.wait(60)
    assert watcher.get().build_id == BUILD_ID
    assert "20250303T000000Z" in watcher.last_error


def test_watcher_without_build_raises(tmp_path):
    watcher = BuildWatcher(REGION, tmp_path, interval=0)
    with pytest.raises(BuildNotFound, match="no published build"):
        watcher.get()


def test_load_build_reports_missing_files(tmp_path):
    folder = make_fixture_build(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "postcodes.parquet").unlink()
    with pytest.raises(BuildNotFound, match="postcodes.parquet"):
        open_build(copy)
