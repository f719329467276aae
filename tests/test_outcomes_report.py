"""The outcomes in the SNA report (HTML and its A4 PDF) and from ``sna outcomes``."""

from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from build_fixture import REGION
from typer.testing import CliRunner

from cli import app
from maps.report import write_report


@pytest.fixture(scope="module")
def report(fixture_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(REGION, fixture_build, out=out, make_maps=False)


def test_the_report_has_an_outcomes_section_with_charts_and_sentences(report):
    soup = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser")
    section = soup.find(id="outcomes")
    assert section is not None
    text = section.get_text(" ")
    assert "West Midlands Police" in text and "England and Wales" in text
    assert "per 100,000 residents" in text
    assert "Awaiting partner data" in text
    assert "under 25" in text
    imgs = section.select("figure img")
    assert len(imgs) == 2 and all(i["src"].startswith("data:image/png;base64,") for i in imgs)
    assert soup.select_one('nav.toc a[href="#outcomes"]') is not None


@pytest.mark.requires_browser
def test_the_report_pdf_has_the_outcomes_section(fixture_build, tmp_path):
    import pypdfium2 as pdfium

    out = write_report(REGION, fixture_build, out=tmp_path / "r.html", pdf=True, make_maps=False)
    doc = pdfium.PdfDocument(str(out.with_suffix(".pdf")))
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    hits = [i for i, t in enumerate(pages) if "the Home Office success measures" in t]
    assert hits, "no page carries the outcomes section"
    image = pdfium.raw.FPDF_PAGEOBJ_IMAGE
    assert (
        sum(len(list(doc[i].get_objects(filter=[image]))) for i in range(hits[0], hits[0] + 2)) >= 1
    )


def test_sna_outcomes_writes_csv_and_charts(fixture_build, tmp_path):
    # the fixture build's own region file: the CLI reads the outcomes the build stored
    result = CliRunner().invoke(
        app, ["outcomes", "--region", _fixture_toml(tmp_path), "--data-dir", str(fixture_build),
              "--out-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "outcomes.csv")
    knife = table[(table.measure == "knife_enabled_serious_violence") & table.point]
    assert set(knife.area_code) == {"E23000014", "E12000005", "K04000001"}
    wm = knife[knife.area_code == "E23000014"]
    assert wm["count"].tolist() == [2000, 2400]
    latest = table[(table.measure == "knife_enabled_serious_violence") & ~table.point]
    assert set(latest.label) == {"year ending December 2019"}
    for name in ("knife_enabled_serious_violence.png", "homicide.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert "per 100,000 residents" in result.output


def _fixture_toml(folder) -> str:
    """A region file with the fixture build's id (the CLI then reads its stored outcomes)."""
    from build_fixture import DISTRICTS, REGION_NAME

    from sna.config.regions import REGIONS_DIR

    text = (REGIONS_DIR / "west-midlands.toml").read_text()
    text = text.replace('id = "west-midlands"', f'id = "{REGION}"')
    text = text.replace('name = "West Midlands"', f'name = "{REGION_NAME}"', 1)
    start = text.index("districts = [")
    end = text.index("\n", text.index("la_names"))
    text = (
        text[:start]
        + "districts = " + str(list(DISTRICTS)).replace("'", '"') + "\n"
        + "la_names = " + str(list(DISTRICTS.values())).replace("'", '"')
        + text[end:]
    )  # fmt: skip
    path = folder / f"{REGION}.toml"
    path.write_text(text)
    return str(path)
