"""The one small synthetic build of the fast tests, in the documented format (docs/build-format.md).

:func:`make_fixture_build` writes a 4 x 3 grid of 1 km square LSOA21s near Birmingham (two
districts, Birmingham west and Coventry east, and four wards), 3 live postcodes per LSOA plus
two terminated ones (one without a grid reference), two kernel-density GeoTIFF surfaces (one
partner, one open), a store with the LSOAs, wards, districts and community assets, and a
manifest with the region's full config, seven layers on all four levels (one of them partner
data that is also synthetic), a sensitivity table and a violence model. Need is highest in the
north-west corner. Partner counts include values from 1 to 7 so that disclosure control has
something to suppress.

``tests/conftest.py`` registers it as session fixtures: ``fixture_build`` (one published
build), ``fixture_builds`` (an earlier build and the current one), ``fixture_settings``,
``fixture_app`` and ``client``. Tests that swap or break builds write their own with
``make_fixture_build(tmp_path, ...)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from shapely.geometry import Point, box

REGION = "fixture"
REGION_NAME = "Fixture Region"
BUILD_ID = "20250101T000000Z"
PREVIOUS_BUILD_ID = "20241201T000000Z"  # the earlier build of ``fixture_builds``
PARTNER_LAYER = "hospital_assault_u25"
PARTNER_COUNTS = [0, 3, 7, 8, 12, 25, 1, 5, 40, 9, 2, 15]
LIVE_POSTCODE = "B1 1AB"
TERMINATED_POSTCODE = "B1 9ZZ"  # no grid reference
TERMINATED_WITH_GRID = "B2 9ZY"  # a grid reference, but not live
ORIGIN = (405000.0, 285000.0)
#: postcodes.io's fields of a postcode, which every postcode answer (full or compact) carries
POSTCODES_IO_FIELDS = frozenset(
    {
        "postcode",
        "outcode",
        "incode",
        "longitude",
        "latitude",
        "eastings",
        "northings",
        "lsoa",
        "msoa",
        "admin_ward",
        "admin_district",
        "codes",
    }
)


def live_lonlat() -> tuple[float, float]:
    """WGS84 longitude and latitude of LIVE_POSTCODE (at ORIGIN + (200, 300) m)."""
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return to_wgs84.transform(ORIGIN[0] + 200, ORIGIN[1] + 300)


NCOL, NROW = 4, 3
DISTRICTS = {"E08000025": "Birmingham", "E08000026": "Coventry"}
OGL = "Contains public sector information licensed under the Open Government Licence v3.0"

LAYERS = [
    dict(
        id=PARTNER_LAYER,
        title="Hospital admissions for assault, under-25s",
        description="Emergency admissions for assault, ages 0-24, per 1,000 residents",
        kind="risk",
        level="individual",
        table="hospital_admissions",
        measure="count",
        denominator="pop_0_24",
        partner=True,
        surface=True,
        period="3 years",
    ),
    dict(
        id="child_poverty",
        title="Children in income-deprived families",
        kind="risk",
        level="relationship",
        table="iod2025",
        measure="count",
        column="idaci_numerator",
        denominator="pop_0_15",
        period="IoD2025",
    ),
    dict(
        id="violence_with_injury",
        title="Violence with injury",
        kind="risk",
        level="community",
        table="iod2025",
        measure="column",
        column="crime_violence_with_injury_rate",
        national=True,
        period="IoD2025",
    ),
    dict(
        id="antisocial_behaviour",
        title="Anti-social behaviour",
        kind="risk",
        level="community",
        table="iod2025",
        measure="column",
        column="crime_asb_rate",
        weight=0.5,
        national=True,
        period="IoD2025",
    ),
    dict(
        id="income_deprivation",
        title="Income deprivation",
        kind="risk",
        level="society",
        table="iod2025",
        measure="column",
        column="income_score",
        national=True,
        period="IoD2025",
    ),
    dict(
        id="faith_access",
        title="Places of worship within 1 km",
        kind="protective",
        level="community",
        table="assets",
        measure="access",
        filter="asset_type == 'place_of_worship'",
        surface=True,
    ),
    dict(
        id="library_access",
        title="Libraries within 1.5 km",
        kind="protective",
        level="community",
        table="assets",
        measure="access",
        filter="asset_type == 'library'",
        radius_m=1500.0,
    ),
]


def _config():
    """The West Midlands config with this region, these layers and few Monte Carlo draws."""
    from sna.config.region import LayerSpec, load_region

    base = load_region("west-midlands")
    region = base.region.model_copy(
        update={
            "id": REGION,
            "name": REGION_NAME,
            "districts": list(DISTRICTS),
            "la_names": list(DISTRICTS.values()),
        }
    )
    scoring = base.scoring.model_copy(update={"mc_draws": 20})
    layers = [LayerSpec(**d) for d in LAYERS]
    return base.model_copy(update={"region": region, "scoring": scoring, "layers": layers})


def _areas() -> gpd.GeoDataFrame:
    rows = []
    for r in range(NROW):
        for c in range(NCOL):
            i = r * NCOL + c
            x0, y0 = ORIGIN[0] + c * 1000, ORIGIN[1] + r * 1000
            district = list(DISTRICTS)[c // 2]
            rows.append(
                {
                    "lsoa21_code": f"E010{i:05d}",
                    "lsoa21_name": f"Fixture {i:03d}A",
                    "msoa21_code": f"E0200{c:04d}",
                    "msoa21_name": f"Fixture {c:03d}",
                    "ward_code": f"E0500000{c + 1}",
                    "ward_name": f"Ward {'ABCD'[c]}",
                    "district_code": district,
                    "district_name": DISTRICTS[district],
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


def _lsoa_table(areas: gpd.GeoDataFrame, config, seed: int, shift: float) -> gpd.GeoDataFrame:
    from sna.needs.scoring import effective_weights
    from sna.stats.ranking import bands, deciles, rank_desc

    n = len(areas)
    rng = np.random.default_rng(seed)
    lsoa = areas.copy()
    col, row = np.arange(n) % NCOL, np.arange(n) // NCOL
    grad = (NCOL - 1 - col) / NCOL + row / NROW  # 0..~1.4, highest in the north-west

    def noise(s):
        return rng.normal(0, s, n)

    counts = np.array(PARTNER_COUNTS, float)
    raw = counts / lsoa["pop_0_24"].to_numpy() * 1000
    values = {
        PARTNER_LAYER: raw * 0.9 + 0.5,
        "child_poverty": 60 + 220 * grad + noise(30),
        "violence_with_injury": 10 + 15 * grad + noise(3),
        "antisocial_behaviour": 20 + 10 * grad + noise(5),
        "income_deprivation": 0.08 + 0.2 * grad + noise(0.03),
        "faith_access": np.clip(6 - 3 * grad + noise(1), 0, None),
        "library_access": np.clip(1.5 - 0.8 * grad + noise(0.3), 0, None),
    }
    sc = config.scoring
    weights = effective_weights(config.layers, sc.level_weights)
    contrib, protective = {}, np.zeros(n)
    for spec in config.layers:
        lid, v = spec.id, values[spec.id]
        s = (v - v.mean()) / v.std() + shift
        lsoa[f"v_{lid}"] = v
        lsoa[f"s_{lid}"] = s
        if spec.kind == "protective":
            protective += weights[lid] * s
            contrib[lid] = -sc.need_lambda * weights[lid] * s
        else:
            contrib[lid] = weights[lid] * s
        lsoa[f"c_{lid}"] = contrib[lid]
        if spec.national:
            lsoa[f"nd_{lid}"] = deciles(v)
    lsoa[f"n_{PARTNER_LAYER}"] = counts
    lsoa[f"raw_{PARTNER_LAYER}"] = raw
    lsoa["n_child_poverty"] = np.round(values["child_poverty"] * lsoa["pop_0_15"] / 1000)
    lsoa["raw_child_poverty"] = values["child_poverty"]
    for lv in ("individual", "relationship", "community", "society"):
        ids = [s.id for s in config.layers if s.level == lv and s.kind == "risk"]
        lsoa[f"level_{lv}"] = sum((contrib[i] for i in ids), np.zeros(n))
    lsoa["risk"] = sum(contrib[s.id] for s in config.layers if s.kind == "risk")
    lsoa["protective"] = protective
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
    # violence risk, laid out as the build's violence step does (sna.build.violence)
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
    titles = {s.id: s.title for s in config.layers}
    for i in range(n):
        top = cframe.iloc[i].sort_values(ascending=False).head(3)
        drivers.append(json.dumps([[k, round(float(v), 4)] for k, v in top.items()]))
        expl.append(
            f"{lsoa['need_band'].iloc[i]} need, mainly because of "
            f"{titles[top.index[0]].lower()} and {titles[top.index[1]].lower()}."
        )
    lsoa["drivers"] = drivers
    lsoa["explanation"] = expl
    lsoa["gi_z"] = rng.normal(size=n) + 1.5 * (grad - grad.mean())
    lsoa["gi_p"] = np.clip(0.5 - np.abs(lsoa["gi_z"]) / 4, 0.001, 1)
    lsoa["gi_label"] = np.where(lsoa["gi_z"] > 1.5, "hot", "not significant")
    lsoa["moran_label"] = np.where(lsoa["gi_z"] > 1.5, "HH", "not significant")
    return lsoa


def _postcodes(areas: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from sna.stats.ranking import bands, deciles

    rows = []
    for i, a in enumerate(areas.itertuples()):
        x0, y0 = a.geometry.bounds[:2]
        for j, letter in enumerate("BDE"):
            rows.append(
                {
                    "postcode": f"B{i + 1} 1A{letter}",
                    "pcd7": f"B{i + 1}".ljust(4) + f"1A{letter}",
                    "status": "live",
                    "date_introduced": "1980-01",
                    "date_terminated": None,
                    "lsoa21_code": a.lsoa21_code,
                    "easting": x0 + 200 + 300 * j,
                    "northing": y0 + 300 + 200 * j,
                }
            )
    for pc, code, xy in [
        (TERMINATED_POSTCODE, areas["lsoa21_code"].iloc[0], (np.nan, np.nan)),
        (TERMINATED_WITH_GRID, areas["lsoa21_code"].iloc[1], (ORIGIN[0] + 1500, ORIGIN[1] + 500)),
    ]:
        rows.append(
            {
                "postcode": pc,
                "pcd7": pc.replace(" ", "  "),
                "status": "terminated",
                "date_introduced": "1980-01",
                "date_terminated": "2019-05",
                "lsoa21_code": code,
                "easting": xy[0],
                "northing": xy[1],
            }
        )
    pc = pd.DataFrame(rows)
    pc["lsoa11_code"] = pc["lsoa21_code"].str.replace("E010", "E011")
    pc["lsoa21_method"] = np.where(pc["status"] == "live", "point", "lookup")
    pc = pc.merge(lsoa[["lsoa21_code", "ward_code", "district_code"]], on="lsoa21_code")
    rng = np.random.default_rng(3)
    has_grid = pc["easting"].notna()
    pc[f"local_{PARTNER_LAYER}"] = np.where(has_grid, rng.uniform(0, 6, len(pc)), np.nan)
    pc["local_faith_access"] = np.where(has_grid, rng.uniform(0, 3, len(pc)), np.nan)
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
    cell, pad = 100.0, 400.0
    minx, miny, maxx, maxy = areas.total_bounds
    west, north = minx - pad, maxy + pad
    width = int((maxx - minx + 2 * pad) / cell)
    height = int((maxy - miny + 2 * pad) / cell)
    gx, gy = np.meshgrid(
        west + cell * (np.arange(width) + 0.5), north - cell * (np.arange(height) + 0.5)
    )
    d2 = (gx - centre[0]) ** 2 + (gy - centre[1]) ** 2
    data = (peak * np.exp(-d2 / (2 * 900.0**2))).astype("float32")
    data[~((gx > minx) & (gx < maxx) & (gy > miny) & (gy < maxy))] = -9999.0
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
    from sna.prepare.store import publish_dir, staging_dir, write_table

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
    tables = {"lsoa21": areas, "wards": wards, "districts": districts, "assets": _assets(areas)}
    with staging_dir(root, "store") as tmp:
        for name, frame in tables.items():
            write_table(tmp, name, frame)
        src = {"vintage": "fixture", "licence": "OGL v3.0", "attribution": OGL}
        manifest = {
            "region": REGION,
            "region_name": REGION_NAME,
            "cache_key": "fixture",
            "tables": {k: {"rows": len(v), "sources": [src]} for k, v in tables.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest))
        return publish_dir(tmp, link, "store.fixture")


def _inputs() -> dict:
    """The store's provenance as a build records it (source, vintage, licence, attribution)."""

    def src(source, vintage, licence="OGL v3.0", attribution=OGL):
        return dict(source=source, vintage=vintage, licence=licence, attribution=attribution)

    osm = "© OpenStreetMap contributors, ODbL 1.0"
    return {
        "lsoa21": [src("lsoa21_boundaries", "LSOA 2021 generalised (BGC)")],
        "iod2025": [src("iod2025_scores", "IoD2025")],
        "hospital_admissions": [src("synthetic", "synthetic (seeded)", "none", "")],
        "assets": [src("places_of_worship", "OpenStreetMap extract", "ODbL 1.0", osm)],
    }


