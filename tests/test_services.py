"""The VRU's service directory: checked rows, listed first in support nearby, on the map.

A directory CSV with good and bad rows is written by each test, over the small API fixture
build (tests/build_fixture.py: 1 km LSOAs near Birmingham, postcodes ``B<n> 1A[BDE]``) and,
for the configuration path, over the real West Midlands bundle.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from build_fixture import LIVE_POSTCODE, ORIGIN, REGION, make_fixture_build
from pyproj import Transformer

from geodata.services import ServiceDirectoryError, parse_ages, read_service_directory
from sna.prepare.store import read_table, write_table

HEADER = "name,type,postcode,easting,northing,latitude,longitude,ages,website,phone,opening_times"
X0, Y0 = ORIGIN  # LIVE_POSTCODE B1 1AB is at X0 + 200, Y0 + 300


def _lat_lon(e: float, n: float) -> tuple[float, float]:
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(e, n)
    return round(lat, 6), round(lon, 6)


def _directory(path: Path) -> Path:
    lat, lon = _lat_lon(X0 + 200, Y0 + 900)  # 600 m north of B1 1AB
    lines = [
        HEADER,
        # 2-5: good rows
        f"Walking Bus,safe_routes,,{X0 + 500},{Y0 + 700},,,5-11,https://walk.example.org,"
        '0121 303 1111,"Mon-Fri 8:00-8:45"',
        f"Summer Holiday Club,Holiday Activities,,,,{lat},{lon},8 to 16,,,August",
        "Ladywood Youth Club,youth_club,b11ad,,,,,11+,,07700 900123,Tue and Thu 6-9pm",
        "Far Mentoring,mentoring,B12 1AE,,,,,10-25,https://mentor.example.org/apply,,",
        # 6-14: bad rows
        "Nowhere Club,youth_club,B99 9ZZ,,,,,,,,",
        "Old Site,sport,B1 9ZZ,,,,,,,,",
        "Typo Club,youth_club,not a postcode,,,,,,,,",
        f"Over The Border,sport,,{X0 - 5000},{Y0},,,,,,",
        "Backwards Ages,sport,B2 1AB,,,,,18-10,,,",
        "No Scheme,mentoring,B2 1AB,,,,,,www.example.org,,",
        "Short Phone,mentoring,B2 1AB,,,,,,,12345,",
        "Youth Centre,youth centre,B2 1AB,,,,,,,,",
        "Ladywood Youth Club,youth_club,B1 1AD,,,,,11+,,,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    """A fixture build of this module's own: ``with_directory`` adds services to its store."""
    data_dir = tmp_path_factory.mktemp("services-data")
    make_fixture_build(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def region_tables(fixture_dir):
    build = fixture_dir / REGION / "builds" / "current"
    postcodes = pd.DataFrame(read_table(build / "postcodes.parquet").drop(columns="geometry"))
    areas = read_table(fixture_dir / REGION / "store" / "lsoa21.parquet")
    return postcodes, areas


def _read(path, region_tables, **kw):
    postcodes, areas = region_tables
    return read_service_directory(path, postcodes, region=areas, region_name="Fixture", **kw)


def test_strict_load_fails_naming_every_bad_row(tmp_path, region_tables):
    path = _directory(tmp_path / "services.csv")
    with pytest.raises(ServiceDirectoryError) as err:
        _read(path, region_tables)
    text = str(err.value)
    assert text.startswith(f"{path}: 9 bad row(s) in the service directory")
    found = {(p.line, p.column) for p in err.value.problems}
    assert found == {
        (6, "postcode"),
        (7, "postcode"),
        (8, "postcode"),
        (9, "easting"),
        (10, "ages"),
        (11, "website"),
        (12, "phone"),
        (13, "type"),
        (14, "name"),
    }
    for expected in (
        "line 6, column 'postcode': B99 9ZZ is not a postcode of Fixture",
        "line 7, column 'postcode': B1 9ZZ was terminated in 2019-05",
        "line 8, column 'postcode': 'not a postcode' is not a valid UK postcode",
        f"line 9, column 'easting': {X0 - 5000:.0f}, {Y0:.0f} (EPSG:27700) is outside Fixture",
        "line 10, column 'ages': '18-10': the range runs backwards",
        "line 11, column 'website': 'www.example.org' is not a web address: start it with https://",
        "line 12, column 'phone': '12345' is not a UK phone number",
        "line 13, column 'type': 'youth centre' is not a service type (did you mean 'youth_club'?)",
        "line 14, column 'name': repeats line 4 (same name, type and location)",
    ):
        assert expected in text
    assert 'on_error = "skip"' in text


def test_skip_mode_keeps_good_rows_and_reports_each_bad_one(tmp_path, region_tables):
    path = _directory(tmp_path / "services.csv")
    loaded = _read(path, region_tables, on_error="skip")
    data = loaded.data
    assert sorted(data["name"]) == [
        "Far Mentoring",
        "Ladywood Youth Club",
        "Summer Holiday Club",
        "Walking Bus",
    ]
    assert data.crs.to_epsg() == 27700 and data["asset_id"].is_unique
    assert set(data["source"]) == {"service_directory"}
    by = data.set_index("name")
    assert by.loc["Summer Holiday Club", "asset_type"] == "holiday_activities"
    assert by.loc["Summer Holiday Club", "ages"] == "8-16"
    # latitude/longitude are placed on the grid to within a metre
    assert by.loc["Summer Holiday Club", "easting"] == pytest.approx(X0 + 200, abs=1)
    assert by.loc["Summer Holiday Club", "northing"] == pytest.approx(Y0 + 900, abs=1)
    # a postcode is placed at the region postcode table's grid reference, in pcds form
    postcodes, _ = region_tables
    b11ad = postcodes.set_index("postcode").loc["B1 1AD"]
    assert by.loc["Ladywood Youth Club", "postcode"] == "B1 1AD"
    assert by.loc["Ladywood Youth Club", "easting"] == b11ad["easting"]
    assert by.loc["Walking Bus", "website"] == "https://walk.example.org"
    assert by.loc["Walking Bus", "opening_times"] == "Mon-Fri 8:00-8:45"
    report = loaded.report.to_dict()
    assert report["rows_read"] == 13 and report["rows_kept"] == 4
    assert report["rows_rejected"] == 9
    assert len(report["warnings"]) == 9
    assert all(w.endswith("(row skipped)") for w in report["warnings"])
    assert [int(w.split("line ")[1].split(",")[0]) for w in report["warnings"]] == list(
        range(6, 15)
    )
    # the same file loads the same ids again
    assert _read(path, region_tables, on_error="skip").data["asset_id"].tolist() == (
        data["asset_id"].tolist()
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name,type,postcode,ages,website,phone", r"missing column\(s\) \['opening_times'\]"),
        (
            "name,type,postcode,ages,website,phone,opening_times,notes",
            r"unknown column\(s\) \['notes'\]",
        ),
        ("name,type,ages,website,phone,opening_times", "no location column"),
        (
            "name,type,easting,ages,website,phone,opening_times",
            "column 'easting' needs 'northing'",
        ),
    ],
)
def test_wrong_columns_are_refused(tmp_path, region_tables, header, message):
    from geodata.errors import MissingColumnsError

    path = tmp_path / "services.csv"
    path.write_text(header + "\nA,youth_club,B1 1AB,,,,\n", encoding="utf-8")
    with pytest.raises(MissingColumnsError, match=message):
        _read(path, region_tables)


