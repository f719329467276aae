"""The West Midlands build: every step of ``sna build`` in a fresh interpreter.

Measured, each in its own child process (wall time includes start-up and imports; peak memory
is the child's ``ru_maxrss``), with the region's default settings (500 Monte Carlo draws, 999
permutations for the hotspot statistics):

* ``build_cold``: ``build_region("west-midlands")`` on a prepared store with no earlier build;
  targets 60 s and 4 GiB.
* ``build_from_empty``: the same from an empty data directory, so the build prepares its store
  first (what ``make demo`` does on a fresh machine); reported against the same targets.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run"]

NAME = "build"
BENCH_DATA = PROJECT_ROOT / "data" / "_bench"

_PREPARE = """
from pathlib import Path
from sna.prepare.pipeline import prepare_region
prepare_region("west-midlands", data_dir=Path({data_dir!r}))
"""

_BUILD = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from sna.build.pipeline import build_region
t1 = time.perf_counter()
r = build_region("west-midlands", data_dir=Path({data_dir!r}))
t2 = time.perf_counter()
print("BENCH_RESULT " + json.dumps({{
    "import_s": t1 - t0, "build_s": t2 - t1, "n_lsoa": r.n_lsoa,
    "n_postcodes": r.n_postcodes, "steps": r.timings, "build_id": r.build_id,
}}))
"""


def _measure(label: str, data_dir: Path) -> dict[str, Any]:
    child = run_child(_BUILD.format(data_dir=str(data_dir))).check(label)
    return {
        "wall_s": target(child.seconds, 60.0, "s"),
        "peak_rss_gib": target(child.max_rss_mib / 1024, 4.0, "GiB"),
        **child.result,
    }


def run() -> dict[str, Any]:
    """Run the build benchmarks; write ``bench/results/build.json``; return the results."""
    BENCH_DATA.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=BENCH_DATA))
    try:
        results["build_from_empty"] = _measure("build from an empty data directory", tmp)
        shutil.rmtree(tmp / "west-midlands" / "builds")  # keep the store, drop the build
        results["build_cold"] = _measure("build on a prepared store", tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": {
            "build_cold": "build_region('west-midlands') on a prepared store, no earlier build, "
            "fresh interpreter, default settings (500 MC draws, 999 permutations)",
            "build_from_empty": "the same from an empty data directory (prepare + build)",
        },
        "results": results,
    }
    write_result(NAME, payload)
    return payload
