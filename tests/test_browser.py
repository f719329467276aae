"""The map in a real browser: headless Debian Chromium driven by Playwright.

Starts the app with uvicorn on a free loopback port (the real West Midlands build under
data/_test, built first if needed), loads ``/``, types a postcode and checks that the
map flew there and the panel shows the band and the drivers. Screenshots (desktop and
phone) go to ``tests/artifacts/``. No request may leave for another host.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

pytestmark = pytest.mark.requires_browser

CHROMIUM = Path("/usr/bin/chromium")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
REAL_DATA_DIR = Path(os.environ.get("SNA_TEST_DATA_DIR") or PROJECT_ROOT / "data" / "_test")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def target():
    """(region, data_dir, postcode) to serve: the real West Midlands build."""
    from conftest import _built

    current = _built("west-midlands")
    pcs = pd.read_parquet(current / "postcodes.parquet", columns=["postcode", "status"])
    live = set(pcs.loc[pcs["status"] == "live", "postcode"])
    postcode = "B1 1BB" if "B1 1BB" in live else sorted(live)[0]
    return "west-midlands", REAL_DATA_DIR, postcode


@pytest.fixture(scope="module")
def server(target):
    region, data_dir, _ = target
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SNA_API_BASEMAP_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api",
            "--region",
            region,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode(errors="replace"))
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            raise RuntimeError("the server did not become ready in 90 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def browser_context(tmp_path):
    profile = tmp_path / "chromium-profile"
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _centre(page) -> tuple[float, float, int]:
    return tuple(
        page.evaluate(
            "() => { const c = snaMap.getCenter(); return [c.lat, c.lng, snaMap.getZoom()]; }"
        )
    )


def _search(page, base: str, postcode: str) -> None:
    page.fill("#postcode-input", postcode.lower().replace(" ", ""))
    page.press("#postcode-input", "Enter")
    page.wait_for_selector("#panel:not([hidden]) .band-chip", timeout=15000)
    page.wait_for_timeout(1200)  # the fly-to animation
    page.wait_for_selector("body[data-tiles=loaded]", state="attached", timeout=30000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # old-zoom tiles fade out


def test_postcode_search_moves_the_map_and_explains_the_area(server, target, browser_context):
    _, _, postcode = target
    page = browser_context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.wait_for_timeout(800)
    before = _centre(page)
    _search(page, server, postcode)
    after = _centre(page)
    info = httpx.get(f"{server}/api/v1/postcodes/{postcode}").json()["result"]
    loc = info["location"]
    assert after != before
    assert abs(after[0] - loc["latitude"]) < 0.005 and abs(after[1] - loc["longitude"]) < 0.005
    assert after[2] == 15
    panel = page.inner_text("#panel")
    # violence risk leads the answer: expected offences, interval, comparison, rank
    vr = info["violence_risk"]
    chips = page.locator(".band-chip")
    assert f"{vr['band']} violence risk" in chips.nth(0).inner_text()
    headline = page.inner_text("#violence-headline")
    assert f"About {round(vr['value']):,}" in headline and "next 12 months" in headline
    assert f"{vr['ratio_to_regional_mean']:.1f} times the regional average" in headline
    assert page.locator("#violence-drivers li").count() == len(vr["drivers"]) >= 1
    # the needs index comes second, with one line saying what it measures
    band = info["indices"]["need"]["band"]
    assert f"{band} need" in chips.nth(1).inner_text()
    assert "carry the risk factors" in panel
    assert panel.lower().index("violence risk") < panel.lower().index("needs index")
    assert postcode in panel
    drivers = page.locator("#drivers li")
    assert drivers.count() == len(info["drivers"]) >= 1
    assert info["drivers"][0]["text"] in panel
    assert "support nearby" in panel.lower()
    if info["synthetic"]:
        # violence risk uses no synthetic layer, so its map layer has no notice; the panel
        # flags the needs index, which does
        assert "Illustrative data" in panel
        page.check('input[name="layer"][value="need"]')
        assert page.is_visible("#notice") and "Illustrative" in page.inner_text("#notice")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-desktop.png"))
    assert not errors, errors
    outside = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
    assert not outside, outside


def test_layer_switch_and_phone_layout(server, target, browser_context):
    _, _, postcode = target
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    assert page.is_visible("#layers-toggle")  # the switcher folds away on a phone
    page.click("#layers-toggle")
    radios = page.locator('input[name="layer"]')
    assert radios.count() >= 4
    # partner layers with no extract are listed, with their status, and cannot be chosen
    awaiting = page.inner_text("#awaiting-layers")
    assert "Hospital admissions for assault" in awaiting and "awaiting partner data" in awaiting
    assert page.locator('input[name="layer"][value="hospital_assault_u25"]').count() == 0
    assert not page.is_visible("#notice")  # no synthetic banner on a real-data build
    page.check('input[name="layer"][value="protective"]')
    assert "Protective" in page.inner_text("#legend")
    page.click("#layers-toggle")
    _search(page, server, postcode)
    box = page.locator("#panel").bounding_box()
    assert box["width"] >= 380 and box["y"] > 300  # a bottom sheet across the screen
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-phone.png"))
    assert not errors, errors
