"""Every answer of the real West Midlands build reads true (tests/answer_walk.py).

The walker's checks are tried first on small planted answers, so each can be seen to fail
on what it guards against: a share beside a badge of another band (B90 4SB's "in the lower
half" beside "In the lowest 10%"), a share that is not the rank's, and "recorded" on a
number estimated from published rates.
"""

from __future__ import annotations

import pytest
from answer_walk import (
    Answer,
    Facts,
    SameValueSameBand,
    check_no_coarse_driver,
    check_recorded_is_counted,
    check_share_and_band,
    check_units_and_ranges,
    problems,
)

from sna.wording import index_summary, interval_words


def _ranked(rank: int, n: int, band: str, standing: str, lo=None, hi=None, uncertainty=None):
    return {
        "rank": rank,
        "of": n,
        "band": band,
        "rank_interval": {"lo": lo, "hi": hi} if lo else None,
        "in_words": {"summary": None, "standing": standing, "uncertainty": uncertainty},
    }


def test_the_share_check_passes_the_engine_words_and_fails_planted_ones():
    ok = _ranked(1650, 1719, "Lowest", index_summary("Lowest", 1650, 1719),
                 1500, 1700, interval_words(1500, 1700, 1719))  # fmt: skip
    facts = Facts(estimated=True)
    assert check_share_and_band(Answer("area", "ok", {"indices": {"need": ok}}), facts) == []
    # the B90 4SB: a sentence beside the badge that another rank would have
    half = _ranked(1650, 1719, "Lowest", "Lowest of five bands: in the lower half of ...")
    assert check_share_and_band(Answer("area", "x", {"v": half}), facts)
    # a band in the sentence that is not the badge's
    other = _ranked(5, 1719, "Highest", index_summary("High", 5, 1719))
    assert check_share_and_band(Answer("area", "x", {"v": other}), facts)
    # a badge the rank cannot have (rank 5 of 1,719 is the top fifth)
    badge = _ranked(5, 1719, "Medium", "")
    assert check_share_and_band(Answer("area", "x", {"v": badge}), facts)
    # CV1 5FB: an interval sentence that is not the interval's
    sure = _ranked(30, 1719, "Highest", index_summary("Highest", 30, 1719), 3, 500,
                   "How sure: likely among the top 1-5% of ...")  # fmt: skip
    assert check_share_and_band(Answer("area", "x", {"v": sure}), facts)


def test_the_recorded_check_fails_on_an_estimate_called_recorded():
    body = {"violence_risk": {"in_words": {"summary": "About 57 offences recorded a year."}}}
    assert check_recorded_is_counted(Answer("area", "x", body), Facts(estimated=True))
    assert check_recorded_is_counted(Answer("area", "x", body), Facts(estimated=False)) == []
    fine = {"m": "Violence expected to be recorded here; estimated, not counted: recorded 57."}
    assert check_recorded_is_counted(Answer("area", "x", fine), Facts(estimated=True)) == []
    wrong = {"x": {"rank": 1, "of": 2, "band": "Highest", "in_words": {},
                   "recorded_provenance": "recorded"}}  # fmt: skip
    assert check_recorded_is_counted(Answer("area", "x", wrong), Facts(estimated=True))


def test_the_unit_and_range_check_fails_on_an_impossible_or_unitless_value():
    facts = Facts(estimated=False, ranges={"child_poverty": (0.0, 1000.0)})
    ok = {"layers": [{"id": "child_poverty", "value": 372.0, "unit": "per 1,000 residents"}]}
    assert check_units_and_ranges(Answer("area", "x", ok), facts) == []
    # the 1,985 per 1,000
    high = {"layers": [{"id": "child_poverty", "value": 1985.0, "unit": "per 1,000"}]}
    assert check_units_and_ranges(Answer("area", "x", high), facts)
    bare = {"local": {"child_poverty": {"value": 3.0, "unit": ""}}}
    assert check_units_and_ranges(Answer("area", "x", bare), facts)


def test_the_coarse_driver_check_fails_on_a_district_figure_as_a_driver():
    facts = Facts(estimated=False, context={"school_exclusions_district": "School exclusions"})
    cited = {"need": {"drivers": [{"layer": "school_exclusions_district", "text": "..."}]}}
    assert check_no_coarse_driver(Answer("area", "x", cited), facts)
    text = {"explanation": "High need, mainly because of school exclusions and income."}
    assert check_no_coarse_driver(Answer("list-row", "x", text), facts)
    fine = {"need": {"drivers": [{"layer": "income_deprivation", "text": "Income"}]}}
    assert check_no_coarse_driver(Answer("area", "x", fine), facts) == []


def test_the_tie_check_fails_on_equal_values_in_different_bands():
    check = SameValueSameBand()
    facts = Facts(estimated=False)

    def area(code, value, band):
        need = {"rank": 1, "of": 9, "band": band, "value": value, "in_words": {}}
        return Answer("area", code, {"level": "ward", "indices": {"need": need}})

    for a in (area("W1", 0.25, "High"), area("W2", 0.25, "High"), area("W3", 0.5, "Highest")):
        check(a, facts)
    assert check.finish() == []
    check(area("W4", 0.25, "Medium"), facts)
    assert len(check.finish()) == 1


@pytest.mark.slow
def test_every_answer_of_the_west_midlands_build_reads_true(wm_build):
    """Postcodes (LSOA parts and their own), areas, list rows and trends: no share or band
    disagrees with its badge or rank, nothing estimated is called recorded, every value has a
    unit and a possible value, no district figure is a driver, equal values share a band."""
    n, found = problems(wm_build)
    assert n > 85_000  # every postcode, area, row and trend was walked
    assert found == [], "\n".join(found)
