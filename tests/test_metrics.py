"""Metric unit tests on fixtures small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sna.stats.metrics import (
    COVERAGES,
    coverage_metrics,
    expected_counts,
    hit_rate,
    max_capture,
    n_flagged,
    pai,
    pei_star,
    rri,
    selection_weights,
    spearman,
)

# Five units: test counts, areas (km2), and two rankings.
OBS = np.array([10.0, 5.0, 3.0, 2.0, 0.0])  # N = 20
AREA = np.array([1.0, 1.0, 2.0, 2.0, 4.0])  # A = 10
PERFECT = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
SHUFFLED = np.array([1.0, 5.0, 3.0, 4.0, 2.0])  # flags units 2 and 4 first


def test_scalar_formulas():
    assert hit_rate(15, 20) == 0.75
    assert pai(15, 20, 2, 10) == pytest.approx(3.75)
    assert pei_star(7, 15) == pytest.approx(7 / 15)
    assert rri(12, 8) == 1.5
    assert np.isnan(hit_rate(0, 0))
    assert np.isnan(pai(1, 0, 1, 1))
    assert np.isnan(pei_star(0, 0))
    assert rri(3, 0) == np.inf
    assert np.isnan(rri(0, 0))


def test_n_flagged_rounds_half_up_and_keeps_one():
    assert [n_flagged(735, c) for c in COVERAGES] == [7, 37, 74, 147]
    assert n_flagged(10, 0.01) == 1
    assert n_flagged(5, 1.0) == 5
    with pytest.raises(ValueError, match="coverage must be in"):
        n_flagged(10, 0.0)


def test_perfect_ranking_two_units():
    t = coverage_metrics(PERFECT, OBS, area=AREA, coverages=[0.4]).iloc[0]
    assert t["k"] == 2
    assert t["n"] == 15 and t["N"] == 20 and t["n_star"] == 15
    assert t["hit_rate"] == 0.75
    assert t["area_share"] == pytest.approx(0.2)
    assert t["pai"] == pytest.approx(3.75)  # (15/20) / (2/10)
    assert t["pei_star"] == 1.0


def test_imperfect_ranking_two_units():
    t = coverage_metrics(SHUFFLED, OBS, area=AREA, coverages=[0.4]).iloc[0]
    # flagged: unit 2 (5 events, 1 km2) and unit 4 (2 events, 2 km2)
    assert t["n"] == 7
    assert t["area_share"] == pytest.approx(0.3)
    assert t["pai"] == pytest.approx((7 / 20) / (3 / 10))
    assert t["pai_units"] == pytest.approx((7 / 20) / (2 / 5))
    assert t["pei_star"] == pytest.approx(7 / 15)


def test_equal_areas_when_area_omitted():
    t = coverage_metrics(PERFECT, OBS, coverages=[0.2, 0.4, 1.0])
    # k = 1, 2, 5 of 5 equal cells: a/A = k/5
    assert t["area_share"].tolist() == pytest.approx([0.2, 0.4, 1.0])
    assert t["pai"].tolist() == pytest.approx([(10 / 20) / 0.2, (15 / 20) / 0.4, 1.0])
    assert t["pai_units"].tolist() == t["pai"].tolist()
    assert t["pei_star"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_ties_at_cut_off_are_shared_fractionally():
    w = selection_weights([3, 3, 3, 1, 1], 2)
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 0, 0])
    assert w.sum() == pytest.approx(2)
    t = coverage_metrics([3, 3, 3, 1, 1], OBS, area=AREA, coverages=[0.4]).iloc[0]
    assert t["n"] == pytest.approx((10 + 5 + 3) * 2 / 3)  # 12
    assert t["area_share"] == pytest.approx((1 + 1 + 2) * 2 / 3 / 10)
    assert t["pei_star"] == pytest.approx(12 / 15)


def test_missing_scores_rank_last():
    w = selection_weights([np.nan, 2.0, 1.0], 2)
    assert w.tolist() == [0.0, 1.0, 1.0]


def test_matches_ptools_example_where_no_tie_straddles_the_cut():
    # ptools::pai example: obs = 6,7,3,2,1,0; pred = 8,4,4,2,1,0; constant area.
    obs = np.array([6, 7, 3, 2, 1, 0], float)
    pred = np.array([8, 4, 4, 2, 1, 0], float)
    t = coverage_metrics(pred, obs, predicted=pred, coverages=[1 / 6, 3 / 6]).set_index("k")
    # k = 1: PAI = (6/19)/(1/6); RRI = 8/6; PEI (ptools, equal areas) = 6/7
    assert t.loc[1, "pai"] == pytest.approx((6 / 19) / (1 / 6))
    assert t.loc[1, "rri"] == pytest.approx(8 / 6)
    assert t.loc[1, "pei_star"] == pytest.approx(6 / 7)
    # k = 3: n = 16 = n*, predicted 16: PAI = (16/19)/(3/6), PEI* = 1, RRI = 1
    assert t.loc[3, "pai"] == pytest.approx(32 / 19)
    assert t.loc[3, "pei_star"] == 1.0
    assert t.loc[3, "rri"] == pytest.approx(1.0)
    assert t.loc[3, "log_rri"] == pytest.approx(0.0)


def test_expected_value_on_tie_differs_from_ptools_pessimistic_break():
    obs = np.array([6, 7, 3, 2, 1, 0], float)
    pred = np.array([8, 4, 4, 2, 1, 0], float)
    t = coverage_metrics(pred, obs, predicted=pred, coverages=[2 / 6]).iloc[0]
    # ptools puts obs 3 before obs 7 (n = 9); the expectation over the tie is 6 + 5 = 11
    assert t["n"] == pytest.approx(11)
    assert t["rri"] == pytest.approx(12 / 11)


def test_max_capture_and_bounds():
    assert max_capture(OBS, 1) == 10
    assert max_capture(OBS, 3) == 18
    with pytest.raises(ValueError, match="k must be between 1"):
        max_capture(OBS, 6)


def test_expected_counts_proportional_and_shifted():
    assert expected_counts([1, 1, 2], 8).tolist() == pytest.approx([2, 2, 4])
    # negative scores shift so the lowest unit gets zero
    assert expected_counts([-1, 0, 1], 6).tolist() == pytest.approx([0, 2, 4])
    assert expected_counts([np.nan, 1, 3], 4).tolist() == pytest.approx([0, 1, 3])


def test_spearman():
    assert spearman(PERFECT, OBS) == pytest.approx(1.0)
    assert spearman(-PERFECT, OBS) == pytest.approx(-1.0)
    assert np.isnan(spearman([1, 1, 1, 1], OBS[:4]))


def test_properties_on_random_rankings():
    rng = np.random.default_rng(7)
    y = rng.poisson(2.0, 400).astype(float)
    area = rng.uniform(0.5, 2.0, 400)
    pais = []
    for _ in range(200):
        t = coverage_metrics(rng.normal(size=400), y, area=area)
        assert ((t["pei_star"] >= 0) & (t["pei_star"] <= 1 + 1e-12)).all()
        assert ((t["hit_rate"] >= 0) & (t["hit_rate"] <= 1)).all()
        pais.append(t.loc[t["coverage"] == 0.2, "pai"].iloc[0])
    assert np.mean(pais) == pytest.approx(1.0, abs=0.05)  # chance is PAI = 1
    oracle = coverage_metrics(y, y, area=area)
    assert oracle["pei_star"].tolist() == pytest.approx([1.0] * 4)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="score has 5 units but observed has 4"):
        coverage_metrics(PERFECT, OBS[:4])
    with pytest.raises(ValueError, match="area has 2 units"):
        coverage_metrics(PERFECT, OBS, area=[1, 2])
    with pytest.raises(ValueError, match="one-dimensional"):
        coverage_metrics(np.ones((2, 2)), OBS)
