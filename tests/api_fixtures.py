"""A small, fast build in the documented format (docs/build-format.md) for the API tests.

``make_fixture_build`` writes a 4 x 3 grid of 1 km square LSOA21s near Birmingham (two
districts, four wards), 3 live postcodes per LSOA plus one terminated postcode without a grid
reference, two kernel-density GeoTIFF surfaces (one partner, one not), a store with wards,
districts and community assets, and a manifest declaring four layers, one of them partner data
that is also synthetic. Partner counts include values from 1 to 7 so that disclosure control
has something to suppress.

Import the fixtures into a test module (``from api_fixtures import fixture_build, ...``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import Point, box

from sna.answers import write_answers
from sna.ranking import bands, deciles, rank_desc
from sna.store import publish_dir, staging_dir, write_table

__all__ = [
    "REGION",
    "BUILD_ID",
    "PARTNER_LAYER",
    "PARTNER_COUNTS",
    "LIVE_POSTCODE",
    "TERMINATED_POSTCODE",
    "make_fixture_build",
    "fixture_build",
    "fixture_settings",
    "fixture_app",
    "client",
    "partner_violations",
]

REGION = "fixture"
BUILD_ID = "20250101T000000Z"
PARTNER_LAYER = "hospital_assault_u25"
PARTNER_COUNTS = [0, 3, 7, 8, 12, 25, 1, 5, 40, 9, 2, 15]
LIVE_POSTCODE = "B1 1AB"
TERMINATED_POSTCODE = "B1 9ZZ"
ORIGIN = (405000.0, 285000.0)
NCOL, NROW = 4, 3
OGL = "Contains public sector information licensed under the Open Government Licence v3.0"

LAYERS = [
    {
        "id": PARTNER_LAYER,
        "title": "Hospital admissions for assault, under-25s",
        "description": "Emergency admissions for assault, ages 0-24, per 1,000 residents",
        "kind": "risk",
        "level": "individual",
        "table": "hospital_admissions",
        "measure": "count",
        "denominator": "pop_0_24",
        "partner": True,
        "surface": True,
        "period": "3 years",
        "weight": 1.0,
    },
    {
        "id": "child_poverty",
        "title": "Children in income-deprived families",
        "kind": "risk",
        "level": "relationship",
        "table": "iod2025",
        "measure": "count",
        "column": "idaci_numerator",
        "denominator": "pop_0_15",
        "period": "IoD2025",
        "weight": 1.0,
    },
    {
        "id": "income_deprivation",
        "title": "Income deprivation",
        "kind": "risk",
        "level": "society",
        "table": "iod2025",
        "measure": "column",
        "column": "income_score",
        "national": True,
        "period": "IoD2025",
        "weight": 1.0,
    },
    {
        "id": "faith_access",
        "title": "Places of worship within 1 km",
        "kind": "protective",
        "level": "community",
        "table": "assets",
        "measure": "access",
        "filter": "asset_type == 'place_of_worship'",
        "surface": True,
        "weight": 1.0,
    },
]
SPEC_DEFAULTS = {
    "description": "",
    "column": "",
    "filter": "",
    "denominator": "",
    "per": 1000.0,
    "radius_m": 1000.0,
    "direction": 1,
    "weight": 1.0,
    "period": "",
    "partner": False,
    "surface": False,
    "national": False,
}


def _areas() -> gpd.GeoDataFrame:
    rows = []
    for r in range(NROW):
        for c in range(NCOL):
            i = r * NCOL + c
            x0, y0 = ORIGIN[0] + c * 1000, ORIGIN[1] + r * 1000
            district = "E08000025" if c < 2 else "E08000026"
            rows.append(
                {
                    "lsoa21_code": f"E010{i:05d}",
                    "lsoa21_name": f"Fixture {i:03d}A",
                    "msoa21_name": f"Fixture {c:03d}",
                    "ward_code": f"E0500000{c + 1}",
                    "ward_name": f"Ward {'ABCD'[c]}",
                    "district_code": district,
                    "district_name": "Birmingham" if c < 2 else "Coventry",
                    "pop_total": 1500 + 37 * i,
                    "pop_0_15": 300 + 5 * i,
                    "pop_16_24": 200 + 3 * i,
                    "geometry": box(x0, y0, x0 + 1000, y0 + 1000),
                }
            )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")
    gdf["pop_0_24"] = gdf["pop_0_15"] + gdf["pop_16_24"]
    gdf["area_km2"] = gdf.geometry.area / 1e6
    return gdf


def _lsoa_table(areas: gpd.GeoDataFrame, shift: float) -> gpd.GeoDataFrame:
    n = len(areas)
    rng = np.random.default_rng(7)
    lsoa = areas.copy()
    counts = np.array(PARTNER_COUNTS, float)
    raw = counts / lsoa["pop_0_24"].to_numpy() * 1000
    values = {
        PARTNER_LAYER: raw * 0.9 + 0.5,
        "child_poverty": rng.uniform(50, 400, n),
        "income_deprivation": rng.uniform(0.05, 0.45, n),
        "faith_access": rng.uniform(0, 8, n),
    }
    lam = 0.5
    contrib = {}
    for spec in LAYERS:
        lid = spec["id"]
        v = values[lid]
        s = (v - v.mean()) / v.std() + shift
        lsoa[f"v_{lid}"] = v
        lsoa[f"s_{lid}"] = s
        c = -lam * s if spec["kind"] == "protective" else s
        contrib[lid] = c * 0.25
        lsoa[f"c_{lid}"] = contrib[lid]
    lsoa[f"n_{PARTNER_LAYER}"] = counts
    lsoa[f"raw_{PARTNER_LAYER}"] = raw
    lsoa["n_child_poverty"] = np.round(values["child_poverty"] * lsoa["pop_0_15"] / 1000)
    lsoa["raw_child_poverty"] = values["child_poverty"]
    lsoa["nd_income_deprivation"] = (np.arange(n) % 10) + 1
    for lv in ("individual", "relationship", "community", "society"):
        ids = [s["id"] for s in LAYERS if s["level"] == lv and s["kind"] == "risk"]
        lsoa[f"level_{lv}"] = sum((contrib[i] for i in ids), np.zeros(n))
    lsoa["risk"] = sum(contrib[s["id"]] for s in LAYERS if s["kind"] == "risk")
    lsoa["protective"] = lsoa["s_faith_access"] * 0.25
    lsoa["need"] = sum(contrib.values())
    for k in ("risk", "protective", "need"):
        vals = lsoa[k].to_numpy()
        rank = rank_desc(vals)
        lsoa[f"{k}_rank"] = rank
        lsoa[f"{k}_decile"] = deciles(vals)
        lsoa[f"{k}_band"] = bands(vals)
        lsoa[f"{k}_rank_lo"] = np.maximum(rank - 2, 1)
        lsoa[f"{k}_rank_median"] = rank
        lsoa[f"{k}_rank_hi"] = np.minimum(rank + 2, n)
        lsoa[f"{k}_p_top_decile"] = np.clip(1 - (rank - 1) / 3, 0, 1)
        lsoa[f"{k}_decile_confidence"] = 0.8
    # violence risk, laid out as the build's violence step does (sna.violence_build)
    prior = np.round(rng.gamma(2.0, 20.0, n), 1) + shift
    e = 0.8 * prior + 6.0
    lsoa["violence_prior"] = prior
    lsoa["violence_risk"] = e
    lsoa["violence_risk_lo"] = np.floor(e * 0.7)
    lsoa["violence_risk_hi"] = np.ceil(e * 1.3)
    vrank = rank_desc(e)
    lsoa["violence_risk_rank"] = vrank
    lsoa["violence_risk_decile"] = deciles(e)
    lsoa["violence_risk_band"] = bands(e)
    lsoa["violence_risk_rank_lo"] = np.maximum(vrank - 3, 1)
    lsoa["violence_risk_rank_median"] = vrank
    lsoa["violence_risk_rank_hi"] = np.minimum(vrank + 3, n)
    lsoa["violence_risk_p_top_decile"] = np.clip(1 - (vrank - 1) / 4, 0, 1)
    lsoa["violence_risk_decile_confidence"] = 0.7
    log_ratio = np.log(e / np.exp(np.log(e).mean()))
    lsoa["vr_c_prior_violence"] = 0.9 * log_ratio
    lsoa["vr_c_income_deprivation"] = 0.1 * log_ratio
    lsoa["violence_risk_drivers"] = [
        json.dumps(
            [
                ["prior_violence", round(0.9 * r, 4), "recorded violence over the last year"],
                ["income_deprivation", round(0.1 * r, 4), "income deprivation"],
            ]
        )
        for r in log_ratio
    ]
    lsoa["violence_risk_explanation"] = [
        f"About {v:,.0f} violent or sexual offences expected in the next 12 months." for v in e
    ]
    cframe = pd.DataFrame(contrib)
    drivers, expl = [], []
    titles = {s["id"]: s["title"] for s in LAYERS}
    for i in range(n):
        top = cframe.iloc[i].sort_values(ascending=False).head(3)
        drivers.append(json.dumps([[k, round(float(v), 4)] for k, v in top.items()]))
        expl.append(
            f"{lsoa['need_band'].iloc[i]} need, mainly because of "
            f"{titles[top.index[0]].lower()} and {titles[top.index[1]].lower()}."
        )
    lsoa["drivers"] = drivers
    lsoa["explanation"] = expl
    lsoa["gi_z"] = rng.normal(size=n)
    lsoa["gi_label"] = np.where(lsoa["gi_z"] > 1.5, "hot", "not significant")
    lsoa["moran_label"] = "not significant"
    return lsoa


def _postcodes(areas: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for i, a in enumerate(areas.itertuples()):
        x0, y0 = a.geometry.bounds[:2]
        for j, letter in enumerate("BDE"):
            pc = f"B{i + 1} 1A{letter}"
            rows.append(
                {
                    "postcode": pc,
                    "pcd7": f"B{i + 1}".ljust(4) + f"1A{letter}",
                    "status": "live",
                    "date_introduced": "1980-01",
                    "date_terminated": None,
                    "lsoa21_code": a.lsoa21_code,
                    "easting": x0 + 200 + 300 * j,
                    "northing": y0 + 300 + 200 * j,
                }
            )
    rows.append(
        {
            "postcode": TERMINATED_POSTCODE,
            "pcd7": "B1  9ZZ",
            "status": "terminated",
            "date_introduced": "1980-01",
            "date_terminated": "2019-05",
            "lsoa21_code": areas["lsoa21_code"].iloc[0],
            "easting": np.nan,
            "northing": np.nan,
        }
    )
    pc = pd.DataFrame(rows)
    pc["lsoa11_code"] = pc["lsoa21_code"].str.replace("E010", "E011")
    pc["lsoa21_method"] = np.where(pc["status"] == "live", "point", "lookup")
    pc = pc.merge(lsoa[["lsoa21_code", "ward_code", "district_code"]], on="lsoa21_code")
    rng = np.random.default_rng(3)
    pc[f"local_{PARTNER_LAYER}"] = np.where(
        pc["easting"].notna(), rng.uniform(0, 6, len(pc)), np.nan
    )
    pc["local_faith_access"] = np.where(pc["easting"].notna(), rng.uniform(0, 3, len(pc)), np.nan)
    merged = pc.merge(lsoa.drop(columns="geometry"), on="lsoa21_code", suffixes=("", "_l"))
    for spec in LAYERS:
        pc[f"pc_c_{spec['id']}"] = merged[f"c_{spec['id']}"].to_numpy()
    pc["pc_need"] = sum(pc[f"pc_c_{s['id']}"] for s in LAYERS)
    pc["pc_need_decile"] = deciles(pc["pc_need"].to_numpy())
    pc["pc_need_band"] = bands(pc["pc_need"].to_numpy())
    for k, src in [
        ("lsoa_risk", "risk"),
        ("lsoa_protective", "protective"),
        ("lsoa_need", "need"),
        ("lsoa_need_rank", "need_rank"),
        ("lsoa_need_decile", "need_decile"),
        ("lsoa_need_band", "need_band"),
    ]:
        pc[k] = merged[src].to_numpy()
    geom = [
        Point(x, y) if np.isfinite(x) else None
        for x, y in zip(pc["easting"], pc["northing"], strict=True)
    ]
    return gpd.GeoDataFrame(pc, geometry=geom, crs="EPSG:27700")


def _surface(path: Path, areas: gpd.GeoDataFrame, centre: tuple[float, float], peak: float):
    cell = 100.0
    minx, miny, maxx, maxy = areas.total_bounds
    pad = 400.0
    west, north = minx - pad, maxy + pad
    width = int((maxx - minx + 2 * pad) / cell)
    height = int((maxy - miny + 2 * pad) / cell)
    xs = west + cell * (np.arange(width) + 0.5)
    ys = north - cell * (np.arange(height) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    d2 = (gx - centre[0]) ** 2 + (gy - centre[1]) ** 2
    data = (peak * np.exp(-d2 / (2 * 900.0**2))).astype("float32")
    inside = (gx > minx) & (gx < maxx) & (gy > miny) & (gy < maxy)
    data[~inside] = -9999.0
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:27700",
        "transform": Affine(cell, 0.0, west, 0.0, -cell, north),
        "nodata": -9999.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


def _assets(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    x0, y0 = ORIGIN
    rows = [
        ("pw1", "place_of_worship", "St Mary's Church", "christian", x0 + 300, y0 + 400),
        ("pw2", "place_of_worship", "Central Mosque", "muslim", x0 + 900, y0 + 700),
        ("pw3", "place_of_worship", "Gurdwara Sahib", "sikh", x0 + 2500, y0 + 1500),
        ("lib1", "library", "Fixture Library", "public", x0 + 700, y0 + 1200),
        ("lib2", "library", "Far Library", "public", x0 + 3900, y0 + 2900),
    ]
    frame = pd.DataFrame(
        rows, columns=["asset_id", "asset_type", "name", "subtype", "easting", "northing"]
    )
    gdf = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame.easting, frame.northing), crs="EPSG:27700"
    )
    joined = gpd.sjoin(gdf, areas[["lsoa21_code", "geometry"]], predicate="within")
    return joined.drop(columns="index_right").reset_index(drop=True)


def _store(data_dir: Path, areas: gpd.GeoDataFrame) -> Path:
    root = data_dir / REGION
    link = root / "store"
    if (link / "manifest.json").exists():
        return link.resolve()
    wards = areas.dissolve(by="ward_code", as_index=False)[
        ["ward_code", "ward_name", "district_code", "geometry"]
    ]
    districts = areas.dissolve(by="district_code", as_index=False)[
        ["district_code", "district_name", "geometry"]
    ]
    tables = {
        "lsoa21": areas,
        "wards": wards,
        "districts": districts,
        "assets": _assets(areas),
    }
    with staging_dir(root, "store") as tmp:
        for name, frame in tables.items():
            write_table(tmp, name, frame)
        src = {"vintage": "fixture", "licence": "OGL v3.0", "attribution": OGL}
        manifest = {
            "cache_key": "fixture",
            "tables": {k: {"rows": len(v), "sources": [src]} for k, v in tables.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest))
        return publish_dir(tmp, link, "store.fixture")


def make_fixture_build(
    data_dir: Path, build_id: str = BUILD_ID, *, shift: float = 0.0, publish: bool = True
) -> Path:
    """Write a fixture build under ``<data_dir>/fixture/builds/<build_id>``; return its folder.

    ``shift`` moves every score so that a second build differs from the first (reload
    tests). With ``publish=False`` the ``current`` pointer is left where it was.
    """
    areas = _areas()
    store = _store(data_dir, areas)
    lsoa = _lsoa_table(areas, shift)
    pcs = _postcodes(areas, lsoa)
    target = data_dir / REGION / "builds"
    with staging_dir(target, "build") as tmp:
        (tmp / "surfaces").mkdir()
        cx, cy = ORIGIN[0] + 1500, ORIGIN[1] + 1500
        _surface(tmp / "surfaces" / f"{PARTNER_LAYER}.tif", areas, (cx, cy), 9.0)
        _surface(tmp / "surfaces" / "faith_access.tif", areas, (cx + 1500, cy), 4.0)
        write_table(tmp, "lsoa", lsoa)
        write_table(tmp, "postcodes", pcs)
        layers = [
            {
                **SPEC_DEFAULTS,
                **spec,
                "synthetic": spec["id"] == PARTNER_LAYER,
                "effective_weight": 0.25,
            }
            for spec in LAYERS
        ]
        vintage = {"vintage": "IoD2025", "licence": "OGL v3.0", "attribution": OGL}
        synthetic = {"vintage": "synthetic (seeded)", "licence": "none", "attribution": ""}
        osm = {
            "vintage": "OpenStreetMap extract",
            "licence": "ODbL 1.0",
            "attribution": "© OpenStreetMap contributors, ODbL 1.0",
        }
        manifest = {
            "build_id": build_id,
            "region": REGION,
            "region_name": "Fixture Region",
            "created": "2025-01-01T00:00:00+00:00",
            "code_version": "0.1.0",
            "git": "fixture",
            "config": {
                "region": {"id": REGION, "name": "Fixture Region", "districts": ["E08000025"]},
                "scoring": {"need_lambda": 0.5, "disclosure_threshold": 8},
            },
            "config_fingerprint": "fixture",
            "store": {
                "path": str(store),
                "cache_key": "fixture",
                "inputs": {
                    "iod2025": [{"source": "iod2025_scores", **vintage}],
                    "hospital_admissions": [{"source": "synthetic", **synthetic}],
                    "assets": [{"source": "places_of_worship", **osm}],
                },
            },
            "layers": layers,
            "synthetic_layers": [PARTNER_LAYER],
            "synthetic": True,
            "surfaces": sorted([PARTNER_LAYER, "faith_access"]),
            "n_lsoa": len(lsoa),
            "n_postcodes": len(pcs),
            "checks": {"missing_index_values": 0},
            "timings": {"layers": 0.1},
            "violence_model": {
                "source": "fixture: police.uk street-level files, fitted out of time",
                "target": "Violence and sexual offences",
                "family": "negative binomial (NB2)",
                "unit": "violence and sexual offences expected in the next 12 months",
                "half_life_months": 6.0,
                "coefficients": [
                    {
                        "term": "intercept",
                        "coef": -5.0,
                        "se": 0.1,
                        "relative_risk": 0.0067,
                        "rr_lo": 0.0055,
                        "rr_hi": 0.0082,
                        "penalised": False,
                        "effect": "",
                    },
                    {
                        "term": "prior_violence",
                        "coef": 0.8,
                        "se": 0.05,
                        "relative_risk": 2.2255,
                        "rr_lo": 2.0177,
                        "rr_hi": 2.4547,
                        "penalised": False,
                        "effect": "raises violence",
                    },
                ],
            },
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        write_answers(tmp, store_path=store, national=False)  # as sna build does
        if publish:
            return publish_dir(tmp, target / "current", build_id)
        final = target / build_id
        os.rename(tmp, final)
        return final


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory) -> Path:
    """The data directory of a published fixture build (region ``fixture``)."""
    data_dir = tmp_path_factory.mktemp("api-data")
    make_fixture_build(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def fixture_settings(fixture_build):
    """API settings pointing at the fixture build, with an analyst key."""
    from api.settings import ApiSettings

    return ApiSettings(
        region=REGION, data_dir=fixture_build, api_key="test-key", reload_interval=0.0
    )


@pytest.fixture(scope="session")
def fixture_app(fixture_settings):
    """The app over the fixture build."""
    from api.app import create_app

    return create_app(fixture_settings)


@pytest.fixture(scope="session")
def client(fixture_app):
    """A TestClient over the fixture app (lifespan run once per session)."""
    from fastapi.testclient import TestClient

    with TestClient(fixture_app) as c:
        yield c


# --------------------------------------------------------------------------- disclosure walk

RESTRICTED_PREFIXES = ("n_", "raw_", "v_", "local_", "denom_")


def partner_violations(
    obj, partner_ids, threshold: int = 8, path: str = "$", partner: bool = False
) -> list[str]:
    """Places in a decoded response where partner data could be disclosed.

    A value is in *partner context* when its key names a partner layer (``band_<id>``,
    ``pc_c_<id>``, ...) or it sits inside an object whose ``id``/``layer`` is a partner
    layer. Violations: a restricted column of a partner layer (``n_``, ``raw_``, ``v_``,
    ``local_``, ``denom_`` prefixes); a partner-layer ``value``, ``count`` or ``raw_rate``
    that is not null (exact rates and counts are never public); and any whole number from
    1 to ``threshold - 1`` in partner context (a small count).
    """
    out: list[str] = []
    ids = tuple(partner_ids)
    if isinstance(obj, dict):
        inner = partner or obj.get("id") in ids or obj.get("layer") in ids
        for k, v in obj.items():
            key = str(k)
            names_partner = any(p in key for p in ids)
            here = f"{path}.{key}"
            if names_partner and key.startswith(RESTRICTED_PREFIXES):
                out.append(f"{here}: restricted partner column")
            if inner and key in ("value", "count", "raw_rate") and _is_number(v):
                out.append(f"{here}: partner {key} {v!r} published")
            out.extend(partner_violations(v, ids, threshold, here, inner or names_partner))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            out.extend(partner_violations(v, ids, threshold, f"{path}[{i}]", partner))
    elif partner and _is_number(obj):
        f = float(obj)
        if 1 <= f < threshold and f == int(f):
            out.append(f"{path}: partner-derived value {obj!r} is a count below {threshold}")
    elif partner and isinstance(obj, str):
        try:
            f = float(obj)
        except ValueError:
            return out
        if 1 <= f < threshold and f == int(f):
            out.append(f"{path}: partner-derived value {obj!r} is a count below {threshold}")
    return out


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
