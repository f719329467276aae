"""/tiles: PNG surfaces and MVT areas, with ETag, Cache-Control and the LRU cache."""

from __future__ import annotations

import io

import mapbox_vector_tile
import morecantile
import pytest
from build_fixture import BUILD_ID, PARTNER_LAYER
from PIL import Image

T = morecantile.tms.get("WebMercatorQuad").tile(-1.90, 52.476, 13)
T12 = morecantile.tms.get("WebMercatorQuad").tile(-1.90, 52.476, 12)


@pytest.mark.parametrize("layer", ["faith_access", PARTNER_LAYER])
def test_png_tile(client, layer):
    r = client.get(f"/tiles/{layer}/{T.z}/{T.x}/{T.y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["etag"] and "max-age=3600" in r.headers["cache-control"]
    img = Image.open(io.BytesIO(r.content)).convert("RGBA")
    assert img.size == (256, 256) and img.getextrema()[3][1] > 0


def test_vector_tile(client):
    r = client.get(f"/tiles/areas/{T12.z}/{T12.x}/{T12.y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features = mapbox_vector_tile.decode(r.content)["lsoa"]["features"]
    assert len(features) == 12


def test_etag_gives_304_and_cache_hits(client, fixture_app):
    url = f"/tiles/areas/{T.z}/{T.x + 0}/{T.y}.pbf"
    first = client.get(url)
    cache = fixture_app.state.tile_cache
    hits = cache.hits
    again = client.get(url)
    assert again.content == first.content and cache.hits == hits + 1
    r = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    assert first.headers["etag"].startswith(f'"{BUILD_ID}-')


def test_empty_tiles(client):
    r = client.get("/tiles/areas/10/0/0.pbf")
    assert r.status_code == 200 and r.content == b""
    r = client.get("/tiles/faith_access/10/0/0.png")
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.content)).convert("RGBA").getextrema()[3] == (0, 0)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tiles/areas/3/8/0.pbf", 404),
        ("/tiles/areas/23/0/0.pbf", 422),
        ("/tiles/areas/-1/0/0.pbf", 422),
        ("/tiles/areas/a/0/0.pbf", 422),
        ("/tiles/nope/1/0/0.png", 404),
        ("/tiles/child_poverty/1/0/0.png", 404),
        ("/tiles/faith_access/2/0/9.png", 404),
    ],
)
def test_bad_tiles(client, url, status):
    r = client.get(url)
    assert r.status_code == status
    assert r.json()["error"]
