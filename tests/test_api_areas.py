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


def test_priority_list_says_what_it_is_sorted_by_and_explains_that(client):
    body = client.get("/api/v1/areas", params={"limit": 100}).json()["result"]
    by = body["sorted_by"]
    assert body["sort"] == by["id"] == "violence_risk" and by["order"] == "highest first"
    assert by["title"] == "Violence risk" and by["unit"] == "offences a year"
    assert by["provenance"] == "forecast" and "next 12 months" in by["measures"]
    assert by["explained_by"] == ["violence_risk_drivers", "violence_risk_explanation"]
    values = [i["violence_risk"] for i in body["items"]]
    assert values == sorted(values, reverse=True)
    for item in body["items"]:
        # violence risk is explained by its own drivers, the needs index by its own
        assert "drivers" not in item and "explanation" not in item
        assert item["violence_risk_explanation"].startswith("About ")
        for part in filter(None, item["violence_risk_drivers"].split("; ")):
            assert "raises it by a factor of" in part
        assert "factor of" not in item["need_drivers"]
    need = client.get("/api/v1/areas", params={"sort": "need", "order": "asc"}).json()["result"]
    assert need["sorted_by"]["explained_by"] == ["need_drivers", "need_explanation"]
    assert need["sorted_by"]["order"] == "lowest first"
    assert need["sorted_by"]["unit"] == "standardised score (0 = regional average)"
    named = client.get("/api/v1/areas", params={"sort": "name", "order": "asc"}).json()
    assert named["result"]["sorted_by"]["order"] == "A to Z"


def test_the_list_shows_the_needs_index_once_where_risk_is_the_same(client):
    """The fixture subtracts no protective access (need_lambda 0), so risk = need exactly:
    the list does not show the same numbers twice under two names."""
    body = client.get("/api/v1/areas", params={"limit": 100, "sort": "risk"}).json()["result"]
    assert "same as the needs index" in body["sorted_by"]["measures"]
    assert body["sorted_by"]["columns"][0] == "need"
    for item in body["items"]:
        assert not {"risk", "risk_rank", "risk_decile", "risk_band"} & set(item)
        assert {"need", "need_band", "protective_band"} <= set(item)
    by_need = client.get("/api/v1/areas", params={"limit": 100, "sort": "need"}).json()
    assert [i["code"] for i in body["items"]] == [i["code"] for i in by_need["result"]["items"]]
    r = client.get("/api/v1/areas", params={"format": "csv", "limit": 100})
    header = next(csv.reader(io.StringIO(r.text)))
    assert "risk" not in header and "need_drivers" in header and "violence_risk_drivers" in header
