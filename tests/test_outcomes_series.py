"""Series logic: non-overlapping points, revisions, rates, the disclosure rule."""

from __future__ import annotations

import pandas as pd
import pytest
from outcomes_fixture import write_inputs

from sna.outcomes.answer import audit_outcomes, compute_outcomes
from sna.outcomes.partner import AWAITING, hospital_years, own_measures
from sna.outcomes.series import Populations, latest_values, mid_year, overlaps, period_label


def test_period_words():
    assert period_label("2017-04", "2018-03") == "year ending March 2018"
    assert overlaps(("2019-01", "2019-12"), ("2018-04", "2019-03")) == 3
    assert overlaps(("2017-04", "2018-03"), ("2018-04", "2019-03")) == 0
    assert mid_year("2017-04", "2018-03") == 2017 and mid_year("2019-01", "2019-12") == 2019


def test_the_latest_edition_wins_and_a_missing_value_keeps_the_earlier_one():
    row = dict(
        measure="knife_offences",
        offence="k",
        area_code="A",
        period_start="2017-04",
        period_end="2018-03",
        table="P5",
        edition="e",
    )
    tidy = pd.DataFrame(
        [
            {**row, "count": 100.0, "edition_end": "2018-03"},
            {**row, "count": 104.0, "edition_end": "2019-12"},  # revised
            {**row, "count": None, "edition_end": "2020-03", "area_code": "A"},  # not shown
        ]
    )
    got = latest_values(tidy, "knife_offences", "k")
    assert got["count"].tolist() == [104.0]


def test_population_between_p9_and_census_is_interpolated_and_says_so():
    pops = Populations(
        {"A": {2016.5: (1000.0, "ONS mid-2016 estimate"), 2021.5: (1500.0, "Census 2021")}}
    )
    assert pops.at("A", 2016) == (1000.0, "ONS mid-2016 estimate", "recorded")
    people, basis, provenance = pops.at("A", 2018)
    assert people == pytest.approx(1200.0) and provenance == "estimated"
    assert "interpolated" in basis
    assert pops.at("A", 2023) is None  # no extrapolation


@pytest.fixture(scope="module")
def answer(tmp_path_factory):
    from outcomes_fixture import fixture_config

    from sna.config.region import load_region

    folder = write_inputs(tmp_path_factory.mktemp("outcomes"))
    return compute_outcomes(fixture_config(load_region("west-midlands"), folder))


def test_points_never_overlap_and_the_latest_year_says_what_it_overlaps(answer):
    for m in answer["measures"]:
        for s in m["series"]:
            windows = [(p["period_start"], p["period_end"]) for p in s["points"]]
            assert windows == sorted(windows)
            for i, a in enumerate(windows):
                assert all(overlaps(a, b) == 0 for b in windows[i + 1 :]), s["code"]
            if s["latest"]:
                assert s["latest"]["label"] == "year ending December 2019"
                assert s["latest"]["overlaps_months"] == 3
                assert s["latest"]["overlaps"] == "year ending March 2019"
    knife = answer["measures"][0]["series"][0]
    assert [p["count"] for p in knife["points"]] == [2000, 2400]
    # mid-2018 and mid-2017 populations are between P9 (mid-2016) and Census 2021
    assert knife["points"][0]["rate_provenance"] == "estimated"
    assert knife["points"][0]["rate_per_100k"] == pytest.approx(
        2000 / (2_890_000 + (3_000_000 - 2_890_000) * 1 / (2021.2164 - 2016.5)) * 1e5, rel=1e-3
    )


def test_the_answer_names_units_sources_and_what_it_cannot_give(answer):
    ids = [m["id"] for m in answer["measures"]]
    assert ids == ["knife_enabled_serious_violence", "homicide", "hospital_sharp_object_assault"]
    assert answer["subject"]["code"] == "E23000014"
    assert [c["code"] for c in answer["comparators"]] == ["E12000005", "K04000001"]
    assert all(m["unit"] for m in answer["measures"])
    assert answer["measures"][2]["status"] == AWAITING
    assert any("under 25" in t for t in answer["cannot_give"])
    assert any("domestic" in t for t in answer["cannot_give"])
    assert any("Homicide Index" in t for t in answer["cannot_give"])
    assert any("awaiting partner data" in s for s in answer["sentences"])
    assert answer["sources"][0]["licence"] == "OGL v3.0"


def _admissions(rows):
    return pd.DataFrame([{"admission_date": d, "icd10_category": c, "age": a} for d, c, a in rows])


def test_hospital_years_follow_the_disclosure_rule():
    rows = [("2023-05-01", "X99", 20)] * 9 + [("2023-06-01", "X99", 40)] * 3  # 12, 9 under 25
    rows += [("2024-05-01", "X99", 20)] * 5  # 5: held back
    rows += [("2022-05-01", "Y04", 20)] * 30  # not a sharp object: not counted
    got = hospital_years(_admissions(rows))
    by = {y["label"]: y for y in got["years"]}
    y24 = by["year ending March 2024"]
    # 12 all ages and 9 under 25 would show 3 aged 25+: the under-25 count is held back
    assert y24["all_ages"] == 12 and y24["under_25"] is None and y24["under_25_suppressed"]
    assert by["year ending March 2025"]["all_ages"] is None
    assert by["year ending March 2023"]["all_ages"] == 0  # zero is published
    assert y24["months_covered"] == 2
    assert hospital_years(None) == {"status": AWAITING, "synthetic": False, "years": []}
    published = {"measures": [{"id": "h", "years": got["years"]}]}
    assert audit_outcomes(published) == []
    leaky = {"measures": [{"id": "h", "years": [{"label": "x", "all_ages": 5, "under_25": 5}]}]}
    assert audit_outcomes(leaky) == ["h x: all_ages = 5", "h x: under_25 = 5"]


def test_own_measures_keep_only_windows_that_do_not_overlap():
    frame = pd.DataFrame(
        [
            {
                "area_code": "E23000014",
                "area_name": "WM",
                "period_start": s,
                "period_end": e,
                "measure": "m",
                "offence": "o",
                "count": n,
                "pct_knife": None,
                "rate": None,
            }
            for s, e, n in [
                ("2021-04", "2022-03", 1),
                ("2021-07", "2022-06", 2),
                ("2022-04", "2023-03", 3),
            ]
        ]
    )
    (got,) = own_measures(frame, "VRU analysts")
    assert [p["count"] for p in got["points"]] == [1.0, 3.0]
    assert got["overlapping_left_out"] == 1 and got["source"] == "VRU analysts"
