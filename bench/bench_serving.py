"""Compact serving: memory, start-up, a build swapping in, and lookups against the ceiling.

Targets (issue 14, West Midlands build): serve RSS under 300 MB after warm-up and no more
than 1.5 times that while a new build swaps in; start-up under 3 s. Lookups (issue 25): over
1,000 distinct postcodes, ``sna serve`` answers at least 0.6 times the requests per second
of the stack's ceiling at 16 and 32 connections, and its p99 at 128 connections is at most
twice the ceiling's. The ceiling (``bench/ceiling_asgi.py``) is a raw ASGI app under the same
uvicorn settings returning the same bytes: what is left between the two is our routing,
headers and the read.

How: ``sna serve`` itself (the command users run, as a subprocess) runs pinned to core 0
and wrk to core 1, as in ``bench/bench_api.py``; so does the ceiling. Per connection count,
ours and the ceiling alternate A B A B (10 s each), so both see the same machine load; the
figures are the mean of the two rounds, which are kept too, with the load average before
each run and the server's CPU time per request (steadier than req/s on a shared machine).
Start-up is the wall time from spawning the process to ``/ready`` answering 200. RSS is
``VmRSS`` of the server process (``answers.sqlite`` is read without a memory map, so its
pages sit in the OS page cache, shared between workers, and not in RSS); ``RssAnon`` is the
process's own heap; PSS (``/proc/<pid>/smaps_rollup``) beside it. The swap
publishes a copy of the build under a new id (same files, new ``manifest.json`` id) and
samples RSS every 20 ms until the server reports the new id; ``VmHWM`` is the peak over the
whole run. Results: ``bench/results/serving.json`` (``--lookups-only``:
``serving-lookups.json``).

Usage::

    .venv/bin/python -m bench.bench_serving [--region west-midlands] [--data-dir data/_test]
        [--duration 10] [--lookups-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.bench_api import ROOT, free_port, machine, run_wrk, start_server, stop
from bench.serve_memory import memory_kb, serve_memory

RESULTS = ROOT / "bench" / "results" / "serving.json"
CONNECTIONS = (16, 32, 128)


def status_kb(pid: int) -> dict[str, int]:
    """``VmRSS``, ``VmHWM``, ``RssAnon``, ``RssFile`` of a process, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(value.split()[0])
    return out


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


#: The reference servers ours is measured against: the raw ASGI ceiling (issue 25), and a
#: bare FastAPI app with one route (``bench/bare_api.py``; issue 24's 0.9x target)
REFERENCES = {"ceiling": "bench.ceiling_asgi", "bare": "bench.bare_api"}


def ceiling_server(
    bodies: dict[str, bytes],
    tmp: Path,
    variant: list[str] | None = None,
    reference: str = "ceiling",
) -> tuple[subprocess.Popen, str]:
    """The raw ASGI ceiling over ``bodies`` (``bench/ceiling_asgi.py``, ``variant`` its
    further arguments), or another of :data:`REFERENCES`, pinned to core 0."""
    file = tmp / "bodies.json"
    file.write_text(json.dumps({k: v.decode("utf-8") for k, v in bodies.items()}))
    port = free_port()
    module = REFERENCES[reference]
    cmd = [sys.executable, "-m", module, str(file), str(port), *(variant or [])]
    return start_server("", tmp, port, cmd), f"http://127.0.0.1:{port}"


def sna_serve(region: str, data_dir: Path, port: int) -> subprocess.Popen:
    """``sna serve``, the command users run, pinned to core 0."""
    sna = Path(sys.executable).with_name("sna")
    cmd = [str(sna), "serve", "--region", region, "--data-dir", str(data_dir),
           "--port", str(port)]  # fmt: skip
    return start_server(region, data_dir, port, cmd)


