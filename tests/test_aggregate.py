import doctest

import numpy as np
import pandas as pd
import pytest

from sna.errors import InvalidWeights
from sna.stats import aggregate as mod
from sna.stats.aggregate import (
    need_index,
    validate_weights,
    weighted_arithmetic,
    weighted_geometric,
)


def test_doctests():
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


@pytest.fixture
def scores():
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        rng.normal(size=(50, 4)),
        columns=["vwi", "income", "exclusions", "assets"],
        index=[f"E01{i:06d}" for i in range(50)],
    )


def test_arithmetic_contributions_sum_exactly(scores):
    w = {"vwi": 2, "income": 1, "exclusions": 1, "assets": 0}
    res = weighted_arithmetic(scores, w)
    np.testing.assert_allclose(res.contributions.sum(axis=1), res.index, atol=1e-12)
    assert res.weights.to_dict() == {"vwi": 0.5, "income": 0.25, "exclusions": 0.25, "assets": 0}
    np.testing.assert_allclose(res.contributions["vwi"], 0.5 * scores["vwi"])
    assert (res.contributions["assets"] == 0).all()
    assert list(res.index.index) == list(scores.index) and res.method == "arithmetic"


def test_arithmetic_hand_values():
    s = pd.DataFrame({"a": [1.0, 0.0], "b": [3.0, 1.0]})
    res = weighted_arithmetic(s, {"a": 0.2, "b": 0.6})  # normalised to 0.25 / 0.75
    np.testing.assert_allclose(res.index, [2.5, 0.75])


def test_missing_propagate_and_reweight():
    s = pd.DataFrame({"a": [1.0, np.nan, np.nan], "b": [3.0, 2.0, np.nan]})
    prop = weighted_arithmetic(s, {"a": 1, "b": 3})
    assert np.isnan(prop.index[1]) and prop.index[0] == 2.5
    rew = weighted_arithmetic(s, {"a": 1, "b": 3}, missing="reweight")
    assert rew.index.tolist()[:2] == [2.5, 2.0] and np.isnan(rew.index[2])
    np.testing.assert_allclose(rew.contributions.sum(axis=1, min_count=1), rew.index)
    with pytest.raises(ValueError, match="missing='drop'"):
        weighted_arithmetic(s, {"a": 1, "b": 3}, missing="drop")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": 1, "b": -0.5}, r"weights must be >= 0; negative for b=-0.5"),
        ({"a": 0, "b": 0}, r"weights sum to zero"),
        ({"a": 1, "b": 1, "c": 1}, r"unknown layer\(s\) \['c'\]"),
        ({"a": 1}, r"no weight given for layer\(s\) \['b'\]"),
        ({"a": 1, "b": float("nan")}, r"finite numbers; not for \['b'\]"),
    ],
    ids=["negative", "all-zero", "unknown", "missing", "nan"],
)
def test_invalid_weights(weights, message):
    s = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(InvalidWeights, match=message):
        weighted_arithmetic(s, weights)
    with pytest.raises(InvalidWeights, match=message):
        weighted_geometric(s, weights)


def test_validate_weights_sum_to_one():
    w = validate_weights({"b": 3.0, "a": 1.0}, ["a", "b"])
    assert list(w.index) == ["a", "b"] and w.sum() == pytest.approx(1.0)


def test_scores_type_checked():
    with pytest.raises(TypeError, match="DataFrame"):
        weighted_arithmetic(np.ones((2, 2)), {"a": 1})  # type: ignore[arg-type]


def test_geometric_log_contributions_and_rescale(scores):
    w = {"vwi": 1, "income": 1, "exclusions": 2, "assets": 1}
    res = weighted_geometric(scores, w, eps=0.01)
    np.testing.assert_allclose(res.contributions.sum(axis=1), np.log(res.index), atol=1e-12)
    assert res.index.min() >= 0.01 - 1e-12 and res.index.max() <= 1 + 1e-12
    # hand: the unit lowest on every layer would get exactly eps
    low = pd.DataFrame({"a": [0.0, 1.0], "b": [5.0, 10.0]})
    r2 = weighted_geometric(low, {"a": 1, "b": 1}, eps=0.01)
    np.testing.assert_allclose(r2.index, [0.01, 1.0])


def test_geometric_no_rescale_needs_positive_and_constant_layer():
    s = pd.DataFrame({"a": [4.0, 1.0], "b": [1.0, 9.0]})
    res = weighted_geometric(s, {"a": 1, "b": 1}, rescale=False)
    np.testing.assert_allclose(res.index, [2.0, 3.0])
    with pytest.raises(ValueError, match=r"strictly positive.*\['a'\]"):
        weighted_geometric(pd.DataFrame({"a": [0.0, 1.0]}), {"a": 1}, rescale=False)
    const = weighted_geometric(pd.DataFrame({"a": [0.0, 1.0], "c": [3.0, 3.0]}), {"a": 1, "c": 1})
    assert (const.contributions["c"] == 0).all()
    with pytest.raises(ValueError, match="eps"):
        weighted_geometric(s, {"a": 1, "b": 1}, eps=0)


def test_geometric_is_less_compensatory():
    s = pd.DataFrame({"a": [0.5, 1.0, 0.0], "b": [0.5, 0.0, 1.0]})
    ari = weighted_arithmetic(s, {"a": 1, "b": 1}).index
    geo = weighted_geometric(s, {"a": 1, "b": 1}).index
    assert ari[1] == ari[0]  # arithmetic: a 1/0 split equals two halves
    assert geo[1] < geo[0]  # geometric: the zero is not fully compensated


def test_need_index_hand_and_options():
    risk = np.array([1.0, 2.0, 3.0])
    prot = np.array([1.0, 1.0, 4.0])
    # z(risk) = [-1, 0, 1]; z(prot) = [-0.57735, -0.57735, 1.1547]
    np.testing.assert_allclose(
        need_index(risk, prot, lam=1.0), [-0.42265, 0.57735, -0.1547], atol=1e-5
    )
    np.testing.assert_allclose(need_index(risk, prot, lam=0.0), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(need_index(risk, prot, lam=0.5, standardise=False), [0.5, 1.5, 1.0])
    s = need_index(pd.Series(risk, index=list("abc")), pd.Series(prot, index=list("abc")))
    assert list(s.index) == list("abc")
    with pytest.raises(ValueError, match="lam"):
        need_index(risk, prot, lam=-1)
    with pytest.raises(ValueError, match="not aligned"):
        need_index(pd.Series(risk, index=list("abc")), pd.Series(prot, index=list("cba")))
