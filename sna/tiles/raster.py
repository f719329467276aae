"""Raster tiles of the kernel-density surfaces: colour scales, legends and PNG tiles.

Raster tiles are read with rio-tiler's :class:`~rio_tiler.io.Reader` on the WebMercatorQuad
grid of morecantile, then coloured with a lookup table and written as paletted PNGs. The
build's GeoTIFFs are in EPSG:27700; each is warped once, when the build is loaded, to an
in-memory EPSG:3857 copy that the reader tiles. (Reading the British National Grid file
directly makes rio-tiler set up an OSGB36-to-WGS84 PROJ pipeline for every tile, about 100 ms
a tile; the warped copy tiles in a few milliseconds.) Surfaces built from partner data are
shown only as five equal-count classes (:data:`CLASS_LABELS`), never as a continuous ramp, so
no exact partner rate can be read off the map; the legend of such a layer carries class names,
not numbers.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.io import MemoryFile
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
from rio_tiler.io import Reader

from sna.tiles.grid import TILE_SIZE, WEB_MERCATOR, check_tile
from sna.tiles.specs import SurfaceStyle

__all__ = [
    "CLASS_LABELS",
    "CLASS_COLOURS",
    "RAMP_COLOURS",
    "SurfaceStyle",
    "surface_style",
    "render_surface_tile",
    "empty_png",
]

#: Class names of partner-data surfaces, lowest first (the legend shows these, not numbers).
CLASS_LABELS: tuple[str, ...] = ("Lowest", "Low", "Medium", "High", "Highest")


#: RGBA colours of the five classes (ColorBrewer YlOrRd-5, lowest class half transparent).
CLASS_COLOURS: tuple[tuple[int, int, int, int], ...] = (
    (255, 255, 178, 110),
    (254, 204, 92, 170),
    (253, 141, 60, 200),
    (240, 59, 32, 220),
    (189, 0, 38, 235),
)


#: Stops of the continuous ramp (YlOrRd), low to high.
RAMP_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 255, 204),
    (255, 237, 160),
    (254, 217, 118),
    (254, 178, 76),
    (253, 141, 60),
    (252, 78, 42),
    (227, 26, 28),
    (189, 0, 38),
    (128, 0, 38),
)


def _ramp_lut() -> np.ndarray:
    """A 256 x 4 RGBA lookup table: index 0 transparent, 1..255 along :data:`RAMP_COLOURS`."""
    stops = np.array(RAMP_COLOURS, float)
    pos = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, 255)
    lut = np.zeros((256, 4), np.uint8)
    for ch in range(3):
        lut[1:, ch] = np.round(np.interp(t, pos, stops[:, ch]))
    # Low densities fade in so that the base map (or the LSOA layer) shows through.
    lut[1:, 3] = np.round(np.interp(t, [0, 0.25, 1], [60, 190, 235]))
    return lut


def _class_lut() -> np.ndarray:
    lut = np.zeros((256, 4), np.uint8)
    for i, rgba in enumerate(CLASS_COLOURS, start=1):
        lut[i] = rgba
    return lut


_RAMP_LUT = _ramp_lut()


_CLASS_LUT = _class_lut()


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def _warp_to_web_mercator(path: Path) -> MemoryFile:
    """An in-memory, tiled EPSG:3857 copy of a surface (bilinear, nodata kept)."""
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds
        )
        nodata = src.nodata if src.nodata is not None else np.nan
        profile = {
            "driver": "GTiff",
            "dtype": "float32",
            "count": 1,
            "crs": "EPSG:3857",
            "transform": transform,
            "width": width,
            "height": height,
            "nodata": nodata,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
        }
        mem = MemoryFile()
        with mem.open(**profile) as dst:
            reproject(
                rasterio.band(src, 1),
                rasterio.band(dst, 1),
                src_nodata=src.nodata,
                dst_nodata=nodata,
                resampling=Resampling.bilinear,
            )
    return mem


def surface_style(
    path: Path, layer: str, *, partner: bool, unit: str | None = None
) -> SurfaceStyle:
    """Read a surface once and derive its colour scale.

    Open-data surfaces use a continuous ramp from ``floor`` to ``vmax`` (the 99th
    percentile of positive cells, so a few extreme cells do not wash out the rest).
    Partner surfaces use five equal-count classes of the positive cells: the boundaries are
    the 20th, 40th, 60th and 80th percentiles, and only the class names are published.
    """
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype("float64")
        bounds = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    values = data.compressed()
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if positive.size == 0:
        positive = np.array([1.0])
    # Kernel-density tails are tiny but positive everywhere: below 1% of the top value is
    # treated as "no events nearby" and left transparent.
    vmax = float(np.percentile(positive, 99)) or 1.0
    floor = vmax * 0.01
    shown = positive[positive > floor]
    if partner:
        if shown.size == 0:
            shown = positive
        breaks = tuple(float(b) for b in np.percentile(shown, [20, 40, 60, 80]))
        legend = tuple(
            {"label": lab, "colour": _hex(rgba)}
            for lab, rgba in zip(CLASS_LABELS, CLASS_COLOURS, strict=True)
        )
    else:
        breaks = ()
        stops = np.linspace(floor, vmax, 5)
        idx = np.linspace(1, 255, 5).astype(int)
        legend = tuple(
            {"label": f"{v:.3g}", "colour": _hex(_RAMP_LUT[i])}
            for v, i in zip(stops, idx, strict=True)
        )
    mem = _warp_to_web_mercator(Path(path))
    style = SurfaceStyle(
        layer,
        Path(path),
        partner,
        vmax,
        floor,
        breaks,
        legend,
        tuple(bounds),
        **({"unit": unit} if unit else {}),
        dataset=mem.name,
        _memfile=mem,
    )
    weakref.finalize(style, mem.close)
    return style


def _png(idx: np.ndarray, lut: np.ndarray) -> bytes:
    """A paletted PNG of lookup-table indices, with per-entry alpha (tRNS)."""
    img = Image.fromarray(idx, mode="P")
    img.putpalette(lut[:, :3].tobytes())
    buf = io.BytesIO()
    img.save(buf, "PNG", transparency=lut[:, 3].tobytes(), compress_level=6)
    return buf.getvalue()


@lru_cache(maxsize=4)
def empty_png(tilesize: int = TILE_SIZE) -> bytes:
    """A fully transparent PNG tile (for tiles outside a surface)."""
    return _png(np.zeros((tilesize, tilesize), np.uint8), _CLASS_LUT)


def _classify(values: np.ndarray, style: SurfaceStyle) -> np.ndarray:
    """Lookup-table indices: 0 transparent, 1..5 classes or 1..255 along the ramp."""
    if style.partner:
        idx = np.digitize(values, style.breaks) + 1
    else:
        span = max(style.vmax - style.floor, 1e-12)
        idx = np.clip(np.round((values - style.floor) / span * 254) + 1, 1, 255)
    idx = np.where(np.isfinite(values) & (values > style.floor), idx, 0)
    return idx.astype(np.uint8)


def render_surface_tile(
    style: SurfaceStyle, z: int, x: int, y: int, tilesize: int = TILE_SIZE
) -> bytes:
    """One PNG tile of a surface on the WebMercatorQuad grid.

    Cells outside the region (nodata) and cells with no events nearby are transparent;
    tiles that do not touch the surface are the shared :func:`empty_png`.

    Raises
    ------
    TileNotFound
        When the tile index does not exist at zoom ``z``.
    """
    check_tile(z, x, y)
    with Reader(style.dataset or str(style.path), tms=WEB_MERCATOR) as src:
        if not src.tile_exists(x, y, z):
            return empty_png(tilesize)
        img = src.tile(x, y, z, tilesize=tilesize, resampling_method="bilinear")
    band = img.array[0]
    values = np.ma.filled(band.astype("float64"), np.nan)
    idx = _classify(values, style)
    if not idx.any():
        return empty_png(tilesize)
    return _png(idx, _CLASS_LUT if style.partner else _RAMP_LUT)
