"""The police.uk archive on an engine: synthetic archives of 2M and 20M rows.

For each size, in a fresh child interpreter each (wall time includes start-up and imports;
peak memory is the **sum of the resident memory of the child and all its descendants**,
sampled every 0.1 s from ``/proc``, so Dask workers count):

* ``generate``: :mod:`bench.synthetic_police` writes every force of England and Wales plus
  BTP, 36 months (2021-05 to 2024-04; LSOA 2011 codes before 2022-05), as police.uk CSVs;
* ``ingest``: :func:`geodata.archive.ingest_archive` into ``force=/month=`` GeoParquet;
* ``counts_duckdb``: the DuckDB engine (``memory_limit`` 2GB, 2 threads): clean, place in
  LSOA21, count per force x month x type x LSOA21, and bin per force for the KDE;
* ``kde``: per-force surfaces from the grid (:func:`sna.archive_surfaces.force_surfaces`).

At the smallest size the Dask engine runs on a 2-worker ``LocalCluster`` and every
force-month count (and every count row) is compared with DuckDB's. Times and peak memory are
fitted linearly in rows and extrapolated to 100M rows (the full archive since 2010). Target:
each step of the 20M run under 6 GiB. Data go to ``data/_bench/archive`` and are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from . import PROJECT_ROOT, RESULTS_DIR, target, write_result

__all__ = ["NAME", "run"]

NAME = "archive"
BENCH = PROJECT_ROOT / "data" / "_bench" / "archive"
SIZES = (2_000_000, 20_000_000)
GIB = 6.0
_MARK = "BENCH_RESULT "

_GENERATE = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from bench.synthetic_police import snap_pool, write_archive, month_list
pool = snap_pool()
t1 = time.perf_counter()
w = write_archive(Path({csv!r}), {rows}, pool=pool, months=month_list("2021-05", 36),
                  switch_month="2022-05")
print("BENCH_RESULT " + json.dumps({{"rows": sum(w.values()), "forces": len(w),
      "snap_points": len(pool.frame), "pool_s": t1 - t0, "write_s": time.perf_counter() - t1}}))
"""

_INGEST = """
import json, time
from geodata.archive import ingest_archive
r = ingest_archive({csv!r}, {root!r})
print("BENCH_RESULT " + json.dumps({{"files": r.files, "rows": r.rows, "parts": len(r.parts)}}))
"""

