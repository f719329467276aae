"""The outcomes page in headless Chromium at phone and desktop sizes: every chart drawn,
nothing overlapping, no request leaving the server (the fixture build's outcomes)."""

from __future__ import annotations

import pytest
from serving import ARTIFACTS, chromium_context, serve

pytestmark = [pytest.mark.requires_browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def server(fixture_build):
    from build_fixture import REGION

    yield from serve(REGION, fixture_build, timeout=60)


def _boxes(page, selector):
    return [b for b in (e.bounding_box() for e in page.query_selector_all(selector)) if b]


def _overlap(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(
    "viewport",
    [{"width": 390, "height": 844}, {"width": 1366, "height": 900}],
    ids=["phone", "desktop"],
)
def test_outcomes_page_draws_each_measure_without_overlap(server, tmp_path, viewport):
    with chromium_context(tmp_path, viewport) as context:
        page = context.new_page()
        errors, requests = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server + "/outcomes")
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30000)
        charts = page.query_selector_all(".oc-chart")
        assert [c.get_attribute("data-measure") for c in charts] == [
            "knife_enabled_serious_violence",
            "homicide",
        ]
        for c in charts:  # the VRU and England and Wales, one point per year ending March
            assert len(c.query_selector_all("path")) >= 2
            assert len(c.query_selector_all("circle")) >= 4
            assert "England and Wales" in c.inner_text()
        assert "Awaiting partner data" in page.inner_text("#oc-hospital")
        words = page.inner_text("#oc-sentences")
        assert "per 100,000 residents" in words and "West Midlands Police" in words
        assert "under 25" in page.inner_text("#oc-cannot")
        # nothing wider than the screen, no two sections on top of each other
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        cards = _boxes(page, "main > section:not([hidden]), #oc-charts > section")
        assert len(cards) >= 6
        for i, a in enumerate(cards):
            assert a["x"] >= 0 and a["x"] + a["width"] <= viewport["width"] + 0.5
            for b in cards[i + 1 :]:
                assert not _overlap(a, b), (a, b)
        for c in charts:  # legend entries do not overlap each other
            items = [e.bounding_box() for e in c.query_selector_all(".oc-legend li")]
            for i, a in enumerate(items):
                assert all(not _overlap(a, b) for b in items[i + 1 :])
        assert not errors, errors
        assert all(u.startswith(server) for u in requests), requests
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"outcomes-{viewport['width']}.png"), full_page=True)
