"""Printed maps: `sna maps --format pdf|png` writes one A4 page per map that a reader opens."""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium  # noqa: E402
import pytest
from build_fixture import BUILD_ID, REGION, REGION_NAME, not_synthetic_copy
from PIL import Image
from typer.testing import CliRunner

from cli import app
from maps._specs import map_specs
from maps._themes import overview_themes
from maps.printing import A4_INCHES, write_print_maps
from sna import load_public_build
from sna.errors import SnaError
from sna.theme import BAND_COLOURS, BANDS

runner = CliRunner()
A4_PT = (595.28, 841.89)
NAMES = ["overview", "hotspots", "protective-gap", "district-birmingham", "district-coventry"]


def page_text(page) -> str:
    """All the text of a PDF page, whitespace collapsed (labels may wrap across lines)."""
    return " ".join(page.get_textpage().get_text_range().split())


def rendered(page, scale: float = 1.0) -> np.ndarray:
    """The page as an RGB array."""
    return np.asarray(page.render(scale=scale).to_pil().convert("RGB"))


def is_a4(size: tuple[float, float]) -> bool:
    w, h = size
    return any(abs(w - a) <= 1 and abs(h - b) <= 1 for a, b in (A4_PT, A4_PT[::-1]))


@pytest.fixture(scope="module")
def printed(fixture_build, tmp_path_factory):
    """The fixture build's maps printed to PDF through the command line."""
    data_dir = fixture_build
    build = (data_dir / REGION / "builds" / "current").resolve()
    out = tmp_path_factory.mktemp("printed")
    res = runner.invoke(
        app,
        ["maps", "--region", REGION, "--data-dir", str(data_dir), "--format", "pdf"]
        + ["--out-dir", str(out)],
    )
    assert res.exit_code == 0, res.output
    return data_dir, build, {p.stem: p for p in sorted(out.glob("*.pdf"))}


def test_one_a4_pdf_page_per_map(printed):
    _, _, pdfs = printed
    assert sorted(pdfs) == sorted(NAMES)
    for name, path in pdfs.items():
        assert path.read_bytes()[:5] == b"%PDF-"
        doc = pdfium.PdfDocument(str(path))
        assert len(doc) == 1, name
        assert is_a4(doc[0].get_size()), (name, doc[0].get_size())


def test_pages_are_not_blank(printed):
    for name, path in printed[2].items():
        img = rendered(pdfium.PdfDocument(str(path))[0], scale=0.5)
        white = (img >= 250).all(axis=2).mean()
        assert white < 0.9, (name, white)  # map, legend and text cover over a tenth
        assert img.std() > 20, name


def test_overview_page_has_title_date_legend_sources_and_notice(printed):
    text = page_text(pdfium.PdfDocument(str(printed[2]["overview"]))[0])
    assert f"{REGION_NAME}: violence risk by neighbourhood" in text
    assert "needs by" not in text  # the title names only the theme the page shows
    assert f"build of 1 January 2025 ({BUILD_ID})" in text
    assert f"Violence risk: bands across {REGION_NAME}" in text
    for _, label in overview_themes(load_public_build(REGION, printed[0]))[0].legend:
        assert label in text  # the HTML map's legend rows, word for word
    # sources and attribution from the build manifest
    assert (
        "Sources: LSOA 2021 generalised (BGC); synthetic (seeded); IoD2025; "
        "OpenStreetMap extract." in text
    )
    assert "Open Government Licence v3.0" in text
    assert "Contains OS data © Crown copyright and database right 2025" in text
    assert "© OpenStreetMap" in text
    # the fixture holds a synthetic partner layer
    assert "Synthetic data" in text and "Hospital admissions for assault, under-25s" in text
    assert "Illustrative only" in text
    assert "5 km" in text or "1 km" in text or "0.5 km" in text  # the scale bar


def test_hotspot_and_gap_pages_use_their_own_legends(printed):
    hot = page_text(pdfium.PdfDocument(str(printed[2]["hotspots"]))[0])
    assert "Getis-Ord Gi* of need (FDR 5%)" in hot
    assert "Hot spot: high need among high-need neighbours" in hot
    assert "false-discovery-rate" in hot  # the theme's note
    gap = page_text(pdfium.PdfDocument(str(printed[2]["protective-gap"]))[0])
    assert "High risk (top fifth) and little protective access (bottom fifth)" in gap


def test_district_page_names_its_wards(printed):
    text = page_text(pdfium.PdfDocument(str(printed[2]["district-coventry"]))[0])
    assert "Coventry: violence risk by neighbourhood" in text and "needs" not in text.lower()
    assert "Ward C" in text and "Ward D" in text
    assert "Ward A" not in text and "Ward B" not in text  # only its own wards are named
    assert "6 neighbourhoods" in text


