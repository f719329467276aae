"""An England-wide scoring run: every LSOA21 of England and every English postcode.

What is measured, in one fresh interpreter (target: under 5 minutes):

1. an all-England region config made in memory (:func:`england_config`): the West Midlands
   config with ``districts`` = every English district code (``E06``-``E09``) in the ONS LSOA21
   lookup and only its IoD2025 layers (the layers that exist nationally);
2. the LSOA table (lookup + Census 2021 population) and IoD2025, read from the bundle;
3. every layer on every English LSOA21 (:func:`sna.needs.layers.compute_layer`), scored with
   :func:`sna.needs.scoring.score_layers` (shrinkage to the MSOA, treatment, normalisation,
   weights),
   with ranks, deciles and bands;
4. the build's Monte Carlo rank intervals (its default draws) on all LSOAs;
5. every postcode of the ONS lookup placed in its LSOA21 (``assign_lsoa21`` against all
   LSOA21 polygons) and given its LSOA's index.

Not measured: the parts of the full build that need region-only inputs or are quadratic in the
number of areas (police.uk points, partner stand-ins, hotspot statistics, drivers sentences,
surfaces, sensitivity, file writing). A postcode's index here is its LSOA's index (there are no
point layers nationally).
"""

from __future__ import annotations

from typing import Any

from . import run_child, target, write_result

__all__ = ["NAME", "england_config", "run"]

NAME = "england"


def england_config(base: str = "west-midlands"):
    """The ``base`` region config widened to all of England, with its IoD2025 layers only.

    Returns ``(config, lookup)``: the in-memory :class:`sna.config.region.RegionConfig` (region id
    ``england``) and the LSOA21 lookup frame it was made from.
    """
    from geodata import boundaries
    from sna.config.region import load_region

    cfg = load_region(base)
    lk = boundaries.read_lsoa21_lookup(cfg.source_path(cfg.sources.lsoa21_lookup.paths[0])).data
    districts = sorted(c for c in lk["district_code"].unique() if str(c).startswith("E0"))
    region = cfg.region.model_copy(
        update={"id": "england", "name": "England", "districts": districts, "la_names": []}
    )
    layers = [s for s in cfg.layers if s.table == "iod2025"]
    return cfg.model_copy(update={"region": region, "layers": layers}), lk


_CHILD = """
import json, time
t = {}
t0 = time.perf_counter()
import numpy as np, pandas as pd
from bench.bench_england import england_config
from geodata import boundaries, deprivation, lsoa21, population, postcodes
from sna.needs.layers import compute_layer
from sna.prepare.pipeline import postcode_source_path
from sna.stats.ranking import bands, deciles, rank_desc
from sna.needs.scoring import LayerInput, score_layers
t["import"] = time.perf_counter() - t0

s = time.perf_counter()
cfg, lk = england_config()
src = lambda name: cfg.source_path(getattr(cfg.sources, name).paths[0])
areas = boundaries.region_lsoa21(lk, cfg.region.districts)
pop = population.read_census_population(src("population"), lsoa21_codes=areas["lsoa21_code"])
areas = areas.merge(pop.data, on="lsoa21_code", how="left")
iod = deprivation.read_iod2025(
    src("iod2025_scores"), src("iod2025_indicators"), src("iod2025_subdomains")
).data
t["read lsoa, population, IoD2025"] = time.perf_counter() - s

s = time.perf_counter()
tables = {"iod2025": iod}
layers = [compute_layer(spec, tables, areas) for spec in cfg.layers]
inputs = [
    LayerInput(
        d.spec,
        d.raw.to_numpy(float),
        None if d.count is None else d.count.to_numpy(float),
        None if d.denominator is None else d.denominator.to_numpy(float),
    )
    for d in layers
]
parent = areas["msoa21_name"].astype(str).to_numpy()
scored = score_layers(inputs, cfg.scoring, parent)
lsoa = areas[["lsoa21_code"]].copy()
for k in ("risk", "protective", "need"):
    v = getattr(scored, k)
    lsoa[k], lsoa[k + "_rank"] = v, rank_desc(v)
    lsoa[k + "_decile"], lsoa[k + "_band"] = deciles(v), bands(v)
t["layers and scores"] = time.perf_counter() - s

mc_draws = 0
try:
    from sna.build.robustness import rank_intervals as _monte_carlo  # the build's own Monte Carlo
except ImportError:
    _monte_carlo = None
if _monte_carlo is not None:
    s = time.perf_counter()
    mc = _monte_carlo(inputs, cfg.scoring, parent, scored)
    mc_draws = cfg.scoring.mc_draws
    t["monte carlo"] = time.perf_counter() - s

s = time.perf_counter()
polys = boundaries.read_boundaries(
    src("lsoa21_boundaries"), code_col="lsoa21_code", name_col="lsoa21_name"
).data.rename(columns={"code": "lsoa21_code"})[["lsoa21_code", "geometry"]]
pcs = postcodes.read_geocode_wheel(postcode_source_path(cfg), districts=None).data
lookup = lsoa21.read_lsoa11_lsoa21_lookup(src("lsoa11_lsoa21_lookup")).data
placed = lsoa21.assign_lsoa21(pcs, lookup, polys).data
t["postcodes placed"] = time.perf_counter() - s

s = time.perf_counter()
eng = placed[placed["lsoa21_code"].isin(lsoa["lsoa21_code"])]
pc_index = eng[["postcode", "lsoa21_code"]].merge(lsoa, on="lsoa21_code", how="left")
t["postcode index"] = time.perf_counter() - s
print("BENCH_RESULT " + json.dumps({
    "steps": t,
    "total_s": time.perf_counter() - t0,
    "districts": len(cfg.region.districts),
    "lsoa21": int(len(lsoa)),
    "layers": [spec.id for spec in cfg.layers],
    "mc_draws": mc_draws,
    "postcodes_read": int(len(placed)),
    "postcodes_england_with_index": int(pc_index["need"].notna().sum()),
    "missing_need": int(lsoa["need"].isna().sum()),
}))
"""


def run() -> dict[str, Any]:
    """Run the England-wide scoring benchmark; write ``bench/results/england.json``."""
    child = run_child(_CHILD).check("England-wide scoring")
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": __doc__.strip().split("\n\n", 1)[1],
        "results": {
            "england_scoring": {
                "wall_s": target(child.seconds, 300.0, "s"),
                "peak_rss_gib": round(child.max_rss_mib / 1024, 2),
                **child.result,
            }
        },
    }
    write_result(NAME, payload)
    return payload