def _coefficient(term, coef, se, effect):
    rr = float(np.exp(coef))
    lo, hi = float(np.exp(coef - 1.96 * se)), float(np.exp(coef + 1.96 * se))
    return {
        "term": term,
        "coef": coef,
        "se": se,
        "relative_risk": round(rr, 4),
        "rr_lo": round(lo, 4),
        "rr_hi": round(hi, 4),
        "penalised": False,
        "effect": effect,
    }


VIOLENCE_MODEL = {
    "source": "fixture: police.uk street-level files, fitted out of time",
    "target": "Violence and sexual offences",
    "family": "negative binomial (NB2)",
    "unit": "violence and sexual offences expected in the next 12 months",
    "half_life_months": 6.0,
    "coefficients": [
        _coefficient("intercept", -5.0, 0.1, ""),
        _coefficient("prior_violence", 0.8, 0.05, "raises violence"),
    ],
}
SENSITIVITY = pd.DataFrame(
    {
        "alternative": ["z-scores", "min-max", "no shrinkage", "equal level weights"],
        "change": ["{}"] * 4,
        "spearman_need": [0.99, 0.95, 0.97, 0.9],
        "decile_changed_need": [0.02, 0.1, 0.05, 0.2],
        "spearman_risk": [0.99, 0.96, 0.97, 0.91],
        "spearman_protective": [1.0, 0.98, 1.0, 1.0],
    }
)


