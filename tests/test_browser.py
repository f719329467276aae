"""The map in a real browser: headless Debian Chromium driven by Playwright.

Starts the app with uvicorn on a free loopback port (the real West Midlands build under
data/_test, built first if needed; and the synthetic-partner-data build for the notices),
loads ``/`` at 1366x900 and 390x844, types a postcode, and checks what a reader sees: the
panel's words, units, comparisons and intervals; that a failed search clears the old answer;
that the notice, the marker and the map controls are not hidden under one another; the
outlines and names; the favicon. The trend endpoint is answered from a fixture body with
``page.route`` (it is checked against the real endpoint in the API tests). Screenshots go to
``tests/artifacts/``. No request may leave for another host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pandas as pd
import pytest
from serving import ARTIFACTS, chromium_context, serve

from sna.answers.trend_words import trend_words

pytestmark = [pytest.mark.requires_browser, pytest.mark.xdist_group("browser")]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022, 2023, 2024) for m in range(1, 13)][4:40]
#: The trend endpoint's answer shape (GET /api/v1/areas/{code}/trend), for page.route.
TREND = {
    "monthly": {
        "offence": "Violence and sexual offences",
        "source": "police.uk street-level crime",
        "months": MONTHS,
        "counts": [3 + (i * 7) % 11 for i in range(len(MONTHS))],
    },
    "iod": {
        "crime_decile": {"2019": 2, "2025": 1},
        "imd_decile": {"2019": 3, "2025": 3},
    },
}
TREND["in_words"] = trend_words(TREND, "West Midlands", estimated=False)  # the build's words


def _live_postcode(build: Path) -> str:
    pcs = pd.read_parquet(build / "postcodes.parquet", columns=["postcode", "status"])
    live = set(pcs.loc[pcs["status"] == "live", "postcode"])
    return "B1 1BB" if "B1 1BB" in live else sorted(live)[0]


@pytest.fixture(scope="module")
def target(wm_build, test_data_dir):
    """(region, data_dir, postcode) to serve: the real West Midlands build."""
    return "west-midlands", test_data_dir, _live_postcode(wm_build)


@pytest.fixture(scope="module")
def server(target):
    region, data_dir, _ = target
    yield from serve(region, data_dir)


@pytest.fixture(scope="module")
def synthetic_server(wm_synthetic_build):
    """The West Midlands build asked for synthetic partner data: it shows the notice."""
    from conftest import SYNTHETIC_DATA_DIR

    postcode = _live_postcode(wm_synthetic_build)
    for base in serve("west-midlands", SYNTHETIC_DATA_DIR):
        yield base, postcode


#: The issue's case: the old CSP rewrote this host to "tiles.dat*.example.org".
BASEMAP = "https://tiles.data.example.org:8443/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def basemap_server(target):
    """The real build with a base map configured on another host (the CSP case)."""
    region, data_dir, _ = target
    extra = {"SNA_API_BASEMAP_URL": BASEMAP, "SNA_API_BASEMAP_ATTRIBUTION": "Example tiles"}
    yield from serve(region, data_dir, extra)


@pytest.fixture()
def browser_context(tmp_path):
    with chromium_context(tmp_path, DESKTOP) as context:
        yield context


class Watch:
    """What the page did: requests, failed responses, console errors and page errors."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def check(self, base: str) -> None:
        assert not self.errors, self.errors
        assert not self.failed, self.failed
        outside = [u for u in self.requests if not u.startswith((base, "data:", "blob:"))]
        assert not outside, outside


def _open(context, base: str, viewport: dict, trend: dict | None = TREND):
    page = context.new_page()
    page.set_viewport_size(viewport)
    watch = Watch(page)
    seen: list[str] = []

    def answer(route, request):
        code = request.url.rstrip("/").split("/")[-2]
        seen.append(code)
        body = {"status": 200, "result": {"code": code, "name": code, "level": "lsoa", **trend}}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    if trend is not None:
        page.route(re.compile(r".*/api/v1/areas/[^/]+/trend$"), answer)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.wait_for_timeout(800)
    return page, watch, seen