def lookups_against_ceiling(
    base: str,
    pid: int,
    bodies: dict[str, bytes],
    duration: int,
    rounds: int = 2,
    reference: str = "ceiling",
) -> dict:
    """wrk over ``bodies``' paths against ``sna serve`` and the ceiling (or the bare app),
    A B A B per connection count, so both see the same machine load; the mean of the rounds.
    The reference's figures are under ``"ceiling"`` whichever it is."""
    paths = list(bodies)
    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        ceiling, ceiling_base = ceiling_server(bodies, Path(tmp), reference=reference)
        try:
            with httpx.Client(base_url=ceiling_base) as c:
                assert c.get(paths[0]).content == bodies[paths[0]], "the ceiling sends other bytes"
            for n in CONNECTIONS:
                ours, ref = [], []
                for _ in range(rounds):
                    ours.append(run_wrk(base, paths, duration, n, pid))
                    ref.append(run_wrk(ceiling_base, paths, duration, n, ceiling.pid))
                a, b = _mean(ours), _mean(ref)
                runs[str(n)] = {
                    "ours": a,
                    "ceiling": b,
                    "rounds": {"ours": ours, "ceiling": ref},
                    "throughput_ratio": round(a["req_per_s"] / b["req_per_s"], 3),
                    "p99_ratio": round(a["p99_ms"] / b["p99_ms"], 3),
                    # capacity: the ceiling's CPU per request over ours (load moves it less)
                    "cpu_ratio": round(
                        b["server_cpu_us_per_request"] / a["server_cpu_us_per_request"], 3
                    ),
                }
        finally:
            stop(ceiling)
    return runs


