"""Preparing the geodata store: West Midlands cold and warm, and England and Wales postcodes.

Measured, each in a fresh interpreter (wall time includes start-up and imports; peak memory is
the child's own ``ru_maxrss``):

* ``west_midlands_cold``: ``prepare_region("west-midlands", force=True)`` into an empty
  temporary data directory (no store, no cache). Target 60 s.
* ``west_midlands_warm``: a second ``prepare_region("west-midlands")`` on the same directory:
  inputs, config and code unchanged, so it checks the cache key and returns. Target 5 s.
* ``england_wales_postcodes``: every LSOA21 polygon of England and Wales and every UK postcode
  of the ONS lookup (``read_geocode_wheel(wheel, districts=None)``) placed in its LSOA21 with
  ``assign_lsoa21`` against all polygons. Target 5 minutes and 6 GiB.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run"]

NAME = "prepare"
BENCH_DATA = PROJECT_ROOT / "data" / "_bench"

_PREPARE = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from sna.prepare.pipeline import prepare_region
t1 = time.perf_counter()
r = prepare_region("west-midlands", data_dir=Path({data_dir!r}), force={force})
t2 = time.perf_counter()
print("BENCH_RESULT " + json.dumps({{
    "import_s": t1 - t0, "prepare_s": t2 - t1, "rebuilt": r.rebuilt,
    "tables": r.tables, "steps": r.metrics.get("step_seconds", {{}}),
}}))
"""

_ENGLAND_WALES = """
import json, time
t = {}
t0 = time.perf_counter()
from geodata import boundaries, lsoa21, postcodes
from sna.config.region import load_region
from sna.prepare.pipeline import postcode_source_path
cfg = load_region("west-midlands")
src = lambda name: cfg.source_path(getattr(cfg.sources, name).paths[0])
t["import"] = time.perf_counter() - t0
s = time.perf_counter()
polys = boundaries.read_boundaries(
    src("lsoa21_boundaries"), code_col="lsoa21_code", name_col="lsoa21_name"
)
areas = polys.data.rename(columns={"code": "lsoa21_code"})[["lsoa21_code", "geometry"]]
t["boundaries"] = time.perf_counter() - s
s = time.perf_counter()
pcs = postcodes.read_geocode_wheel(postcode_source_path(cfg), districts=None)
t["postcodes"] = time.perf_counter() - s
s = time.perf_counter()
lookup = lsoa21.read_lsoa11_lsoa21_lookup(src("lsoa11_lsoa21_lookup"))
t["lookup"] = time.perf_counter() - s
s = time.perf_counter()
placed = lsoa21.assign_lsoa21(pcs.data, lookup.data, areas)
t["assign_lsoa21"] = time.perf_counter() - s
frame = placed.data
print("BENCH_RESULT " + json.dumps({
    "steps": t,
    "total_s": time.perf_counter() - t0,
    "lsoa21_polygons": int(len(areas)),
    "postcodes": int(len(frame)),
    "postcodes_with_lsoa21": int(frame["lsoa21_code"].notna().sum()),
    "methods": {str(k): int(v) for k, v in frame["lsoa21_method"].value_counts().items()},
}))
"""


def _measure(label: str, code: str, seconds_limit: float, gib_limit: float | None):
    child = run_child(code).check(label)
    if child.result.get("rebuilt") is False:
        child.result.pop("steps", None)  # the manifest's timings of the earlier prepare
    out: dict[str, Any] = {
        "wall_s": target(child.seconds, seconds_limit, "s"),
        "peak_rss_mib": round(child.max_rss_mib, 1),
        **child.result,
    }
    if gib_limit is not None:
        out["peak_rss_gib"] = target(child.max_rss_mib / 1024, gib_limit, "GiB")
    return out


def run(*, england_wales: bool = True) -> dict[str, Any]:
    """Run the prepare benchmarks; write ``bench/results/prepare.json``; return the results."""
    BENCH_DATA.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="prepare-", dir=BENCH_DATA))
    results: dict[str, Any] = {}
    try:
        results["west_midlands_cold"] = _measure(
            "West Midlands cold prepare",
            _PREPARE.format(data_dir=str(tmp), force=True),
            60.0,
            None,
        )
        results["west_midlands_warm"] = _measure(
            "West Midlands warm prepare",
            _PREPARE.format(data_dir=str(tmp), force=False),
            5.0,
            None,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if england_wales:
        results["england_wales_postcodes"] = _measure(
            "England and Wales postcodes", _ENGLAND_WALES, 300.0, 6.0
        )
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": {
            "west_midlands_cold": "prepare_region('west-midlands', force=True) into an empty "
            "data directory, fresh interpreter",
            "west_midlands_warm": "second prepare_region('west-midlands') on that directory "
            "(cache key unchanged: checks and returns)",
            "england_wales_postcodes": "all LSOA21 polygons of England and Wales + every UK "
            "postcode of the ONS lookup placed in its LSOA21 (assign_lsoa21)",
        },
        "results": results,
    }
    write_result(NAME, payload)
    return payload
