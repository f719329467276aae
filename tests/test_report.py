"""The SNA report: sections, charts, tables, maps, notices, build comparison, browser."""

from __future__ import annotations

import base64

import pytest
from bs4 import BeautifulSoup
from build_fixture import PREVIOUS_BUILD_ID, REGION, REGION_NAME, make_fixture_build
from serving import browse

from maps.report import (
    _print_pdf,
    compare_builds,
    previous_build,
    render_report,
    report_context,
    write_report,
)
from sna import load_public_build

SECTIONS = [
    "summary", "data-status", "violence-risk", "priority", "outcomes", "charts", "maps", "changes",
    "method",
    "sources",
    "attribution",
]  # fmt: skip


@pytest.fixture(scope="module")
def fixture(fixture_builds):
    data_dir = fixture_builds
    build = (data_dir / REGION / "builds" / "current").resolve()
    path = write_report(REGION, data_dir)
    return data_dir, build, path


@pytest.fixture(scope="module")
def soup(fixture) -> BeautifulSoup:
    return BeautifulSoup(fixture[2].read_text(encoding="utf-8"), "html.parser")


def test_report_is_written_beside_the_build_with_its_maps(fixture):
    _, build, path = fixture
    assert path == build / "report.html"
    assert (build / "maps" / "overview.html").exists()  # made because none existed
    assert 50_000 < path.stat().st_size < 5_000_000


def test_report_has_every_section(soup):
    assert [s["id"] for s in soup.find_all("section")] == SECTIONS
    assert soup.title.string.startswith(f"{REGION_NAME} strategic needs assessment")
    nav = [a["href"] for a in soup.select("nav.toc a")]
    assert nav == [f"#{s}" for s in SECTIONS]


def test_synthetic_notice_and_attribution(soup):
    notice = soup.find(id="synthetic-notice")
    assert notice is not None
    assert "Hospital admissions for assault, under-25s" in notice.text
    assert "synthetic" in notice.text.lower()
    attribution = soup.find(id="attribution").text
    assert "Open Government Licence v3.0" in attribution
    assert "Contains OS data © Crown copyright and database right" in attribution
    assert "OpenStreetMap contributors" in attribution


def test_charts_are_embedded_pngs(soup):
    ids = ["chart-distribution", "chart-caterpillar", "chart-contributions", "chart-sensitivity"]
    for fid in ids:
        img = soup.find(id=fid).find("img")
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        png = base64.b64decode(img["src"][len(prefix) :])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        assert img["alt"]


def test_priority_tables_list_top_places_per_district(soup, fixture):
    data_dir = fixture[0]
    view = load_public_build(REGION, data_dir)
    tables = soup.select("table.priority")
    assert len(tables) == 2  # two districts
    first = tables[0].find("tbody").find_all("tr")
    assert len(first) == 5
    # the tables lead with violence risk: expected offences, band, rank, likely rank
    first_district = view.districts["district_code"].iloc[0]
    in_first = view.lsoa[view.lsoa["district_code"] == first_district]
    top = in_first.nsmallest(1, "violence_risk_rank").iloc[0]
    cells = [td.get_text(" ", strip=True) for td in first[0].find_all("td")]
    assert top["lsoa21_name"] in cells[1] and top["lsoa21_code"] in cells[1]
    assert cells[1].startswith(top["msoa21_name"])  # the place's name (no Library file here)
    assert top["ward_name"] in cells[1] and " · B" in cells[1]  # its ward and a postcode
    assert cells[2].startswith(f"{int(top['violence_risk'])} (")
    assert cells[3] == top["violence_risk_band"]
    assert cells[5] == f"{int(top['violence_risk_rank_lo'])}–{int(top['violence_risk_rank_hi'])}"
    assert cells[7] == f"{top['need_band']} ({int(top['need_rank'])})"
    assert "within 1km" in cells[9]
    coef = soup.find(id="violence-coefficients").get_text(" ", strip=True)
    assert "recorded violence over the last year" in coef and "Relative risk" in coef


def test_method_sources_and_layers(soup):
    method = soup.find(id="method").text
    for words in ("rank-based normal scores", "need = risk", "Monte Carlo", "Gi*", "Dirichlet"):
        assert words in method
    layers = soup.find(id="layers").find("tbody").find_all("tr")
    assert len(layers) == 7
    assert "synthetic" in layers[0].text and "partner data" in layers[0].text
    sources = soup.find(id="sources").find("tbody").find_all("tr")
    assert any("IoD2025" in tr.text for tr in sources)
    assert any("ODbL" in tr.text for tr in sources)


