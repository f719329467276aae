"""sna.tiles.render: raster surface tiles, LSOA vector tiles and the tile cache."""

from __future__ import annotations

import io

import mapbox_vector_tile
import morecantile
import numpy as np
import pytest
from build_fixture import PARTNER_LAYER, REGION
from PIL import Image

from sna.builds.registry import open_build
from sna.tiles.render import (
    CLASS_COLOURS,
    EXTENT,
    TileCache,
    TileNotFound,
    check_tile,
    empty_png,
    render_surface_tile,
    surface_style,
)

TMS = morecantile.tms.get("WebMercatorQuad")
CENTRE = (-1.90, 52.476)  # inside the fixture grid, near the partner peak


@pytest.fixture(scope="module")
def build(fixture_build):
    return open_build(fixture_build / REGION / "builds" / "current")


def _rgba(png: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(png))
    assert img.size == (256, 256)
    return np.asarray(img.convert("RGBA"))


@pytest.mark.parametrize(("z", "x", "y"), [(-1, 0, 0), (23, 0, 0), (2, 4, 0), (2, 0, 4), (0, 1, 0)])
def test_check_tile_rejects_indices_outside_the_zoom(z, x, y):
    with pytest.raises(TileNotFound):
        check_tile(z, x, y)


def test_open_surface_uses_a_ramp_with_transparent_nodata(build):
    style = build.surfaces["faith_access"]
    assert not style.partner and style.vmax > style.floor > 0
    t = TMS.tile(*CENTRE, 13)
    rgba = _rgba(render_surface_tile(style, t.z, t.x, t.y))
    alpha = rgba[..., 3]
    assert alpha.max() > 0 and (alpha == 0).any()  # data inside, transparent outside
    assert len(np.unique(rgba[alpha > 0][:, :3], axis=0)) > 5  # a ramp, not classes


def test_partner_surface_is_five_classes_only(build):
    style = build.surfaces[PARTNER_LAYER]
    assert style.partner and len(style.breaks) == 4
    public = style.public()
    assert public["unit"] is None and all(
        not any(ch.isdigit() for ch in e["label"]) for e in public["legend"]
    )
    seen = set()
    for z in (12, 13, 14):
        t = TMS.tile(*CENTRE, z)
        rgba = _rgba(render_surface_tile(style, t.z, t.x, t.y))
        seen |= {tuple(int(v) for v in p) for p in rgba[rgba[..., 3] > 0]}
    assert seen <= set(CLASS_COLOURS) and len(seen) >= 3


def test_tile_outside_the_surface_is_empty(build):
    style = build.surfaces["faith_access"]
    png = render_surface_tile(style, 10, 0, 0)
    assert png == empty_png() and _rgba(png)[..., 3].max() == 0


def test_surface_style_reads_nodata(tmp_path, build):
    style = surface_style(build.surfaces["faith_access"].path, "x", partner=False)
    assert style.bounds[0] < CENTRE[0] < style.bounds[2]
    assert style.dataset.startswith("/vsimem/")


def test_area_vector_tile_has_quantised_lsoas_with_public_properties(build):
    t = TMS.tile(*CENTRE, 12)
    data = build.area_tiles.tile(t.z, t.x, t.y)
    tile = mapbox_vector_tile.decode(data)
    layer = tile["lsoa"]
    assert layer["extent"] == EXTENT
    assert len(layer["features"]) == 12
    props = layer["features"][0]["properties"]
    assert {"code", "need", "need_band", "need_decile", f"band_{PARTNER_LAYER}"} <= set(props)
    assert not [k for k in props if k.startswith(("n_", "v_", "raw_"))]
    for f in layer["features"]:
        coords = np.array(f["geometry"]["coordinates"][0], float)
        assert np.all(coords == np.round(coords))
        assert coords.min() >= -64 and coords.max() <= EXTENT + 64  # clipped with buffer


def test_area_tile_far_away_is_empty(build):
    assert build.area_tiles.tile(10, 0, 0) == b""


def test_high_zoom_tile_clips_polygons(build):
    t = TMS.tile(*CENTRE, 16)
    layer = mapbox_vector_tile.decode(build.area_tiles.tile(t.z, t.x, t.y))["lsoa"]
    assert 1 <= len(layer["features"]) <= 4


def test_tile_cache_is_lru():
    cache = TileCache(maxsize=2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now most recent
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1
    TileCache(maxsize=0).put("x", b"1")
