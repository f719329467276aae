"""``sna serve`` as users run it: a real process, and the libraries it loads.

Issue 24: the command users run once imported pandas, scipy, rasterio and pyarrow at
start-up (322 MB), while the benchmark measured the bare app. Here the ``sna`` command itself
is started, asked for postcodes, areas and vector tiles, and its ``/proc/<pid>/maps`` read:
none of the data stack may be mapped until a PNG tile is drawn, which must load rasterio
(so the check sees a library when it is there).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import morecantile
import pytest
from serving import PROJECT_ROOT, free_port, stop, wait_ready

REGION = "west-midlands"
HEAVY = ("pandas", "scipy", "rasterio", "pyarrow")

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")


def _loaded(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY if f"/site-packages/{name}/" in maps]


@pytest.mark.slow
def test_sna_serve_loads_no_data_stack_until_a_raster_tile(real_build_dir):
    data_dir = real_build_dir(REGION)
    answers = data_dir / REGION / "builds" / "current" / "answers.sqlite"
    con = sqlite3.connect(f"{answers.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        codes = [c for (c,) in con.execute("SELECT code FROM postcodes WHERE live = 1")]
        (surfaces,) = con.execute("SELECT value FROM meta WHERE key = 'surfaces'").fetchone()
    finally:
        con.close()
    port = free_port()
    env = {**os.environ, "SNA_API_BASEMAP_URL": ""}
    cmd = [sys.executable, "-m", "cli", "serve", "--region", REGION, "--port", str(port),
           "--data-dir", str(data_dir)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    tms = morecantile.tms.get("WebMercatorQuad")
    try:
        wait_ready(base, 90, proc)
        assert _loaded(proc.pid) == []
        with httpx.Client(base_url=base, timeout=30) as c:
            for i, code in enumerate(codes[:: max(len(codes) // 100, 1)][:100]):
                got = c.get(f"/api/v1/postcodes/{code}")
                assert got.status_code == 200, (code, got.text[:200])
                r = got.json()["result"]
                if i % 3 == 0 and r.get("longitude") is not None:  # tiles around it
                    t = tms.tile(r["longitude"], r["latitude"], 12 + i % 3)
                    for kind in ("areas", "outlines"):
                        tile = c.get(f"/tiles/{kind}/{t.z}/{t.x}/{t.y}.pbf")
                        assert tile.status_code == 200
            assert c.get("/api/v1/areas", params={"limit": 20}).status_code == 200
            assert c.get("/tiles/labels.json").status_code == 200
            assert _loaded(proc.pid) == []
            layer, style = next(iter(json.loads(surfaces).items()))
            w, s, e, n = style["bounds"]
            t = tms.tile((w + e) / 2, (s + n) / 2, 10)
            png = c.get(f"/tiles/{layer}/{t.z}/{t.x}/{t.y}.png")
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
            assert "rasterio" in _loaded(proc.pid)  # the check sees a library once loaded
    finally:
        stop(proc)