def test_map_links_resolve(soup, fixture):
    path = fixture[2]
    links = [a["href"] for a in soup.find(id="maps").select("ul.maps a")]
    assert links[:3] == ["maps/overview.html", "maps/hotspots.html", "maps/protective-gap.html"]
    assert len(links) == 5
    for href in links:
        assert (path.parent / href).exists()
    assert soup.find("iframe")["src"] == "maps/overview.html"


def test_what_changed_compares_with_the_previous_build(soup, fixture):
    data_dir, build, _ = fixture
    prev = previous_build(REGION, data_dir, build)
    assert prev is not None and prev.name == PREVIOUS_BUILD_ID
    old, new = load_public_build(REGION, data_dir, prev), load_public_build(REGION, data_dir)
    cmp = compare_builds(old, new)
    top_old = set(old.lsoa.loc[old.lsoa.need_decile == 1, "lsoa21_code"])
    top_new = set(new.lsoa.loc[new.lsoa.need_decile == 1, "lsoa21_code"])
    assert set(cmp.entering["lsoa21_code"]) == top_new - top_old
    assert set(cmp.leaving["lsoa21_code"]) == top_old - top_new
    assert len(cmp.entering) >= 1 and -1 < cmp.spearman_need < 1
    assert cmp.n_common == 12 and not cmp.layers_added
    changes = soup.find(id="changes")
    assert f"Compared with build {PREVIOUS_BUILD_ID}" in changes.text
    rows = changes.find(id="entering").find("tbody").find_all("tr")
    assert len(rows) == len(cmp.entering)
    assert f"{cmp.spearman_need:.3f}" in changes.text


def test_first_build_says_so(tmp_path):
    make_fixture_build(tmp_path)
    out = write_report(REGION, tmp_path, out=tmp_path / "elsewhere" / "r.html", make_maps=False)
    soup = BeautifulSoup(out.read_text(), "html.parser")
    assert f"This is the first build of {REGION_NAME}" in soup.find(id="first-build").text
    # no maps were made: the report says how to make them
    assert "sna maps --region fixture" in soup.find(id="maps").text


def test_report_elsewhere_links_maps_relatively(fixture, tmp_path):
    data_dir, build, _ = fixture
    out = write_report(REGION, data_dir, out=tmp_path / "r" / "sna.html")
    soup = BeautifulSoup(out.read_text(), "html.parser")
    href = soup.find(id="maps").select_one("ul.maps a")["href"]
    assert (out.parent / href).resolve() == (build / "maps" / "overview.html").resolve()


def test_no_partner_counts_in_the_report(fixture):
    text = fixture[2].read_text()
    for col in ("n_hospital_assault_u25", "raw_hospital_assault_u25", "v_hospital_assault_u25"):
        assert col not in text


@pytest.mark.requires_browser
def test_report_renders_without_javascript_errors(fixture):
    errors = browse([fixture[2]], full_page=True, prefix="fixture-")
    assert errors == {"report.html": []}


def test_static_maps_are_embedded_as_images(soup):
    figures = soup.select("#maps figure.map")
    assert [f["id"] for f in figures] == [
        "map-overview-violence",
        "map-overview-need",
        "map-hotspots-gi",
        "map-protective-gap-gap",
        "map-district-birmingham-violence",
        "map-district-coventry-violence",
    ]
    prefix = "data:image/png;base64,"
    for f in figures:
        img = f.find("img")
        assert img["src"].startswith(prefix)
        png = base64.b64decode(img["src"][len(prefix) :])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        assert img["alt"].startswith("Map: ")
    caption = figures[1].find("figcaption").get_text(" ", strip=True)
    assert f"Needs index: bands across {REGION_NAME}" in caption
    # a district figure's title names only the theme it shows
    district = figures[4].find("figcaption").get_text(" ", strip=True)
    assert district.startswith("Birmingham: violence risk by neighbourhood.")


def test_print_rules_set_a4_and_never_keep_a_whole_section_on_one_page(fixture):
    html = fixture[2].read_text()
    assert "@page { size: A4;" in html
    # a section taller than the rest of page 1 was pushed to page 2, leaving page 1 blank
    assert "break-inside: avoid-page" not in html


