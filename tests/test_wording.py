"""Numbers in words (sna.wording): shares, intervals, counts and the lead sentence."""

from __future__ import annotations

import pytest

from sna.wording import (
    about,
    band_of_share,
    denominator_words,
    index_summary,
    interval_words,
    recorded_words,
    share_words,
    standing,
    times_average,
    top_share,
    violence_summary,
)


@pytest.mark.parametrize(
    ("rank", "n", "share"),
    [
        (1, 1719, 1),
        (18, 1719, 1),  # 17 areas above it: fewer than 1% of 1,719
        (19, 1719, 2),
        (86, 1719, 5),
        (87, 1719, 10),
        (172, 1719, 10),
        (173, 1719, 20),
        (860, 1719, 50),
        (861, 1719, None),
    ],
)
def test_top_share_rounds_up_to_the_next_step(rank, n, share):
    assert top_share(rank, n) == share


def test_one_rank_has_one_share_on_both_sides_of_the_middle():
    assert standing(5, 1719) == ("top", 1)
    assert standing(1700, 1719) == ("lowest", 2)
    assert standing(1600, 1719) == ("lowest", 10)
    assert standing(950, 1719) == ("lower half", 50)
    assert share_words(5, 1719) == "among the top 1% of the region's 1,719 neighbourhoods"
    assert share_words(1650, 1719) == "among the lowest 5% of the region's 1,719 neighbourhoods"
    assert share_words(900, 1719, "wards") == "in the lower half of the region's 1,719 wards"


@pytest.mark.parametrize("n", [7, 69, 1719, 33755])
def test_the_share_always_lies_in_the_band_of_its_rank(n):
    """Bands are fifths by rank: the worded share of every rank names a share in its band."""
    for rank in range(1, n + 1):
        fifth = min(4, (rank - 1) * 5 // n)
        band = ["Highest", "High", "Medium", "Low", "Lowest"][fifth]
        assert band_of_share(standing(rank, n)) == band, (rank, n)


def test_interval_words():
    assert interval_words(60, 300, 1719) == (
        "How sure: likely among the top 5-20% of the region's 1,719 neighbourhoods "
        "(in 90% of simulations)."
    )
    assert interval_words(1, 10, 1719).startswith("How sure: likely among the top 1% of")
    assert interval_words(300, 1500, 1719).startswith(
        "How sure: likely between the top 20% and the lowest 20%"
    )
    assert interval_words(1000, 1650, 1719).startswith(
        "How sure: likely between the lower half and the lowest 5%"
    )
    assert interval_words(1400, 1650, 1719).startswith("How sure: likely among the lowest 5-20%")
    assert interval_words(None, 3, 10) is None


def test_counts_and_ratios_are_rounded_as_read():
    assert about(312.4) == "310"
    assert about(64.2) == "64"
    assert about(1234.0) == "1,200"
    assert times_average(9.34) == "9.3 times"
    assert times_average(12.6) == "13 times"
    assert times_average(float("nan")) is None


def test_violence_summary_is_the_forecast_with_one_comparison():
    text = violence_summary(
        expected=298.0, interval=(262.0, 341.0), ratio=9.04, region="West Midlands"
    )
    assert text == (
        "About 300 violent or sexual offences expected here in the next 12 months (forecast; "
        "likely 260 to 340), 9.0 times the average West Midlands neighbourhood."
    )
    text = violence_summary(expected=40, interval=None, ratio=None, region="R", what="wards")
    assert (
        text
        == "About 40 violent or sexual offences expected here in the next 12 months (forecast)."
    )


def test_the_past_count_says_where_it_comes_from():
    est = recorded_words(57.2, "April 2022 to March 2024", estimated=True)
    assert est.startswith("Estimated, not counted: about 57 offences a year here (April 2022")
    assert "IoD2025" in est and "no police.uk street files" in est
    rec = recorded_words(57.2, "May 2023 to April 2024", estimated=False)
    assert rec.startswith("Recorded: about 57") and "counted in police.uk" in rec
    assert recorded_words(None, None, True) is None


def test_index_summary_names_the_band_and_the_share_together():
    assert index_summary("Highest", 10, 1719) == (
        "Highest of five bands (the top fifth) for residents' risk factors (the needs index): "
        "among the top 1% of the region's 1,719 neighbourhoods."
    )
    protective = index_summary("Lowest", 1700, 1719, kind="protective")
    assert "protective places" in protective and "risk factors" not in protective
    assert index_summary(None, 3, 10) is None
    # the protective index ranks access to protective places, not risk factors
    prot = index_summary("Highest", 10, 1719, "protective")
    assert "protective places" in prot and "risk factors" not in prot
    assert denominator_words("pop_0_15") == "children aged 0-15"
    assert denominator_words("pupils_enrolled") == "pupils enrolled"


def test_every_shipped_layer_says_its_unit():
    from sna.config.region import LayerSpec, load_region

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
    assert words.startswith("About ") and "expected here in the next 12 months (forecast" in words
    assert "times the average West Midlands neighbourhood" in words
    assert "per resident" not in words and "per neighbourhood" not in words
    assert vr["in_words"]["recorded"].startswith("Estimated, not counted")
    assert "(April 2022 to March 2024)" in vr["in_words"]["recorded"]  # IoD2025's two years
    assert vr["provenance"]["recorded_last_year"] == vr["recorded_provenance"] == "estimated"
    assert vr["in_words"]["standing"].startswith(vr["band"] + " of five bands")
    assert vr["in_words"]["uncertainty"].startswith("How sure: likely ")
    need = body["indices"]["need"]["in_words"]
    assert need["standing"].startswith(body["indices"]["need"]["band"] + " of five bands")
    assert body["place"]["name"] == "Central"  # the House of Commons Library's MSOA name
    assert body["place"]["in_words"] == "Central, Ladywood ward, Birmingham"
    assert "999" in body["what_to_do"]["in_words"] and "101" in body["what_to_do"]["in_words"]
    units = {x["id"]: x["unit"] for x in body["layers"]}
    assert units["child_poverty"] == "per 1,000 residents (IoD2025)"
    assert all(u and u != "score" for u in units.values())
    income = next(x for x in body["layers"] if x["id"] == "income_deprivation")
    assert 0 < income["region_value"] < 1 and income["national_decile"] in range(1, 11)


def test_a_trend_without_street_files_says_what_the_yearly_forecast_starts_from():
    """The yearly figure a resident reads is a forecast: the trend's note must not call it
    an estimate (one number, one provenance word), only what it starts from."""
    from sna.answers.trend_words import trend_words

    got = trend_words({"monthly": None, "iod": {}}, "West Midlands", estimated=True)
    assert "yearly forecast starts from offences estimated from published rates" in got["monthly"]
    assert "figure is estimated" not in got["monthly"]
    plain = trend_words({"monthly": None, "iod": {}}, "West Midlands", estimated=False)
    assert plain["monthly"].endswith("not counted month by month.")
