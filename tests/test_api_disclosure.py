"""No public endpoint discloses a partner-data count below 8, or any exact partner rate.

``walk_public`` requests every public answer of a build (every area, the areas list as JSON,
CSV and GeoJSON, postcodes from every LSOA, the vector tiles covering the region at one zoom)
and runs :func:`build_fixture.partner_violations` on each. The walker is first shown to catch
unsafe answers (crafted ones, the analyst endpoint and a deliberately leaky build), so a pass
means something.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import mapbox_vector_tile
import morecantile
import orjson
import pytest
from build_fixture import PARTNER_LAYER, partner_violations
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = Path(os.environ.get("SNA_TEST_DATA_DIR") or PROJECT_ROOT / "data" / "_test")
REAL_REGION = "west-midlands"
TMS = morecantile.tms.get("WebMercatorQuad")


def walk_public(c: TestClient, zoom: int = 10, postcodes_per_lsoa: int = 1) -> dict[str, int]:
    """Request every public answer; raise AssertionError listing any violation."""
    layers = c.get("/api/v1/layers").json()["result"]["layers"]
    partner = [x["id"] for x in layers if x["partner"]]
    assert partner, "the build declares no partner layer: nothing to check"
    found: list[str] = []
    counts = {"areas": 0, "postcodes": 0, "tiles": 0, "lists": 0}

    def check(obj, where: str) -> None:
        found.extend(f"{where}: {v}" for v in partner_violations(obj, partner))

    check({"layers": layers}, "/api/v1/layers")
    check(c.get("/api/v1/builds").json()["result"], "/api/v1/builds")
    codes: dict[str, list[str]] = {}
    for level in ("lsoa", "ward", "district"):
        body = c.get("/api/v1/areas", params={"level": level, "limit": 10000}).json()["result"]
        check(body, f"areas list {level}")
        codes[level] = [row["code"] for row in body["items"]]
        r = c.get("/api/v1/areas", params={"level": level, "limit": 10000, "format": "csv"})
        check(list(csv.DictReader(io.StringIO(r.text))), f"areas csv {level}")
        r = c.get("/api/v1/areas", params={"level": level, "limit": 10000, "format": "geojson"})
        check([f["properties"] for f in r.json()["features"]], f"areas geojson {level}")
        counts["lists"] += 3
    for items in codes.values():
        for code in items:
            r = c.get(f"/api/v1/areas/{code}")
            assert r.status_code == 200, (code, r.text)
            check(r.json()["result"], f"/api/v1/areas/{code}")
            counts["areas"] += 1
    # Postcodes: the first few of every LSOA (by autocomplete order), plus terminated ones.
    build = c.app.state.watcher.get()
    pcs = build.postcodes_raw
    sample = pcs.groupby("lsoa21_code", sort=False).head(postcodes_per_lsoa)["postcode"].tolist()
    sample += pcs.loc[pcs["status"] == "terminated", "postcode"].head(50).tolist()
    for i in range(0, len(sample), 100):
        batch = sample[i : i + 100]
        r = c.post("/api/v1/postcodes", json={"postcodes": batch})
        for item in r.json()["result"]:
            assert item["status"] == 200, item
            check(item["result"], f"postcode {item['query']}")
            counts["postcodes"] += 1
    for t in TMS.tiles(*build.bounds, zooms=[zoom]):
        r = c.get(f"/tiles/areas/{t.z}/{t.x}/{t.y}.pbf")
        assert r.status_code == 200
        if r.content:
            feats = mapbox_vector_tile.decode(r.content)["lsoa"]["features"]
            check([f["properties"] for f in feats], f"tile {t.z}/{t.x}/{t.y}")
        counts["tiles"] += 1
    if found:
        raise AssertionError(f"{len(found)} disclosure violation(s), e.g. {found[:5]}")
    return counts


# --------------------------------------------------------------------------- the walker bites


@pytest.mark.parametrize(
    "unsafe",
    [
        {"layers": [{"id": PARTNER_LAYER, "count": 3, "value": None}]},
        {"layers": [{"id": PARTNER_LAYER, "count": None, "value": 12.5}]},
        {"n_" + PARTNER_LAYER: 40},
        {"raw_" + PARTNER_LAYER: 0.4},
        {"band_" + PARTNER_LAYER: 5},
        [{"properties": {"score_" + PARTNER_LAYER: "7"}}],
        {"drivers": [{"layer": PARTNER_LAYER, "records": 2}]},
    ],
)
def test_walker_catches_unsafe_answers(unsafe):
    assert partner_violations(unsafe, [PARTNER_LAYER])


@pytest.mark.parametrize(
    "safe",
    [
        {"layers": [{"id": PARTNER_LAYER, "count": None, "value": None, "band": "High"}]},
        {"layers": [{"id": "child_poverty", "count": 3, "value": 2.0}]},
        {"band_" + PARTNER_LAYER: "Low", "need_rank": 3, "synthetic": True},
        {"drivers": [{"layer": PARTNER_LAYER, "contribution": 0.1234, "synthetic": True}]},
    ],
)
def test_walker_passes_safe_answers(safe):
    assert partner_violations(safe, [PARTNER_LAYER]) == []


def test_walker_flags_the_analyst_endpoint(client):
    r = client.get("/api/v1/analyst/areas/E01000001", headers={"X-API-Key": "test-key"})
    assert partner_violations(r.json(), [PARTNER_LAYER])


def test_walk_fails_on_a_leaky_build(fixture_build, monkeypatch):
    app = create_app(ApiSettings(region="fixture", data_dir=fixture_build))
    with TestClient(app) as c:
        build = app.state.watcher.get()
        body = orjson.loads(build.area_json("E01000007"))
        next(x for x in body["layers"] if x["id"] == PARTNER_LAYER)["count"] = 2
        leaky, honest = orjson.dumps(body), build.area_json
        monkeypatch.setattr(
            build, "area_json", lambda code: leaky if code == "E01000007" else honest(code)
        )
        with pytest.raises(AssertionError, match="E01000007"):
            walk_public(c, zoom=12)


# --------------------------------------------------------------------------- the walks


def test_fixture_build_public_endpoints_are_safe(client):
    counts = walk_public(client, zoom=12, postcodes_per_lsoa=3)
    assert counts["areas"] == 12 + 4 + 2
    assert counts["postcodes"] == 38 and counts["tiles"] >= 1  # 36 live, 2 terminated


@pytest.fixture(scope="module")
def real_client():
    from conftest import SYNTHETIC_DATA_DIR, _built_synthetic

    # the West Midlands built with synthetic partner records at real home postcodes (as an
    # extract would be): built once, cached between runs
    _built_synthetic(REAL_REGION)
    app = create_app(
        ApiSettings(region=REAL_REGION, data_dir=SYNTHETIC_DATA_DIR, reload_interval=60)
    )
    with TestClient(app) as c:
        yield c


@pytest.mark.slow
def test_west_midlands_public_endpoints_never_disclose_small_counts(real_client):
    counts = walk_public(real_client, zoom=10)
    build = real_client.app.state.watcher.get()
    wards, districts = build.area_count(level="ward"), build.area_count(level="district")
    assert counts["areas"] == build.n_lsoa + wards + districts
    assert counts["postcodes"] >= build.n_lsoa
    assert counts["tiles"] >= 4
    # The build really has small partner counts, so the check above was not vacuous.
    small = [
        int(((build.lsoa_raw[f"n_{p}"] > 0) & (build.lsoa_raw[f"n_{p}"] < 8)).sum())
        for p in build.partner
        if f"n_{p}" in build.lsoa_raw.columns
    ]
    assert sum(small) > 0
