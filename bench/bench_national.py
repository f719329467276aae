"""All of England in one build, and a VRU as a view of it.

What is measured, each in a fresh interpreter, in a data directory of its own under
``data/_bench/national`` (so nothing is reused from other runs):

1. ``england_build``: ``sna build --region england`` from nothing: the prepared store (every
   English LSOA21 and postcode, IoD, schools, assets) and the whole build (layers, violence
   risk carried over from Bedfordshire, needs, Monte Carlo intervals, drivers, hotspots,
   surfaces, postcode index, exports, disclosure audit). Targets: under 10 minutes and 8 GiB.
2. ``vru_view``: ``sna build --region west-midlands-view``: the West Midlands sliced from the
   national store and scored on its own LSOAs. Target: under 30 s.
"""

from __future__ import annotations

from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run"]

NAME = "national"

_CHILD = """
import json, time
from pathlib import Path
from sna.build.pipeline import build_region
t0 = time.perf_counter()
r = build_region("{region}", data_dir=Path("{data_dir}"))
print("BENCH_RESULT " + json.dumps({{
    "seconds": time.perf_counter() - t0, "n_lsoa": r.n_lsoa, "n_postcodes": r.n_postcodes,
    "timings": r.timings,
}}))
"""


def run() -> dict[str, Any]:
    """Run both steps; write ``bench/results/national.json``."""
    import shutil

    data_dir = PROJECT_ROOT / "data" / "_bench" / "national"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = {"SNA_DATA_DIR": str(data_dir)}
    eng = run_child(_CHILD.format(region="england", data_dir=data_dir), env=env, timeout=3600)
    eng.check("England build")
    view = run_child(
        _CHILD.format(region="west-midlands-view", data_dir=data_dir), env=env, timeout=600
    )
    view.check("West Midlands view")
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": __doc__.strip().split("\n\n", 1)[1],
        "results": {
            "england_build": {
                "wall_s": target(eng.seconds, 600.0, "s"),
                "peak_rss_gib": target(eng.max_rss_mib / 1024, 8.0, "GiB"),
                **eng.result,
            },
            "vru_view": {
                "wall_s": target(view.seconds, 30.0, "s"),
                "peak_rss_gib": round(view.max_rss_mib / 1024, 2),
                **view.result,
            },
        },
    }
    write_result(NAME, payload)
    return payload