def _pdf_pages(pdf):
    import pypdfium2 as pdfium

    return pdfium, pdfium.PdfDocument(str(pdf))


def _white(img) -> float:
    return float((img >= 250).all(axis=2).mean())


def _page_image(page):
    import numpy as np

    return np.asarray(page.render(scale=0.5).to_pil().convert("RGB"))


def _assert_first_page_filled(doc):
    img = _page_image(doc[0])
    assert _white(img) < 0.98
    # below the title banner too: the lower two thirds hold the summary, not white paper
    assert _white(img[img.shape[0] // 3 :]) < 0.97
    assert "Summary" in doc[0].get_textpage().get_text_range()


A4_PT = (595.28, 841.89)


@pytest.mark.requires_browser
def test_report_prints_to_a4_pdf_with_a_full_first_page_and_map_images(fixture, tmp_path):
    out = write_report(REGION, fixture[0], out=tmp_path / "report.html", pdf=True)
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
    pdfium, doc = _pdf_pages(pdf)
    assert len(doc) >= 5
    for i in range(len(doc)):
        w, h = doc[i].get_size()
        assert abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1, (i, w, h)
    _assert_first_page_filled(doc)
    # the maps are images in the PDF, on the pages that carry their captions
    image = pdfium.raw.FPDF_PAGEOBJ_IMAGE
    map_pages = [
        i
        for i in range(len(doc))
        if "violence risk by neighbourhood" in doc[i].get_textpage().get_text_range()
    ]
    assert map_pages
    for i in map_pages:
        assert len(list(doc[i].get_objects(filter=[image]))) >= 1, i
    n_images = sum(len(list(doc[i].get_objects(filter=[image]))) for i in range(len(doc)))
    assert n_images >= 4 + 6  # four charts and six maps
    text = doc[len(doc) - 1].get_textpage().get_text_range()
    assert f"Page {len(doc)} of {len(doc)}" in text


@pytest.mark.requires_browser
def test_a_long_summary_does_not_leave_page_one_blank(fixture, tmp_path):
    """The cause of the blank first page: a first section taller than the rest of page 1."""
    data_dir = fixture[0]
    view = load_public_build(REGION, data_dir)
    out = tmp_path / "long.html"
    context = report_context(view, out, data_dir=data_dir, make_maps=False, map_images=False)
    context["districts"] = context["districts"] * 20  # a summary table of 40 districts
    out.write_text(render_report(context), encoding="utf-8")
    _, doc = _pdf_pages(_print_pdf(out, out.with_suffix(".pdf")))
    _assert_first_page_filled(doc)


@pytest.mark.slow
@pytest.mark.parametrize("region", ["west-midlands", "bedfordshire"], ids=["wm", "beds"])
def test_real_build_report(region, tmp_path, real_build_dir):
    data_dir = real_build_dir(region)
    out = write_report(region, data_dir, out=tmp_path / "report.html", make_maps=False)
    soup = BeautifulSoup(out.read_text(), "html.parser")
    ids = [s["id"] for s in soup.find_all("section")]
    assert [i for i in ids if i != "trends"] == SECTIONS and "trends" in ids
    n_districts = 7 if region == "west-midlands" else 3
    # trends: IoD decile changes per district everywhere, monthly chart where street files are
    assert len(soup.select("#trend-iod tbody tr")) == n_districts
    assert (soup.find(id="chart-trends") is not None) == (region == "bedfordshire")
    assert len(soup.select("table.priority")) == n_districts
    assert len(soup.select("figure img")) >= 3
    manifest_synthetic = load_public_build(region, data_dir).synthetic
    assert (soup.find(id="synthetic-notice") is not None) == manifest_synthetic


def test_page_footer_is_a_css_string_whatever_the_region_name(fixture, tmp_path):
    data_dir = fixture[0]
    view = load_public_build(REGION, data_dir)
    context = report_context(
        view, tmp_path / "r.html", data_dir=data_dir, make_maps=False, map_images=False
    )
    context["region_name"] = 'King\'s Lynn "West" </style>'
    html = render_report(context)
    assert (
        "content: \"King's Lynn \\22 West\\22  \\3c /style> strategic needs assessment, build "
        in html
    )
    css = html.split("<style>")[1].split("</style>")[0]  # the name cannot close the style
    assert "&#39;" not in css and "strategic needs assessment, build" in css
