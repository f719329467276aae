"""Printed maps: every West Midlands static map as an A4 PDF, and as a 200 dpi PNG.

Measured in a fresh child interpreter each (wall time includes start-up and imports; peak
memory is the child's ``ru_maxrss``), on a West Midlands build in ``data/_bench`` (prepared and
built first when there is none, not timed):

* ``pdf``: ``write_print_maps("west-midlands", fmt="pdf")``: 10 maps (3 region-wide, 7
  districts, 1,719 LSOAs); target 60 s and 2 GiB.
* ``png``: the same at 200 dpi (1654 x 2339 pixels a page); same targets.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run"]

NAME = "print"
BENCH_DATA = PROJECT_ROOT / "data" / "_bench" / "print"

_BUILD = """
from pathlib import Path
from sna.build.pipeline import build_is_current, build_region
from sna.config.region import load_region
cfg = load_region("west-midlands")
if not build_is_current(cfg, Path({data_dir!r})):
    build_region(cfg, data_dir=Path({data_dir!r}))
"""

_PRINT = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from maps.printing import write_print_maps
t1 = time.perf_counter()
paths = write_print_maps("west-midlands", Path({data_dir!r}), Path({out!r}), fmt={fmt!r})
t2 = time.perf_counter()
print("BENCH_RESULT " + json.dumps({{
    "import_s": t1 - t0, "print_s": t2 - t1, "n_maps": len(paths),
    "total_mb": sum(p.stat().st_size for p in paths) / 1e6,
    "largest_mb": max(p.stat().st_size for p in paths) / 1e6,
}}))
"""


def run() -> dict[str, Any]:
    """Run the print benchmarks; write ``bench/results/print.json``; return the results."""
    BENCH_DATA.mkdir(parents=True, exist_ok=True)
    run_child(_BUILD.format(data_dir=str(BENCH_DATA))).check("West Midlands build")
    results: dict[str, Any] = {}
    out = Path(tempfile.mkdtemp(prefix="print-", dir=BENCH_DATA))
    try:
        for fmt in ("pdf", "png"):
            code = _PRINT.format(data_dir=str(BENCH_DATA), out=str(out / fmt), fmt=fmt)
            child = run_child(code).check(f"printing the maps as {fmt}")
            results[fmt] = {
                "wall_s": target(child.seconds, 60.0, "s"),
                "peak_rss_gib": target(child.max_rss_mib / 1024, 2.0, "GiB"),
                **child.result,
            }
    finally:
        shutil.rmtree(out, ignore_errors=True)
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": {
            "pdf": "write_print_maps('west-midlands', fmt='pdf'): 10 A4 pages, fresh interpreter",
            "png": "the same as 200 dpi PNGs",
        },
        "results": results,
    }
    write_result(NAME, payload)
    return payload
