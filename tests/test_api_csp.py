"""The map page's content security policy allows exactly the configured base-map hosts."""

from __future__ import annotations

import pytest
from build_fixture import REGION
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.web import basemap_sources, content_security_policy
from api.settings import ApiSettings


def _img_src(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("img-src"))
    return directive.split()[1:]


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        # the bug: "tiles.data.example.org" became "tiles.dat*.example.org"
        ("https://tiles.data.example.org/{z}/{x}/{y}.png", ["https://tiles.data.example.org"]),
        ("https://a.tiles.example.org/{z}/{x}/{y}.png", ["https://a.tiles.example.org"]),
        ("http://localhost:8080/osm/{z}/{x}/{y}.png", ["http://localhost:8080"]),
        ("https://Tiles.Example.ORG:443/{z}/{x}/{y}.png", ["https://tiles.example.org:443"]),
        (
            "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            [
                "https://a.tile.example.org",
                "https://b.tile.example.org",
                "https://c.tile.example.org",
            ],
        ),
        (
            "https://tile-{s}.maps.example.org:8443/{z}/{x}/{y}{r}.png",
            [
                "https://tile-a.maps.example.org:8443",
                "https://tile-b.maps.example.org:8443",
                "https://tile-c.maps.example.org:8443",
            ],
        ),
        ("http://[::1]:8081/{z}/{x}/{y}.png", ["http://[::1]:8081"]),
        ("https://user:pw@tiles.example.org/{z}/{x}/{y}.png", ["https://tiles.example.org"]),
        ("/basemap/{z}/{x}/{y}.png", []),  # this origin: 'self' already allows it
        ("", []),
    ],
)
def test_basemap_sources_are_exactly_the_tile_hosts(url, hosts):
    assert basemap_sources(url) == hosts
    img = _img_src(content_security_policy(url))
    assert img == ["'self'", "data:", "blob:", *hosts]
    assert not any("*" in s for s in img)


@pytest.mark.parametrize(
    "url",
    [
        "https://{z}.tiles.example.org/{z}/{x}/{y}.png",
        "https://*.tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org:port/{z}/{x}/{y}.png",
    ],
)
def test_a_host_no_source_can_allow_exactly_is_a_settings_error(url):
    with pytest.raises(ValueError, match="basemap_url"):
        ApiSettings(basemap_url=url)


def test_the_served_page_allows_the_configured_host(fixture_build):
    url = "https://tiles.data.example.org:8443/{z}/{x}/{y}.png"
    attribution = "Example tiles, CC BY 4.0"
    app = create_app(
        ApiSettings(
            region=REGION,
            data_dir=fixture_build,
            basemap_url=url,
            basemap_attribution=attribution,
        )
    )
    with TestClient(app) as c:
        r = c.get("/")
        assert "https://tiles.data.example.org:8443" in _img_src(
            r.headers["content-security-policy"]
        )
        assert url in r.text and attribution in r.text
        # the API answers keep the strict default policy
        assert c.get("/health").headers["content-security-policy"] == "frame-ancestors 'none'"


def test_a_deployment_shows_openstreetmap_by_default_and_can_turn_it_off(fixture_build):
    from api.settings import DEFAULT_BASEMAP_ATTRIBUTION, DEFAULT_BASEMAP_URL

    on = ApiSettings(region=REGION, data_dir=fixture_build)
    assert on.basemap_url == DEFAULT_BASEMAP_URL
    assert on.basemap_attribution == DEFAULT_BASEMAP_ATTRIBUTION  # its licence asks for it
    with TestClient(create_app(on)) as c:
        r = c.get("/")
        assert _img_src(r.headers["content-security-policy"]) == [
            "'self'", "data:", "blob:", "https://tile.openstreetmap.org"
        ]  # fmt: skip
    off = ApiSettings(region=REGION, data_dir=fixture_build, basemap_url="")
    assert off.basemap_attribution == ""
    with TestClient(create_app(off)) as c:
        r = c.get("/")
        assert _img_src(r.headers["content-security-policy"]) == ["'self'", "data:", "blob:"]
    # another server's tiles keep their own attribution, not OpenStreetMap's
    other = ApiSettings(basemap_url="https://tiles.example.org/{z}/{x}/{y}.png")
    assert other.basemap_attribution == ""


def test_the_page_embeds_the_one_theme_table(client):
    import json
    import re

    from sna.theme import web_theme

    page = client.get("/").text
    config = json.loads(re.search(r'<script id="sna-config"[^>]*>(.*?)</script>', page, re.S)[1])
    assert config["theme"] == web_theme()
