"""The first screen of an answer, on a phone (390x844) and a desktop (1366x900).

For B1 1BB, CV1 5FB and B90 4SB (the issue's cases) the first screen, without scrolling,
shows the headline (the forecast), its comparison, its interval, where it stands and what to
do, each fully inside the viewport and the panel's visible part, none under another element
(the close button, the map controls) and none overlapping another. The real West Midlands
build; screenshots go to ``tests/artifacts/first-screen-*.png``.
"""

from __future__ import annotations

import pytest
from serving import ARTIFACTS, chromium_context, serve

pytestmark = [pytest.mark.requires_browser, pytest.mark.xdist_group("browser")]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
POSTCODES = ["B1 1BB", "CV1 5FB", "B90 4SB"]
#: What the first screen must show, by element.
FIRST_SCREEN = ["#violence-headline", "#violence-standing", "#violence-uncertainty",
                "#what-to-do-line"]  # fmt: skip


@pytest.fixture(scope="module")
def server(wm_build, test_data_dir):
    yield from serve("west-midlands", test_data_dir)


#: Where each element is, and whether every sample point in it shows the element itself.
_GEOMETRY = """(sels) => {
  const panel = document.getElementById('panel').getBoundingClientRect();
  return sels.map((s) => {
    const el = document.querySelector(s);
    if (!el) { return {sel: s, missing: true}; }
    const r = el.getBoundingClientRect();
    const pts = [];
    for (const fx of [0.1, 0.5, 0.9]) for (const fy of [0.2, 0.5, 0.8]) {
      pts.push([r.left + fx * r.width, r.top + fy * r.height]);
    }
    const covered = pts.filter(([x, y]) => {
      const top = document.elementFromPoint(x, y);
      return !(top && (top === el || el.contains(top)));
    }).length;
    return {sel: s, x: r.left, y: r.top, w: r.width, h: r.height, covered,
            inPanel: r.top >= panel.top && r.bottom <= panel.bottom};
  });
}"""


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])  # fmt: skip


@pytest.mark.parametrize("view", list(VIEWPORTS))
def test_the_first_screen_answers_without_scrolling(server, tmp_path, view):
    viewport = VIEWPORTS[view]
    with chromium_context(tmp_path, viewport) as context:
        page = context.new_page()
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30000)
        for postcode in POSTCODES:
            page.fill("#postcode-input", postcode)
            page.press("#postcode-input", "Enter")
            page.wait_for_selector(f"#panel-title:text-is('{postcode}')", timeout=15000)
            page.wait_for_selector("#what-to-do-line", timeout=15000)
            page.wait_for_timeout(1500)  # the fly-to
            assert page.evaluate("() => document.getElementById('panel').scrollTop") == 0
            assert page.evaluate("() => window.scrollY") == 0
            boxes = page.evaluate(_GEOMETRY, FIRST_SCREEN)
            for b in boxes:
                assert not b.get("missing"), (postcode, view, b)
                assert b["w"] > 0 and b["h"] > 0, (postcode, view, b)
                assert b["y"] >= 0 and b["y"] + b["h"] <= viewport["height"], (postcode, view, b)
                assert b["x"] >= 0 and b["x"] + b["w"] <= viewport["width"], (postcode, view, b)
                assert b["inPanel"] and b["covered"] == 0, (postcode, view, b)
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not _overlap(a, b), (postcode, view, a, b)
            headline = page.inner_text("#violence-headline")
            assert "expected here in the next 12 months" in headline  # what is expected
            assert "times the average West Midlands neighbourhood" in headline  # comparison
            assert "likely " in headline  # its interval
            assert page.inner_text("#violence-uncertainty").startswith("How sure:")
            todo = page.inner_text("#what-to-do-line")
            assert all(x in todo for x in ("999", "101", "Crimestoppers", "Fearless"))
            # the place has a human name, with its ward and district
            assert "ward" in page.inner_text("#panel-place")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = postcode.replace(" ", "").lower()
            page.screenshot(path=str(ARTIFACTS / f"first-screen-{view}-{name}.png"))


@pytest.fixture(scope="module")
def street_map_server(wm_build, test_data_dir):
    """The deployment default: OpenStreetMap's tiles under the layers."""
    from api.settings import DEFAULT_BASEMAP_URL

    yield from serve("west-midlands", test_data_dir, {"SNA_API_BASEMAP_URL": DEFAULT_BASEMAP_URL})


def test_the_page_works_on_its_own_outlines_when_the_street_map_cannot_load(
    street_map_server, tmp_path
):
    """Offline (every tile request fails), the LSOA layer, the outlines and an answer still
    come, and the map says the street map is unavailable; only the tile host was asked."""
    asked: list[str] = []
    with chromium_context(tmp_path, VIEWPORTS["desktop"]) as context:
        page = context.new_page()
        r = page.request.get(street_map_server + "/")
        img = next(d for d in r.headers["content-security-policy"].split(";") if "img-src" in d)
        assert img.split()[1:] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]

        def offline(route, request):
            asked.append(request.url)
            route.abort("internetdisconnected")

        page.route("https://tile.openstreetmap.org/**", offline)
        outside: list[str] = []
        page.on(
            "request",
            lambda q: (
                q.url.startswith(("http://", "https://"))
                and not q.url.startswith((street_map_server, "https://tile.openstreetmap.org/"))
                and outside.append(q.url)
            ),
        )
        page.goto(street_map_server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30000)
        page.wait_for_selector("body[data-basemap=unavailable]", state="attached", timeout=30000)
        page.wait_for_selector("body[data-tiles=loaded]", state="attached", timeout=30000)
        attribution = page.inner_text(".leaflet-control-attribution")
        assert "Street map unavailable" in attribution and "OpenStreetMap" in attribution
        page.fill("#postcode-input", "B1 1BB")
        page.press("#postcode-input", "Enter")
        page.wait_for_selector("#what-to-do-line", timeout=15000)
        assert asked and not outside, outside
        page.screenshot(path=str(ARTIFACTS / "street-map-offline.png"))
