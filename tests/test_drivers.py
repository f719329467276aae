import doctest

import numpy as np
import pandas as pd
import pytest
from build_fixture import REGION

from sna.needs import drivers as mod
from sna.needs.drivers import (
    SYNTHETIC_SUFFIX,
    driver_text,
    explain,
    level_contributions,
    top_drivers,
)
from sna.stats.aggregate import weighted_arithmetic

LEVELS = {
    "vwi": "community",
    "robbery": "community",
    "income": "society",
    "exclusions": "individual",
    "assets": "community",
}


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_level_contributions_sum_to_index():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(300, 5)), columns=list(LEVELS))
    res = weighted_arithmetic(
        scores, {"vwi": 3, "robbery": 1, "income": 2, "exclusions": 1, "assets": 1.5}
    )
    lv = level_contributions(res.contributions, LEVELS)
    assert list(lv.columns) == ["community", "society", "individual"]
    assert np.max(np.abs(lv.sum(axis=1) - res.index)) < 1e-9
    np.testing.assert_allclose(
        lv["community"], res.contributions[["vwi", "robbery", "assets"]].sum(axis=1)
    )


def test_level_order_and_errors():
    c = pd.DataFrame({"vwi": [1.0], "income": [2.0]})
    lv = level_contributions(
        c, LEVELS, order=["individual", "relationship", "community", "society"]
    )
    assert lv.columns.tolist() == ["individual", "relationship", "community", "society"]
    assert lv.iloc[0].tolist() == [0.0, 0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r"\['mystery'\] have no level"):
        level_contributions(pd.DataFrame({"mystery": [1.0]}), LEVELS)
    with pytest.raises(ValueError, match=r"level\(s\) \['society'\] are not in order"):
        level_contributions(c, LEVELS, order=["community"])


def test_top_drivers_order_and_directions():
    c = pd.DataFrame(
        {"a": [0.1, np.nan], "b": [0.7, -0.2], "c": [-0.9, 0.4], "d": [0.3, 0.4]},
        index=["E01x", "E01y"],
    )
    up = top_drivers(c, n=2)
    assert up["E01x"] == [("b", 0.7), ("d", 0.3)]
    assert up["E01y"] == [("c", 0.4), ("d", 0.4)]  # tie keeps column order
    assert top_drivers(c, n=1, direction="down")["E01x"] == [("c", -0.9)]
    assert top_drivers(c, n=2, direction="abs")["E01x"] == [("c", -0.9), ("b", 0.7)]
    assert len(top_drivers(c, n=10)["E01y"]) == 3  # the NaN layer is skipped
    with pytest.raises(ValueError, match="direction"):
        top_drivers(c, direction="sideways")  # type: ignore[arg-type]


TITLES = {
    "vwi": "violence with injury",
    "income": "income deprivation",
    "assets": "access to community assets",
    "robbery": "robbery",
    "exclusions": "school exclusions",
}


def test_explain_example_sentence():
    row = pd.Series({"vwi": 0.8, "income": 0.5, "robbery": 0.1, "assets": -0.4})
    text = explain(row, TITLES, band="Highest", protective={"assets"})
    assert text == (
        "Ranked in the highest band mainly because of high violence with injury and income "
        "deprivation; good access to community assets lowers it."
    )


def test_explain_variants():
    # protective layer pushing up reads "little", mixed adjectives are spelt out
    row = {"assets": 0.6, "vwi": 0.5, "income": -0.2, "robbery": -0.1}
    text = explain(row, TITLES, band="High", protective={"assets"}, n_down=2)
    assert text == (
        "Ranked in the high band mainly because of little access to community assets and high "
        "violence with injury; low income deprivation and robbery lower it."
    )
    # below the regional average: the reasons are what pulls the score down
    assert explain({"vwi": -0.3, "income": 0.1}, TITLES, band="Lowest") == (
        "Ranked in the lowest band mainly because of low violence with injury; high income "
        "deprivation raises it."
    )
    assert explain({"vwi": -0.3, "income": 0.0}, TITLES, band="Lowest") == (
        "Ranked in the lowest band mainly because of low violence with injury."
    )
    assert explain({"knife_crime": 0.2}, {}) == ("The score is driven mainly by high knife crime.")
    assert explain({"vwi": np.nan}, TITLES) == "The score is close to the regional average."


def test_driver_text_words_each_kind_and_direction():
    assert driver_text("Violence with injury", 0.3) == (
        "Violence with injury: above the regional average"
    )
    assert driver_text("Violence with injury", -0.3) == (
        "Violence with injury: below the regional average"
    )
    assert driver_text("Libraries", 0.2, kind="protective") == (
        "Libraries: below the regional average, so less protection"
    )
    assert driver_text("Libraries", -0.2, kind="protective") == (
        "Libraries: above the regional average, adding protection"
    )
    assert driver_text("Hospital admissions", 0.1, synthetic=True).endswith(SYNTHETIC_SUFFIX)


def test_api_maps_priority_list_and_report_word_drivers_alike(client, fixture_build, tmp_path):
    """One wording of a driver: what raises an LSOA's need reads the same in the API's
    answer, the map popup, the priority list and the report (``sna.needs.drivers.driver_text``)."""
    from html import escape

    from maps._themes import feature_properties
    from maps.report import render_report, report_context
    from sna import load_public_build, priority_places

    view = load_public_build(REGION, fixture_build)
    places = priority_places(view, top=3)
    popups = feature_properties(view).set_index("c")["t"]
    context = report_context(view, tmp_path / "report.html", make_maps=False, map_images=False)
    report = {p["lsoa21_code"]: p["drivers"] for d in context["districts"] for p in d["places"]}
    html = render_report(context)
    kinds = set()
    for code, listed in zip(places["lsoa21_code"], places["drivers"], strict=True):
        drivers = client.get(f"/api/v1/areas/{code}").json()["result"]["drivers"]
        raising = [d for d in drivers if d["effect"] == "raises need"]
        api = "; ".join(d["text"] for d in raising) or "no layer raises need above average"
        assert listed == api == popups[code] == report[code], code
        assert escape(api) in html
        kinds |= {(d["kind"], d["synthetic"]) for d in raising}
    assert len(kinds) > 1  # more than one wording was compared


def test_a_zero_contribution_pulls_neither_way():
    from sna.answers.words import driver

    meta = {"lib": {"title": "Libraries within 1.5 km", "kind": "protective", "level": "community"}}
    d = driver("lib", 0.0, meta, set())
    assert (
        d["effect"] == "no effect"
        and d["text"] == "Libraries within 1.5 km: at the regional average"
    )
    assert driver("lib", -0.1, meta, set())["effect"] == "lowers need"
    assert driver("lib", 0.1, meta, set())["effect"] == "raises need"
