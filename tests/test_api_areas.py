"""/api/v1/areas: one area, and the priority list as JSON, CSV and GeoJSON."""

from __future__ import annotations

import csv
import io

import pytest
from build_fixture import PARTNER_LAYER


@pytest.mark.parametrize(
    ("code", "level"), [("E01000003", "lsoa"), ("E05000002", "ward"), ("e08000025", "district")]
)
def test_area_levels(client, code, level):
    r = client.get(f"/api/v1/areas/{code}")
    assert r.status_code == 200
    body = r.json()["result"]
    assert body["level"] == level and body["code"] == code.upper()
    assert body["indices"]["need"]["band"]
    assert body["comparison"]["region"]["name"] == "Fixture Region"
    assert {x["id"] for x in body["layers"]} >= {PARTNER_LAYER, "income_deprivation"}
    assert body["drivers"] and body["explanation"]


def test_unknown_area_is_404(client):
    r = client.get("/api/v1/areas/E01999999")
    assert r.status_code == 404 and "E01999999" in r.json()["error"]


def test_priority_list_json(client):
    r = client.get("/api/v1/areas", params={"district": "Birmingham", "sort": "need", "limit": 3})
    assert r.status_code == 200
    body = r.json()["result"]
    assert body["total"] == 6 and len(body["items"]) == 3 and body["district"] == "E08000025"
    needs = [i["need"] for i in body["items"]]
    assert needs == sorted(needs, reverse=True)
    assert body["items"][0]["need_rank"] <= body["items"][1]["need_rank"]


def test_priority_list_csv(client):
    r = client.get("/api/v1/areas", params={"format": "csv", "level": "ward", "limit": 100})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 4 and {row["level"] for row in rows} == {"ward"}


def test_priority_list_geojson(client):
    r = client.get("/api/v1/areas", params={"format": "geojson", "district": "E08000026"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    gj = r.json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 6
    x, y = gj["features"][0]["geometry"]["coordinates"][0][0]
    assert -2 < x < -1.8 and 52.4 < y < 52.6


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "crime"},
        {"level": "county"},
        {"format": "xlsx"},
        {"limit": 0},
        {"limit": 10001},
        {"offset": -1},
        {"order": "up"},
    ],
)
def test_priority_list_bad_params_are_422(client, params):
    assert client.get("/api/v1/areas", params=params).status_code == 422


def test_priority_list_unknown_district_is_404(client):
    r = client.get("/api/v1/areas", params={"district": "Atlantis"})
    assert r.status_code == 404 and "Atlantis" in r.json()["error"]
