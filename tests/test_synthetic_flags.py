"""Synthetic stand-ins only on request, and then flagged in every output type.

``wm_synthetic_build`` is the West Midlands built with ``--synthetic-partner-data``; the default
``wm_build`` is built from real data only (partner layers awaiting data). One test per output
type checks the flag on the first and its absence on the second.
"""

from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import pandas as pd
import pytest
from conftest import SYNTHETIC_DATA_DIR, TEST_DATA_DIR
from fastapi.testclient import TestClient

SYN = {"hospital_assault_u25", "school_exclusions"}
TMS = morecantile.tms.get("WebMercatorQuad")


def _client(data_dir):
    from api.app import create_app
    from api.settings import ApiSettings

    return TestClient(create_app(ApiSettings(region="west-midlands", data_dir=data_dir)))


@pytest.fixture(scope="module")
def synthetic(wm_synthetic_build):
    """(build folder, API client) of the synthetic build."""
    with _client(SYNTHETIC_DATA_DIR) as c:
        yield wm_synthetic_build, c


@pytest.fixture(scope="module")
def real(wm_build):
    """(build folder, API client) of the default build."""
    with _client(TEST_DATA_DIR) as c:
        yield wm_build, c


def test_manifest(synthetic, real):
    m = json.loads((synthetic[0] / "manifest.json").read_text())
    assert m["synthetic"] is True and set(m["synthetic_layers"]) == SYN
    status = {x["id"]: x["status"] for x in m["layers"]}
    assert all(status[lid] == "synthetic (illustrative)" for lid in SYN)
    r = json.loads((real[0] / "manifest.json").read_text())
    assert r["synthetic"] is False and r["synthetic_layers"] == []
    assert "synthetic" not in json.dumps([x["status"] for x in r["layers"]])


def test_layers_api(synthetic, real):
    layers = {x["id"]: x for x in synthetic[1].get("/api/v1/layers").json()["result"]["layers"]}
    for lid in SYN:
        assert layers[lid]["synthetic"] and "synthetic" in layers[lid]["notice"].lower()
        assert layers[lid]["status"] == "synthetic (illustrative)"
    plain = real[1].get("/api/v1/layers").json()["result"]["layers"]
    assert not any(x["synthetic"] for x in plain)
    held = {x["id"]: x for x in plain if x["status"] == "awaiting partner data"}
    assert set(held) == SYN and all(
        x["weight"] == 0 and x["display"] == "none" for x in held.values()
    )


def test_builds_api(synthetic, real):
    info = synthetic[1].get("/api/v1/builds").json()["result"]
    assert info["synthetic"] is True and set(info["synthetic_layers"]) == SYN
    assert real[1].get("/api/v1/builds").json()["result"]["synthetic"] is False


def _area_with_synthetic_driver(c):
    rows = c.get("/api/v1/areas", params={"level": "lsoa", "limit": 2000}).json()["result"]["items"]
    for row in rows:
        body = c.get(f"/api/v1/areas/{row['code']}").json()["result"]
        if any(d["synthetic"] for d in body["drivers"]) and "exclusions" in body["explanation"]:
            return body
    raise AssertionError("no area has a synthetic driver")


def test_area_json_and_driver_sentences(synthetic, real):
    body = _area_with_synthetic_driver(synthetic[1])
    assert body["synthetic"] is True and body["notice"]
    d = next(d for d in body["drivers"] if d["synthetic"])
    assert "illustrative" in d["text"]
    # (synthetic exclusions are published by MSOA and drive need; synthetic hospital
    # admissions are published by district only, so they are context and never a driver)
    assert "school exclusions and suspensions (illustrative)" in body["explanation"]
    assert all(d["layer"] != "hospital_assault_u25" for d in body["drivers"])
    ward = synthetic[1].get(f"/api/v1/areas/{body['ward']['code']}").json()["result"]
    cited = [d for d in ward["drivers"] if d["synthetic"] and d["effect"] == "raises need"]
    if cited:
        assert "illustrative" in ward["explanation"]
    plain = real[1].get(f"/api/v1/areas/{body['code']}").json()["result"]
    assert plain["synthetic"] is False and plain["notice"] is None
    assert "illustrative" not in json.dumps(plain)


def test_postcode_json(synthetic, real):
    pc = "B1 1AY"
    body = synthetic[1].get(f"/api/v1/postcodes/{pc}").json()["result"]
    assert body["synthetic"] is True and set(body["synthetic_layers"]) == SYN
    plain = real[1].get(f"/api/v1/postcodes/{pc}").json()["result"]
    assert plain["synthetic"] is False and "illustrative" not in json.dumps(plain)


