"""How firm a build's ranks are: Monte Carlo rank intervals (:mod:`sna.stats.uncertainty`) and the
sensitivity of ranks and deciles to each alternative method choice.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from sna.build.inputs import shrinkage_parents
from sna.config.region import ScoringSpec
from sna.needs.scoring import INDICES, LayerInput, Scored, score_layers
from sna.stats.ranking import deciles
from sna.stats.uncertainty import MCResult, dirichlet_weights, gamma_redraw, monte_carlo

__all__ = ["ALTERNATIVES", "sensitivity"]


# --- Monte Carlo --------------------------------------------------------------------------


def rank_intervals(
    inputs: list[LayerInput], scoring: ScoringSpec, parent: np.ndarray, scored: Scored
) -> dict[str, MCResult]:
    """Rank intervals of the three indices under count noise and weight perturbation.

    Each draw redraws every count layer from its Jeffreys posterior ``Gamma(r + 0.5, 1)``
    (so a zero count is uncertain too), perturbs the layer weights and the level weights with
    Dirichlet draws centred on the defaults (concentration ``scoring.weight_concentration``),
    and recomputes all three indices with :func:`sna.needs.scoring.score_layers`. Published values
    (IoD scores) carry no sampling noise here: the IoD already shrinks them. One engine
    (:func:`sna.stats.uncertainty.monte_carlo`) summarises the draws; risk and protective reuse the
    draws made for need, so the three intervals come from the same simulations.
    """
    specs = [i.spec for i in inputs]
    ids = [s.id for s in specs]
    base_w = {s.id: s.index_weight for s in specs if s.index_weight > 0}
    base_lv = {lv: w for lv, w in scoring.level_weights.items() if w > 0}
    total_w = sum(base_w.values())
    side: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    fixed = (scored.values, scored.scores)  # published layers do not change between draws

    def kernel(rng: np.random.Generator, i: int) -> np.ndarray:
        drawn = [
            LayerInput(x.spec, x.raw, gamma_redraw(x.count, rng), x.denominator)
            if x.count is not None
            else x
            for x in inputs
        ]
        w = dirichlet_weights(base_w, scoring.weight_concentration, rng)
        layer_w = {lid: w.get(lid, 0.0) * total_w for lid in ids}
        lv = dirichlet_weights(base_lv, scoring.weight_concentration, rng)
        s = score_layers(
            drawn, scoring, parent, layer_weights=layer_w, level_weights=lv, fixed=fixed
        )
        side[i] = (s.risk, s.protective)
        return s.need

    draws, seed = scoring.mc_draws, scoring.seed
    need = monte_carlo(kernel, point=scored.need, draws=draws, seed=seed)
    risk = monte_carlo(lambda rng, i: side[i][0], point=scored.risk, draws=draws, seed=seed)
    prot = monte_carlo(lambda rng, i: side[i][1], point=scored.protective, draws=draws, seed=seed)
    return {"risk": risk, "protective": prot, "need": need}


# --- sensitivity --------------------------------------------------------------------------

ALTERNATIVES: dict[str, dict[str, Any]] = {
    "z-scores": {"normalisation": "zscore"},
    "min-max": {"normalisation": "minmax"},
    "geometric aggregation": {"aggregation": "geometric"},
    "no shrinkage": {"shrinkage": "none"},
    "Poisson-Gamma shrinkage for all": {"shrinkage": "poisson_gamma"},
    "shrink to district": {"shrink_parent": "district"},
    "no outlier treatment": {"treat_outliers": False},
    "IoD exponential transform": {"exponential": True},
    "community level weighted double": {
        "level_weights": {"individual": 0.2, "relationship": 0.2, "community": 0.4, "society": 0.2}
    },
    "protective access subtracted (lambda 0.25)": {"need_lambda": 0.25},
}


def sensitivity(
    inputs: list[LayerInput],
    scoring: ScoringSpec,
    areas: pd.DataFrame,
    base: Scored,
) -> pd.DataFrame:
    """Spearman correlation of LSOA ranks, and decile changes, under each alternative choice."""
    rows = []
    base_dec = {k: deciles(getattr(base, k)) for k in INDICES}
    for name, change in ALTERNATIVES.items():
        alt_spec = scoring.model_copy(update=change)
        alt = score_layers(inputs, alt_spec, shrinkage_parents(areas, alt_spec))
        row: dict[str, Any] = {"alternative": name, "change": json.dumps(change)}
        for k in INDICES:
            a, b = getattr(base, k), getattr(alt, k)
            if np.allclose(a, a[0]) or np.allclose(b, b[0]):
                rho = np.nan
            else:
                rho = float(spearmanr(a, b).statistic)
            row[f"spearman_{k}"] = rho
            row[f"decile_changed_{k}"] = float(np.mean(deciles(b) != base_dec[k]))
            row[f"top_decile_overlap_{k}"] = float(
                np.mean((deciles(b) == 1)[base_dec[k] == 1]) if (base_dec[k] == 1).any() else 0
            )
        rows.append(row)
    return pd.DataFrame(rows)
