"""The composite model on small hand-checkable fixtures."""

import numpy as np
import pandas as pd
import pytest

from sna.config.region import LayerSpec, ScoringSpec
from sna.errors import InvalidWeights
from sna.needs.scoring import LayerInput, effective_weights, score_layers, shrink_scale


def spec(lid, kind="risk", level="community", weight=1.0, **kw):
    return LayerSpec(
        id=lid,
        title=lid,
        kind=kind,
        level=level,
        table="t",
        measure="column",
        column="c",
        weight=weight,
        **kw,
    )


def test_effective_weights_split_levels_then_layers():
    specs = [
        spec("a", level="community", weight=1),
        spec("b", level="community", weight=3),
        spec("c", level="society"),
        spec("p", kind="protective"),
        spec("q", kind="protective", weight=3),
    ]
    w = effective_weights(specs, {"individual": 1, "relationship": 1, "community": 1, "society": 1})
    # only community and society have layers: 0.5 each, then 1:3 inside community
    assert w["a"] == pytest.approx(0.125) and w["b"] == pytest.approx(0.375)
    assert w["c"] == pytest.approx(0.5)
    assert w["p"] == pytest.approx(0.25) and w["q"] == pytest.approx(0.75)
    with pytest.raises(InvalidWeights):
        effective_weights(specs, {"community": -1, "society": 1})
    with pytest.raises(InvalidWeights, match="no positive level weight"):
        effective_weights(specs, {"individual": 1})


def _inputs(rng, n=60):
    return [
        LayerInput(spec("a"), rng.normal(size=n)),
        LayerInput(spec("b", level="society", weight=2), rng.normal(size=n)),
        LayerInput(
            spec("events", level="individual", denominator="pop"),
            rng.normal(size=n),
            count=rng.poisson(5, size=n).astype(float),
            denominator=np.full(n, 800.0),
        ),
        LayerInput(spec("p", kind="protective"), rng.normal(size=n)),
    ]


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
def test_contributions_sum_exactly_and_indices_are_standardised(aggregation):
    rng = np.random.default_rng(0)
    inputs = _inputs(rng)
    parent = np.repeat(np.arange(6), 10).astype(str)
    sc = ScoringSpec(aggregation=aggregation, need_lambda=0.5)
    s = score_layers(inputs, sc, parent)
    risk_ids = ["a", "b", "events"]
    np.testing.assert_allclose(s.contributions[risk_ids].sum(axis=1), s.risk, atol=1e-12)
    np.testing.assert_allclose(s.contributions["p"], s.protective, atol=1e-12)
    np.testing.assert_allclose(s.need_contributions().sum(axis=1), s.need, atol=1e-12)
    np.testing.assert_allclose(s.need, s.risk - 0.5 * s.protective, atol=1e-12)
    # risk and protective are standardised before they are combined
    assert s.risk.mean() == pytest.approx(0) and s.risk.std() == pytest.approx(1)
    assert s.protective.std() == pytest.approx(1)
    # level scores add up to risk
    np.testing.assert_allclose(s.levels.sum(axis=1), s.risk, atol=1e-12)
    # applying the same constants to the LSOAs' own scores reproduces their contributions
    again = s.contributions_for(s.scores)
    np.testing.assert_allclose(again.to_numpy(), s.need_contributions().to_numpy(), atol=1e-12)


def test_direction_flips_a_layer():
    x = np.arange(10, dtype=float)
    up = score_layers([LayerInput(spec("a"), x)], ScoringSpec())
    down = score_layers([LayerInput(spec("a", direction=-1), x)], ScoringSpec())
    assert np.argmax(up.risk) == 9 and np.argmax(down.risk) == 0


def test_fixed_layers_reuse_gives_identical_scores():
    rng = np.random.default_rng(1)
    inputs = _inputs(rng)
    parent = np.repeat(np.arange(6), 10).astype(str)
    base = score_layers(inputs, ScoringSpec(), parent)
    again = score_layers(inputs, ScoringSpec(), parent, fixed=(base.values, base.scores))
    np.testing.assert_array_equal(base.need, again.need)


def test_missing_scores_count_as_the_median():
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    s = score_layers([LayerInput(spec("a"), x)], ScoringSpec())
    assert not np.isnan(s.need).any()
    assert s.need[2] == pytest.approx(np.median(s.need))
    assert "imputed_median" in s.notes


def test_shrink_scale_auto():
    assert shrink_scale(spec("x", proportion=True), "auto") == "logit"
    assert shrink_scale(spec("x"), "auto") == "poisson_gamma"
    assert shrink_scale(spec("x"), "logit") == "poisson_gamma"  # events can exceed population
    assert shrink_scale(spec("x"), "none") == "none"


def test_shrinkage_moves_small_areas_most():
    n = 40
    count = np.r_[np.full(20, 2.0), np.full(20, 200.0)]
    denom = np.r_[np.full(20, 50.0), np.full(20, 5000.0)]
    count[0], count[20] = 10.0, 1000.0  # one high-rate small area, one high-rate large area
    inp = LayerInput(
        spec("e", denominator="pop"), count / denom * 1000, count=count, denominator=denom
    )
    parent = np.repeat(["p"], n)
    s = score_layers([inp], ScoringSpec(shrinkage="poisson_gamma"), parent)
    raw = count / denom * 1000
    moved = np.abs(s.values["e"].to_numpy() - raw) / raw
    assert moved[0] > moved[20]
    frame = pd.DataFrame({"raw": raw, "shrunk": s.values["e"]})
    assert (frame["shrunk"] > 0).all()


def test_a_district_layer_is_context_weight_zero_and_never_a_driver():
    rng = np.random.default_rng(3)
    n = 40
    district = np.repeat([0.0, 5.0, 9.0, 2.0], 10)  # one value per district
    inputs = [
        LayerInput(spec("d", level="individual", geography="district"), district),
        LayerInput(spec("a", level="relationship"), rng.normal(size=n)),
        LayerInput(spec("b", level="society"), rng.normal(size=n)),
        LayerInput(spec("p", kind="protective"), rng.normal(size=n)),
    ]
    s = score_layers(inputs, ScoringSpec())
    # weight 0; its level (no finer layer) passes its weight to the other levels
    assert s.weights["d"] == 0.0 and s.weights["a"] == pytest.approx(0.5)
    assert "d" not in s.in_index and "individual" not in s.levels.columns
    c = s.need_contributions()
    assert "d" not in c.columns  # so no driver list, explanation or c_ column can name it
    np.testing.assert_allclose(c.sum(axis=1), s.need, atol=1e-12)
    assert "d" not in s.contributions_for(s.scores).columns
    # the same index as without the layer: the district figure reorders nothing
    without = score_layers(inputs[1:], ScoringSpec())
    np.testing.assert_allclose(s.need, without.need, atol=1e-12)
    # the value is still scored, to be shown beside the index
    assert s.scores["d"].nunique() == 4
    # a finer layer in the same level takes the level's whole weight
    finer = [LayerInput(spec("i", level="individual"), rng.normal(size=n)), *inputs]
    w = score_layers(finer, ScoringSpec()).weights
    assert w["d"] == 0.0 and w["i"] == pytest.approx(1 / 3)
