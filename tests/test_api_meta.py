"""Layers, builds, health, readiness, analyst access, docs, the map page and reloading."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from build_fixture import BUILD_ID, PARTNER_LAYER, REGION, make_fixture_build
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings

STATIC = Path(__file__).resolve().parents[1] / "api" / "static"


def test_layers(client):
    body = client.get("/api/v1/layers").json()["result"]
    layers = {x["id"]: x for x in body["layers"]}
    assert body["build_id"] == BUILD_ID
    p = layers[PARTNER_LAYER]
    assert p["synthetic"] and p["partner"] and p["display"] == "band" and p["notice"]
    assert p["surface"]["tiles"] == f"/tiles/{PARTNER_LAYER}/{{z}}/{{x}}/{{y}}.png"
    assert layers["income_deprivation"]["vintage"] == "IoD2025"
    assert layers["income_deprivation"]["level"] == "society"


def test_builds(client):
    body = client.get("/api/v1/builds").json()["result"]
    assert body["build_id"] == BUILD_ID and body["region"] == REGION
    assert body["synthetic_layers"] == [PARTNER_LAYER]
    assert body["n_lsoa"] == 12 and body["n_postcodes"] == 38  # 36 live, 2 terminated
    assert [b["build_id"] for b in body["builds"]] == [BUILD_ID]
    assert "path" not in str(body["builds"]) and len(body["bounds"]) == 4


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": 200, "result": {"status": "ok"}}
    # the build loads in the background: poll as a readiness probe would
    deadline = time.monotonic() + 60
    r = client.get("/ready")
    while r.status_code == 503 and time.monotonic() < deadline:
        assert r.json()["status"] == 503 and r.json()["error"].startswith(("loading", "unav"))
        time.sleep(0.2)
        r = client.get("/ready")
    assert r.status_code == 200 and r.json()["result"]["build_id"] == BUILD_ID


def test_ready_is_503_without_a_build(tmp_path):
    app = create_app(ApiSettings(region="nowhere", data_dir=tmp_path))
    with TestClient(app) as c:
        r = c.get("/ready")
        assert r.status_code == 503 and "no published build" in r.json()["error"]
        assert c.get("/health").status_code == 200
        r = c.get("/api/v1/postcodes/B1%201AB")
        assert r.status_code == 503 and "sna build" in r.json()["error"]


def test_analyst_needs_the_key(client):
    url = "/api/v1/analyst/areas/E01000001"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"X-API-Key": "wrong"}).status_code == 401
    r = client.get(url, headers={"X-API-Key": "test-key"})
    assert r.status_code == 200 and r.json()["result"]["layers"][PARTNER_LAYER]["count"] == 3
    r = client.get("/api/v1/analyst/postcodes/b11ab", headers={"X-API-Key": "test-key"})
    assert r.status_code == 200 and r.json()["result"]["raw"][f"local_{PARTNER_LAYER}"] is not None
    r = client.get("/api/v1/analyst/areas/E01999999", headers={"X-API-Key": "test-key"})
    assert r.status_code == 404


def test_analyst_disabled_without_configured_key(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build))
    with TestClient(app) as c:
        r = c.get("/api/v1/analyst/areas/E01000001", headers={"X-API-Key": ""})
        assert r.status_code == 401 and "disabled" in r.json()["error"]


def test_api_key_from_environment(monkeypatch, fixture_build):
    monkeypatch.setenv("SNA_API_KEY", "env-key")
    monkeypatch.setenv("SNA_API_REGION", REGION)
    monkeypatch.setenv("SNA_DATA_DIR", str(fixture_build))
    settings = ApiSettings()
    assert settings.api_key.get_secret_value() == "env-key"
    assert settings.region == REGION and settings.data_dir == fixture_build


def test_settings_reject_bad_basemap():
    with pytest.raises(ValueError, match="basemap_url"):
        ApiSettings(basemap_url="javascript:alert(1)")
    assert ApiSettings(cors_origins="http://a, http://b").cors_origins == ["http://a", "http://b"]


def test_docs_and_openapi(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Swagger UI comes from this app, not a CDN: the docs work offline
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/v1/postcodes/{postcode}",
        "/api/v1/postcodes",
        "/api/v1/areas/{code}",
        "/api/v1/areas",
        "/api/v1/layers",
        "/api/v1/builds",
        "/tiles/{layer}/{z}/{x}/{y}.png",
        "/tiles/areas/{z}/{x}/{y}.pbf",
        "/health",
        "/ready",
    ):
        assert p in paths


def test_map_page_is_self_contained(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert 'name="viewport"' in html and 'id="postcode-input"' in html
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/static/"), src
        assert client.get(src).status_code == 200
    js = (STATIC / "app.js").read_text()
    assert "OGL" in js and "OpenStreetMap" in js and "Crown copyright" in js
    assert not re.search(r"https?://(?!www\.nationalarchives)", js)  # no outside requests


def test_map_page_with_basemap_allows_only_that_host(fixture_build):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build, basemap_url=url))
    with TestClient(app) as c:
        r = c.get("/")
        assert "https://tiles.example.org" in r.headers["content-security-policy"]
        assert url in r.text


def test_app_reloads_a_newly_published_build(tmp_path):
    make_fixture_build(tmp_path)
    app = create_app(ApiSettings(region=REGION, data_dir=tmp_path, reload_interval=0))
    with TestClient(app) as c:
        assert c.get("/api/v1/builds").json()["result"]["build_id"] == BUILD_ID
        make_fixture_build(tmp_path, "20250202T000000Z", shift=0.5)
        deadline = time.monotonic() + 30
        seen = BUILD_ID
        while seen == BUILD_ID and time.monotonic() < deadline:
            seen = c.get("/api/v1/postcodes/B1%201AB").json()["result"]["build_id"]
            time.sleep(0.05)
        assert seen == "20250202T000000Z"
        builds = c.get("/api/v1/builds").json()["result"]["builds"]
        assert [b["current"] for b in builds] == [True, False]
