"""The services layer in a real browser: points, the toggle and a popup with the details.

Serves the API fixture build whose store holds a service directory (tests/test_services.py
writes it) with uvicorn on a free loopback port, and drives headless Debian Chromium.
"""

from __future__ import annotations

import pytest
from serving import ARTIFACTS, chromium_context, serve
from test_services import (  # noqa: F401  (the fixture build with a directory)
    fixture_dir,
    region_tables,
    with_directory,
)

pytestmark = pytest.mark.requires_browser


@pytest.fixture(scope="module")
def server(with_directory):  # noqa: F811
    yield from serve("fixture", with_directory, timeout=60)


def test_services_layer_toggle_and_popup(server, tmp_path):
    with chromium_context(tmp_path, {"width": 1280, "height": 800}) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server + "/")
        page.wait_for_selector("body[data-services='4']", state="attached", timeout=30000)
        assert page.evaluate("() => snaMap.hasLayer(snaServices)")
        assert page.evaluate("() => snaServices.getLayers().length") == 4
        assert "Services we fund (4)" in page.inner_text(".services-toggle")
        # the popup of the Walking Bus shows its details
        page.evaluate(
            """() => snaServices.eachLayer(function (m) {
                if (m.feature.properties.name === 'Walking Bus') {
                    snaMap.setView(m.getLatLng(), 15); m.openPopup();
                }
            })"""
        )
        popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
        for text in (
            "Walking Bus",
            "Safe routes to school",
            "5-11",
            "walk.example.org",
            "0121 303 1111",
            "Mon-Fri 8:00-8:45",
        ):
            assert text in popup
        link = page.locator(".leaflet-popup-content a[target=_blank]")
        assert link.get_attribute("href") == "https://walk.example.org"
        assert link.get_attribute("rel") == "noopener noreferrer"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-services.png"))
        # the toggle hides and shows the layer
        page.uncheck("#services-toggle")
        assert not page.evaluate("() => snaMap.hasLayer(snaServices)")
        page.check("#services-toggle")
        assert page.evaluate("() => snaMap.hasLayer(snaServices)")
        assert not errors, errors
        outside = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
        assert not outside, outside
