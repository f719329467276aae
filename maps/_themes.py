"""What the static maps draw, without Folium: themes, feature properties, geometry, postcodes.

Every map embeds the LSOA polygons once and draws several *themes* from them (one Leaflet
layer per theme in the layer control). A theme colours each LSOA by a class stored in the
feature's properties: the band (a fifth of the region's neighbourhoods) for violence risk, the
indices and the socio-ecological levels, coloured and labelled from the one theme table the
public map uses (:mod:`sna.theme`), or a category for hotspots and the protective gap. Classes
are computed on the whole region so a district map uses the same colours as the overview.

Only public columns are read (the caller passes :class:`sna.priority.places.PublicBuild`, whose
table went through :func:`sna.disclosure.public_tables.public_lsoa_table`), and of those only
names, bands,
ranks, drivers in words, the explanation and hotspot labels reach the HTML: no values of
partner layers, no counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sna import PublicBuild
from sna.stats.ranking import band_of_decile, deciles
from sna.theme import BAND_COLOURS, BAND_NOTE, BANDS, NO_DATA, Palette, band_label, band_legend

__all__ = [
    "Theme",
    "band_theme",
    "overview_themes",
    "hotspot_themes",
    "gap_themes",
    "feature_properties",
    "simplified_wgs84",
    "features_geojson",
    "outlines_geojson",
    "postcode_index",
    "GAP_RISK_BANDS",
    "GAP_PROTECTIVE_BANDS",
]

NOT_SIGNIFICANT = "#f2f2f2"
GAP_RISK_BANDS = ("Highest",)
"""Risk bands counted as high risk on the protective-gap map (the top fifth)."""
GAP_PROTECTIVE_BANDS = ("Lowest",)
"""Protective bands counted as little protective access (the bottom fifth)."""


@dataclass(frozen=True)
class Theme:
    """One way of colouring the LSOAs: a layer in the map's layer control.

    ``key`` names the feature property holding each LSOA's class; ``colors`` maps a class
    (as a string) to a fill colour and ``legend`` lists ``(colour, label)`` rows in order.
    ``line`` is the tooltip line, with ``{label}`` replaced by the class label.
    """

    key: str
    title: str
    legend_title: str
    colors: dict[str, str]
    legend: list[tuple[str, str]]
    labels: dict[str, str]
    line: str
    note: str = ""
    opacity: float = 0.78
    default_color: str = NO_DATA
    meta: dict[str, Any] = field(default_factory=dict)

    def to_js(self) -> dict[str, Any]:
        """The theme as the map's JavaScript reads it."""
        return {
            "key": self.key,
            "title": self.title,
            "legendTitle": self.legend_title,
            "colors": self.colors,
            "legend": [[c, label] for c, label in self.legend],
            "labels": self.labels,
            "line": self.line,
            "note": self.note,
            "opacity": self.opacity,
            "defaultColor": self.default_color,
        }


def band_theme(key: str, title: str, region: str, line: str, palette: Palette = "risk") -> Theme:
    """A theme of the five bands, drawn and labelled from the one theme table
    (:mod:`sna.theme`), as the public map draws them."""
    return Theme(
        key=key,
        title=title,
        legend_title=f"{title}: bands across {region}",
        colors=dict(BAND_COLOURS[palette]),
        legend=band_legend(palette),
        labels={b: band_label(b) for b in BANDS},
        line=line,
        note=f"{BAND_NOTE}.",
    )


LEVEL_TITLES = {
    "individual": "Individual level",
    "relationship": "Relationship level",
    "community": "Community level",
    "society": "Society level",
}


def overview_themes(build: PublicBuild) -> list[Theme]:
    """Violence risk (first, where the build has it), needs, risk (where it differs from the
    needs index), protective and the levels: every one in the five bands of the public map."""
    region = build.region_name
    themes = []
    if "violence_risk_band" in build.lsoa.columns:
        themes.append(band_theme("k_violence", "Violence risk", region, "Violence risk: {label}"))
    themes.append(band_theme("k_need", "Needs index", region, "Needs index: {label}"))
    if not build.need_is_risk:  # with nothing subtracted the risk index is the needs index
        themes.append(band_theme("k_risk", "Risk index", region, "Risk index: {label}"))
    themes.append(
        band_theme(
            "k_protective",
            "Protective factors",
            region,
            "Protective factors: {label}",
            palette="protective",
        )
    )
    for lv in build.levels:
        t = LEVEL_TITLES.get(lv, lv.capitalize())
        themes.append(band_theme(f"k_level_{lv}", f"{t} risk", region, f"{t} risk: {{label}}"))
    return themes


