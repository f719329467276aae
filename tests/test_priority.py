"""Priority places: top LSOAs per district, drivers in words, nearby assets, safe exports."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pyogrio
import pytest
from build_fixture import PREVIOUS_BUILD_ID, REGION

from sna import load_public_build, priority_places
from sna.answers.support import display_name
from sna.errors import BuildNotFound, ConfigError
from sna.needs.drivers import driver_text
from sna.priority.places import nearby_assets, write_priority_places
from sna.priority.table import (
    map_links,
    map_url_base,
    place_names,
    readable,
    representative_postcodes,
)


@pytest.fixture(scope="module")
def fixture(fixture_builds):
    data_dir = fixture_builds
    build = (data_dir / REGION / "builds" / "current").resolve()
    return data_dir, build


@pytest.fixture(scope="module")
def view(fixture):
    return load_public_build(REGION, fixture[0])


@pytest.fixture(scope="module")
def places(view):
    return priority_places(view, top=4)


def test_public_build_has_no_restricted_partner_columns(view):
    cols = set(view.lsoa.columns)
    for prefix in ("n_", "raw_", "v_"):
        assert f"{prefix}hospital_assault_u25" not in cols
    assert "band_hospital_assault_u25" in cols  # partner values only as bands
    assert "v_violence_with_injury" in cols  # open layers keep their values
    assert view.synthetic and view.synthetic_layers == ["hospital_assault_u25"]
    assert view.levels == ["individual", "relationship", "community", "society"]


def test_top_places_per_district_in_rank_order(view, places):
    assert len(places) == 8
    assert places["district_name"].tolist() == ["Birmingham"] * 4 + ["Coventry"] * 4
    assert places["district_rank"].tolist() == [1, 2, 3, 4, 1, 2, 3, 4]
    lsoa = view.lsoa
    by_need = priority_places(view, top=4, by="need")
    for by, table in (("violence_risk", places), ("need", by_need)):
        assert (table["picked_by"] == by).all()
        for code, part in table.groupby("district_code"):
            expected = lsoa[lsoa.district_code == code].nsmallest(4, f"{by}_rank")["lsoa21_code"]
            assert part["lsoa21_code"].tolist() == expected.tolist()
        assert (table[f"{by}_rank_lo"] <= table[f"{by}_rank"]).all()
        assert (table[f"{by}_rank"] <= table[f"{by}_rank_hi"]).all()
    assert (places["violence_risk_lo"] <= places["violence_risk_hi"]).all()
    assert places.crs.to_epsg() == 27700 and places.geometry.notna().all()
    with pytest.raises(ValueError, match="by must be one of"):
        priority_places(view, top=4, by="risk")


def test_drivers_are_plain_words(view, places):
    titles = set(view.titles.values())
    for text in places["drivers"]:
        if text == "no layer raises need above average":  # a violent place of average need
            continue
        for part in text.split("; "):
            title, _, side = part.partition(": ")
            assert title in titles, part
            assert side.startswith("above the regional average"), part
    # protective access is shown beside the needs index, not subtracted (need_lambda 0), so
    # no protective layer is named as a driver of need
    assert not places["drivers"].str.contains("protection").any()
    assert not places["drivers"].str.contains("_").any()


def test_driver_words_name_what_raises_need_in_the_api_words(view):
    raw = '[["violence_with_injury", 0.4], ["library_access", 0.2], ["child_poverty", -0.1]]'
    assert view.driver_words(raw) == "; ".join(
        [
            driver_text("Violence with injury", 0.4),
            driver_text(view.titles["library_access"], 0.2, kind="protective"),
        ]
    )
    synthetic = '[["hospital_assault_u25", 0.3]]'
    assert view.driver_words(synthetic).endswith("(illustrative: synthetic stand-in data)")
    assert view.driver_words(None) == "no layer raises need above average"


def test_nearby_assets_counts_within_1km_and_names_nearest(view, places):
    assets = view.assets()
    assert assets is not None and len(assets) == 5
    row = places.iloc[0]
    d = np.hypot(
        assets["easting"] - row["centroid_easting"], assets["northing"] - row["centroid_northing"]
    )
    assert row["assets_within_1km"] == int((d <= 1000).sum())
    nearest = assets.iloc[np.argsort(d.to_numpy())[:3]]
    names = [
        display_name(n, t, st)
        for n, t, st in zip(nearest["name"], nearest["asset_type"], nearest["subtype"], strict=True)
    ]
    parts = row["nearest_assets"].split("; ")
    assert len(parts) == 3
    for part, name in zip(parts, names, strict=True):
        assert part.startswith(name)
    assert row["nearest_asset_km"] == pytest.approx(d.min() / 1000, abs=0.01)


def test_nearby_assets_words_and_empty_input():
    assets = pd.DataFrame(
        {
            "easting": [0.0, 300.0, 2500.0],
            "northing": [0.0, 0.0, 0.0],
            "name": ["St Mary's", None, "Central Library"],
            "asset_type": ["place_of_worship", "place_of_worship", "library"],
        }
    )
    out = nearby_assets(np.array([100.0]), np.array([0.0]), assets)
    assert out.loc[0, "assets_within_1km"] == 2
    assert out.loc[0, "assets_by_type"] == "2 places of worship"
    assert out.loc[0, "nearest_assets"] == (
        "St Mary's (place of worship, 0.1 km); Place of worship (place of worship, "
        "0.2 km); Central Library (library, 2.4 km)"
    )
    empty = nearby_assets(np.array([1.0, 2.0]), np.array([1.0, 2.0]), None)
    assert empty["assets_within_1km"].tolist() == [0, 0]


def test_write_priority_places_exports_csv_and_gpkg(fixture):
    data_dir, build = fixture
    csv, data, gpkg = write_priority_places(REGION, data_dir, top=3)
    assert csv == build / "exports" / "priority_places.csv"
    assert data == build / "exports" / "priority_places_data.csv"
    assert gpkg == build / "exports" / "priority_places.gpkg"
    table = pd.read_csv(data)
    assert len(table) == 6 and "geometry" not in table.columns
    assert pyogrio.list_layers(gpkg)[0][0] == "priority_places"
    gdf = pyogrio.read_dataframe(gpkg)
    assert len(gdf) == 6 and gdf.crs.to_epsg() == 27700
    readable = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(readable) == 6
    for frame in (table, gdf, readable):
        assert not [c for c in frame.columns if c.startswith(("n_", "raw_", "v_"))]
    assert table["synthetic"].all()
    assert readable["Uses synthetic stand-in data (not real records)"].all()
    # re-running overwrites rather than appending
    write_priority_places(REGION, data_dir, top=2)
    assert len(pyogrio.read_dataframe(gpkg)) == 4


def test_each_place_has_a_name_a_postcode_inside_it_and_a_map_link(view, places):
    pcs = view.postcodes()
    live = pcs[pcs["status"] == "live"]
    for row in places.itertuples():
        mine = live[live["lsoa21_code"] == row.lsoa21_code]
        assert row.postcode in set(mine["postcode"]), row.lsoa21_code
        # the nearest of the LSOA's live postcodes to its centre
        d = np.hypot(
            mine["easting"] - row.centroid_easting, mine["northing"] - row.centroid_northing
        )
        chosen = d[mine["postcode"] == row.postcode].iloc[0]
        assert chosen <= d.min() + 1.0  # centroid rounded to the metre
        assert row.map_url == "http://127.0.0.1:8000/?postcode=" + row.postcode.replace(" ", "%20")
    # the fixture's store names no MSOA file: the ONS MSOA name
    assert places["place_name"].str.startswith("Fixture ").all()
    cols = list(places.columns)
    assert cols[cols.index("ward_name") + 1 : cols.index("ward_name") + 4] == [
        "place_name",
        "postcode",
        "map_url",
    ]


def test_place_names_are_the_house_of_commons_library_names(view, tmp_path):
    names = tmp_path / "msoa21_names.csv"
    codes = sorted(view.lsoa["msoa21_code"].unique())
    rows = [
        f"{c},Fixture {i:03d},,{'Central' if i == 0 else ''},,Fixture,x"
        for i, c in enumerate(codes)
    ]
    names.write_text(
        "msoa21cd,msoa21nm,msoa21nmw,msoa21hclnm,msoa21hclnmw,localauthorityname,type\n"
        + "\n".join(rows)
        + "\n"
    )
    manifest = json.loads(json.dumps(view.manifest))
    manifest.setdefault("store", {}).setdefault("inputs", {})["lsoa21"] = [
        {"source": "msoa_names", "files": [str(names)]}
    ]
    named = replace(view, manifest=manifest)
    got = place_names(named, named.lsoa)
    first = named.lsoa["msoa21_code"] == codes[0]
    assert (got[first] == "Central").all()
    # where the Library has no name, the ONS name
    assert (got[~first] == named.lsoa.loc[~first, "msoa21_name"]).all()


def test_map_links_and_their_base(monkeypatch):
    assert map_links("https://map.example.org", ["B1 1BB", None]) == [
        "https://map.example.org/?postcode=B1%201BB",
        None,
    ]
    monkeypatch.setenv("SNA_MAP_URL", "https://vru.example.org/map/")
    assert map_url_base() == "https://vru.example.org/map/"
    assert map_url_base("http://localhost:9000") == "http://localhost:9000"
    with pytest.raises(ConfigError, match="map URL 'map.example.org'.*must start with https://"):
        map_url_base("map.example.org")


def test_representative_postcode_is_the_live_one_nearest_the_centre():
    pcs = pd.DataFrame(
        {
            "postcode": ["A1 1AA", "A1 1AB", "A1 1AC", "A1 1AD"],
            "status": ["terminated", "live", "live", "live"],
            "lsoa21_code": ["L1", "L1", "L1", "L2"],
            "easting": [0.0, 50.0, 10.0, 0.0],
            "northing": [0.0, 0.0, 0.0, 0.0],
        }
    )
    got = representative_postcodes(pcs, pd.Series(["L1", "L2", "L3"]), np.zeros(3), np.zeros(3))
    assert got == ["A1 1AC", "A1 1AD", None]  # never a terminated one, nor one outside


def test_the_csv_a_navigator_opens_reads_in_words(view, places):
    table = readable(places, view)
    cols = list(table.columns)
    assert cols[:8] == [
        "Listed by",
        "District",
        "Rank in district (1 = first priority)",
        "Place",
        "Ward",
        "Postcode (near the centre)",
        "Map link",
        "Neighbourhood (LSOA 2021)",
    ]
    assert not [c for c in cols if "_" in c]  # no snake_case header
    assert set(table["Listed by"]) == {"Violence risk"}
    assert "Violent and sexual offences expected, next 12 months (forecast)" in cols
    # the fixture subtracts no protective access: no risk band beside the same needs band
    assert view.need_is_risk and not [c for c in cols if c.startswith("Risk factors band")]
    assert len(table) == len(places)
    assert table["Map link"].tolist() == places["map_url"].tolist()


def test_bad_arguments(view, tmp_path):
    with pytest.raises(ValueError, match="top must be >= 1"):
        priority_places(view, top=0)
    with pytest.raises(BuildNotFound, match="no published build for 'nowhere'"):
        load_public_build("nowhere", tmp_path)
    with pytest.raises(BuildNotFound, match="not a build folder"):
        load_public_build(REGION, tmp_path, build="19990101T000000Z")


def test_an_earlier_build_can_be_named(fixture):
    data_dir, _ = fixture
    old = load_public_build(REGION, data_dir, build=PREVIOUS_BUILD_ID)
    assert old.build_id == PREVIOUS_BUILD_ID


@pytest.mark.slow
@pytest.mark.parametrize(
    ("region", "n_districts"), [("west-midlands", 7), ("bedfordshire", 3)], ids=["wm", "beds"]
)
def test_real_build_priority_places(region, n_districts, tmp_path, real_build_dir):
    data_dir = real_build_dir(region)
    csv, data, gpkg = write_priority_places(region, data_dir, top=10, out_dir=tmp_path)
    table = pd.read_csv(data)
    assert table["district_code"].nunique() == n_districts
    assert len(table) == 10 * n_districts
    # the list leads with violence risk: places in order of expected offences
    assert (table["picked_by"] == "violence_risk").all()
    ranks = table.groupby("district_code")["violence_risk_rank"]
    assert ranks.apply(lambda s: s.is_monotonic_increasing).all()
    assert (table["violence_risk_lo"] <= table["violence_risk"]).all()
    assert (table["violence_risk"] <= table["violence_risk_hi"]).all()
    _, by_need, _ = write_priority_places(
        region, data_dir, top=3, out_dir=tmp_path / "n", by="need"
    )
    need = pd.read_csv(by_need)
    assert (
        need.groupby("district_code")["need_rank"].apply(lambda s: s.is_monotonic_increasing).all()
    )
    assert (table["assets_within_1km"] >= 0).all()
    assert table["nearest_assets"].str.len().gt(0).all()
    assert not table["nearest_assets"].str.contains("Unnamed").any()  # named by type instead
    assert not [c for c in table.columns if c.startswith(("n_", "raw_", "v_"))]
    # every place has a postcode and a link; the Library's names, not "Birmingham 138"
    assert table["postcode"].notna().all()
    assert table["map_url"].str.contains("?postcode=", regex=False).all()
    assert (table["place_name"] != table["lsoa21_name"].str[:-1]).mean() > 0.9
    readable = pd.read_csv(csv, encoding="utf-8-sig")
    assert not [c for c in readable.columns if "_" in c] and len(readable) == len(table)
