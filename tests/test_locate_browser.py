""" "Use my location" in a real browser: the search box asks for the position, and the panel
shows the nearest postcode's answer with the nearest postcodes listed above it.

Serves the fixture build with ``sna serve`` (``python -m api``) on a free loopback port and
drives headless Debian Chromium with Playwright's mocked geolocation (the context's
``geolocation`` and its ``geolocation`` permission).
"""

from __future__ import annotations

import math

import httpx
import pytest
from build_fixture import ORIGIN, REGION, REGION_NAME
from pyproj import Transformer
from serving import ARTIFACTS, chromium_context, serve

pytestmark = pytest.mark.requires_browser

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# 60 m east of B1 1AD (ORIGIN + (500, 500)): it is the nearest postcode
HERE = TO_WGS84.transform(ORIGIN[0] + 560, ORIGIN[1] + 500)
LONDON = (-0.1276, 51.5072)  # far from the fixture region


@pytest.fixture(scope="module")
def server(fixture_build):
    yield from serve(REGION, fixture_build, timeout=60)


def _page(context, server: str, lon: float, lat: float, grant: bool = True):
    if grant:
        context.grant_permissions(["geolocation"], origin=server)
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 10})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the fixture build has no police.uk files, so no area has a trend: those 404s only
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/trend")
            and errors.append(f"{r.status} {r.url}")
        ),
    )
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    return page, errors, requests


def test_use_my_location_shows_the_nearest_postcodes_answers(server, tmp_path):
    want = httpx.get(
        server + "/api/v1/postcodes",
        params={"lon": f"{HERE[0]:.6f}", "lat": f"{HERE[1]:.6f}", "wideSearch": "true",
                "limit": 5},
    ).json()["result"]  # fmt: skip
    assert [w["postcode"] for w in want][:3] == ["B1 1AD", "B1 1AE", "B1 1AB"]
    with chromium_context(tmp_path, {"width": 1280, "height": 800}) as context:
        page, errors, requests = _page(context, server, *HERE)
        button = page.locator("#locate")
        assert button.is_visible() and button.inner_text() == "Use my location"
        with page.expect_response(lambda r: "/api/v1/reverse/postcodes?" in r.url) as got:
            button.click()
        shown = got.value.json()["result"]  # what the page was given: the same postcodes
        assert [s["postcode"] for s in shown] == [w["postcode"] for w in want]
        assert [s["distance"] for s in shown] == pytest.approx([w["distance"] for w in want], abs=1)
        page.wait_for_function(
            "() => (document.getElementById('panel-title') || {}).textContent === 'B1 1AD'",
            timeout=15000,
        )
        assert page.input_value("#postcode-input") == "B1 1AD"
        items = page.locator("#nearby-postcodes li")
        assert items.count() == 5
        for i, w in enumerate(shown):
            text = items.nth(i).inner_text()
            assert w["postcode"] in text and f"{math.floor(w['distance'] + 0.5):,} m" in text
            assert f"violence risk {w['bands']['violence_risk']}" in text
            assert f"needs {w['bands']['need']}" in text
        assert "current" in items.nth(0).get_attribute("class")
        # the full answer below the list: the same panel a typed search shows
        panel = page.text_content("#panel-body")  # as written, not as styled
        assert "Nearest postcodes to you" in panel and "What drives the needs index" in panel
        assert page.evaluate("() => snaState.here !== null && snaState.marker !== null")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-use-my-location.png"))
        # another postcode of the list opens its answer, the list stays
        page.locator("#nearby-postcodes a", has_text="B1 1AE").click()
        page.wait_for_function(
            "() => (document.getElementById('panel-title') || {}).textContent === 'B1 1AE'",
            timeout=15000,
        )
        assert page.locator("#nearby-postcodes li").count() == 5
        assert "B1 1AE" in page.locator("#nearby-postcodes li.current").inner_text()
        # a typed search drops the list and the location marker
        page.fill("#postcode-input", "B2 1AE")
        page.click("#postcode-go")
        page.wait_for_function(
            "() => (document.getElementById('panel-title') || {}).textContent === 'B2 1AE'",
            timeout=15000,
        )
        assert page.locator("#nearby-postcodes").count() == 0
        assert page.evaluate("() => snaState.here === null")
        assert not errors, errors
        outside = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
        assert not outside, outside


def test_use_my_location_far_from_the_region_says_so(server, tmp_path):
    with chromium_context(tmp_path, {"width": 390, "height": 844}) as context:
        page, errors, _ = _page(context, server, *LONDON)
        page.click("#locate")
        page.wait_for_selector("#search-error:not([hidden])", timeout=15000)
        text = page.inner_text("#search-error")
        assert text == f"No postcode of {REGION_NAME} within 20 km of your location."
        assert page.is_hidden("#panel") and page.evaluate("() => snaState.here === null")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-use-my-location-phone.png"))
        assert not errors, errors


def test_use_my_location_refused_says_so(server, tmp_path):
    with chromium_context(tmp_path, {"width": 1280, "height": 800}) as context:
        page, errors, _ = _page(context, server, *HERE, grant=False)
        page.click("#locate")
        page.wait_for_selector("#search-error:not([hidden])", timeout=15000)
        assert "type a postcode instead" in page.inner_text("#search-error")
        assert page.is_hidden("#panel")
        assert not errors, errors