def hotspot_themes(build: PublicBuild) -> list[Theme]:
    """Getis-Ord Gi* hot and cold spots, and local Moran clusters when the build has them."""
    themes = [
        Theme(
            key="k_gi",
            title="Hot and cold spots (Gi*)",
            legend_title="Getis-Ord Gi* of need (FDR 5%)",
            colors={"hot": "#c8102e", "cold": "#2166ac", "not significant": NOT_SIGNIFICANT},
            legend=[
                ("#c8102e", "Hot spot: high need among high-need neighbours"),
                ("#2166ac", "Cold spot: low need among low-need neighbours"),
                (NOT_SIGNIFICANT, "Not significant"),
            ],
            labels={"hot": "hot spot", "cold": "cold spot", "not significant": "not significant"},
            line="Gi* cluster: {label}",
            note="Significance after false-discovery-rate control (Benjamini-Hochberg).",
            default_color=NOT_SIGNIFICANT,
        )
    ]
    if "moran_label" in build.lsoa.columns:
        themes.append(
            Theme(
                key="k_moran",
                title="Clusters and outliers (local Moran)",
                legend_title="Local Moran's I of need (FDR 5%)",
                colors={
                    "HH": "#c8102e",
                    "HL": "#f4a582",
                    "LH": "#92c5de",
                    "LL": "#2166ac",
                    "not significant": NOT_SIGNIFICANT,
                },
                legend=[
                    ("#c8102e", "High need, high-need neighbours (HH)"),
                    ("#f4a582", "High need, low-need neighbours (HL)"),
                    ("#92c5de", "Low need, high-need neighbours (LH)"),
                    ("#2166ac", "Low need, low-need neighbours (LL)"),
                    (NOT_SIGNIFICANT, "Not significant"),
                ],
                labels={
                    "HH": "high-high cluster",
                    "HL": "high outlier among low",
                    "LH": "low outlier among high",
                    "LL": "low-low cluster",
                    "not significant": "not significant",
                },
                line="Local Moran: {label}",
                default_color=NOT_SIGNIFICANT,
            )
        )
    return themes


def gap_themes(build: PublicBuild) -> list[Theme]:
    """High risk with little protective access (the Highest risk band, the Lowest
    protective band)."""
    return [
        Theme(
            key="k_gap",
            title="Protective gap",
            legend_title="High risk and little protective access",
            colors={"2": "#54278f", "1": "#b4a7d6", "0": NOT_SIGNIFICANT},
            legend=[
                ("#54278f", "High risk (top fifth) and little protective access (bottom fifth)"),
                ("#b4a7d6", "High risk (top fifth), more protective access"),
                (NOT_SIGNIFICANT, "Other areas"),
            ],
            labels={
                "2": "high risk, little protective access",
                "1": "high risk, more protective access",
                "0": "not high risk",
            },
            line="Protective gap: {label}",
            note="Risk band Highest and protective band Lowest across the region.",
            default_color=NOT_SIGNIFICANT,
        )
    ]


def _int_or_none(v: Any) -> int | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v) else int(v)


def _band_classes(lsoa: pd.DataFrame, name: str) -> list[str | None]:
    """Each LSOA's band of ``name``: the ``<name>_band`` column, else the band of its
    ``<name>_decile`` (or of the deciles of ``<name>``); None without a value."""
    if f"{name}_band" in lsoa.columns and lsoa[f"{name}_band"].notna().any():
        return [None if pd.isna(b) else str(b) for b in lsoa[f"{name}_band"]]
    if f"{name}_decile" in lsoa.columns and lsoa[f"{name}_decile"].notna().any():
        dec = lsoa[f"{name}_decile"]
    elif name in lsoa.columns:
        dec = pd.Series(deciles(lsoa[name].to_numpy(float)), index=lsoa.index)
    else:
        return [None] * len(lsoa)
    return [None if (d := _int_or_none(v)) is None else band_of_decile(d) for v in dec]


def feature_properties(build: PublicBuild) -> pd.DataFrame:
    """The properties every map feature carries (one row per LSOA, build order).

    ``c`` code, ``n`` name, ``w`` ward, ``d`` district, ``nb``/``rb``/``pb`` need, risk and
    protective bands, ``nr``/``lo``/``hi`` need rank and its 5th-95th percentile interval,
    ``t`` drivers in words, ``x`` the explanation, ``ve``/``vr`` violence risk (expected
    offences, rounded) and its rank where the build has it, and the theme classes ``k_*``
    (band labels, as the public map's tiles carry them; ``k_gap`` 0-2; hotspot labels).
    """
    lsoa = build.lsoa
    n = len(lsoa)

    def col(name: str, default: Any = "") -> pd.Series:
        return lsoa[name] if name in lsoa.columns else pd.Series([default] * n, index=lsoa.index)

    props = pd.DataFrame(
        {
            "c": col("lsoa21_code").astype(str),
            "n": col("lsoa21_name").astype(str),
            "w": col("ward_name").fillna("").astype(str),
            "d": col("district_name").fillna("").astype(str),
            "nb": col("need_band").fillna("").astype(str),
            "rb": col("risk_band").fillna("").astype(str),
            "pb": col("protective_band").fillna("").astype(str),
            "nr": [_int_or_none(v) for v in col("need_rank", None)],
            "lo": [_int_or_none(v) for v in col("need_rank_lo", None)],
            "hi": [_int_or_none(v) for v in col("need_rank_hi", None)],
            "t": [build.driver_words(d) for d in col("drivers", None)],
            "x": col("explanation").fillna("").astype(str),
        },
        index=lsoa.index,
    )
    if "violence_risk" in lsoa.columns:
        props["ve"] = lsoa["violence_risk"].astype(float).round(0).to_numpy()
        props["vr"] = [_int_or_none(v) for v in lsoa["violence_risk_rank"]]
    # the theme classes are the build's own bands (as the public map's tiles carry them);
    # where a build has none (the levels), the band of the regional decile
    pairs = (("violence", "violence_risk"), ("need", "need"), ("risk", "risk"))
    for k, name in (*pairs, ("protective", "protective")):
        props[f"k_{k}"] = _band_classes(lsoa, name)
    for lv in build.levels:
        props[f"k_level_{lv}"] = _band_classes(lsoa, f"level_{lv}")
    props["k_gi"] = col("gi_label", "not significant").fillna("not significant").astype(str)
    props["k_moran"] = col("moran_label", "not significant").fillna("not significant").astype(str)
    high_risk = pd.Series(props["k_risk"]).isin(GAP_RISK_BANDS)
    low_prot = pd.Series(props["k_protective"]).isin(GAP_PROTECTIVE_BANDS)
    props["k_gap"] = np.where(high_risk & low_prot, 2, np.where(high_risk, 1, 0))
    return props.reset_index(drop=True)


