"""One front door: the memory of one ``sna serve`` of a national build and all its VRU views.

Target (issue 23): RSS after warm-up under 600 MB, the warm-up being 1,000 postcodes spread
over every VRU (each asked as the map at ``/`` asks it: the national answer, then its VRU's
own answer under ``/vru/<id>/``) and 200 tiles (120 LSOA tiles of the national map at zooms
12-14 around those postcodes, 40 outline tiles, 40 LSOA tiles of the VRUs' own maps), plus
``/api/v1/vrus`` and the VRU outlines.

How: ``sna serve --region <region>`` (``python -m cli serve``) pinned to core 0, started by
this script; requests one at a time from this process. The postcodes are drawn from the
national build's ``answers.sqlite`` (every 97th live postcode), grouped by the VRU whose
districts hold them (:func:`api.front_door.district_views`) and taken round-robin over the
VRUs, so each gets its share (a VRU with fewer candidates gives all it has; districts no
view covers are groups of their own). RSS is
``VmRSS`` of the server, with ``RssAnon`` (its own heap), ``VmHWM`` (the peak) and PSS
(``/proc/<pid>/smaps_rollup``). The answers files are read without a memory map
(:mod:`sna.answers.files`), so their pages sit in the OS page cache, not in RSS; each
file's few pooled connections hold their own page caches, which RSS counts. Results:
``bench/results/front-door.json``.

Usage::

    .venv/bin/python -m bench.bench_front_door [--region england] [--data-dir data]
        [--view-config TOML ...]   # more views (SNA_API_VIEW_CONFIGS), e.g. a test nation's
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import time
from pathlib import Path

import httpx
import morecantile

from bench.bench_api import ROOT, free_port, machine, start_server, stop
from bench.bench_serving import mb, status_kb
from bench.serve_memory import memory_kb

RESULTS = ROOT / "bench" / "results" / "front-door.json"
TARGET_MB = 600.0
_DISTRICT = re.compile(rb'"admin_district":"(E0\d{7})"')


def sample_postcodes(answers: Path, views, n: int, seed: int = 23) -> dict[str, list[str]]:
    """Up to ``n`` live postcodes of the national build, round-robin over the VRUs (and
    over the districts no view covers, each a group of its own)."""
    from api.front_door import district_views

    con = sqlite3.connect(f"{answers.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        rows = con.execute("SELECT code, frag FROM postcodes WHERE live = 1 AND id % 97 = 0")
        by_frag: dict[int, list[str]] = {}
        for code, frag in rows:
            by_frag.setdefault(int(frag), []).append(code)
        district_of: dict[int, str] = {}
        for frag in by_frag:
            (body,) = con.execute("SELECT body FROM fragments WHERE id = ?", (frag,)).fetchone()
            m = _DISTRICT.search(body)
            if m:
                district_of[frag] = m.group(1).decode()
        pairs = [
            (str(c), str(d))
            for c, d in con.execute("SELECT code, district_code FROM area_list WHERE level='lsoa'")
            if d
        ]
    finally:
        con.close()
    vru_of = district_views(pairs, views)
    groups: dict[str, list[str]] = {}  # by VRU, else by district (no view covers it)
    for frag, codes in by_frag.items():
        district = district_of.get(frag, "")
        groups.setdefault(vru_of.get(district) or f"district:{district}", []).extend(codes)
    rng = random.Random(seed)
    for codes in groups.values():
        rng.shuffle(codes)
    picked: dict[str, list[str]] = {vid: [] for vid in sorted(groups)}
    total = 0
    while total < n and any(groups.values()):
        for vid in sorted(groups):
            if groups[vid] and total < n:
                picked[vid].append(groups[vid].pop())
                total += 1
    return picked


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--region", default="england")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data")
    p.add_argument("--view-config", action="append", default=[])
    p.add_argument("--postcodes", type=int, default=1000)
    p.add_argument("--tiles", type=int, default=200)
    args = p.parse_args(argv)

    from api.vru_catalogue import view_catalogue
    from sna.builds.registry import current_target
    from sna.config.region import load_region

    region = load_region(args.region).id  # an id, or a region file's path
    national = current_target(region, args.data_dir)
    if national is None:
        raise SystemExit(f"no published build of {args.region!r} under {args.data_dir}")
    if args.view_config:
        os.environ["SNA_API_VIEW_CONFIGS"] = ",".join(args.view_config)
    views = view_catalogue(region, args.view_config)
    sample = sample_postcodes(national / "answers.sqlite", views, args.postcodes)

    port = free_port()
    cmd = [sys.executable, "-m", "cli", "serve", "--region", args.region]
    cmd += ["--data-dir", str(args.data_dir), "--port", str(port)]
    t0 = time.perf_counter()
    proc = start_server(region, args.data_dir, port, cmd=cmd)
    startup = time.perf_counter() - t0
    base = f"http://127.0.0.1:{port}"
    out: dict = {"benchmark": "front-door", "machine": machine(), "region": region}
    try:
        ready = status_kb(proc.pid)
        client = httpx.Client(base_url=base, timeout=60)
        listed = client.get("/api/v1/vrus").json()["result"]
        served = {v["id"] for v in listed if v["served"] and not v.get("main")}
        t1 = time.perf_counter()
        asked, answered_by, points = 0, {}, []
        failures: list[str] = []
        for codes in sample.values():
            for code in codes:
                r = client.get(f"/api/v1/postcodes/{code}")
                asked += 1
                if r.status_code != 200:
                    failures.append(f"{code}: {r.status_code}")
                    continue
                got = r.json()["result"]
                vru = got.get("vru") or {}
                if got.get("longitude") is not None:
                    points.append((got["longitude"], got["latitude"], vru.get("id")))
                if vru.get("served"):
                    own = client.get(f"{vru['path']}api/v1/postcodes/{code}")
                    asked += 1
                    if own.status_code != 200:
                        failures.append(f"{vru['path']} {code}: {own.status_code}")
                    answered_by[vru["id"]] = answered_by.get(vru["id"], 0) + 1
        lookups_s = time.perf_counter() - t1
        after_lookups = status_kb(proc.pid)
        tms = morecantile.tms.get("WebMercatorQuad")
        rng = random.Random(23)
        rng.shuffle(points)
        tiles: list[str] = []
        n_area, n_outline = int(args.tiles * 0.6), int(args.tiles * 0.2)
        for i, (lon, lat, vid) in enumerate(points):
            if len(tiles) >= args.tiles:
                break
            if i < n_area:
                t = tms.tile(lon, lat, 12 + i % 3)
                tiles.append(f"/tiles/areas/{t.z}/{t.x}/{t.y}.pbf")
            elif i < n_area + n_outline:
                t = tms.tile(lon, lat, 10 + i % 3)
                tiles.append(f"/tiles/outlines/{t.z}/{t.x}/{t.y}.pbf")
            else:  # the VRU's own map (the national map's where its view is not served)
                t = tms.tile(lon, lat, 13)
                prefix = f"/vru/{vid}" if vid in served else ""
                tiles.append(f"{prefix}/tiles/areas/{t.z}/{t.x}/{t.y}.pbf")
        t2 = time.perf_counter()
        tile_status: dict[int, int] = {}
        for url in tiles:
            s = client.get(url).status_code
            tile_status[s] = tile_status.get(s, 0) + 1
        outlines = client.get("/api/v1/vrus/outlines")
        tiles_s = time.perf_counter() - t2
        after = status_kb(proc.pid)
        rss = mb(after["VmRSS"])
        out.update(
            {
                "national_build": national.name,
                "vrus": len(listed) - 1,
                "vrus_served": len(served),
                "startup_s": round(startup, 2),
                "rss_ready_mb": mb(ready["VmRSS"]),
                "postcodes": sum(len(c) for c in sample.values()),
                "postcodes_per_vru": {k: len(v) for k, v in sample.items()},
                "answered_under_own_vru": answered_by,
                "requests": asked,
                "failures": failures[:20],
                "lookups_s": round(lookups_s, 2),
                "rss_after_lookups_mb": mb(after_lookups["VmRSS"]),
                "tiles": len(tiles),
                "tile_status": tile_status,
                "tiles_s": round(tiles_s, 2),
                "outlines_kb": round(len(outlines.content) / 1024, 1),
                "rss_after_warmup_mb": {
                    "value": rss,
                    "target": TARGET_MB,
                    "unit": "MB",
                    "ok": rss < TARGET_MB,
                },
                "rss_anon_after_warmup_mb": mb(after["RssAnon"]),
                "rss_file_after_warmup_mb": mb(after["RssFile"]),
                "pss_after_warmup_mb": mb(memory_kb(proc.pid)["Pss"]),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "vm_hwm_mb": mb(after["VmHWM"]),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
    finally:
        stop(proc)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    name = RESULTS if region == "england" else RESULTS.with_name(f"front-door-{region}.json")
    name.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "machine"}, indent=2))
    return out


if __name__ == "__main__":
    main()
