"""The composite model: layer values -> normalised scores -> level scores -> indices.

One pure function, :func:`score_layers`, used for the point estimate, every Monte Carlo draw
and every sensitivity alternative, so all three follow exactly the same method.

.. math::

    x_i = N(d_i \\, T(v_i)), \\qquad
    R = \\sum_{L} W_L \\sum_{i \\in L} w_{i|L} \\, x_i, \\qquad
    P = \\sum_{p} w_p \\, x_p, \\qquad
    \\text{risk} = \\frac{R - \\bar R}{s_R}, \\quad
    \\text{protective} = \\frac{P - \\bar P}{s_P}, \\quad
    \\text{need} = \\text{risk} - \\lambda \\, \\text{protective}

where :math:`v_i` is layer *i*'s value (rates shrunk toward their parent), :math:`T` the
outlier treatment, :math:`d_i` its direction, :math:`N` the normalisation, :math:`w_{i|L}` the
layer's weight within its socio-ecological level *L* (normalised to sum to 1 within the level),
:math:`W_L` the level weights (renormalised over levels that have layers), and bars and
:math:`s` the regional mean and standard deviation. Risk and protective are standardised
before they are combined: a weighted mean of many correlated layers has a smaller spread than
a mean of two, and without standardising the index with fewer layers would dominate need.
Every index is a centred weighted sum, so each layer's contribution
:math:`c_i = (W_L w_{i|L} x_i - \\overline{W_L w_{i|L} x_i}) / s_R` is exact, reads as "how
far this layer moves the area from the regional average", and the contributions sum to the
index. With geometric aggregation the same holds on the log scale:
the index is :math:`\\sum c_i` with :math:`c_i = W_L w_{i|L} \\log x'_i` and :math:`x'_i` the
score rescaled to [0.01, 1] (ranks equal those of the weighted geometric mean).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sna.config.region import LEVELS, LayerSpec, ScoringSpec
from sna.disclosure.control import band_values
from sna.errors import InvalidWeights
from sna.stats.aggregate import weighted_arithmetic, weighted_geometric
from sna.stats.normalisation import normalise
from sna.stats.shrinkage import eb_shrink
from sna.stats.transforms import iod_exponential, treat_outliers

__all__ = [
    "INDICES",
    "LayerInput",
    "Scored",
    "effective_weights",
    "layer_scores",
    "score_layers",
    "shrink_scale",
]


#: The three indices every build publishes, in their usual order.
INDICES: tuple[str, ...] = ("risk", "protective", "need")


@dataclass(frozen=True)
class LayerInput:
    """What :func:`score_layers` needs of one layer: its values, or counts to turn into rates."""

    spec: LayerSpec
    raw: np.ndarray
    count: np.ndarray | None = None
    denominator: np.ndarray | None = None


@dataclass
class Scored:
    """Indices and exact contributions on the region's LSOAs (rows in input order)."""

    values: pd.DataFrame  # per layer: value after shrinkage (rates per spec.per)
    scores: pd.DataFrame  # per layer: normalised score x_i (direction applied)
    contributions: pd.DataFrame  # per layer: c_i; risk layers sum to risk, protective to prot.
    levels: pd.DataFrame  # per level: sum of its risk layers' contributions
    risk: np.ndarray
    protective: np.ndarray
    need: np.ndarray
    weights: dict[str, float] = field(default_factory=dict)
    centre: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    geometric: bool = False
    need_lambda: float = 0.5
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def in_index(self) -> list[str]:
        """Layers with a positive weight: the only ones that can drive a place's need (a
        context layer, weight 0, contributes exactly nothing and is never a driver)."""
        return [lid for lid in self.contributions.columns if self.weights.get(lid, 0.0) > 0]

    def need_contributions(self, lam: float | None = None, protective_ids=None) -> pd.DataFrame:
        """Per-layer contributions to the need index: risk c_i, and -lambda * c_p, for the
        layers in it (:attr:`in_index`; protective layers only when lambda > 0), so they sum
        to the index exactly and a layer that moves no one's need is never a driver."""
        lam = self.need_lambda if lam is None else lam
        ids = [i for i in self.in_index if lam > 0 or self.kinds.get(i) != "protective"]
        out = self.contributions[ids].copy()
        for lid in ids:
            if self.kinds[lid] == "protective":
                out[lid] = -lam * out[lid]
        return out

    def contributions_for(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Need contributions of other units (postcodes, grid cells) on the same scale.

        ``scores`` holds normalised layer scores (columns: layer ids); they are weighted,
        centred and scaled with the LSOA-level constants, so a postcode's contributions are
        comparable with its LSOA's and sum to its need value.
        """
        x = np.log(_to_unit_interval(scores)) if self.geometric else scores
        out = pd.DataFrame(index=scores.index)
        keep = set(self.need_contributions(self.need_lambda).columns)
        for lid in [c for c in scores.columns if c in keep]:
            kind = self.kinds[lid]
            c = (self.weights[lid] * x[lid] - self.centre[lid]) / self.scale[kind]
            out[lid] = -self.need_lambda * c if kind == "protective" else c
        return out


def _to_unit_interval(scores: pd.DataFrame) -> pd.DataFrame:
    """Min-max scores in [0, 1] mapped to [0.01, 1], so the geometric mean is defined."""
    return 0.01 + 0.99 * scores.clip(0, 1)


def effective_weights(
    specs: list[LayerSpec],
    level_weights: Mapping[str, float],
    layer_weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Each layer's weight in its index: ``W_L * w_{i|L}`` for risk, ``w_p`` for protective.

    A context layer (district level, :attr:`LayerSpec.context_only`) weighs 0 whatever
    ``layer_weights`` says, so its level's weight goes to the level's finer layers, or, with
    none, to the other levels. Raises :class:`InvalidWeights` for negative weights or an
    index with no positive weight.
    """
    layer_weights = dict(layer_weights or {s.id: s.weight for s in specs})
    for s in specs:
        if s.context_only:
            layer_weights[s.id] = 0.0
    if any(w < 0 for w in layer_weights.values()) or any(w < 0 for w in level_weights.values()):
        raise InvalidWeights("weights must be non-negative")
    out: dict[str, float] = {}
    risk = [s for s in specs if s.kind == "risk"]
    prot = [s for s in specs if s.kind == "protective"]
    present = {
        lv: sum(layer_weights[s.id] for s in risk if s.level == lv)
        for lv in LEVELS
        if any(s.level == lv for s in risk)
    }
    present = {lv: t for lv, t in present.items() if t > 0}
    lw = {lv: float(level_weights.get(lv, 0.0)) for lv in present}
    total_l = sum(lw.values())
    if risk and total_l <= 0:
        raise InvalidWeights(
            f"no positive level weight for the levels that have risk layers: {sorted(present)}"
        )
    for s in risk:
        if s.level in present and lw[s.level] > 0:
            out[s.id] = lw[s.level] / total_l * layer_weights[s.id] / present[s.level]
        else:
            out[s.id] = 0.0
    total_p = sum(layer_weights[s.id] for s in prot)
    for s in prot:
        out[s.id] = layer_weights[s.id] / total_p if total_p > 0 else 0.0
    return out


def shrink_scale(spec: LayerSpec, method: str) -> str:
    """The shrinkage scale of a count layer: ``auto`` picks logit only for proportions."""
    if method == "auto":
        return "logit" if spec.proportion else "poisson_gamma"
    if method == "logit" and not spec.proportion:
        return "poisson_gamma"  # events can exceed the population: logit is undefined
    return method


def _values(inp: LayerInput, parent: np.ndarray | None, method: str) -> np.ndarray:
    """Layer values: shrunk rates for count layers, the published value otherwise."""
    if inp.count is None or method == "none" or parent is None:
        return np.asarray(inp.raw, dtype=float)
    scale = shrink_scale(inp.spec, method)
    count = np.asarray(inp.count, dtype=float)
    denom = np.asarray(inp.denominator, dtype=float)
    if scale == "logit":
        count = np.minimum(count, denom)  # a redrawn proportion cannot exceed its population
    res = eb_shrink(count, denom, parent, scale=scale)
    return np.asarray(res.rate_shrunk, dtype=float) * inp.spec.per


def layer_scores(
    inputs: list[LayerInput],
    scoring: ScoringSpec,
    parent: np.ndarray | None,
    fixed: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and normalised scores per layer (columns: layer ids).

    ``fixed`` is an earlier ``(values, scores)`` result: layers without counts are taken
    from it instead of recomputed (their values cannot change between Monte Carlo draws).
    """
    values, scores = {}, {}
    for inp in inputs:
        if fixed is not None and inp.count is None and inp.spec.id in fixed[1].columns:
            values[inp.spec.id] = fixed[0][inp.spec.id].to_numpy()
            scores[inp.spec.id] = fixed[1][inp.spec.id].to_numpy()
            continue
        v = _values(inp, parent, scoring.shrinkage)
        values[inp.spec.id] = v
        t = treat_outliers(v).values if scoring.treat_outliers else v
        method = "minmax" if scoring.aggregation == "geometric" else scoring.normalisation
        if inp.spec.partner and method != "rank_normal":
            # a z-score or min-max of a partner rate is the rate again: band it first
            t = band_values(t, scoring.partner_bands)
        x = normalise(t, method, direction=inp.spec.direction)
        if scoring.exponential:
            x = iod_exponential(x) / 100.0 if method == "minmax" else iod_exponential(x)
        scores[inp.spec.id] = np.asarray(x, dtype=float)
    return pd.DataFrame(values), pd.DataFrame(scores)


def score_layers(
    inputs: list[LayerInput],
    scoring: ScoringSpec,
    parent: np.ndarray | None = None,
    *,
    layer_weights: Mapping[str, float] | None = None,
    level_weights: Mapping[str, float] | None = None,
    fixed: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> Scored:
    """Score every layer and aggregate to the risk, protective and need indices.

    Missing scores (an LSOA with no value for a layer, e.g. no IoD row) count as the layer's
    regional median score (0 for rank-normal and z-scores), so they neither raise nor lower
    the index; the build reports how many were imputed.
    """
    specs = [i.spec for i in inputs]
    values, scores = layer_scores(inputs, scoring, parent, fixed)
    imputed = {c: int(scores[c].isna().sum()) for c in scores.columns if scores[c].isna().any()}
    scores = scores.fillna(scores.median())
    w = effective_weights(specs, level_weights or scoring.level_weights, layer_weights)
    geometric = scoring.aggregation == "geometric"
    kinds = {s.id: s.kind for s in specs}
    weighted = pd.DataFrame(index=scores.index)
    scale: dict[str, float] = {}
    for kind in ("risk", "protective"):
        ids = [s.id for s in specs if s.kind == kind and w[s.id] > 0]
        zero = [s.id for s in specs if s.kind == kind and w[s.id] == 0]
        for lid in zero:
            weighted[lid] = 0.0
        if not ids:
            scale[kind] = 1.0
            continue
        if geometric:  # scores are min-max in [0, 1]; log contributions w ln(0.01 + 0.99 x)
            agg = weighted_geometric(
                _to_unit_interval(scores[ids]), {i: w[i] for i in ids}, rescale=False
            )
        else:
            agg = weighted_arithmetic(scores[ids], {i: w[i] for i in ids})
        for lid in ids:
            weighted[lid] = agg.contributions[lid]
        sd = float(agg.contributions.sum(axis=1).std(ddof=0))
        scale[kind] = sd if sd > 0 else 1.0
    weighted = weighted[[s.id for s in specs]]
    centre = weighted.mean()
    contrib = pd.DataFrame(
        {lid: (weighted[lid] - centre[lid]) / scale[kinds[lid]] for lid in weighted.columns},
        index=scores.index,
    )
    risk_ids = [s.id for s in specs if s.kind == "risk"]
    prot_ids = [s.id for s in specs if s.kind == "protective"]
    risk = contrib[risk_ids].sum(axis=1).to_numpy() if risk_ids else np.zeros(len(scores))
    prot = contrib[prot_ids].sum(axis=1).to_numpy() if prot_ids else np.zeros(len(scores))
    # a level is scored when it holds a risk layer of positive weight (one holding only
    # context layers has no level score: nothing in it ranks the areas)
    levels = pd.DataFrame(
        {
            lv: contrib[[s.id for s in specs if s.kind == "risk" and s.level == lv]].sum(axis=1)
            for lv in LEVELS
            if any(s.kind == "risk" and s.level == lv and w[s.id] > 0 for s in specs)
        },
        index=scores.index,
    )
    need = risk - scoring.need_lambda * prot
    notes = {"imputed_median": str(imputed)} if imputed else {}
    return Scored(
        values,
        scores,
        contrib,
        levels,
        risk,
        prot,
        need,
        weights=w,
        centre=centre.to_dict(),
        scale=scale,
        kinds=kinds,
        geometric=geometric,
        need_lambda=scoring.need_lambda,
        notes=notes,
    )
