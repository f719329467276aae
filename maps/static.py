"""Static Folium maps of a build: region overview, one per district, hotspots, protective gap.

``write_maps(region)`` writes self-contained HTML files into ``<build>/maps/``:

- ``overview.html``: violence risk (expected offences, first) and the needs index by LSOA,
  with one layer per socio-ecological level
  (``level_<level>``) and the risk and protective indices, district outlines;
- ``district-<name>.html``: the same for each district, zoomed to it;
- ``hotspots.html``: significant Getis-Ord Gi* hot and cold spots (and local Moran clusters);
- ``protective-gap.html``: high risk (the Highest risk band) with little protective access
  (the Lowest protective band).

Each map has a legend, tooltips (name, band, rank interval, drivers in words and the
build's explanation), a postcode search that uses the build's own postcode table (a compact
``postcode -> [lat, lon, area]`` JSON embedded in the page; no outside geocoder), the
OGL/OS/OSM attribution, and a synthetic-data notice when the manifest says so.

Size: polygons are simplified in EPSG:27700 (25 m by default, shared edges kept), projected to
EPSG:4326 with five decimals and embedded once per map however many themes draw them; the
canvas renderer is used (``prefer_canvas``) and no base tiles are needed. Leaflet is inlined,
so the files open offline. Disclosure: only the public view of the build is drawn
(:func:`sna.disclosure.public_tables.public_lsoa_table`), and of it only bands, ranks, deciles,
drivers in
words and hotspot labels: never partner counts or rates.

Folium is imported lazily (inside the functions), so ``import maps`` stays light.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sna import PublicBuild, load_public_build
from sna.config.region import OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION

from ._specs import district_stem, map_specs
from ._themes import (
    Theme,
    feature_properties,
    features_geojson,
    outlines_geojson,
    postcode_index,
    simplified_wgs84,
)

__all__ = ["MAX_BYTES", "build_maps", "write_maps", "district_filename"]

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
"""Every map file should stay under 5 MB (a warning is logged if one does not)."""


def _require_folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        raise ImportError(
            "The static maps need folium (and branca). Install them with "
            "`pip install 'folium>=0.17'` or install the project: `pip install -e .`. "
            f"Original error: {exc}"
        ) from exc
    return folium


def district_filename(name: str) -> str:
    """``district-<slug>.html`` for a district name (``Birmingham`` -> ``district-birmingham``)."""
    return f"{district_stem(name)}.html"


class _Context:
    """What every map of one build shares: properties, simplified polygons, postcodes."""

    def __init__(self, build: PublicBuild, tolerance_m: float) -> None:
        self.build = build
        self.props = feature_properties(build)
        self.geoms = simplified_wgs84(build.lsoa.geometry, tolerance_m)
        self.codes = build.lsoa["lsoa21_code"].astype(str).to_numpy()
        self.district_codes = build.lsoa["district_code"].astype(str).to_numpy()
        self.postcodes = build.postcodes()
        self.tolerance_m = tolerance_m
        self.n = len(self.props)
        created = str(build.manifest.get("created", ""))[:4]
        year = created if created.isdigit() else str(datetime.now().year)
        self.attribution = [OGL, f"{OS_ATTRIBUTION} {year}", OSM_ATTRIBUTION]
        held = [
            f"{d.get('title', d['id'])} ({d.get('status', 'not included')})"
            for d in build.manifest.get("awaiting_layers", [])
        ]
        if held:  # listed, with their status: they carry weight 0 in this map
            self.attribution.append("Not included (weight 0): " + "; ".join(held))

    def notice(self) -> str:
        if not self.build.synthetic:
            return ""
        titles = self.build.titles
        names = [titles.get(x, x) for x in self.build.synthetic_layers]
        which = f" ({'; '.join(names)})" if names else ""
        return (
            f"Partner-data layers{which} use seeded synthetic stand-ins, not real records. "
            "Do not use this map for operational decisions."
        )


def _make_map(
    ctx: _Context,
    *,
    title: str,
    subtitle: str,
    themes: list[Theme],
    mask: np.ndarray,
    area: str,
    outline_by: str | None,
    basemap: str | None,
    basemap_attribution: str | None,
) -> Any:
    folium = _require_folium()
    from ._elements import MapPanels, OutlineLayer, SharedData, ThemeLayer, inline_assets

    idx = np.flatnonzero(mask)
    geoms = ctx.geoms.iloc[idx]
    props = ctx.props.iloc[idx].reset_index(drop=True)
    feats = features_geojson(geoms, props)
    feature_of = {code: i for i, code in enumerate(ctx.codes[idx])}
    pcs = postcode_index(ctx.postcodes, feature_of)
    minx, miny, maxx, maxy = geoms.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_control="bottomleft",
        attribution_control=True,
    )
    m.get_root().title = f"{title}: {subtitle}"
    inline_assets(m)
    if basemap:
        folium.TileLayer(
            basemap,
            attr=basemap_attribution or "Basemap",
            name="Basemap",
            overlay=True,
            control=True,
            opacity=0.6,
        ).add_to(m)
    data = SharedData(feats, name="sna_features")
    m.add_child(data)
    postcodes = SharedData(pcs, name="sna_postcodes")
    m.add_child(postcodes)
    for i, theme in enumerate(themes):
        m.add_child(ThemeLayer(data, theme.to_js(), ctx.n, show=i == 0))
    if outline_by:
        sub = ctx.build.lsoa.iloc[idx]
        outlines = SharedData(outlines_geojson(sub, outline_by, ctx.tolerance_m), "sna_outlines")
        m.add_child(outlines)
        label = "District boundaries" if outline_by == "district_name" else "Ward boundaries"
        m.add_child(OutlineLayer(outlines, label))
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    example = next(iter(pcs), "")
    config = {
        "title": title,
        "subtitle": subtitle,
        "area": area,
        "examplePostcode": f"{example[:-3]} {example[-3:]}" if example else "B1 1AA",
        "hint": "Hover an area for its band and drivers; choose a theme in the layer list.",
        "attribution": ctx.attribution,
        "notice": ctx.notice(),
        "initialTheme": themes[0].to_js(),
    }
    m.add_child(MapPanels(data, postcodes, config))
    # keep the areas clear of the title panel (top left) and the legend (bottom right)
    m.fit_bounds(
        [[miny, minx], [maxy, maxx]], padding_top_left=(10, 40), padding_bottom_right=(240, 10)
    )
    return m


def build_maps(
    build: PublicBuild,
    *,
    districts: bool = True,
    tolerance_m: float = 25.0,
    basemap: str | None = None,
    basemap_attribution: str | None = None,
) -> dict[str, Any]:
    """Every static map of ``build`` as Folium maps, keyed by file name.

    Parameters
    ----------
    build : PublicBuild
        From :func:`sna.priority.places.load_public_build` (public view only).
    districts : bool
        Also make one map per district.
    tolerance_m : float
        Simplification tolerance in metres (EPSG:27700).
    basemap : str, optional
        A tile URL template (``https://.../{z}/{x}/{y}.png``) drawn under the areas; none by
        default, so the maps need no network.
    basemap_attribution : str, optional
        The basemap's attribution (required by most tile providers).

    Returns
    -------
    dict of str to folium.Map
    """
    _require_folium()
    ctx = _Context(build, tolerance_m)
    common = {"basemap": basemap, "basemap_attribution": basemap_attribution}
    return {
        f"{spec.stem}.html": _make_map(
            ctx,
            title=spec.title,
            subtitle=spec.subtitle,
            themes=spec.themes,
            mask=spec.mask,
            area=spec.area,
            outline_by=spec.outline_by,
            **common,
        )
        for spec in map_specs(build, districts=districts)
    }


def write_maps(
    region: str | Path,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    build: str | Path | None = None,
    districts: bool = True,
    tolerance_m: float = 25.0,
    basemap: str | None = None,
    basemap_attribution: str | None = None,
) -> list[Path]:
    """Write the static maps of a region's current build; one call for ``sna maps --region R``.

    Parameters
    ----------
    region : str or Path
        Region id or region TOML path.
    data_dir : Path, optional
        Data directory (default ``$SNA_DATA_DIR`` or ``./data``).
    out_dir : Path, optional
        Output folder (default ``<build>/maps``).
    build : str or Path, optional
        A build id or folder instead of the current build.
    districts, tolerance_m, basemap, basemap_attribution
        See :func:`build_maps`.

    Returns
    -------
    list of Path
        The HTML files written (overview first).

    Raises
    ------
    BuildNotFound
        When the region has no published build.
    ImportError
        When Folium is not installed (with the command to install it).
    """
    _require_folium()
    view = load_public_build(region, data_dir, build)
    folder = Path(out_dir) if out_dir else view.path / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    maps = build_maps(
        view,
        districts=districts,
        tolerance_m=tolerance_m,
        basemap=basemap,
        basemap_attribution=basemap_attribution,
    )
    for name, m in maps.items():
        path = folder / name
        m.save(str(path))
        size = path.stat().st_size
        if size > MAX_BYTES:
            log.warning("%s is %.1f MB, over the 5 MB budget", path, size / 1e6)
        written.append(path)
    return written