def test_colours_are_the_web_themes_colours(printed):
    """Every violence band present in the build is painted in the public map's colour."""
    data_dir, _, pdfs = printed
    view = load_public_build(REGION, data_dir)
    img = rendered(pdfium.PdfDocument(str(pdfs["overview"]))[0], scale=2.0).reshape(-1, 3)
    colours, counts = np.unique(img, axis=0, return_counts=True)
    hexes = ["#" + bytes(c).hex() for c in colours.astype(np.uint8)]
    painted = dict(zip(hexes, counts, strict=True))
    present = set(view.lsoa["violence_risk_band"].dropna())
    assert present == set(BANDS)
    for band in present:
        assert painted.get(BAND_COLOURS["risk"][band], 0) > 500, f"{band} colour missing"
    # the protective palette is not used on the violence page
    assert painted.get(BAND_COLOURS["protective"]["Highest"], 0) == 0


def test_png_pages_have_the_a4_shape(printed, tmp_path):
    data_dir = printed[0]
    paths = write_print_maps(REGION, data_dir, tmp_path, fmt="png", dpi=100, districts=False)
    assert [p.name for p in paths] == ["overview.png", "hotspots.png", "protective-gap.png"]
    for p in paths:
        with Image.open(p) as im:
            w, h = im.size
            short, long = sorted((w, h))
            assert abs(short - A4_INCHES[0] * 100) <= 1 and abs(long - A4_INCHES[1] * 100) <= 1
            assert abs(max(w, h) / min(w, h) - 2**0.5) < 0.005
            assert im.info.get("dpi", (100, 100))[0] == pytest.approx(100, abs=0.5)


def test_theme_option_prints_another_theme(printed, tmp_path):
    data_dir = printed[0]
    res = runner.invoke(
        app,
        ["maps", "--region", REGION, "--data-dir", str(data_dir), "--format", "pdf"]
        + ["--theme", "need", "--out-dir", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    text = page_text(pdfium.PdfDocument(str(tmp_path / "overview.pdf"))[0])
    assert f"Needs index: bands across {REGION_NAME}" in text
    assert f"{REGION_NAME}: needs index by neighbourhood" in text
    assert "Violence risk: bands" not in text
    # the hotspot map has no needs theme: it prints its own first theme
    hot = page_text(pdfium.PdfDocument(str(tmp_path / "hotspots.pdf"))[0])
    assert "Getis-Ord Gi*" in hot


def test_unknown_theme_or_format_is_a_clear_error(printed, tmp_path):
    data_dir = printed[0]
    with pytest.raises(SnaError, match="map theme 'nope' is not one of .*need.*violence"):
        write_print_maps(REGION, data_dir, tmp_path, theme="nope")
    with pytest.raises(SnaError, match="map format 'svg' is not one of html, pdf, png"):
        write_print_maps(REGION, data_dir, tmp_path, fmt="svg")
    res = runner.invoke(app, ["maps", "--region", REGION, "--format", "svg"])
    assert res.exit_code == 2 and "'svg' is not one of" in res.output


def test_no_notice_when_the_build_is_not_synthetic(printed, tmp_path):
    data_dir, build, _ = printed
    copy = not_synthetic_copy(build, tmp_path / "b")
    paths = write_print_maps(REGION, data_dir, tmp_path / "out", build=copy, districts=False)
    text = page_text(pdfium.PdfDocument(str(paths[0]))[0])
    assert "Synthetic data" not in text and REGION_NAME in text


def test_print_and_html_maps_share_one_list(printed):
    view = load_public_build(REGION, printed[0])
    assert [s.stem for s in map_specs(view)] == NAMES
    assert sorted(printed[2]) == sorted(NAMES)


@pytest.mark.slow
def test_bedfordshire_pages_name_police_uk_and_the_districts(tmp_path, real_build_dir):
    data_dir = real_build_dir("bedfordshire")
    paths = write_print_maps("bedfordshire", data_dir, tmp_path)
    assert [p.stem for p in paths][:3] == ["overview", "hotspots", "protective-gap"]
    assert len(paths) == 6
    for p in paths:
        doc = pdfium.PdfDocument(str(p))
        assert len(doc) == 1 and is_a4(doc[0].get_size()), p
    text = page_text(pdfium.PdfDocument(str(paths[0]))[0])
    for name in ("Bedford", "Central Bedfordshire", "Luton"):
        assert name in text
    assert "police.uk" in text  # violence risk is fitted to the street-level files
    luton = page_text(pdfium.PdfDocument(str(tmp_path / "district-luton.pdf"))[0])
    assert "High Town" in luton  # a Luton ward