def decompose(
    base: str, pid: int, bodies: dict[str, bytes], duration: int, region: str, data_dir: Path
) -> dict:
    """Server CPU per request at 16 connections: the ceiling, the ceiling with our headers,
    with our headers and our read, and ``sna serve``, in turn (twice): where the difference
    between ours and the ceiling goes."""
    paths = list(bodies)
    variants = {
        "ceiling": ["plain"],
        "ceiling_with_our_headers": ["headers"],
        "ceiling_with_our_headers_and_read": ["read", region, str(data_dir)],
    }
    cpu: dict[str, list[float]] = {name: [] for name in [*variants, "sna_serve"]}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):
            for name, variant in variants.items():
                proc, url = ceiling_server(bodies, Path(tmp), variant)
                try:
                    got = run_wrk(url, paths, duration, 16, proc.pid)
                finally:
                    stop(proc)
                cpu[name].append(got["server_cpu_us_per_request"])
            got = run_wrk(base, paths, duration, 16, pid)
            cpu["sna_serve"].append(got["server_cpu_us_per_request"])
    return {
        "connections": 16,
        "server_cpu_us_per_request": {k: round(sum(v) / len(v), 1) for k, v in cpu.items()},
        "rounds": cpu,
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def _summary(runs: dict) -> dict:
    """Per connection count: both req/s and p99, and their ratios."""
    return {
        n: {
            "req_per_s": [r["ours"]["req_per_s"], r["ceiling"]["req_per_s"]],
            "p99_ms": [r["ours"]["p99_ms"], r["ceiling"]["p99_ms"]],
            "server_cpu_us_per_request": [
                r["ours"]["server_cpu_us_per_request"],
                r["ceiling"]["server_cpu_us_per_request"],
            ],
            "throughput_ratio": r["throughput_ratio"],
            "p99_ratio": r["p99_ratio"],
            "cpu_ratio": r["cpu_ratio"],
        }
        for n, r in runs.items()
    }


def _mean(runs: list[dict]) -> dict:
    """The rounds' mean of each number (requests, req/s, percentiles, CPU)."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and key not in ("connections", "duration_s"):
            out[key] = round(sum(r[key] for r in runs) / len(runs), 2)
    return out


def swap_in_copy(data_dir: Path, region: str, base: str, pid: int) -> dict:
    """Publish a copy of the current build under a new id; sample RSS until it is served."""
    builds = data_dir / region / "builds"
    current = (builds / "current").resolve()
    new_id = time.strftime("%Y%m%dT%H%M%S.000000Z-bench", time.gmtime())
    copy = builds / new_id
    # hard links: the same bytes under a new id, without copying gigabytes (England)
    shutil.copytree(current, copy, copy_function=os.link)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").unlink()  # a new file, not a write through the shared link
    manifest["build_id"] = new_id
    (copy / "manifest.json").write_text(json.dumps(manifest))
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(status_kb(pid)["VmRSS"])
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    before = status_kb(pid)
    t.start()
    link_tmp = builds / ".current.bench"
    link_tmp.unlink(missing_ok=True)
    os.symlink(new_id, link_tmp)
    t0 = time.perf_counter()
    os.replace(link_tmp, builds / "current")
    served = None
    with httpx.Client(base_url=base, timeout=10) as c:
        while time.perf_counter() - t0 < 60:
            got = c.get("/api/v1/builds").json()["result"]["build_id"]
            c.get("/api/v1/postcodes/B1%201AY")  # keep answering during the swap
            if got == new_id:
                served = time.perf_counter() - t0
                break
            time.sleep(0.05)
    time.sleep(0.5)
    done.set()
    t.join()
    after = status_kb(pid)
    # put the original build back as current and remove the copy
    os.symlink(current.name, link_tmp)
    os.replace(link_tmp, builds / "current")
    return {
        "copy": str(copy),
        "swap_seconds": round(served, 2) if served is not None else None,
        "rss_before_mb": mb(before["VmRSS"]),
        "rss_peak_during_swap_mb": mb(max(samples) if samples else before["VmRSS"]),
        "rss_after_mb": mb(after["VmRSS"]),
        "vm_hwm_mb": mb(after["VmHWM"]),
    }


def private_mb(pid: int) -> float:
    """Memory only this process holds (``Private_Clean + Private_Dirty``), MB."""
    kb = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            kb += int(line.split()[1])
    return round(kb / 1024, 1)


def two_workers(region: str, data_dir: Path, paths: list[str]) -> dict:
    """``--workers 2``: each worker's private memory after both have answered every path.

    Pages of ``answers.sqlite`` are shared through the page cache, so what a second worker
    costs is its private memory (its heap and its own copy of the imported libraries).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "api", "--region", region, "--port", str(port),
           "--data-dir", str(data_dir), "--workers", "2"]  # fmt: skip
    server = start_server(region, data_dir, port, cmd=cmd)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            for _ in range(3):  # new connections land on either worker
                for path in paths:
                    c.get(path, headers={"Connection": "close"})
        kids = []
        for d in Path("/proc").iterdir():  # the supervisor's children are the workers
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == server.pid:
                    kids.append(int(d.name))
        workers = []
        for pid in kids:
            st = status_kb(pid)
            workers.append({"pid": pid, "private_mb": private_mb(pid),
                            "rss_mb": mb(st["VmRSS"])})  # fmt: skip
        return {
            "workers": workers,
            "second_worker_private_mb": max((w["private_mb"] for w in workers), default=None),
        }
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--region", default="west-midlands")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "_test")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--postcodes", type=int, default=1000)
    p.add_argument("--lookups-only", action="store_true", help="Only ours against the ceiling.")
    p.add_argument(
        "--answer-cache-mb",
        type=float,
        default=None,
        help="SNA_API_ANSWER_CACHE_MB for sna serve (default: its own, 16); 0 measures the "
        "miss path, every lookup read from answers.sqlite (results named -no-cache).",
    )
    p.add_argument(
        "--against",
        choices=sorted(REFERENCES),
        default="ceiling",
        help="With --lookups-only: the reference (bare: a one-route FastAPI app, issue 24).",
    )
    p.add_argument(
        "--decompose",
        action="store_true",
        help="Only where ours and the ceiling differ: serving-decompose.json.",
    )
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    region, data_dir = args.region, args.data_dir
    if args.answer_cache_mb is not None:  # sna serve, a subprocess, inherits it
        os.environ["SNA_API_ANSWER_CACHE_MB"] = str(args.answer_cache_mb)
    no_cache = args.answer_cache_mb == 0
    from sna.builds.registry import open_build

    build = open_build(region, data_dir)
    codes = [c for (c,) in build._rows("SELECT code FROM postcodes WHERE live = 1")]
    sample = random.Random(20261201).sample(codes, min(args.postcodes, len(codes)))
    paths = ["/api/v1/postcodes/" + pc.replace(" ", "%20") for pc in sample]
    results: dict = {
        "benchmark": "serving",
        "machine": machine(),
        "region": region,
        "build_id": build.build_id,
        "n_postcodes": build.n_postcodes,
        "distinct_postcodes": len(paths),
        "answers_sqlite_mb": round((build.path / "answers.sqlite").stat().st_size / 2**20, 1),
        "answer_cache_mb": float(os.environ.get("SNA_API_ANSWER_CACHE_MB", 16)),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    server = sna_serve(region, data_dir, port)
    results["startup_s"] = round(time.perf_counter() - t0, 2)
    results["rss_ready_mb"] = mb(status_kb(server.pid)["VmRSS"])
    copy = None
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            bodies = {}
            for path in paths:  # warm-up: every distinct postcode once, and keep the bytes
                r = c.get(path, headers={"Accept-Encoding": "identity"})
                assert r.status_code == 200, (path, r.status_code)
                bodies[path] = r.content
            # all of them fit in the default answer cache: the warm-up fills it, and the
            # runs then measure answers asked again (--answer-cache-mb 0: the miss path)
            results["distinct_answers_mb"] = round(sum(map(len, bodies.values())) / 2**20, 1)
            for code in ("E08000025", "E05011118"):
                c.get(f"/api/v1/areas/{code}")
            c.get("/api/v1/areas", params={"limit": 100})
        if args.decompose:
            got = decompose(base, server.pid, bodies, args.duration, region, data_dir)
            name = "serving-decompose" + ("-no-cache" if no_cache else "")
            RESULTS.with_name(f"{name}.json").write_text(json.dumps(got, indent=2))
            print(json.dumps(got["server_cpu_us_per_request"]))
            return got
        runs = lookups_against_ceiling(
            base, server.pid, bodies, args.duration, reference=args.against
        )
        results["lookups"] = runs
        results["reference"] = args.against
        if args.lookups_only:
            results["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            results["load_average_after"] = round(os.getloadavg()[0], 2)
            name = "serving-lookups" + ("-bare" if args.against == "bare" else "")
            name += "-no-cache" if no_cache else ""
            out = RESULTS.with_name(
                f"{name}.json" if region == "west-midlands" else f"{name}-{region}.json"
            )
            out.write_text(json.dumps(results, indent=2) + "\n")
            print(json.dumps(_summary(runs)))
            return results
        warm = status_kb(server.pid)
        results["rss_after_warmup_mb"] = mb(warm["VmRSS"])
        results["rss_anon_after_warmup_mb"] = mb(warm["RssAnon"])
        results["rss_file_after_warmup_mb"] = mb(warm["RssFile"])
        results["pss_after_warmup_mb"] = mb(memory_kb(server.pid)["Pss"])
        swap = swap_in_copy(data_dir, region, base, server.pid)
        copy = Path(swap.pop("copy"))
        results["swap"] = swap
    finally:
        stop(server)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)
    results["two_workers"] = two_workers(region, data_dir, paths[:300])
    # the `sna` command itself: RSS and PSS after 1,000 postcodes and 200 tiles, and no
    # data stack loaded before a PNG tile (issue 24; bench/serve_memory.py)
    results["sna_serve_memory"] = serve_memory(region, data_dir)
    rss = results["rss_after_warmup_mb"]
    results["targets"] = {
        "rss_after_warmup_mb < 300": rss < 300,
        "rss_peak_during_swap <= 1.5 x rss_after_warmup": results["swap"]["rss_peak_during_swap_mb"]
        <= 1.5 * rss,
        "startup_s < 3": results["startup_s"] < 3,
        **{
            f"throughput_ratio at {n} >= 0.6": runs[str(n)]["throughput_ratio"] >= 0.6
            for n in (16, 32)
        },  # fmt: skip
        "p99_ratio at 128 <= 2": runs["128"]["p99_ratio"] <= 2,
        "second worker private memory < 300 MB": (
            results["two_workers"]["second_worker_private_mb"] or 1e9
        )
        < 300,
        **{f"sna serve: {k}": v for k, v in results["sna_serve_memory"]["targets"].items()},
    }
    results["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    out = RESULTS if region == "west-midlands" else RESULTS.with_name(f"serving-{region}.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(
        json.dumps(
            {k: results[k] for k in ("startup_s", "rss_after_warmup_mb", "targets")}, indent=2
        )
    )
    return results


if __name__ == "__main__":
    main()
