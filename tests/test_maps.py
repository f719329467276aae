"""Static Folium maps: files, layers, legends, notices, postcode search, disclosure, browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import folium  # noqa: E402, F401  (a broken install fails here, never skips)
import pandas as pd
import pytest
from build_fixture import (
    REGION,
    REGION_NAME,
    TERMINATED_POSTCODE,
    TERMINATED_WITH_GRID,
    not_synthetic_copy,
)
from serving import browse

from maps import MAX_BYTES, district_filename, write_maps  # noqa: E402
from sna.errors import BuildNotFound  # noqa: E402
from sna.theme import band_legend  # noqa: E402

LEVEL_LAYERS = [
    "Individual level risk",
    "Relationship level risk",
    "Community level risk",
    "Society level risk",
]


def js_json(html: str, var: str):
    """The JSON assigned to ``var sna_<var>_<id> = ...;`` in a map."""
    m = re.search(rf"^\s*var {var}_[0-9a-f]+ = (.*);\s*$", html, re.M)
    assert m, f"no variable {var} in the map"
    return json.loads(m.group(1))


def control_layers(html: str) -> tuple[list[str], list[str]]:
    """Names of the base layers and overlays in the Leaflet layer control."""
    m = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", html, re.S)
    assert m, "no layer control"
    names = [re.findall(r'"([^"]+)"\s*:', g) for g in m.groups()]
    return names[0], names[1]


@pytest.fixture(scope="module")
def fixture_maps(fixture_build):
    paths = write_maps(REGION, fixture_build)
    build = (fixture_build / REGION / "builds" / "current").resolve()
    return fixture_build, build, {p.name: p for p in paths}


@pytest.fixture(scope="module")
def overview(fixture_maps) -> str:
    return fixture_maps[2]["overview.html"].read_text(encoding="utf-8")


def test_write_maps_writes_every_map_into_the_build(fixture_maps):
    _, build, paths = fixture_maps
    assert list(paths) == [
        "overview.html",
        "hotspots.html",
        "protective-gap.html",
        "district-birmingham.html",
        "district-coventry.html",
    ]
    for p in paths.values():
        assert p.parent == build / "maps"
        assert 50_000 < p.stat().st_size < MAX_BYTES


def test_overview_has_one_layer_per_level_plus_indices(overview):
    base, overlays = control_layers(overview)
    # violence risk leads; the needs index comes second; no "Risk index" beside it, as the
    # fixture subtracts no protective access (need_lambda 0), so it would be the needs index
    assert base == [
        "Violence risk",
        "Needs index",
        "Protective factors",
        *LEVEL_LAYERS,
    ]
    assert overlays == ["District boundaries"]
    # the polygons are embedded once however many themes draw them
    assert len(re.findall(r"var sna_features_[0-9a-f]+ = ", overview)) == 1
    assert overview.count("= SNA.themeLayer(") == 7


def test_overview_has_legend_attribution_and_synthetic_notice(overview):
    panels = re.search(r"SNA\.panels\([^,]+, (\{.*?\}),\s*\n", overview, re.S)
    assert panels
    cfg = json.loads(panels.group(1))
    assert cfg["initialTheme"]["legendTitle"] == f"Violence risk: bands across {REGION_NAME}"
    # the public map's five bands, colours and labels (sna.theme)
    assert cfg["initialTheme"]["legend"] == [list(row) for row in band_legend("risk")]
    assert any("Open Government Licence" in a for a in cfg["attribution"])
    assert any("OS data" in a and "Crown copyright" in a for a in cfg["attribution"])
    assert any("OpenStreetMap" in a for a in cfg["attribution"])
    assert "Hospital admissions for assault, under-25s" in cfg["notice"]
    assert "synthetic" in cfg["notice"]
    assert f"<title>{REGION_NAME}: violence risk and needs by neighbourhood" in overview


def test_maps_open_offline_without_cdn_links(overview):
    assert "cdn.jsdelivr" not in overview and "cdnjs" not in overview
    assert "Leaflet 1.9.4" in overview  # inlined
    assert "preferCanvas" in overview and '"preferCanvas": true' in overview


def test_tooltip_properties_are_public_only(overview):
    feats = js_json(overview, "sna_features")["features"]
    assert len(feats) == 12
    keys = set().union(*(f["properties"] for f in feats))
    assert keys == {
        "c", "n", "w", "d", "nb", "rb", "pb", "nr", "lo", "hi", "t", "x", "ve", "vr", "k_violence",
        "k_need", "k_risk", "k_protective", "k_level_individual", "k_level_relationship",
        "k_level_community", "k_level_society", "k_gi", "k_moran", "k_gap",
    }  # fmt: skip
    first = feats[0]["properties"]
    assert first["n"] == "Fixture 000A"
    assert first["nb"] in {"Highest", "High", "Medium", "Low", "Lowest"}
    # protective access is not subtracted from the needs index (need_lambda 0): not a driver
    assert "(low)" not in first["t"]
    # no partner counts or rates anywhere in the page
    for col in ("n_hospital_assault_u25", "raw_hospital_assault_u25", "v_hospital_assault_u25"):
        assert col not in overview


def test_geometry_is_wgs84_with_five_decimals(overview):
    feats = js_json(overview, "sna_features")["features"]
    ring = feats[0]["geometry"]["coordinates"][0]
    lon, lat = ring[0]
    assert -2.0 < lon < -1.8 and 52.4 < lat < 52.6  # near Birmingham
    assert all(len(str(c).split(".")[1]) <= 5 for pt in ring for c in pt)


def test_postcode_search_uses_the_build_postcodes(fixture_maps, overview):
    _, build, paths = fixture_maps
    pcs = js_json(overview, "sna_postcodes")
    table = pd.read_parquet(build / "postcodes.parquet")
    live = table[(table["status"] == "live") & table["easting"].notna()]
    assert len(pcs) == len(live) == 36  # 3 live postcodes in each of the 12 LSOAs
    lat, lon, feature = pcs["B11AB"]
    assert 52.4 < lat < 52.6 and -2.0 < lon < -1.8
    feats = js_json(overview, "sna_features")["features"]
    assert (
        feats[feature]["properties"]["c"]
        == table.loc[table["pcd7"] == "B1  1AB", "lsoa21_code"].iloc[0]
    )
    # terminated: left out, with a grid reference or without
    terminated = {TERMINATED_WITH_GRID, TERMINATED_POSTCODE}
    assert {t.replace(" ", "") for t in terminated}.isdisjoint(pcs)
    # a district map embeds only its own district's postcodes
    brum = js_json(paths["district-birmingham.html"].read_text(), "sna_postcodes")
    codes = set(table.loc[table["district_code"] == "E08000025", "postcode"].str.replace(" ", ""))
    assert set(brum) <= codes and len(brum) == 18


def test_district_maps_show_their_district_with_regional_colours(fixture_maps):
    paths = fixture_maps[2]
    html = paths["district-coventry.html"].read_text()
    feats = js_json(html, "sna_features")["features"]
    assert len(feats) == 6 and {f["properties"]["d"] for f in feats} == {"Coventry"}
    base, overlays = control_layers(html)
    assert base[:3] == ["Violence risk", "Needs index", "Protective factors"]
    assert overlays == ["Ward boundaries"]
    # regional bands: Coventry (the low-need half) has no Highest-need areas in the fixture
    assert "Highest" not in {f["properties"]["k_need"] for f in feats}
    assert f"colours are bands across {REGION_NAME}" in html


def test_hotspot_map_labels_significant_clusters(fixture_maps):
    _, build, paths = fixture_maps
    html = paths["hotspots.html"].read_text()
    base, _ = control_layers(html)
    assert base == ["Hot and cold spots (Gi*)", "Clusters and outliers (local Moran)"]
    feats = js_json(html, "sna_features")["features"]
    lsoa = pd.read_parquet(build / "lsoa.parquet", columns=["gi_label"])
    assert sum(f["properties"]["k_gi"] == "hot" for f in feats) == (lsoa.gi_label == "hot").sum()
    assert "Hot spot: high need among high-need neighbours" in html


def test_protective_gap_map_marks_high_risk_low_access(fixture_maps):
    _, build, paths = fixture_maps
    html = paths["protective-gap.html"].read_text()
    feats = js_json(html, "sna_features")["features"]
    lsoa = pd.read_parquet(build / "lsoa.parquet", columns=["risk_band", "protective_band"])
    expected = (lsoa.risk_band == "Highest") & (lsoa.protective_band == "Lowest")
    got = [f["properties"]["k_gap"] == 2 for f in feats]
    assert got == expected.tolist() and sum(got) >= 1
    assert "High risk (top fifth) and little protective access (bottom fifth)" in html


def test_no_notice_when_the_build_is_not_synthetic(fixture_maps, tmp_path):
    data_dir, build, _ = fixture_maps
    copy = not_synthetic_copy(build, tmp_path / "b")
    paths = write_maps(REGION, data_dir, tmp_path / "out", build=copy, districts=False)
    assert [p.name for p in paths] == ["overview.html", "hotspots.html", "protective-gap.html"]
    assert '"notice":""' in paths[0].read_text()


def test_missing_build_raises_build_not_found(tmp_path):
    with pytest.raises(BuildNotFound, match="no published build for 'nowhere'.*sna build"):
        write_maps("nowhere", tmp_path)


def test_district_filename():
    assert district_filename("Birmingham") == "district-birmingham.html"
    assert district_filename("King's Lynn and West Norfolk") == (
        "district-king-s-lynn-and-west-norfolk.html"
    )


def test_import_maps_does_not_load_folium():
    code = "import sys, maps; assert 'folium' not in sys.modules, 'folium loaded'; print('ok')"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


@pytest.mark.requires_browser
def test_maps_render_without_javascript_errors(fixture_maps):
    paths = fixture_maps[2]

    def interact(page, path):
        assert page.locator(".sna-legend h2").count() == 1
        assert page.locator(".leaflet-control-layers-base label").count() >= 1
        if path.name == "overview.html":
            page.mouse.move(450, 320)
            page.wait_for_timeout(200)
            assert page.locator(".sna-tooltip").count() == 1
            assert "Top drivers" in page.locator(".sna-tooltip").inner_text()
            page.fill(".sna-search input", "b1 1ab")
            page.press(".sna-search input", "Enter")
            page.wait_for_timeout(300)
            assert "B1 1AB" in page.locator(".leaflet-popup-content").inner_text()
            page.fill(".sna-search input", "ZZ9 9ZZ")
            page.press(".sna-search input", "Enter")
            assert "not a live postcode" in page.locator(".sna-search-msg").inner_text()
            page.get_by_text("Individual level risk").click()
            assert "Individual level risk" in page.locator(".sna-legend h2").inner_text()
            assert page.locator(".sna-notice").count() == 1

    shown = ["overview.html", "hotspots.html", "protective-gap.html", "district-coventry.html"]
    errors = browse([paths[n] for n in shown], interact, prefix="fixture-")
    assert errors == {name: [] for name in shown}


@pytest.fixture(scope="module")
def wm_maps(tmp_path_factory, real_build_dir):
    data_dir = real_build_dir("west-midlands")
    out = tmp_path_factory.mktemp("wm-maps")
    return write_maps("west-midlands", data_dir, out)


@pytest.mark.slow
def test_west_midlands_maps_are_complete_and_small(wm_maps):
    names = [p.name for p in wm_maps]
    assert names[:3] == ["overview.html", "hotspots.html", "protective-gap.html"]
    assert sorted(names[3:]) == [
        f"district-{d}.html"
        for d in (
            "birmingham", "coventry", "dudley", "sandwell", "solihull", "walsall",
            "wolverhampton",
        )
    ]  # fmt: skip
    for p in wm_maps:
        assert p.stat().st_size < MAX_BYTES, p
    html = wm_maps[0].read_text()
    assert len(js_json(html, "sna_features")["features"]) == 1719
    assert len(js_json(html, "sna_postcodes")) > 30_000
    base, overlays = control_layers(html)
    # no individual-level theme: its one open layer is one value per district (context,
    # weight 0), so nothing at that level ranks the neighbourhoods
    assert base == [
        "Violence risk",
        "Needs index",
        "Protective factors",
        *LEVEL_LAYERS[1:],
    ]  # need_lambda 0 in the West Midlands: the risk index is the needs index


@pytest.mark.slow
@pytest.mark.requires_browser
def test_west_midlands_overview_renders_in_chromium(wm_maps):
    errors = browse(wm_maps[:2], prefix="west-midlands-")
    assert errors == {"overview.html": [], "hotspots.html": []}