def simplified_wgs84(
    geometry: gpd.GeoSeries, tolerance_m: float = 25.0, decimals: int = 5
) -> gpd.GeoSeries:
    """Simplify polygons in EPSG:27700, then project to EPSG:4326 and round coordinates.

    The simplification treats the LSOAs as a coverage (``shapely.coverage_simplify``) so
    neighbours keep a shared edge and no slivers open between them; if the polygons are not a
    valid coverage it falls back to simplifying each polygon alone. Five decimal places of a
    degree are about 1 m, below the precision of generalised boundaries.
    """
    geoms = geometry.to_crs(27700).reset_index(drop=True)
    try:
        simple = shapely.coverage_simplify(geoms.values, tolerance_m)
    except Exception:  # noqa: BLE001 - GEOS raises several types on an invalid coverage
        simple = shapely.simplify(geoms.values, tolerance_m, preserve_topology=True)
    wgs = gpd.GeoSeries(simple, crs=27700).to_crs(4326)
    rounded = shapely.transform(wgs.values, lambda c: np.round(c, decimals))
    rounded = shapely.make_valid(rounded)
    return gpd.GeoSeries(rounded, crs=4326)


def _geometry_json(geom: Any) -> dict[str, Any]:
    return shapely.geometry.mapping(geom)


def features_geojson(geoms: gpd.GeoSeries, props: pd.DataFrame) -> dict[str, Any]:
    """A FeatureCollection of ``geoms`` (EPSG:4326) with ``props`` (same order) as properties."""
    records = props.to_dict(orient="records")
    feats = []
    for geom, p in zip(geoms.values, records, strict=True):
        clean = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in p.items()}
        for k, v in clean.items():
            if isinstance(v, np.integer):
                clean[k] = int(v)
        feats.append({"type": "Feature", "geometry": _geometry_json(geom), "properties": clean})
    return {"type": "FeatureCollection", "features": feats}


def outlines_geojson(
    lsoa: gpd.GeoDataFrame, by: str = "district_name", tolerance_m: float = 25.0
) -> dict[str, Any]:
    """Dissolved outlines of ``lsoa`` grouped by ``by`` (EPSG:4326), for a context overlay."""
    groups = []
    for name, part in lsoa.groupby(by, sort=False):
        groups.append((str(name), shapely.coverage_union_all(part.geometry.values)))
    gs = gpd.GeoSeries([g for _, g in groups], crs=lsoa.crs)
    simple = simplified_wgs84(gs, tolerance_m)
    return features_geojson(simple, pd.DataFrame({"n": [n for n, _ in groups]}))


def postcode_index(
    postcodes: pd.DataFrame, feature_of: dict[str, int], decimals: int = 4
) -> dict[str, list[float | int]]:
    """``{"B11AY": [lat, lon, feature], ...}`` for live postcodes with coordinates.

    ``feature_of`` maps an LSOA code to the index of its feature in the map, so the search box
    can name the area a postcode is in; postcodes outside the map's features are left out.
    Four decimal places (about 10 m) are plenty to pan to a postcode and keep the file small.
    """
    pc = postcodes
    if "status" in pc.columns:
        pc = pc[pc["status"].fillna("live") == "live"]
    pc = pc.dropna(subset=["easting", "northing", "postcode"])
    pc = pc[pc["lsoa21_code"].isin(feature_of.keys())]
    if pc.empty:
        return {}
    pts = gpd.GeoSeries(gpd.points_from_xy(pc["easting"], pc["northing"]), crs=27700).to_crs(4326)
    lat = np.round(pts.y.to_numpy(), decimals)
    lon = np.round(pts.x.to_numpy(), decimals)
    keys = pc["postcode"].astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    feats = pc["lsoa21_code"].map(feature_of).to_numpy()
    return {
        k: [float(a), float(b), int(f)]
        for k, a, b, f in zip(keys.to_numpy(), lat, lon, feats, strict=True)
    }