def test_ages_forms():
    assert parse_ages("10-18") == "10-18" and parse_ages("10 – 18") == "10-18"
    assert parse_ages("16+") == "16+" and parse_ages("All ages") == "all ages"
    assert parse_ages("") is None
    for bad in ("ten", "10-200", "18-10", "-5"):
        with pytest.raises(ValueError):
            parse_ages(bad)


# --- support nearby and the map layer, over the fixture build --------------------------------


@pytest.fixture(scope="module")
def with_directory(fixture_dir, region_tables, tmp_path_factory):
    """The fixture build whose store's assets include the directory (skip mode)."""
    path = _directory(tmp_path_factory.mktemp("dir") / "services.csv")
    services = _read(path, region_tables, on_error="skip").data
    store = (fixture_dir / REGION / "store").resolve()
    assets = read_table(store / "assets.parquet")
    _, areas = region_tables
    services = gpd.sjoin(services, areas[["lsoa21_code", "geometry"]], predicate="within")
    combined = pd.concat([assets, services.drop(columns="index_right")], ignore_index=True)
    write_table(store, "assets", gpd.GeoDataFrame(combined, geometry="geometry", crs=27700))
    # the public answers are computed at build time: write them again over the new store
    from sna.answers import write_answers

    build = (fixture_dir / REGION / "builds" / "current").resolve()
    write_answers(build, store_path=store, national=False)
    return fixture_dir


