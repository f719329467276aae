"""Numbers in words (sna.wording): shares, intervals, counts and the lead sentence."""

from __future__ import annotations

import pytest

from sna.wording import (
    about,
    denominator_words,
    index_summary,
    interval_words,
    share_words,
    times_average,
    top_share,
    violence_summary,
)


@pytest.mark.parametrize(
    ("rank", "n", "share"),
    [
        (1, 1719, 1),
        (17, 1719, 1),
        (18, 1719, 2),
        (85, 1719, 5),
        (86, 1719, 10),
        (171, 1719, 10),
        (172, 1719, 20),
        (860, 1719, None),
    ],
)
def test_top_share_rounds_up_to_the_next_step(rank, n, share):
    assert top_share(rank, n) == share


def test_share_and_interval_words():
    assert share_words(5, 1719) == "among the top 1% of neighbourhoods in the region"
    assert share_words(1700, 1719) == "in the lower half of the region's neighbourhoods"
    assert interval_words(60, 300, 1719) == "likely among the top 5-20% of the region"
    assert interval_words(1, 10, 1719) == "likely among the top 1% of the region"
    assert interval_words(300, 1500, 1719).startswith("likely between the top 20%")
    assert interval_words(1000, 1500, 1719) == "likely in the lower half of the region"
    assert interval_words(None, 3, 10) is None


def test_counts_and_ratios_are_rounded_as_read():
    assert about(312.4) == "310"
    assert about(64.2) == "64"
    assert about(1234.0) == "1,200"
    assert times_average(9.34) == "9.3 times"
    assert times_average(12.6) == "13 times"
    assert times_average(float("nan")) is None


def test_violence_summary_reads_like_the_issue_example():
    text = violence_summary(
        expected=298.0,
        recorded=312.0,
        period="2022-24",
        ratio_per_resident=9.04,
        rank=3,
        n=1719,
        region="West Midlands",
    )
    assert text == (
        "About 310 violent or sexual offences recorded a year (2022-24), 9.0 times the West "
        "Midlands average per resident; among the top 1% of neighbourhoods in the region. "
        "About 300 are expected in the next 12 months."
    )
    # without a recorded count it speaks of the expectation only
    text = violence_summary(
        expected=40,
        recorded=None,
        period=None,
        ratio_per_resident=None,
        rank=None,
        n=10,
        region="R",
    )
    assert text == "About 40 violent or sexual offences expected a year."


def test_index_summary_and_denominators():
    assert index_summary("Highest", 10, 1719).startswith(
        "Highest band of the five: among the top 1%"
    )
    assert index_summary(None, 3, 10) is None
    # the protective index ranks access to protective places, not risk factors
    prot = index_summary("Highest", 10, 1719, "protective")
    assert "protective places" in prot and "risk factors" not in prot
    assert denominator_words("pop_0_15") == "children aged 0-15"
    assert denominator_words("pupils_enrolled") == "pupils enrolled"


def test_every_shipped_layer_says_its_unit():
    from sna.config import LayerSpec, load_region

    for region in ("west-midlands", "bedfordshire"):
        for layer in load_region(region).layers:
            assert layer.display_unit != "score", (region, layer.id)
    spec = LayerSpec(
        id="x",
        title="X",
        kind="risk",
        level="individual",
        table="t",
        measure="count",
        denominator="pop_0_24",
        per=100,
    )
    assert spec.display_unit == "per 100 residents aged 0-24"
    assert spec.model_copy(update={"unit": "per pupil"}).display_unit == "per pupil"


@pytest.mark.slow
def test_the_public_answer_reads_in_words_with_units(wm_build):
    """The West Midlands answer for Birmingham 138A (B1 1BB) says its numbers in words."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    app = create_app(
        ApiSettings(region="west-midlands", data_dir=wm_build.parents[2], reload_interval=60)
    )
    with TestClient(app) as client:
        body = client.get("/api/v1/areas/E01033620").json()["result"]
    vr = body["violence_risk"]
    words = vr["in_words"]["summary"]
    assert words.startswith("About ") and "violent or sexual offences recorded a year" in words
    assert "(April 2022 to March 2024)" in words  # the IoD2025 crime indicators' two years
    assert "times the West Midlands average per resident" in words
    assert "of neighbourhoods in the region" in words or "lower half" in words
    assert vr["in_words"]["uncertainty"].startswith("likely ")
    need = body["indices"]["need"]["in_words"]
    assert need["summary"].startswith(body["indices"]["need"]["band"] + " band")
    units = {x["id"]: x["unit"] for x in body["layers"]}
    assert units["child_poverty"] == "per 1,000 residents (IoD2025)"
    assert all(u and u != "score" for u in units.values())
    income = next(x for x in body["layers"] if x["id"] == "income_deprivation")
    assert 0 < income["region_value"] < 1 and income["national_decile"] in range(1, 11)