_COUNTS = """
import json, time
from geodata.archive import get_engine, load_placement
from sna.archive_surfaces import force_surfaces
src = "{src}"
if __name__ == "__main__":
    pl = load_placement(src + "/lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz",
                        src + "/boundaries/lsoa21_england_wales.geoparquet")
    eng = get_engine({engine!r}, **{settings!r})
    res = eng.run({root!r}, pl)
    res.counts.to_parquet({out!r})
    t = time.perf_counter()
    maps = force_surfaces(res.grid, res.cell, years=len(res.months_read) / 12)
    print("BENCH_RESULT " + json.dumps({{**res.summary(), "kde_s": time.perf_counter() - t,
          "surfaces": len(maps)}}))
"""


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def _child(code: str, label: str) -> dict[str, Any]:
    """Run ``python -c code``; wall time and peak process-tree RSS; its BENCH_RESULT."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    th.join()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    result = {}
    for line in stdout.splitlines():
        if line.startswith(_MARK):
            result = json.loads(line[len(_MARK) :])
    return {"wall_s": round(seconds, 2), "peak_rss_mib": round(peak[0] / 1024, 1), **result}


def _fit(xs: list[float], ys: list[float], at: float) -> dict[str, float]:
    slope, intercept = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return {
        "per_million_rows": round(float(slope) * 1e6, 3),
        "intercept": round(float(intercept), 2),
        "at_100M": round(float(slope * at + intercept), 1),
    }


def run(
    sizes: tuple[int, ...] = SIZES, dask_size: int | None = None, *, merge: bool = False
) -> dict[str, Any]:
    """Run every size; write ``bench/results/archive.json`` after each; return the results.

    ``dask_size`` (default the smallest size; 0 for none) is the size Dask also runs at.
    ``merge`` keeps the sizes of an earlier ``archive.json`` that are not re-run, so sizes can
    be run one at a time on a busy machine.
    """
    import pandas as pd

    from sna.settings import source_dir

    src = str(source_dir())
    dask_size = min(sizes) if dask_size is None else dask_size
    runs: dict[str, Any] = {}
    agreement: dict[str, Any] = {}
    old = RESULTS_DIR / f"{NAME}.json"
    if merge and old.exists():
        earlier = json.loads(old.read_text())
        runs.update(earlier.get("runs", {}))
        agreement = earlier.get("dask_vs_duckdb", {})
    BENCH.mkdir(parents=True, exist_ok=True)
    for rows in sizes:
        tag = f"{rows / 1e6:g}M"
        base = BENCH / tag
        shutil.rmtree(base, ignore_errors=True)
        csv, root = base / "csv", base / "parquet"
        step: dict[str, Any] = {}
        try:
            step["generate"] = _child(_GENERATE.format(csv=str(csv), rows=rows), "generate")
            step["csv_gib"] = round(sum(f.stat().st_size for f in csv.rglob("*.csv")) / 2**30, 2)
            step["ingest"] = _child(_INGEST.format(csv=str(csv), root=str(root)), "ingest")
            shutil.rmtree(csv, ignore_errors=True)  # the CSVs are not needed any more
            step["parquet_gib"] = round(
                sum(f.stat().st_size for f in root.rglob("*.parquet")) / 2**30, 2
            )
            duck_out = str(base / "counts-duckdb.parquet")
            step["counts_duckdb"] = _child(
                _COUNTS.format(
                    src=src,
                    engine="duckdb",
                    settings={"duckdb_memory_limit": "2GB", "threads": 2},
                    root=str(root),
                    out=duck_out,
                ),
                "counts (duckdb)",
            )
            if rows == dask_size:
                dask_out = str(base / "counts-dask.parquet")
                step["counts_dask_localcluster"] = _child(
                    _COUNTS.format(
                        src=src,
                        engine="dask",
                        settings={
                            "dask_scheduler": "local",
                            "dask_workers": 2,
                            "dask_memory_limit": "2GiB",
                        },
                        root=str(root),
                        out=dask_out,
                    ),
                    "counts (dask LocalCluster)",
                )
                a, b = pd.read_parquet(duck_out), pd.read_parquet(dask_out)
                fa = a.groupby(["force", "month"])["count"].sum()
                fb = b.groupby(["force", "month"])["count"].sum()
                agreement = {
                    "size": tag,
                    "force_months": int(len(fa)),
                    "force_month_counts_equal": bool(fa.sort_index().equals(fb.sort_index())),
                    "count_rows_equal": bool(
                        a.reset_index(drop=True).equals(b.reset_index(drop=True))
                    ),
                }
            peak = max(v["peak_rss_mib"] for v in step.values() if isinstance(v, dict))
            step["peak_rss_gib"] = target(peak / 1024, GIB, "GiB")
        finally:
            shutil.rmtree(base, ignore_errors=True)
        runs[tag] = {"rows_requested": rows, **step}
        print(f"archive {tag}: {json.dumps(step)}", flush=True)
        payload = _payload(sizes, runs, agreement)
        write_result(NAME, payload)
    return payload


def _payload(sizes: tuple[int, ...], runs: dict[str, Any], agreement: dict[str, Any]) -> dict:
    """The result document; the fit needs two sizes or more."""
    runs = dict(sorted(runs.items(), key=lambda kv: kv[1]["rows_requested"]))
    xs = [runs[k]["ingest"]["rows"] for k in runs]
    extrapolation = (
        {
            name: {
                "seconds": _fit(xs, [runs[k][name]["wall_s"] for k in runs], 1e8),
                "peak_rss_mib": _fit(xs, [runs[k][name]["peak_rss_mib"] for k in runs], 1e8),
            }
            for name in ("generate", "ingest", "counts_duckdb")
        }
        if len(runs) >= 2
        else {}
    )
    return {
        "description": __doc__.strip().splitlines()[0],
        "synthetic": "every row is generated (bench/synthetic_police.py) and says so in Context",
        "sizes": [runs[k]["rows_requested"] for k in runs],
        "runs": runs,
        "dask_vs_duckdb": agreement,
        "extrapolation_100M_rows": extrapolation,
    }


if __name__ == "__main__":  # pragma: no cover
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sizes = tuple(int(s) for s in args) or SIZES
    no_dask = "--no-dask" in sys.argv
    out = run(sizes, 0 if no_dask else None, merge="--merge" in sys.argv)
    print(json.dumps(out, indent=2, default=str))
