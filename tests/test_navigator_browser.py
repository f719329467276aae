"""The public map as the navigators' outputs use it, in a real browser: a priority list's
link (``/?postcode=...``) opens that place, and the key draws the one theme table
(sna.theme) that the printed maps draw.

Serves the fixture build with ``python -m api`` and drives headless Chromium (Playwright).
"""

from __future__ import annotations

import pytest
from build_fixture import REGION
from serving import ARTIFACTS, chromium_context, serve

from sna.theme import BAND_COLOURS, BAND_NOTE, BANDS, band_label

pytestmark = pytest.mark.requires_browser


@pytest.fixture(scope="module")
def server(fixture_build):
    yield from serve(REGION, fixture_build, timeout=60)


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _open(context, url: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    return page, errors


def test_a_link_with_a_postcode_opens_that_place(server, tmp_path):
    with chromium_context(tmp_path, {"width": 1366, "height": 900}) as context:
        page, errors = _open(context, server + "/?postcode=B1%201AD")
        page.wait_for_function(
            "() => (document.getElementById('panel-title') || {}).textContent === 'B1 1AD'",
            timeout=15000,
        )
        assert page.input_value("#postcode-input") == "B1 1AD"
        assert page.evaluate("() => snaState.marker !== null")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-opened-by-link.png"))
        assert not errors, errors


def test_a_link_with_an_unknown_postcode_says_so_and_the_map_works(server, tmp_path):
    with chromium_context(tmp_path, {"width": 390, "height": 844}) as context:
        page, errors = _open(context, server + "/?postcode=ZZ99%209ZZ")
        page.wait_for_selector("#search-error:not([hidden])", timeout=15000)
        assert page.is_hidden("#panel")
        assert not errors, errors


def test_the_key_draws_the_one_theme_table(server, tmp_path):
    with chromium_context(tmp_path, {"width": 1366, "height": 900}) as context:
        page, errors = _open(context, server + "/")
        colours = page.evaluate(
            "() => Array.from(document.querySelectorAll('#legend .swatch'))"
            ".map(e => getComputedStyle(e).backgroundColor)"
        )
        assert colours[:5] == [_rgb(BAND_COLOURS["risk"][b]) for b in BANDS]
        rows = page.evaluate(
            "() => Array.from(document.querySelectorAll('#legend .row')).map(e => e.textContent)"
        )
        assert [" ".join(r.split()) for r in rows[:5]] == [band_label(b) for b in BANDS]
        assert BAND_NOTE in page.text_content("#legend")
        assert not errors, errors