@pytest.fixture(scope="module")
def services_client(with_directory):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    app = create_app(ApiSettings(region=REGION, data_dir=with_directory, reload_interval=0.0))
    with TestClient(app) as c:
        yield c


def test_support_nearby_lists_directory_services_first(services_client):
    r = services_client.get(f"/api/v1/postcodes/{LIVE_POSTCODE}")
    assert r.status_code == 200
    assets = r.json()["result"]["assets"]
    nearest = assets["nearest"]
    # the three directory services within 1 km come first, nearest first ...
    assert [a["name"] for a in nearest[:3]] == [
        "Ladywood Youth Club",  # B1 1AD: 360 m
        "Walking Bus",  # 500 m
        "Summer Holiday Club",  # 600 m
    ]
    assert [a["distance_m"] for a in nearest[:3]] == [361, 500, 600]
    assert {a["source"] for a in nearest[:3]} == {"service_directory"}
    # ... then the other assets by distance, although St Mary's Church is nearer than all
    rest = nearest[3:]
    assert rest[0]["name"] == "St Mary's Church" and rest[0]["distance_m"] == 141
    assert [a["distance_m"] for a in rest] == sorted(a["distance_m"] for a in rest)
    assert "Far Mentoring" not in [a["name"] for a in nearest]  # beyond 1 km
    walk = nearest[1]
    assert walk["type"] == "safe_routes" and walk["ages"] == "5-11"
    assert walk["website"] == "https://walk.example.org" and walk["phone"] == "0121 303 1111"
    assert walk["opening_times"] == "Mon-Fri 8:00-8:45"
    assert not {"ages", "website", "phone", "opening_times"} & set(rest[0])  # none: left out
    assert assets["by_type"]["safe_routes"] == 1 and assets["by_type"]["youth_club"] == 1
    assert assets["by_type"]["holiday_activities"] == 1 and assets["by_type"]["mentoring"] == 0
    assert assets["count"] == sum(assets["by_type"].values())


def test_services_map_layer(services_client):
    r = services_client.get("/api/v1/services")
    assert r.status_code == 200 and r.headers["etag"]
    fc = r.json()["result"]
    assert fc["type"] == "FeatureCollection"
    names = [f["properties"]["name"] for f in fc["features"]]
    assert names == ["Far Mentoring", "Ladywood Youth Club", "Summer Holiday Club", "Walking Bus"]
    club = fc["features"][1]
    assert club["properties"] == {
        "id": club["properties"]["id"],
        "name": "Ladywood Youth Club",
        "type": "youth_club",
        "type_label": "Youth club",
        "ages": "11+",
        "website": None,
        "phone": "07700 900123",
        "opening_times": "Tue and Thu 6-9pm",
        "postcode": "B1 1AD",
    }
    lon, lat = club["geometry"]["coordinates"]
    assert -2.0 < lon < -1.8 and 52.4 < lat < 52.55
    # the page loads the layer's script, which the app serves
    page = services_client.get("/").text
    assert '<script src="/static/services.js"></script>' in page
    js = services_client.get("/static/services.js")
    assert js.status_code == 200 and "/api/v1/services" in js.text
    assert "innerHTML" not in js.text  # popups are built from text nodes only


