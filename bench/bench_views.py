"""Every generated VRU view built from the England build, as users run it.

After ``sna build --region england`` (this benchmark never builds England: it stops if the
national store or build is missing), ``sna build --region england --views`` builds every view
of England (the generated force-area views, :mod:`sna.build.views`), as many at a time as the
machine has cores, in the data directory that holds the England build (``$SNA_DATA_DIR`` or
``./data``). Measured: the command's wall time and peak memory, and each view's build time
and LSOA count (from its manifest). Target: every view together under 10 minutes.

``--one-by-one`` measures the other way a user may build them, ``sna build --region <id>``
per view in a fresh interpreter, one after another (985 s for the 38 views on this 2-core
machine). Options (``python -m bench.bench_views --help``) build the views of another
national build, e.g. the small test nations of ``tests/``; ``python -m bench views`` uses the
defaults and writes ``bench/results/views.json`` (a run on anything but England writes
``views-<national>.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT, run_child, target, write_result

__all__ = ["NAME", "run", "main"]

NAME = "views"
TARGET_S = 600.0

_CHILD = """
import sys
from cli.main import main
sys.argv = ["sna", "build", "--region", {region!r}, "--data-dir", {data_dir!r}]
main()
"""

_ALL = """
import json
import sys
from pathlib import Path
from cli.main import app
from sna.builds.registry import current_build
from sna.config.region import load_region
try:
    app(["build", "--region", {national!r}, "--views", "--data-dir", {data_dir!r}])
except SystemExit as exc:
    if exc.code:
        raise
per_view = {{}}
for region in {views!r}:
    folder = current_build(load_region(region).id, Path({data_dir!r}))
    m = json.loads((folder / "manifest.json").read_text())
    per_view[m["region"]] = {{"seconds": round(sum(m["timings"].values()), 2),
                             "n_lsoa": m["n_lsoa"], "build": folder.name}}
print("BENCH_RESULT " + json.dumps(per_view))
"""

_COUNT = """
import json
import pyarrow.parquet as pq
from sna.builds.registry import current_build
from sna.config.region import load_region
from pathlib import Path
folder = current_build(load_region({region!r}).id, Path({data_dir!r}))
print("BENCH_RESULT " + json.dumps({{"n_lsoa": pq.read_metadata(folder / "lsoa.parquet").num_rows,
                                     "build": folder.name}}))
"""


def _national_ready(national: str, data_dir: Path) -> None:
    """Stop unless the national store and build exist (building England is not ours)."""
    from sna.builds.registry import current_build
    from sna.config.region import load_region
    from sna.errors import BuildNotFound
    from sna.prepare.store import Store

    nid = load_region(national).id
    if not Store(nid, data_dir).exists():
        raise SystemExit(f"no prepared store of {nid!r} in {data_dir}: run sna build first")
    try:
        current_build(nid, data_dir)
    except BuildNotFound as exc:
        raise SystemExit(f"no build of {nid!r} in {data_dir}: run sna build first") from exc


def run(
    national: str = "england",
    views: list[str] | None = None,
    data_dir: Path | None = None,
    one_by_one: bool = False,
) -> dict[str, Any]:
    """Build every view (all views of ``national`` by default); write the result JSON."""
    from sna.build.views import views_of

    data_dir = (data_dir or Path(os.environ.get("SNA_DATA_DIR") or PROJECT_ROOT / "data")).resolve()
    _national_ready(national, data_dir)
    views = views or views_of(national)
    if one_by_one:
        per_view, total, peak = _one_by_one(views, data_dir)
        how = "sna build --region <id>, one view at a time"
    else:
        child = run_child(
            _ALL.format(national=national, views=views, data_dir=str(data_dir)), timeout=3600
        )
        child.check(f"sna build --region {national} --views")
        per_view, total, peak = child.result, child.seconds, child.max_rss_mib / 1024
        how = f"sna build --region {national} --views (workers: the usable cores)"
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": __doc__.strip().split("\n\n", 1)[1],
        "national": national,
        "data_dir": str(data_dir),
        "command": how,
        "results": {
            "all_views": {
                "wall_s": target(total, TARGET_S, "s"),
                "n_views": len(views),
                # the command's own process: its workers are not its direct children, and
                # --one-by-one measured a view build at 1.4-1.6 GiB
                "peak_rss_gib_command": round(peak, 2),
                "slowest": max(per_view, key=lambda k: per_view[k]["seconds"]),
            },
            "per_view": per_view,
        },
    }
    name = NAME if national == "england" else f"{NAME}-{Path(national).stem}"
    write_result(name, payload)
    return payload


def _one_by_one(views: list[str], data_dir: Path) -> tuple[dict[str, Any], float, float]:
    per_view: dict[str, Any] = {}
    total = peak = 0.0
    for region in views:
        child = run_child(_CHILD.format(region=region, data_dir=str(data_dir)), timeout=1800)
        child.check(f"sna build --region {region}")
        count = run_child(_COUNT.format(region=region, data_dir=str(data_dir)), timeout=120)
        total += child.seconds
        peak = max(peak, child.max_rss_mib / 1024)
        per_view[Path(region).stem] = {
            "seconds": round(child.seconds, 2),
            "peak_rss_gib": round(child.max_rss_mib / 1024, 2),
            **count.result,
        }
        print(f"{region}: {child.seconds:.1f} s", file=sys.stderr, flush=True)
    return per_view, total, peak


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--national``, ``--views``, ``--data-dir`` and ``--one-by-one``."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_views", description=__doc__)
    parser.add_argument("--national", default="england", help="the national region (id/TOML)")
    parser.add_argument("--views", default="", help="comma-separated view ids or TOML paths")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--one-by-one", action="store_true", help="sna build --region <id> per view instead"
    )
    args = parser.parse_args(argv)
    views = [v.strip() for v in args.views.split(",") if v.strip()] or None
    out = run(args.national, views, args.data_dir, args.one_by_one)
    print(json.dumps(out["results"]["all_views"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
