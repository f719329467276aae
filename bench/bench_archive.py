"""The police.uk archive on an engine: synthetic archives of 5M and 20M rows, both engines.

For each size, in a fresh child interpreter each (wall time includes start-up and imports;
peak memory is the **sum of the resident memory of the child and all its descendants**,
sampled every 0.1 s from ``/proc``, so Dask workers count; each child also reports its own
``VmHWM``):

* ``generate``: :mod:`bench.synthetic_police` writes every force of England and Wales plus
  BTP, 36 months (2021-05 to 2024-04; LSOA 2011 codes before 2022-05), as police.uk CSVs;
* ``ingest``: :func:`geodata.archive.ingest_archive` into ``force=/month=`` GeoParquet;
* ``counts_duckdb``: the DuckDB engine (``memory_limit`` 2GB, 2 threads): clean, place in
  LSOA21, count per force x month x type x LSOA21 (written per force-month as it goes), bin
  per force, then the per-force KDE one force at a time
  (:func:`sna.build.archive_surfaces.iter_force_surfaces`);
* ``counts_dask_localcluster``: the same with the Dask engine on a 2-worker
  ``dask.distributed.LocalCluster`` (2 GiB per worker).

After both, every force-month count and every count part (file by file) of the two engines
are compared (``dask_vs_duckdb``). Times and peak memory are fitted linearly in rows (least
squares over the sizes run) and extrapolated to 100M rows (the full archive since 2010).
Target: each step of the 20M run under 6 GiB. Data go to ``data/_bench/archive`` and are
removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import PROJECT_ROOT, RESULTS_DIR, target, write_result

__all__ = ["NAME", "run"]

NAME = "archive"
BENCH = PROJECT_ROOT / "data" / "_bench" / "archive"
SIZES = (5_000_000, 20_000_000)
MONTHS = 36
GIB = 6.0
_MARK = "BENCH_RESULT "

_GENERATE = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from bench.synthetic_police import snap_pool, write_archive, month_list
pool = snap_pool()
t1 = time.perf_counter()
w = write_archive(Path({csv!r}), {rows}, pool=pool, months=month_list({start!r}, {months}),
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

_HWM = """
def _vmhwm_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
"""

_COUNTS = (
    _HWM
    + """
import json, time
from geodata.archive import get_engine, load_placement
from sna.build.archive_surfaces import iter_force_surfaces
src = "{src}"
if __name__ == "__main__":
    pl = load_placement(src + "/lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz",
                        src + "/boundaries/lsoa21_england_wales.geoparquet")
    eng = get_engine({engine!r}, **{settings!r})
    res = eng.run({root!r}, pl, out={out!r})
    res.force_months.to_parquet({out!r} + "/force_months.parquet")
    t = time.perf_counter()
    n = 0
    for force, surface in iter_force_surfaces(res):
        n += 1
    print("BENCH_RESULT " + json.dumps({{**res.summary(), "kde_s": time.perf_counter() - t,
          "surfaces": n, "vmhwm_mib": _vmhwm_mib()}}))
