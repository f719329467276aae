"""What the at-risk population and the pooled violence model add to an England build.

Both are build inputs made once and cached under ``<data_dir>/_shared`` (``sna.needs.at_risk``,
``sna.violence.pooled``). Measured through what users run, ``sna build --region england``
(``build_region``), each in a fresh interpreter, in a data directory of its own under
``data/_bench/exposure``:

1. ``cold``: the first build from nothing. The at-risk estimate is timed inside the prepare
   step (``metrics.at_risk.seconds`` of the store manifest) and the archive run plus pooled
   fit inside the violence-risk step (the build's timing ``pooled violence fit and at-risk
   inputs``). Target: under 60 s together.
2. ``warm``: a second build over the same store and caches. Target: the two together under
   5 s (reading the cached estimate and fit, and hashing their inputs), i.e. nothing added.

The cold build's top 20 LSOAs of England by violence risk are written beside the figures
(``docs/evaluation.md`` lists and explains them).
"""

from __future__ import annotations

import shutil
from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run"]

NAME = "exposure"

_CHILD = """
import json, time
from pathlib import Path
import pandas as pd
from sna.build.pipeline import build_region
from sna.prepare.store import Store
t0 = time.perf_counter()
r = build_region("england", data_dir=Path("{data_dir}"))
store = Store("england", Path("{data_dir}")).manifest()
lsoa = pd.read_parquet(r.path / "lsoa.parquet").sort_values("violence_risk_rank").head(20)
cols = ["lsoa21_code", "lsoa21_name", "msoa21_code", "district_name", "violence_risk",
        "violence_risk_rank", "pop_total", "at_risk_pop"]
top = lsoa[cols].round(1).to_dict("records")
print("BENCH_RESULT " + json.dumps({{
    "seconds": time.perf_counter() - t0,
    "at_risk_seconds": store["metrics"].get("at_risk", {{}}).get("seconds"),
    "timings": r.timings,
    "top20": top,
}}, default=str))
"""

_POOLED = "pooled violence fit and at-risk inputs"


def _pooled_seconds(timings: dict[str, float]) -> float:
    if _POOLED not in timings:
        raise RuntimeError(f"no {_POOLED!r} in the build's timings: {sorted(timings)}")
    return float(timings[_POOLED])


def run() -> dict[str, Any]:
    """Run the cold and the warm build; write ``bench/results/exposure.json``."""
    data_dir = PROJECT_ROOT / "data" / "_bench" / "exposure"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = {"SNA_DATA_DIR": str(data_dir)}
    cold = run_child(_CHILD.format(data_dir=data_dir), env=env, timeout=3600).check("cold")
    warm = run_child(_CHILD.format(data_dir=data_dir), env=env, timeout=3600).check("warm")
    c_at = float(cold.result["at_risk_seconds"] or 0.0)
    c_pool = _pooled_seconds(cold.result["timings"])
    w_pool = _pooled_seconds(warm.result["timings"])
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": __doc__.strip().split("\n\n", 1)[1],
        "results": {
            "cold": {
                "at_risk_and_pooled_s": target(c_at + c_pool, 60.0, "s"),
                "at_risk_s": c_at,
                "pooled_fit_s": c_pool,
                "build_wall_s": round(cold.seconds, 1),
                "peak_rss_gib": round(cold.max_rss_mib / 1024, 2),
            },
            "warm": {
                # the store is reused, so the estimate is not read again: only the fit's cache
                "at_risk_and_pooled_s": target(w_pool, 5.0, "s"),
                "build_wall_s": round(warm.seconds, 1),
            },
            "england_top20": cold.result["top20"],
        },
    }
    write_result(NAME, payload)
    return payload
