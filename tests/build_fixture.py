"""A small build in the documented format (docs/build-format.md), for fast tests.

48 square LSOAs of 500 m (8 x 6) in EPSG:27700 near Birmingham city centre, in two districts
(Birmingham west, Solihull east), four postcodes each, a store with an ``assets`` table, and a
manifest with five risk layers (one of them a partner layer with synthetic data) and two
protective layers. The indices are scored by the real engine (:func:`sna.scoring.score_layers`),
ranks by :mod:`sna.ranking`; rank intervals, hotspots and sentences are simple stand-ins with
the documented columns. ``make_fixture_build(tmp, n_builds=2)`` writes an earlier build with
perturbed values too, so "what changed since the previous build" has something to compare.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

REGION = "fixture"
REGION_NAME = "Fixture Borough"
ORIGIN = (404000.0, 285000.0)
CELL = 500.0
NX, NY = 8, 6
DISTRICTS = {"E08000025": "Birmingham", "E08000029": "Solihull"}
PARTNER_COUNT_SENTINEL = 7  # a partner count that must never reach a public file

LAYERS = [
    dict(
        id="hospital_assault_u25",
        title="Hospital admissions for assault, under-25s",
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


def _config(mc_draws: int = 20):
    from sna.config import LayerSpec, load_region

    base = load_region("west-midlands")
    region = base.region.model_copy(
        update={
            "id": REGION,
            "name": REGION_NAME,
            "districts": list(DISTRICTS),
            "la_names": list(DISTRICTS.values()),
        }
    )
    scoring = base.scoring.model_copy(update={"mc_draws": mc_draws})
    layers = [LayerSpec(**d) for d in LAYERS]
    return base.model_copy(update={"region": region, "scoring": scoring, "layers": layers})


def _areas() -> gpd.GeoDataFrame:
    rows = []
    for j in range(NY):
        for i in range(NX):
            k = j * NX + i
            dcode = "E08000025" if i < NX // 2 else "E08000029"
            dname = DISTRICTS[dcode]
            x0, y0 = ORIGIN[0] + i * CELL, ORIGIN[1] + j * CELL
            rows.append(
                {
                    "lsoa21_code": f"E0190{k:04d}",
                    "lsoa21_name": f"{dname} {k + 1:03d}{'ABCD'[k % 4]}",
                    "msoa21_name": f"{dname} {k // 4 + 1:03d}",
                    "ward_code": f"E0590{k // 4:04d}",
                    "ward_name": f"{dname} Ward {k // 4 + 1}",
                    "district_code": dcode,
                    "district_name": dname,
                    "ix": i,
                    "iy": j,
                    "geometry": box(x0, y0, x0 + CELL, y0 + CELL),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def _inputs(areas: pd.DataFrame, config, rng: np.random.Generator, shift: float = 0.0):
    """Layer inputs with a north-west gradient (high need in the north-west corner)."""
    from sna.scoring import LayerInput

    n = len(areas)
    grad = (NX - 1 - areas["ix"].to_numpy()) / NX + areas["iy"].to_numpy() / NY  # 0..~2
    specs = {s.id: s for s in config.layers}
    pop_0_24 = rng.integers(300, 700, n).astype(float)
    pop_0_15 = np.round(pop_0_24 * 0.6)
    hosp = rng.poisson(1 + 4 * grad + shift)
    hosp[0] = PARTNER_COUNT_SENTINEL
    idaci = np.minimum(rng.poisson(40 + 60 * grad), pop_0_15)
    noise = lambda s: rng.normal(0, s, n)  # noqa: E731
    out = [
        LayerInput(specs["hospital_assault_u25"], hosp / pop_0_24 * 1000, hosp, pop_0_24),
        LayerInput(specs["child_poverty"], idaci / pop_0_15 * 1000, idaci, pop_0_15),
        LayerInput(specs["violence_with_injury"], 10 + 15 * grad + noise(3 + shift)),
        LayerInput(specs["antisocial_behaviour"], 20 + 10 * grad + noise(5)),
        LayerInput(specs["income_deprivation"], 0.08 + 0.12 * grad + noise(0.03)),
        LayerInput(specs["faith_access"], np.clip(4 - 1.5 * grad + noise(1), 0, None)),
        LayerInput(specs["library_access"], np.clip(1.5 - 0.5 * grad + noise(0.4), 0, None)),
    ]
    pops = {"pop_0_24": pop_0_24, "pop_0_15": pop_0_15}
    return out, pops


def _lsoa_table(config, seed: int, shift: float) -> gpd.GeoDataFrame:
    from sna.ranking import bands, deciles, rank_desc
    from sna.scoring import effective_weights, score_layers

    rng = np.random.default_rng(seed)
    areas = _areas()
    inputs, pops = _inputs(areas, config, rng, shift)
    sc = config.scoring
    parent = areas["msoa21_name"].to_numpy()
    scored = score_layers(inputs, sc, parent)
    weights = effective_weights(config.layers, sc.level_weights)
    lsoa = areas.copy()
    lsoa["pop_0_24"] = pops["pop_0_24"]
    lsoa["pop_0_15"] = pops["pop_0_15"]
    lsoa["pop_16_24"] = np.round(pops["pop_0_24"] * 0.4)
    lsoa["pop_total"] = np.round(pops["pop_0_24"] * 3.2)
    lsoa["area_km2"] = lsoa.geometry.area / 1e6
    for inp in inputs:
        lid = inp.spec.id
        lsoa[f"v_{lid}"] = scored.values[lid].to_numpy()
        lsoa[f"s_{lid}"] = scored.scores[lid].to_numpy()
        if inp.count is not None:
            lsoa[f"n_{lid}"] = inp.count
            lsoa[f"raw_{lid}"] = inp.raw
        if inp.spec.national:
            lsoa[f"nd_{lid}"] = deciles(scored.values[lid].to_numpy())
    prot = [s.id for s in config.layers if s.kind == "protective"]
    contrib = scored.need_contributions(sc.need_lambda, prot)
    for lid in contrib.columns:
        lsoa[f"c_{lid}"] = contrib[lid].to_numpy()
    for lv in scored.levels.columns:
        lsoa[f"level_{lv}"] = scored.levels[lv].to_numpy()
    n = len(lsoa)
    for k in ("risk", "protective", "need"):
        vals = getattr(scored, k)
        rank = rank_desc(vals)
        lsoa[k] = vals
        lsoa[f"{k}_rank"] = rank
        lsoa[f"{k}_decile"] = deciles(vals)
        lsoa[f"{k}_band"] = bands(vals)
        half = rng.integers(1, 8, n)
        lsoa[f"{k}_rank_lo"] = np.maximum(1, rank - half)
        lsoa[f"{k}_rank_median"] = rank
        lsoa[f"{k}_rank_hi"] = np.minimum(n, rank + half + rng.integers(0, 4, n))
        lsoa[f"{k}_p_top_decile"] = np.clip(1.2 - rank / 6, 0, 1)
        lsoa[f"{k}_decile_confidence"] = np.clip(0.5 + rng.random(n) / 2, 0, 1)
    titles = {s.id: s.title for s in config.layers}
    drivers, sentences = [], []
    for i in range(n):
        row = contrib.iloc[i].sort_values(ascending=False)
        drivers.append(json.dumps([[lid, round(float(c), 4)] for lid, c in row.iloc[:3].items()]))
        up = [titles[x].lower() for x in row.index[:2] if row[x] > 0]
        band = lsoa["need_band"].iloc[i].lower()
        sentences.append(
            f"Ranked in the {band} band mainly because of high {' and '.join(up)}."
            if up
            else f"Ranked in the {band} band; no layer raises it above average."
        )
    lsoa["drivers"] = drivers
    lsoa["explanation"] = sentences
    # Stand-in hotspots: mean need of the 3x3 block, labelled by its extremes.
    grid = np.full((NY, NX), np.nan)
    grid[lsoa["iy"], lsoa["ix"]] = lsoa["need"]
    local = np.array(
        [
            np.nanmean(grid[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2])
            for x, y in zip(lsoa["ix"], lsoa["iy"], strict=True)
        ]
    )
    z = (local - local.mean()) / local.std()
    lsoa["gi_z"] = z
    lsoa["gi_p"] = np.clip(0.5 - np.abs(z) / 4, 0.001, 1)
    lsoa["gi_label"] = np.where(z > 1.0, "hot", np.where(z < -1.0, "cold", "not significant"))
    lsoa["moran_label"] = np.where(z > 1.0, "HH", np.where(z < -1.0, "LL", "not significant"))
    lsoa["synthetic_note"] = ""
    lsoa = lsoa.drop(columns=["ix", "iy", "synthetic_note"])
    violence_model = _violence(lsoa, rng, {k: v.lower() for k, v in titles.items()})
    return gpd.GeoDataFrame(lsoa, geometry="geometry", crs="EPSG:27700"), (weights, violence_model)


def _violence(lsoa: pd.DataFrame, rng: np.random.Generator, titles: dict) -> dict:
    """Violence-risk columns from the real code: a known model carried over to prior counts."""
    from sna.count_model import CountModel
    from sna.violence_build import ViolenceStep, violence_columns
    from sna.violence_risk import PRIOR_TERM, ViolenceFit, carry_over

    n = len(lsoa)
    prior = rng.gamma(2.0, 15.0, n) * (1 + lsoa["need"].rank(pct=True).to_numpy())
    model = CountModel(
        terms=["intercept", PRIOR_TERM, "log_residents"],
        params=np.array([-5.0, 0.9, -0.5]),
        cov=np.diag([0.01, 0.002, 0.003]),
        alpha=0.1,
        prior_sd=1.0,
        penalised=[False, False, False],
        n=n,
        deviance_explained=0.8,
    )
    source = ViolenceFit(
        model=model,
        half_life=6.0,
        target="Violence and sexual offences",
        response_window=("2023-08", "2024-04"),
        feature_window=("2021-05", "2023-07"),
        candidates=[],
        layers=[],
        source="fixture",
    )
    structural = pd.DataFrame(index=pd.Index(lsoa["lsoa21_code"]))
    residents = lsoa["pop_total"].clip(lower=1).to_numpy(float)
    fit, risk = carry_over(source, 1.0, prior, structural, residents, source_region="fixture")
    cols, _ = violence_columns(
        ViolenceStep(fit, risk, None, "fixture"), titles, region_name=REGION_NAME, draws=50, seed=1
    )
    for c in cols.columns:
        lsoa[c] = cols[c].to_numpy()
    return {
        **fit.manifest(),
        "window": None,
        "carried_over_from": "fixture",
        "unit": "violence and sexual offences expected in the next 12 months",
    }


def _postcodes(lsoa: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k, r in enumerate(lsoa.itertuples()):
        minx, miny, maxx, maxy = r.geometry.bounds
        outward = f"B{k // 8 + 1}"
        for j in range(4):
            e = minx + 50 + rng.random() * (CELL - 100)
            nn = miny + 50 + rng.random() * (CELL - 100)
            inward = f"{j + 1}{'ABCDEFGHJ'[k % 8]}{'ABDEFGHJLN'[j]}"
            rows.append(
                {
                    "postcode": f"{outward} {inward}",
                    "pcd7": f"{outward:<4}{inward}"[:7],
                    "status": "terminated" if (k, j) == (1, 3) else "live",
                    "lsoa21_code": r.lsoa21_code,
                    "lsoa21_method": "lookup",
                    "ward_code": r.ward_code,
                    "district_code": r.district_code,
                    "easting": round(e),
                    "northing": round(nn),
                    "local_hospital_assault_u25": float(rng.random() * 3),
                    "pc_need": float(r.need + rng.normal(0, 0.05)),
                    "lsoa_need": float(r.need),
                    "lsoa_need_rank": float(r.need_rank),
                    "lsoa_need_decile": float(r.need_decile),
                    "lsoa_need_band": r.need_band,
                    "geometry": Point(round(e), round(nn)),
                }
            )
    pc = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")
    pc.loc[len(pc) - 1, ["easting", "northing"]] = np.nan  # one postcode without coordinates
    pc.loc[len(pc) - 1, "geometry"] = None
    return pc


def _assets() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for k in range(30):
        kind = "library" if k % 5 == 0 else "place_of_worship"
        e = ORIGIN[0] + rng.random() * NX * CELL
        n = ORIGIN[1] + rng.random() * NY * CELL
        name = None if k % 7 == 3 else f"{'Library' if kind == 'library' else 'Chapel'} {k}"
        rows.append(
            {
                "asset_id": f"a{k}",
                "asset_type": kind,
                "name": name,
                "subtype": "christian" if kind == "place_of_worship" else "public",
                "easting": e,
                "northing": n,
                "lsoa21_code": None,
                "geometry": Point(e, n),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def _store(data_dir: Path) -> None:
    root = data_dir / REGION
    folder = root / "store.fixture"
    folder.mkdir(parents=True, exist_ok=True)
    _assets().to_parquet(folder / "assets.parquet", index=False)
    (folder / "manifest.json").write_text(
        json.dumps({"region": REGION, "region_name": REGION_NAME, "tables": {}})
    )
    link = root / "store"
    if not link.exists():
        os.symlink(folder.name, link)


def _inputs_provenance() -> dict:
    ogl = "Contains public sector information licensed under the Open Government Licence v3.0"
    src = lambda s, v, lic="OGL v3.0", a=ogl: {  # noqa: E731
        "source": s,
        "files": [f"{s}.csv"],
        "sha256": "0" * 64,
        "vintage": v,
        "licence": lic,
        "attribution": a,
    }
    return {
        "lsoa21": [src("lsoa21_boundaries", "LSOA 2021 generalised (BGC)")],
        "iod2025": [src("iod2025_scores", "IoD2025")],
        "assets": [
            src("places_of_worship", "OpenStreetMap extract", "ODbL 1.0", "© OpenStreetMap"),
            src("libraries", "Public libraries in the UK"),
        ],
        "hospital_admissions": [],
    }


def write_build(data_dir: Path, build_id: str, seed: int = 1, shift: float = 0.0) -> Path:
    """Write one build folder and point ``builds/current`` at it."""
    config = _config()
    lsoa, (weights, violence_model) = _lsoa_table(config, seed, shift)
    pcs = _postcodes(lsoa, seed)
    builds = data_dir / REGION / "builds"
    folder = builds / build_id
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    lsoa.to_parquet(folder / "lsoa.parquet", index=False)
    pcs.to_parquet(folder / "postcodes.parquet", index=False)
    sens = pd.DataFrame(
        {
            "alternative": ["z-scores", "min-max", "no shrinkage", "equal level weights"],
            "change": ["{}"] * 4,
            "spearman_need": [0.99, 0.95, 0.97, 0.9],
            "decile_changed_need": [0.02, 0.1, 0.05, 0.2],
            "spearman_risk": [0.99, 0.96, 0.97, 0.91],
            "spearman_protective": [1.0, 0.98, 1.0, 1.0],
        }
    )
    sens.to_csv(folder / "sensitivity.csv", index=False)
    layers = [
        {
            **s.model_dump(mode="json"),
            "synthetic": s.partner,
            "effective_weight": weights[s.id],
        }
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
        "store": {"path": str(data_dir / REGION / "store"), "inputs": _inputs_provenance()},
        "layers": layers,
        "synthetic_layers": [s.id for s in config.layers if s.partner],
        "synthetic": True,
        "surfaces": [],
        "n_lsoa": len(lsoa),
        "n_postcodes": len(pcs),
        "checks": {},
        "timings": {},
        "violence_model": violence_model,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    link = builds / "current"
    tmp = builds / ".current.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(build_id, tmp)
    os.replace(tmp, link)
    return folder


def make_fixture_build(data_dir: Path, n_builds: int = 2) -> Path:
    """Write the store and ``n_builds`` builds (the last one current); return the current."""
    _store(data_dir)
    ids = ["20250101T000000Z", "20250201T000000Z", "20250301T000000Z"][-n_builds:]
    folder = None
    for i, build_id in enumerate(ids):
        last = i == len(ids) - 1
        folder = write_build(data_dir, build_id, seed=1 if last else 2, shift=0 if last else 0.8)
    assert folder is not None
    return folder


# --- helpers shared by the map, report and notebook tests ---------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def real_build_dir(region: str) -> Path:
    """The test data directory, holding a current build of ``region`` (built if stale)."""
    from conftest import TEST_DATA_DIR, _built

    _built(region)
    return TEST_DATA_DIR


def browse(
    paths: list[Path], action=None, viewport=(1400, 900), full_page=False, prefix: str = ""
) -> dict[str, list[str]]:
    """Open each file in headless Chromium; return its JavaScript errors, save a screenshot.

    ``action(page, path)`` may interact with the page before the screenshot (its own errors
    are collected too). Screenshots go to ``tests/artifacts/<prefix><name>.png``.
    """
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    out: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for path in paths:
                errors: list[str] = []
                page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                page.on("pageerror", lambda e, errors=errors: errors.append(f"pageerror: {e}"))
                page.on(
                    "console",
                    lambda m, errors=errors: (
                        errors.append(f"console: {m.text}") if m.type == "error" else None
                    ),
                )
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(400)
                if action is not None:
                    action(page, path)
                page.screenshot(
                    path=str(ARTIFACTS / f"{prefix}{path.stem}.png"),
                    full_page=full_page,
                )
                out[path.name] = errors
                page.close()
        finally:
            browser.close()
    return out
