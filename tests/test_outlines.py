"""Bearings from our own boundary files: district and ward outlines and area names."""

from __future__ import annotations

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import pytest
import shapely

from sna.answers.outlines import load_outlines
from sna.prepare.store import read_table
from sna.tiles.render import EXTENT, LABEL_ZOOMS

TMS = morecantile.tms.get("WebMercatorQuad")
BIRMINGHAM = (-1.8904, 52.4862)


@pytest.fixture(scope="module")
def wm(wm_build):
    lsoa = read_table(wm_build / "lsoa.parquet")
    store = wm_build.parent.parent / "store"
    return lsoa, store, load_outlines(lsoa, store)


def _layers(outlines, z: int, lon: float = BIRMINGHAM[0], lat: float = BIRMINGHAM[1]) -> dict:
    t = TMS.tile(lon, lat, z)
    data = outlines.tile(t.z, t.x, t.y)
    return mapbox_vector_tile.decode(data) if data else {}


def test_every_area_of_the_build_has_one_name_point_inside_it(wm):
    lsoa, store, outlines = wm
    labels = outlines.labels()
    assert labels["zooms"] == LABEL_ZOOMS
    assert sorted(p["code"] for p in labels["lsoa"]) == sorted(lsoa["lsoa21_code"])
    assert sorted(p["code"] for p in labels["ward"]) == sorted(lsoa["ward_code"].unique())
    assert sorted(p["code"] for p in labels["district"]) == sorted(lsoa["district_code"].unique())
    names = dict(zip(lsoa["district_code"], lsoa["district_name"], strict=True))
    assert {p["code"]: p["name"] for p in labels["district"]} == names
    districts = gpd.read_parquet(store / "districts.parquet").to_crs("EPSG:4326")
    for p in labels["district"]:
        shape = districts.loc[districts["district_code"] == p["code"], "geometry"].iloc[0]
        assert shape.buffer(1e-5).contains(shapely.Point(p["lon"], p["lat"])), p["name"]


def test_layers_appear_at_their_zooms(wm):
    _, _, outlines = wm
    z9, z12, z15 = (_layers(outlines, z) for z in (9, 12, 15))
    assert {"districts", "district_labels"} <= set(z9) and "wards" not in z9
    assert "ward_labels" not in z9 and "lsoa_labels" not in z9
    assert {"wards", "ward_labels"} <= set(z12) and "lsoa_labels" not in z12
    assert "lsoa_labels" in z15
    lines = z9["districts"]["features"]
    assert lines and all("LineString" in f["geometry"]["type"] for f in lines)
    assert {f["properties"]["name"] for f in lines} >= {"Birmingham"}
    for f in z15["lsoa_labels"]["features"]:
        x, y = f["geometry"]["coordinates"]
        assert f["geometry"]["type"] == "Point" and f["properties"]["name"]
        assert -64 <= x <= EXTENT + 64 and -64 <= y <= EXTENT + 64  # in the tile (+buffer)


def test_close_up_the_map_names_places_not_lsoas(wm):
    """One name point per MSOA, inside it, named as the area panel names it: the House of
    Commons Library name where there is one, else the ONS MSOA name; never an LSOA's."""
    from sna.answers.outlines import place_labels

    lsoa, _, _ = wm
    msoas = sorted(lsoa["msoa21_code"].unique())
    names = {c: f"Place {c}" for c in msoas[::2]}  # half of them named by the Library
    got = place_labels(lsoa, names)
    assert [p["code"] for p in got] == msoas
    ons = dict(zip(lsoa["msoa21_code"], lsoa["msoa21_name"], strict=False))
    assert all(p["name"] == names.get(p["code"], ons[p["code"]]) for p in got)
    assert not {p["name"] for p in got} & set(lsoa["lsoa21_name"])
    shapes = lsoa.to_crs("EPSG:4326")
    for p in got[::20]:
        part = shapes.loc[shapes["msoa21_code"] == p["code"], "geometry"]
        assert part.buffer(1e-6).contains(shapely.Point(p["lon"], p["lat"])).any(), p
    assert place_labels(lsoa.drop(columns="msoa21_code"), names) == []


