"""``python -m bench [name ...]``: run benchmarks and print a summary table.

Names: ``prepare``, ``build``, ``england``, ``national``, ``references``, ``api``,
``serving``, ``serve-memory``, ``front-door``, ``print``, ``support``, ``archive``,
``exposure``, ``views`` (all when none is given). Each writes
``bench/results/<name>.json``. ``--list`` shows the names; ``--strict`` exits with status 1
when a target is missed (a benchmark that fails always exits with status 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from typing import Any

from rich.console import Console
from rich.table import Table

#: Benchmark name -> module. ``api`` (bench/bench_api.py) is written separately and writes
#: bench/results/api.json itself.
BENCHMARKS: dict[str, str] = {
    "prepare": "bench.bench_prepare",
    "build": "bench.bench_build",
    "england": "bench.bench_england",
    "national": "bench.bench_national",
    "api": "bench.bench_api",
    "serving": "bench.bench_serving",
    "serve-memory": "bench.serve_memory",
    "front-door": "bench.bench_front_door",
    "references": "bench.bench_references",
    "print": "bench.bench_print",
    "support": "bench.bench_support",
    "archive": "bench.bench_archive",
    "exposure": "bench.bench_exposure",
    "views": "bench.bench_views",
    "contract": "bench.contract",
}


def _targets(obj: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{"value", "target", "unit", "ok"}`` entry of a result, with its dotted path."""
    found = []
    if isinstance(obj, dict):
        if {"value", "target", "ok"} <= set(obj):
            return [(path, obj)]
        for k, v in obj.items():
            found += _targets(v, f"{path}.{k}" if path else str(k))
    return found


def _ratios(obj: Any, path: str = "") -> list[tuple[str, float]]:
    """Entries under keys starting with ``ratio`` (the reference comparisons)."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}" if path else str(k)
            if str(k).startswith("ratio") and isinstance(v, dict):
                nums = [(m, x) for m, x in v.items() if isinstance(x, int | float)]
                found += [(f"{p}.{m}", float(x)) for m, x in nums]
            else:
                found += _ratios(v, p)
    return found


#: bench_api reports ``pass: {check: bool}``; where to find each check's measured value.
_API_VALUES: dict[str, tuple[str, str, str]] = {
    "postcode_rps": ("postcode", "req_per_s", ">= 5,000 req/s"),
    "postcode_p99": ("postcode", "p99_ms", "< 20 ms"),
    "bulk_100": ("bulk_100", "server_lookup_ms", "< 10 ms"),
    "tiles_warm_p99": ("tiles_warm", "p99_ms", "< 10 ms"),
    "tiles_cold_png_p95": ("tiles_cold_png", "p95_ms", "< 50 ms"),
}


def _api_value(result: dict[str, Any], check: str) -> tuple[str, str]:
    section, key, goal = _API_VALUES.get(check, ("", "", "see api.json"))
    value = result.get(section, {}).get(key) if section else None
    return ("" if value is None else f"{value:,.2f}"), goal


def _run_one(name: str) -> dict[str, Any]:
    module = importlib.import_module(BENCHMARKS[name])
    if hasattr(module, "run"):
        out = module.run()
    elif hasattr(module, "main"):  # bench_api: main(argv) parses its own options
        out = module.main([])
    else:
        raise RuntimeError(f"{BENCHMARKS[name]} has neither run() nor main()")
    return out if isinstance(out, dict) else {}


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (all by default) and print a summary; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    console = Console()
    if args.list:
        for name, mod in BENCHMARKS.items():
            console.print(f"{name:<12} {mod}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)

    table = Table(title="Benchmarks (bench/results/*.json)")
    for col in ("benchmark", "measure", "value", "target", ""):
        table.add_column(col)
    ratios = Table(title="Ours / reference (throughput > 1: we serve more; latency < 1: faster)")
    for col in ("comparison", "measure", "ratio"):
        ratios.add_column(col)
    failed, missed = [], []
    for name in names:
        t0 = time.perf_counter()
        console.print(f"[bold blue]running[/] {name} ...")
        try:
            result = _run_one(name)
        except ModuleNotFoundError as exc:
            if exc.name == BENCHMARKS[name]:
                table.add_row(name, "not available", "", "", "[yellow]skipped")
                continue
            failed.append(name)
            table.add_row(name, f"error: {exc}", "", "", "[red]failed")
            continue
        except (Exception, SystemExit) as exc:  # report and carry on with the others
            failed.append(name)
            console.print(traceback.format_exc(), style="red")
            table.add_row(name, f"error: {exc}"[:80], "", "", "[red]failed")
            continue
        rows = _targets(result.get("results", result))
        for path, t in rows:
            mark = "[green]ok" if t["ok"] else "[red]missed"
            path = path.replace(".wall_s", " wall").replace(".peak_rss_gib", " peak memory")
            if not t["ok"]:
                missed.append(f"{name}.{path}")
            unit = t.get("unit", "")
            table.add_row(name, path, f"{t['value']:,.2f} {unit}", f"{t['target']:,} {unit}", mark)
        passes = result.get("pass", {})  # bench_api reports {check: bool}
        for check, ok in passes.items() if isinstance(passes, dict) else ():
            if not ok:
                missed.append(f"{name}.{check}")
            value, goal = _api_value(result, check)
            table.add_row(name, check, value, goal, "[green]ok" if ok else "[red]missed")
        rows = rows or list(passes)
        for path, r in _ratios(result.get("results", result)):
            ratios.add_row(*path.rsplit(".", 1), f"{r:.3f}")
        if not rows:
            table.add_row(name, "done", f"{time.perf_counter() - t0:.1f} s", "", "")
    console.print(table)
    if ratios.row_count:
        console.print(ratios)
    if failed:
        console.print(f"[red]failed:[/] {', '.join(failed)}")
        return 1
    if missed and args.strict:
        console.print(f"[red]targets missed:[/] {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