def make_fixture_build(
    data_dir: Path,
    build_id: str = BUILD_ID,
    *,
    seed: int = 7,
    shift: float = 0.0,
    publish: bool = True,
) -> Path:
    """Write a fixture build under ``<data_dir>/fixture/builds/<build_id>``; return its folder.

    The store is written too, unless there is one. ``shift`` moves every score and ``seed``
    redraws the open layers' values (and so the ranks), so that a second build differs from
    the first. With ``publish=False`` the ``current`` pointer is left where it was.
    """
    from outcomes_fixture import write_fixture_outcomes

    from sna.answers import write_answers
    from sna.needs.scoring import effective_weights
    from sna.prepare.store import publish_dir, staging_dir, write_table

    config = _config()
    areas = _areas()
    store = _store(data_dir, areas)
    lsoa = _lsoa_table(areas, config, seed, shift)
    pcs = _postcodes(areas, lsoa)
    weights = effective_weights(config.layers, config.scoring.level_weights)
    target = data_dir / REGION / "builds"
    with staging_dir(target, "build") as tmp:
        (tmp / "surfaces").mkdir()
        (tmp / "exports").mkdir()
        cx, cy = ORIGIN[0] + 1500, ORIGIN[1] + 1500
        _surface(tmp / "surfaces" / f"{PARTNER_LAYER}.tif", areas, (cx, cy), 9.0)
        _surface(tmp / "surfaces" / "faith_access.tif", areas, (cx + 1500, cy), 4.0)
        write_table(tmp, "lsoa", lsoa)
        write_table(tmp, "postcodes", pcs)
        SENSITIVITY.to_csv(tmp / "sensitivity.csv", index=False)
        layers = [
            {**s.model_dump(mode="json"), "synthetic": s.partner, "effective_weight": weights[s.id]}
            for s in config.layers
        ]
        manifest = {
            "build_id": build_id,
            "region": REGION,
            "region_name": REGION_NAME,
            "created": f"{build_id[:4]}-{build_id[4:6]}-{build_id[6:8]}T00:00:00+00:00",
            "code_version": "0.1.0",
            "git": "fixture",
            "config": config.model_dump(mode="json"),
            "config_fingerprint": "fixture",
            "store": {"path": str(store), "cache_key": "fixture", "inputs": _inputs()},
            "layers": layers,
            "synthetic_layers": [PARTNER_LAYER],
            "synthetic": True,
            "surfaces": sorted([PARTNER_LAYER, "faith_access"]),
            "n_lsoa": len(lsoa),
            "n_postcodes": len(pcs),
            "checks": {"missing_index_values": 0},
            "timings": {"layers": 0.1},
            "violence_model": VIOLENCE_MODEL,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        write_fixture_outcomes(tmp, config, data_dir / "outcome-inputs")  # as sna build does
        write_answers(tmp, store_path=store, national=False)  # as sna build does
        if publish:
            return publish_dir(tmp, target / "current", build_id)
        final = target / build_id
        os.rename(tmp, final)
        return final


def make_fixture_builds(data_dir: Path) -> Path:
    """An earlier build (other values and ranks) and the current one; return the current."""
    make_fixture_build(data_dir, PREVIOUS_BUILD_ID, seed=8, shift=0.8)
    return make_fixture_build(data_dir)


def not_synthetic_copy(build: Path, folder: Path) -> Path:
    """``build`` (its tables linked) with a manifest that declares no synthetic data."""
    manifest = json.loads((build / "manifest.json").read_text())
    manifest.update(synthetic=False, synthetic_layers=[])
    folder.mkdir()
    for name in ("lsoa.parquet", "postcodes.parquet"):
        (folder / name).symlink_to(build / name)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


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