"""
)


def _agreement(tag: str, a: Path, b: Path) -> dict[str, Any]:
    """DuckDB's results folder ``a`` against Dask's ``b``: force-months and every part."""
    import pandas as pd
    import pyarrow.parquet as pq

    from geodata.archive import partitions

    fa = pd.read_parquet(a / "force_months.parquet").set_index(["force", "month"])["count"]
    fb = pd.read_parquet(b / "force_months.parquet").set_index(["force", "month"])["count"]
    pa_, pb = partitions(a / "counts"), partitions(b / "counts")
    same_parts = [(p.force, p.month) for p in pa_] == [(p.force, p.month) for p in pb]
    unequal = 0
    files_sum = {}
    if same_parts:
        for x, y in zip(pa_, pb, strict=True):
            tx, ty = pq.read_table(x.files[0]), pq.read_table(y.files[0])
            unequal += not tx.equals(ty)
            files_sum[(x.force, x.month)] = int(tx.column("count").to_numpy().sum())
    grid_a = sorted(p.parent.name for p in (a / "grid").glob("force=*/part-0.parquet"))
    grid_b = sorted(p.parent.name for p in (b / "grid").glob("force=*/part-0.parquet"))
    grids_equal = grid_a == grid_b and all(
        pq.read_table(a / "grid" / f / "part-0.parquet").equals(
            pq.read_table(b / "grid" / f / "part-0.parquet")
        )
        for f in grid_a
    )
    return {
        "size": tag,
        "force_months": int(len(fa)),
        "force_month_counts_equal": bool(fa.sort_index().equals(fb.sort_index())),
        "force_month_counts_equal_the_files": files_sum == {k: int(v) for k, v in fa.items()},
        "count_parts": len(pa_),
        "count_parts_equal": bool(same_parts and unequal == 0),
        "count_parts_unequal": unequal if same_parts else None,
        "grids_equal": bool(grids_equal),
        "kept_rows": int(fa.sum()),
    }


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
    """Run ``python -c code``; wall time and peak process-tree RSS; its BENCH_RESULT.

    ``load_1min`` is the machine's load average when the step started (a shared 2-core
    machine: a load above 2 means the step's time includes waiting for a core).
    """
    load = round(os.getloadavg()[0], 2)
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
    return {
        "wall_s": round(seconds, 2),
        "peak_rss_mib": round(peak[0] / 1024, 1),
        "load_1min": load,
        **result,
    }


def _fit(xs: list[float], ys: list[float], at: float) -> dict[str, float]:
    slope, intercept = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return {
        "per_million_rows": round(float(slope) * 1e6, 3),
        "intercept": round(float(intercept), 2),
        "at_100M": round(float(slope * at + intercept), 1),
    }


def run(
    sizes: tuple[int, ...] = SIZES,
    dask_sizes: tuple[int, ...] | None = None,
    *,
    merge: bool = False,
    months: int = MONTHS,
) -> dict[str, Any]:
    """Run every size; write ``bench/results/archive.json`` after each; return the results.

    ``dask_sizes`` (default every size; ``()`` for none) are the sizes Dask also runs at.
    ``months`` other than 36 spreads the rows over that many months ending 2024-04 (tagged
    ``<size>-<months>mo`` and left out of the fit in rows): the same rows per month over more
    months, to see whether memory grows with the length of the archive.
    ``merge`` keeps the sizes of an earlier ``archive.json`` that are not re-run, so sizes can
    be run one at a time on a busy machine.
    """
    import pandas as pd

    from sna.settings import source_dir

    src = str(source_dir())
    dask_sizes = tuple(sizes) if dask_sizes is None else dask_sizes
    runs: dict[str, Any] = {}
    agreement: dict[str, Any] = {}
    old = RESULTS_DIR / f"{NAME}.json"
    if merge and old.exists():
        earlier = json.loads(old.read_text())
        runs.update(earlier.get("runs", {}))
        # one entry per size (an older file had a single entry)
        agreement = {
            k: v for k, v in earlier.get("dask_vs_duckdb", {}).items() if isinstance(v, dict)
        }
    BENCH.mkdir(parents=True, exist_ok=True)
    for rows in sizes:
        tag = f"{rows / 1e6:g}M" + ("" if months == MONTHS else f"-{months}mo")
        start = str(pd.Period("2024-04", freq="M") - (months - 1))
        base = BENCH / tag
        shutil.rmtree(base, ignore_errors=True)
        csv, root = base / "csv", base / "parquet"
        step: dict[str, Any] = {}
        try:
            step["generate"] = _child(
                _GENERATE.format(csv=str(csv), rows=rows, start=start, months=months), "generate"
            )
            step["csv_gib"] = round(sum(f.stat().st_size for f in csv.rglob("*.csv")) / 2**30, 2)
            step["ingest"] = _child(_INGEST.format(csv=str(csv), root=str(root)), "ingest")
            shutil.rmtree(csv, ignore_errors=True)  # the CSVs are not needed any more
            step["parquet_gib"] = round(
                sum(f.stat().st_size for f in root.rglob("*.parquet")) / 2**30, 2
            )
            duck_out = base / "results-duckdb"
            step["counts_duckdb"] = _child(
                _COUNTS.format(
                    src=src,
                    engine="duckdb",
                    settings={"duckdb_memory_limit": "2GB", "threads": 2},
                    root=str(root),
                    out=str(duck_out),
                ),
                "counts (duckdb)",
            )
            step["results_gib"] = round(
                sum(f.stat().st_size for f in duck_out.rglob("*.parquet")) / 2**30, 3
            )
            if rows in dask_sizes:
                dask_out = base / "results-dask"
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
                        out=str(dask_out),
                    ),
                    "counts (dask LocalCluster)",
                )
                agreement[tag] = _agreement(tag, duck_out, dask_out)
            peak = max(v["peak_rss_mib"] for v in step.values() if isinstance(v, dict))
            step["peak_rss_gib"] = target(peak / 1024, GIB, "GiB")
        finally:
            shutil.rmtree(base, ignore_errors=True)
        runs[tag] = {"rows_requested": rows, "months": months, **step}
        print(f"archive {tag}: {json.dumps(step)}", flush=True)
        if tag in agreement:
            print(f"archive {tag} dask vs duckdb: {json.dumps(agreement[tag])}", flush=True)
        payload = _payload(runs, agreement)
        write_result(NAME, payload)
    return payload


STEPS = ("generate", "ingest", "counts_duckdb", "counts_dask_localcluster")


def _payload(runs: dict[str, Any], agreement: dict[str, Any]) -> dict:
    """The result document; a step's fit needs it measured at two sizes or more."""
    runs = dict(
        sorted(runs.items(), key=lambda kv: (kv[1].get("months", MONTHS), kv[1]["rows_requested"]))
    )
    extrapolation: dict[str, Any] = {}
    for name in STEPS:
        have = [k for k in runs if name in runs[k] and runs[k].get("months", MONTHS) == MONTHS]
        if len(have) < 2:
            continue
        xs = [runs[k]["ingest"]["rows"] for k in have]
        extrapolation[name] = {
            "sizes": have,
            "seconds": _fit(xs, [runs[k][name]["wall_s"] for k in have], 1e8),
            "peak_rss_mib": _fit(xs, [runs[k][name]["peak_rss_mib"] for k in have], 1e8),
        }
    # the same rows per month over 4x the months: does memory follow the archive's length?
    months_scaling = {
        f"{short} vs {long}": {
            step: {
                "peak_rss_mib": [
                    runs[short][step]["peak_rss_mib"],
                    runs[long][step]["peak_rss_mib"],
                ],
                "wall_s": [runs[short][step]["wall_s"], runs[long][step]["wall_s"]],
            }
            for step in STEPS[1:]
            if step in runs[short] and step in runs[long]
        }
        for long in runs
        if runs[long].get("months", MONTHS) != MONTHS
        for short in runs
        if runs[short].get("months", MONTHS) == MONTHS
        and abs(
            runs[short]["rows_requested"] / MONTHS
            - runs[long]["rows_requested"] / runs[long]["months"]
        )
        < 1
    }
    return {
        "description": __doc__.strip().splitlines()[0],
        "synthetic": "every row is generated (bench/synthetic_police.py) and says so in Context",
        "fit": "least squares y = a + b * rows over the sizes run, evaluated at 100M rows",
        "sizes": [runs[k]["rows_requested"] for k in runs if runs[k].get("months", 36) == 36],
        "runs": runs,
        "dask_vs_duckdb": {k: agreement[k] for k in runs if k in agreement},
        "extrapolation_100M_rows": extrapolation,
        "months_scaling": months_scaling,
    }


if __name__ == "__main__":  # pragma: no cover
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sizes = tuple(int(s) for s in args) or SIZES
    no_dask = "--no-dask" in sys.argv
    n_months = next((int(a[9:]) for a in sys.argv if a.startswith("--months=")), MONTHS)
    out = run(sizes, () if no_dask else None, merge="--merge" in sys.argv, months=n_months)
    print(json.dumps(out, indent=2, default=str))