def test_services_layer_is_empty_without_a_directory(client):
    r = client.get("/api/v1/services")
    assert r.status_code == 200
    assert r.json()["result"] == {"type": "FeatureCollection", "features": []}


# --- the [services] section, through `sna data prepare`, on the real bundle ------------------


def _wm_directory(path: Path, wm_store, bad: bool) -> Path:
    pcs = wm_store.read("postcodes")
    live = pcs[(pcs["status"] == "live") & pcs["easting"].notna()].sort_values("postcode")
    a, b = live["postcode"].iloc[100], live["postcode"].iloc[5000]
    lines = [
        HEADER,
        f"Wolves Youth Zone,youth_club,{a},,,,,8-19,https://youthzone.example.org,,",
        f"Stay Safe Mentoring,mentoring,{b},,,,,10-18,,0121 303 1111,Weekdays",
    ]
    if bad:
        lines += [
            "Bromsgrove Club,sport,B60 3AA,,,,,,,,",  # a real postcode, outside the region
            f"Ages Wrong,sport,{a},,,,,young,,,",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def wm_with_services(tmp_path_factory, wm_store):
    from sna.config.region import ServicesSpec, load_region
    from sna.prepare.pipeline import prepare_region

    folder = tmp_path_factory.mktemp("wm-services")
    path = _wm_directory(folder / "services.csv", wm_store, bad=True)
    base = load_region("west-midlands")
    strict = base.model_copy(update={"services": ServicesSpec(path=str(path))})
    with pytest.raises(ServiceDirectoryError) as err:
        prepare_region(strict, data_dir=folder / "strict")
    skip = base.model_copy(update={"services": ServicesSpec(path=str(path), on_error="skip")})
    result = prepare_region(skip, data_dir=folder / "data")
    return err.value, result, folder / "data"


def test_prepare_with_services_section(wm_with_services):
    from sna.prepare.store import Store

    error, result, data_dir = wm_with_services
    assert {(p.line, p.column) for p in error.problems} == {(4, "postcode"), (5, "ages")}
    assert "B60 3AA is not a postcode of West Midlands" in str(error)
    assets = Store("west-midlands", data_dir).read("assets")
    services = assets[assets["source"] == "service_directory"]
    assert sorted(services["name"]) == ["Stay Safe Mentoring", "Wolves Youth Zone"]
    assert services["lsoa21_code"].notna().all()
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert any("line 4, column 'postcode'" in w for w in manifest["warnings"])
    assert any("line 5, column 'ages'" in w for w in manifest["warnings"])
    assert "services" in [s["source"] for s in manifest["tables"]["assets"]["sources"]]


def test_the_documented_example_loads_on_the_real_bundle(wm_store):
    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "service-directory.csv"
    loaded = read_service_directory(
        path, wm_store.read("postcodes"), region=wm_store.read("lsoa21"), region_name="WM"
    )
    data = loaded.data.set_index("name")
    assert len(data) == 5 and loaded.report.warnings == []
    assert set(data["asset_type"]) == {
        "youth_club",
        "mentoring",
        "safe_routes",
        "holiday_activities",
        "sport",
    }
    # B1 2ND (Centenary Square) at its Code-Point Open grid reference
    club = data.loc["Example Youth Club (Centenary Square)"]
    assert (club["easting"], club["northing"]) == (406377.0, 286911.0)
    doc = (path.parents[1] / "service-directory.md").read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").strip() in doc  # the page shows this very file
