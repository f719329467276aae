"""``GET /api/v1/outcomes``: the fixture build's answer, a build without outcomes, and the
West Midlands built with the disclosure tests' partner extract (slow)."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings


def test_outcomes_in_the_postcodes_io_envelope_with_units_and_sources(client):
    r = client.get("/api/v1/outcomes")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == 200
    result = body["result"]
    ids = [m["id"] for m in result["measures"]]
    assert ids == ["knife_enabled_serious_violence", "homicide", "hospital_sharp_object_assault"]
    for m in result["measures"][:2]:
        assert m["unit"] and m["rate_unit"] == "per 100,000 residents"
        wm = m["series"][0]
        assert wm["code"] == "E23000014" and len(wm["points"]) == 2
        assert all(p["period_start"] and p["period_end"] and p["edition"] for p in wm["points"])
    hospital = result["measures"][2]
    assert hospital["status"] == "awaiting partner data" and hospital["years"] == []
    assert result["sources"][0]["name"].startswith("ONS, Crime in England and Wales")
    assert r.headers["etag"].startswith('W/"')
    assert (
        client.get("/api/v1/outcomes", headers={"If-None-Match": r.headers["etag"]}).status_code
        == 304
    )
    schema = client.get("/openapi.json").json()
    ref = schema["paths"]["/api/v1/outcomes"]["get"]["responses"]["200"]
    assert "Outcomes" in str(ref)


def test_a_build_without_outcomes_is_a_404_that_says_why(fixture_build, tmp_path):
    from build_fixture import REGION

    copy = tmp_path / "data"
    shutil.copytree(fixture_build, copy, symlinks=True)
    import sqlite3

    current = copy / REGION / "builds" / "current"
    con = sqlite3.connect(current.resolve() / "answers.sqlite")
    con.execute("DELETE FROM meta WHERE key = 'outcomes'")
    con.commit()
    con.close()
    with TestClient(create_app(ApiSettings(region=REGION, data_dir=copy))) as c:
        r = c.get("/api/v1/outcomes")
    assert r.status_code == 404
    assert "has no outcome series" in r.json()["error"]


@pytest.mark.slow
@pytest.mark.xdist_group("partner_extract")
def test_west_midlands_with_the_partner_extract_publishes_no_year_below_8(
    wm_store, tmp_path_factory
):
    from partner_extract import design, extract_config, write_extract

    from sna.build.pipeline import build_region

    root = tmp_path_factory.mktemp("outcomes-extract")
    d = design(wm_store.read("postcodes"), wm_store.read("lsoa21"))
    csv = write_extract(d, root / "partner" / "hospital.csv")
    build_region(extract_config(csv), data_dir=root)
    with TestClient(create_app(ApiSettings(region="west-midlands", data_dir=root))) as c:
        result = c.get("/api/v1/outcomes").json()["result"]
    ids = [m["id"] for m in result["measures"]]
    assert ids == ["knife_enabled_serious_violence", "homicide", "hospital_sharp_object_assault"]
    knife = result["measures"][0]["series"][0]
    assert knife["code"] == "E23000014"
    assert {p["label"]: p["count"] for p in knife["points"]}["year ending March 2018"] == 2850
    assert knife["latest"]["count"] == 3624
    hospital = result["measures"][2]
    assert hospital["status"] == "published"
    years = hospital["years"]
    assert years, "the extract's years are listed"
    published = [y[k] for y in years for k in ("all_ages", "under_25") if y[k] is not None]
    assert published and all(n == 0 or n >= 8 for n in published)
    # the extract really has a small year (Jan-Mar 2023), so the rule was exercised
    assert any(y["all_ages_suppressed"] for y in years)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_west_midlands_build_without_an_extract_is_awaiting_partner_data(real_build_dir):
    data_dir = real_build_dir("west-midlands")
    with TestClient(create_app(ApiSettings(region="west-midlands", data_dir=data_dir))) as c:
        result = c.get("/api/v1/outcomes").json()["result"]
    m = {x["id"]: x for x in result["measures"]}
    assert m["hospital_sharp_object_assault"]["status"] == "awaiting partner data"
    assert m["knife_enabled_serious_violence"]["series"][-1]["code"] == "K04000001"
    assert result["police_uk"]["available"] is False