def test_without_a_store_the_outlines_are_the_union_of_the_lsoas(wm, tmp_path):
    lsoa, _, outlines = wm
    fallback = load_outlines(lsoa, tmp_path)  # no wards.parquet or districts.parquet here
    got, want = fallback.labels(), outlines.labels()
    for level in ("district", "ward"):
        assert [p["code"] for p in got[level]] == [p["code"] for p in want[level]]
    assert _layers(fallback, 12)["wards"]["features"]


def test_a_table_without_area_names_is_refused(wm):
    lsoa, store, _ = wm
    with pytest.raises(ValueError, match="ward_name"):
        load_outlines(lsoa.drop(columns="ward_name"), store)


def test_outline_tiles_and_labels_are_served(client):
    t = TMS.tile(-1.90, 52.476, 12)
    r = client.get(f"/tiles/outlines/{t.z}/{t.x}/{t.y}.pbf")
    assert (
        r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    )
    layers = mapbox_vector_tile.decode(r.content)
    assert {"districts", "wards", "ward_labels"} <= set(layers)
    assert {f["properties"]["name"] for f in layers["ward_labels"]["features"]} <= {
        "Ward A",
        "Ward B",
        "Ward C",
        "Ward D",
    }
    again = client.get(r.url.path, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/tiles/outlines/10/0/0.pbf").content == b""
    assert client.get("/tiles/outlines/3/99/0.pbf").status_code == 404
    labels = client.get("/tiles/labels.json", headers={"Accept-Encoding": "gzip"})
    assert labels.status_code == 200 and labels.headers["etag"]
    body = labels.json()["result"]
    assert sorted(p["name"] for p in body["ward"]) == ["Ward A", "Ward B", "Ward C", "Ward D"]
    assert {p["name"] for p in body["district"]} == {"Birmingham", "Coventry"}
    assert body["zooms"] == {"district": 0, "ward": 12, "place": 14} and "lsoa" not in body
    assert body["place"] and all(-3 < p["lon"] < 0 and 51 < p["lat"] < 54 for p in body["place"])
    assert all(p["name"].startswith("Fixture ") for p in body["place"])  # its MSOAs' names
    # gzipped past the app's threshold (a region's is about 60 kB; this fixture's is smaller)
    from api.app import GZIP_MIN_BYTES

    gzipped = labels.headers.get("content-encoding") == "gzip"
    assert gzipped == (len(labels.content) >= GZIP_MIN_BYTES)


def test_outlines_are_served_from_the_build_alone(tmp_path):
    """The outline shapes and the labels are stored in the build (answers.sqlite): the
    server draws the build's own, even when the prepared store has changed since."""
    from build_fixture import REGION, make_fixture_build
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    t = TMS.tile(-1.90, 52.476, 12)
    path = f"/tiles/outlines/{t.z}/{t.x}/{t.y}.pbf"
    got = {}
    for changed in (False, True):
        folder = make_fixture_build(tmp_path / str(changed))
        if changed:  # the store's wards redrawn and renamed after the build
            wards_file = (folder.parent.parent / "store").resolve() / "wards.parquet"
            wards = read_table(wards_file)
            wards["geometry"] = wards.geometry.translate(3000, 3000)
            wards["ward_name"] = "Renamed"
            wards.to_parquet(wards_file)
        app = create_app(ApiSettings(region=REGION, data_dir=tmp_path / str(changed)))
        with TestClient(app, base_url="http://127.0.0.1") as c:
            got[changed] = (c.get(path).content, c.get("/tiles/labels.json").json()["result"])
    assert got[True][0] and got[True][0] == got[False][0]
    assert got[True][1]["ward"] == got[False][1]["ward"]
    assert "Renamed" not in {p["name"] for p in got[True][1]["ward"]}