def test_api_area_lists(synthetic, real):
    for c, flag in ((synthetic[1], "True"), (real[1], "False")):
        r = c.get("/api/v1/areas", params={"level": "lsoa", "limit": 50, "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows and {row["synthetic"] for row in rows} == {flag}
        g = c.get("/api/v1/areas", params={"level": "lsoa", "limit": 5, "format": "geojson"})
        assert {f["properties"]["synthetic"] for f in g.json()["features"]} == {flag == "True"}


def test_csv_exports(synthetic, real):
    for folder, flag in ((synthetic[0], True), (real[0], False)):
        for name in ("lsoa_indices.csv", "postcode_indices.csv"):
            frame = pd.read_csv(folder / "exports" / name, usecols=["synthetic"])
            assert frame["synthetic"].eq(flag).all(), (name, flag)
    lsoa = pd.read_csv(synthetic[0] / "exports" / "lsoa_indices.csv")
    cites = lsoa["explanation"].str.contains("hospital admissions|school exclusions", case=False)
    assert cites.any()
    assert lsoa.loc[cites, "explanation"].str.contains("(illustrative)", regex=False).all()
    plain = pd.read_csv(real[0] / "exports" / "lsoa_indices.csv")
    assert not plain["explanation"].str.contains("illustrative").any()


def test_geopackage_export(synthetic, real):
    for folder, flag in ((synthetic[0], True), (real[0], False)):
        g = gpd.read_file(folder / "exports" / "lsoa_indices.gpkg")
        assert "synthetic" in g.columns and g["synthetic"].astype(bool).eq(flag).all()


def test_vector_tiles(synthetic, real):
    for (_, c), flag in ((synthetic, True), (real, False)):
        build = c.app.state.watcher.get()
        seen = set()
        for t in TMS.tiles(*build.bounds, zooms=[10]):
            r = c.get(f"/tiles/areas/{t.z}/{t.x}/{t.y}.pbf")
            if r.content:
                for f in mapbox_vector_tile.decode(r.content)["lsoa"]["features"]:
                    seen.add(f["properties"]["synthetic"])
        assert seen == {flag}


def test_surface_tiles_are_listed_as_synthetic(synthetic, real):
    """A PNG carries no text: its layer entry (tile URL, legend) carries the flag."""
    layers = {x["id"]: x for x in synthetic[1].get("/api/v1/layers").json()["result"]["layers"]}
    hosp = layers["hospital_assault_u25"]
    assert hosp["surface"] and hosp["surface"]["tiles"].endswith(".png") and hosp["synthetic"]
    plain = {x["id"]: x for x in real[1].get("/api/v1/layers").json()["result"]["layers"]}
    assert plain["hospital_assault_u25"]["surface"] is None
    assert real[1].get("/tiles/hospital_assault_u25/12/2025/1355.png").status_code == 404


def test_priority_exports(synthetic, real, tmp_path):
    from sna.priority.places import write_priority_places

    for (folder, _), flag in ((synthetic, True), (real, False)):
        out = tmp_path / str(flag)
        paths = write_priority_places(
            "west-midlands", folder.parent.parent.parent, top=3, build=folder, out_dir=out
        )
        readable = pd.read_csv(paths[0], encoding="utf-8-sig")
        assert readable["Uses synthetic stand-in data (not real records)"].eq(flag).all()
        table = pd.read_csv(paths[1])
        assert table["synthetic"].eq(flag).all()
        assert gpd.read_file(paths[2])["synthetic"].astype(bool).eq(flag).all()


def test_static_maps_and_report(synthetic, real, tmp_path):
    from maps import write_maps
    from maps.report import write_report

    for (folder, _), flag in ((synthetic, True), (real, False)):
        data_dir = folder.parent.parent.parent
        out = tmp_path / ("syn" if flag else "real")
        maps = write_maps("west-midlands", data_dir, out, build=folder, districts=False)
        overview = next(p for p in maps if p.name == "overview.html").read_text()
        notice = re.search(r'"notice":\s*"([^"]*)"', overview).group(1)
        assert ("synthetic" in notice) is flag
        report = write_report(
            "west-midlands", data_dir, out / "report.html", build=folder, make_maps=False
        ).read_text()
        assert ('id="synthetic-notice"' in report) is flag
        if not flag:
            assert "awaiting partner data" in report and "awaiting partner data" in overview