def _centre(page) -> tuple[float, float, int]:
    return tuple(
        page.evaluate(
            "() => { const c = snaMap.getCenter(); return [c.lat, c.lng, snaMap.getZoom()]; }"
        )
    )


def _settle(page) -> None:
    page.wait_for_timeout(1200)  # the fly-to animation
    page.wait_for_selector("body[data-tiles=loaded]", state="attached", timeout=30000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # old-zoom tiles fade out


def _search(page, postcode: str) -> None:
    page.fill("#postcode-input", postcode.lower().replace(" ", ""))
    page.press("#postcode-input", "Enter")
    page.wait_for_selector("#panel:not([hidden]) .band-chip", timeout=15000)
    page.wait_for_selector("#profile li[data-layer]", state="attached", timeout=15000)
    _settle(page)


def _marker(page) -> dict | None:
    """The postcode marker's centre in page coordinates, and what is drawn on top of it."""
    return page.evaluate(
        """() => {
        const m = snaState.marker;
        if (!m) { return null; }
        const p = snaMap.latLngToContainerPoint(m.getLatLng());
        const r = document.getElementById('map').getBoundingClientRect();
        const x = r.left + p.x, y = r.top + p.y;
        const top = document.elementFromPoint(x, y);
        return {x, y, inMap: x > r.left && x < r.right && y > r.top && y < r.bottom,
                underPanel: !!(top && top.closest('#panel, .sidebar, .leaflet-control')),
                top: top ? (top.id || top.className || top.tagName) : null};
    }"""
    )


def _box(page, selector: str) -> dict | None:
    loc = page.locator(selector)
    return loc.first.bounding_box() if loc.count() and loc.first.is_visible() else None


def _overlap(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return False
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _notice_on_top(page) -> bool:
    """Every corner and the middle of the notice show the notice itself (nothing over it)."""
    return page.evaluate(
        """() => {
        const n = document.getElementById('notice'), r = n.getBoundingClientRect();
        const pts = [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2],
                     [r.right - 2, r.bottom - 2], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
        return pts.every(([x, y]) => n.contains(document.elementFromPoint(x, y)));
    }"""
    )


def _check_panel(page, info: dict, layers: dict) -> None:
    """Violence risk first, in words and numbers with units; band and decile agreeing;
    intervals in words; each layer with its unit and comparisons."""
    vr = info["violence_risk"]
    page.click("#need-details summary")  # the profile folds below the first screen
    page.click("#violence-details summary")
    panel = page.inner_text("#panel")
    # every sentence is the API's (the build's), shown as given: the page words nothing
    assert page.inner_text("#violence-headline") == vr["in_words"]["summary"]
    chips = page.locator(".band-chip")
    assert chips.nth(0).inner_text() == f"{vr['band']} violence risk"
    need = info["indices"]["need"]
    assert chips.nth(1).inner_text() == f"{need['band']} need"
    # the badge and the sentence beside it name the same band
    assert page.inner_text("#violence-standing") == vr["in_words"]["standing"]
    assert vr["in_words"]["standing"].startswith(f"{vr['band']} of five bands")
    assert page.inner_text("#need-standing") == need["in_words"]["standing"]
    assert page.inner_text("#violence-uncertainty") == vr["in_words"]["uncertainty"]
    assert page.inner_text("#need-uncertainty") == need["in_words"]["uncertainty"]
    # the past count says where it comes from (estimated here: no street files)
    assert page.inner_text("#violence-recorded") == vr["in_words"]["recorded"]
    assert "Recorded here" not in panel
    assert panel.lower().index("violence risk") < panel.lower().index("needs index")
    assert page.locator("#violence-drivers li").count() == len(vr["drivers"]) >= 1
    assert page.locator("#drivers li").count() == len(info["drivers"]) >= 1
    # the needs profile: every open layer with a value, its unit and a comparison
    area = httpx.get(layers["_base"] + f"/api/v1/areas/{info['codes']['lsoa']}").json()["result"]
    items = page.locator("#profile li[data-layer]")
    assert items.count() == len(area["layers"]) >= 5
    for i in range(items.count()):
        item = items.nth(i)
        lv = next(x for x in area["layers"] if x["id"] == item.get_attribute("data-layer"))
        value = item.locator(".value").inner_text()
        cmp = item.locator(".cmp").inner_text()
        if lv["partner"]:
            assert "band" in value
            continue
        assert lv["value"] is not None
        assert value == lv["in_words"]["value"] and cmp == lv["in_words"]["comparison"]
        unit = value.split(" ", 1)[1]  # "720.8 per 1,000 children aged 0-15"
        assert unit and unit != "value" and not re.fullmatch(r"[\d.,\s-]+", unit), value
        assert "regional average" in cmp
        if lv["national_decile"] is not None:
            assert f"England decile {lv['national_decile']} of 10 (1 = most deprived" in cmp
    assert "per 1,000" in page.inner_text("#profile")
    assert "support nearby" in panel.lower()
    assert page.inner_text("#support-note") == info["support_note"]
    assert "no service directory yet" in info["support_note"]


def _check_trend(page) -> None:
    page.wait_for_selector("#trend-chart", timeout=10000)
    points = page.get_attribute("#trend-chart polyline", "points").split()
    assert len(points) == len(TREND["monthly"]["counts"])
    ys = [float(p.split(",")[1]) for p in points]
    top = max(TREND["monthly"]["counts"])
    # the tallest month is drawn highest (smallest y), the lowest month lowest
    assert ys[TREND["monthly"]["counts"].index(top)] == min(ys)
    assert page.inner_text("#trend-first") == "May 2021"
    assert page.inner_text("#trend-last") == "Apr 2024"
    iod = page.inner_text("#trend-iod")
    assert "Crime domain: decile 2 in IoD2019, 1 in IoD2025 (more deprived than in 2019)" in iod
    assert "decile 3 in IoD2019, 3 in IoD2025 (unchanged)" in iod
    total = sum(TREND["monthly"]["counts"])
    assert f"{total:,} in all" in page.inner_text("#trend")


def test_desktop_panel_leads_with_violence_risk_in_words(server, target, browser_context):
    _, _, postcode = target
    page, watch, seen = _open(browser_context, server, DESKTOP)
    before = _centre(page)
    _search(page, postcode)
    info = httpx.get(f"{server}/api/v1/postcodes/{postcode}").json()["result"]
    after = _centre(page)
    assert after != before and after[2] == 15
    _check_panel(page, info, {"_base": server})
    _check_trend(page)
    assert seen == [info["codes"]["lsoa"]]
    # the marker sits in the map, clear of the side panel (the map moved to keep it so)
    m = _marker(page)
    assert m["inMap"] and not m["underPanel"], m
    panel = page.locator("#panel").bounding_box()
    cards = page.locator("#layers").bounding_box()
    assert panel["x"] + panel["width"] + 20 < m["x"] < cards["x"] - 20
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-desktop.png"))
    # a click on another area fills the panel with that area, same wording
    page.click("#area-link")
    page.wait_for_selector("#panel-title:text-is('" + info["place"]["name"] + "')")
    page.wait_for_selector("#trend-chart")
    assert "residents" in page.inner_text("#panel .place")
    watch.check(server)


def test_a_failed_search_clears_the_old_answer(server, target, browser_context):
    _, _, postcode = target
    for viewport in (DESKTOP, PHONE):
        page, watch, _ = _open(browser_context, server, viewport)
        _search(page, postcode)
        assert page.evaluate("() => !!snaState.marker")
        page.fill("#postcode-input", "B60 3AA")  # a real postcode outside the region
        page.press("#postcode-input", "Enter")
        page.wait_for_selector("#search-error:not([hidden])", timeout=10000)
        error = httpx.get(f"{server}/api/v1/postcodes/B60%203AA").json()["error"]
        assert page.inner_text("#search-error") == error
        assert page.is_hidden("#panel") and page.inner_text("#panel-body") == ""
        assert page.evaluate("() => snaState.marker") is None
        # a malformed one too, then a good one brings the answer back and the error goes
        page.fill("#postcode-input", "NOT A PC")
        page.press("#postcode-input", "Enter")
        page.wait_for_function(
            "() => document.getElementById('search-error').textContent.length > 0"
        )
        assert page.is_hidden("#panel")
        _search(page, postcode)
        assert page.is_hidden("#search-error") and page.is_visible("#panel")
        watch.failed = [f for f in watch.failed if "/api/v1/postcodes/" not in f]  # the 404s
        watch.errors = [e for e in watch.errors if "404" not in e]
        watch.check(server)
        page.close()


def test_phone_layout(server, target, browser_context):
    _, _, postcode = target
    page, watch, _ = _open(browser_context, server, PHONE)
    # the layer list and the key fold behind two buttons
    assert page.is_visible("#layers-toggle") and page.is_visible("#legend-toggle")
    assert not page.is_visible("#layers") and not page.is_visible("#legend")
    page.click("#legend-toggle")
    assert page.is_visible("#legend") and not page.is_visible("#layers")
    page.click("#layers-toggle")
    assert page.is_visible("#layers") and not page.is_visible("#legend")
    radios = page.locator('input[name="layer"]')
    assert radios.count() >= 4
    # partner layers with no extract are listed, with their status, and cannot be chosen
    awaiting = page.inner_text("#awaiting-layers")
    assert "Hospital admissions for assault" in awaiting and "awaiting partner data" in awaiting
    assert page.locator('input[name="layer"][value="hospital_assault_u25"]').count() == 0
    assert not page.is_visible("#notice")  # no synthetic banner on a real-data build
    page.check('input[name="layer"][value="protective"]')
    page.click("#legend-toggle")
    assert "Protective" in page.inner_text("#legend")
    page.click("#legend-toggle")
    assert not page.is_visible("#legend") and not page.is_visible("#layers")
    _search(page, postcode)
    box = page.locator("#panel").bounding_box()
    assert box["width"] >= 380 and box["y"] > 300  # a bottom sheet across the screen
    info = httpx.get(f"{server}/api/v1/postcodes/{postcode}").json()["result"]
    _check_panel(page, info, {"_base": server})
    # the marker is in the part of the map above the sheet, under nothing
    m = _marker(page)
    assert m["inMap"] and not m["underPanel"], m
    buttons = page.locator(".sidebar .toggles").bounding_box()
    assert buttons["y"] + buttons["height"] + 20 < m["y"] < box["y"] - 20
    # the zoom buttons and attribution are not under the sheet's top either
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-phone.png"))
    watch.check(server)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_notice_stays_visible(synthetic_server, browser_context, viewport):
    base, postcode = synthetic_server
    page, watch, _ = _open(browser_context, base, viewport)
    if viewport is PHONE:
        page.click("#layers-toggle")
    page.check('input[name="layer"][value="need"]')
    if viewport is PHONE:
        page.click("#layers-toggle")
    assert page.is_visible("#notice") and "Illustrative" in page.inner_text("#notice")
    _search(page, postcode)
    assert "Illustrative data" in page.inner_text("#panel")
    notice = _box(page, "#notice")
    assert notice and notice["height"] > 10
    for other in (
        "#panel",
        ".leaflet-control-attribution",
        ".leaflet-control-zoom",
        ".sidebar .toggles" if viewport is PHONE else "#layers",
        "#legend",
    ):
        assert not _overlap(notice, _box(page, other)), other
    assert _notice_on_top(page)
    m = _marker(page)
    assert m["inMap"] and not m["underPanel"], m
    name = "desktop" if viewport is DESKTOP else "phone"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-{name}-notice.png"))
    watch.check(base)


def test_outlines_and_names_give_bearings(server, target, browser_context):
    _, _, postcode = target
    page, watch, _ = _open(browser_context, server, DESKTOP)
    page.wait_for_function("() => (document.body.dataset.labels || '').startsWith('district:')")
    names = page.locator(".area-label-district").all_inner_texts()
    assert {"Birmingham", "Coventry", "Wolverhampton"} <= set(names)
    tiles = [u for u in watch.requests if "/tiles/outlines/" in u]
    assert tiles, "no outline tiles requested"
    _search(page, postcode)
    info = httpx.get(f"{server}/api/v1/postcodes/{postcode}").json()["result"]
    page.wait_for_function("() => (document.body.dataset.labels || '').startsWith('place:')")
    # close up the map names places, as the panel does ("Central"), not LSOAs ("… 138A")
    places = page.locator(".area-label-place").all_inner_texts()
    assert info["place"]["name"] in places and info["lsoa21"]["name"] not in places
    page.evaluate("() => snaMap.setZoom(13)")
    page.wait_for_function("() => (document.body.dataset.labels || '').startsWith('ward:')")
    assert info["ward"]["name"] in page.locator(".area-label-ward").all_inner_texts()
    page.uncheck("#outlines-toggle")
    page.wait_for_timeout(300)
    assert page.locator(".area-label").count() == 0
    watch.check(server)


def test_favicon_is_served_and_linked(server, browser_context):
    page, watch, _ = _open(browser_context, server, DESKTOP)
    href = page.get_attribute('link[rel="icon"]', "href")
    assert href == "/static/favicon.svg"
    for path in (href, "/favicon.ico"):
        r = httpx.get(server + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert r.text.lstrip().startswith("<svg")
    page.wait_for_timeout(500)
    watch.check(server)  # no 404 (a missing favicon would be one)


def test_a_configured_basemap_loads_from_its_own_host(basemap_server, browser_context):
    """The CSP allows exactly the template's hosts: the tiles load, nothing is refused."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 240)).save(buf, "PNG")
    served: list[str] = []

    def tile(route, request):
        served.append(request.url)
        route.fulfill(status=200, content_type="image/png", body=buf.getvalue())

    page = browser_context.new_page()
    watch = Watch(page)
    page.route(re.compile(r"https://tiles\.data\.example\.org:8443/.*"), tile)
    page.goto(basemap_server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.wait_for_load_state("networkidle")
    assert served, "no base-map tile was requested"
    assert {u.split("/")[2] for u in served} == {"tiles.data.example.org:8443"}
    loaded = page.evaluate(
        "() => [...document.querySelectorAll('img.leaflet-tile')]"
        ".filter(i => i.src.includes('tiles.data.example.org') && i.complete && i.naturalWidth)"
        ".length"
    )
    assert loaded > 0  # drawn, not refused by the content security policy
    assert "Example tiles" in page.inner_text(".leaflet-control-attribution")
    watch.requests = [u for u in watch.requests if "tiles.data.example.org" not in u]
    watch.check(basemap_server)  # no CSP refusal in the console either


def test_the_panel_shows_the_api_wording_as_given(server, target, browser_context):
    """Every sentence comes from the API (the build): replaced there, it is replaced on the
    page, word for word; the page makes no sentence of its own."""
    _, _, postcode = target
    words = {
        "summary": "Test summary.",
        "standing": "Test standing.",
        "uncertainty": "Test how sure.",
    }
    need_words = {
        "summary": "Need: test.",
        "standing": "Need: test standing.",
        "uncertainty": "Need: sure.",
    }

    def postcode_answer(route, request):
        body = route.fetch().json()
        if body.get("status") == 200:
            r = body["result"]
            r["violence_risk"]["in_words"] = {**words, "recorded": "Test provenance."}
            r["indices"]["need"]["in_words"] = need_words
            r["what_to_do"]["in_words"] = "Test what to do."
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def area_answer(route, request):
        body = route.fetch().json()
        for i, layer in enumerate(body["result"]["layers"]):
            layer["in_words"] = {"value": f"test value {i}", "comparison": f"test comparison {i}"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page, watch, _ = _open(browser_context, server, DESKTOP)
    page.route(re.compile(r".*/api/v1/postcodes/[^/?]+$"), postcode_answer)
    page.route(re.compile(r".*/api/v1/areas/E\d+$"), area_answer)
    _search(page, postcode)
    assert page.inner_text("#violence-headline") == words["summary"]
    assert page.inner_text("#violence-standing") == words["standing"]
    assert page.inner_text("#violence-uncertainty") == words["uncertainty"]
    assert page.inner_text("#need-standing") == need_words["standing"]
    assert page.inner_text("#need-uncertainty") == need_words["uncertainty"]
    assert page.inner_text("#what-to-do-line") == "Test what to do."
    page.click("#need-details summary")
    cmp = page.locator("#profile li[data-layer] .cmp").all_inner_texts()
    assert cmp[0] == "test comparison 0" and cmp[1] == "test comparison 1"
    watch.check(server)
