"""The violence model in plain words: term names and the one-sentence explanation per LSOA."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sna.violence.count_model import EXPOSURE_TERM
from sna.violence.features import CURVATURE_TERM, PRIOR_TERM
from sna.wording import about, times_average

__all__ = [
    "ESTIMATED_CURVATURE_TITLE",
    "ESTIMATED_PRIOR_TITLE",
    "RECORDED_CRIME_TITLE",
    "explain_violence",
    "term_title",
]

#: The prior-violence term where no street files exist: an estimate from published rates.
ESTIMATED_PRIOR_TITLE = (
    "violence here April 2022 to March 2024 (estimated from IoD2025 rates and the "
    "at-risk population, not counted)"
)

#: Its square (the effect steepening where past violence is highest), also estimated.
ESTIMATED_CURVATURE_TITLE = (
    "violence here April 2022 to March 2024 where it is highest (estimated from IoD2025 rates, "
    "not counted)"
)

#: The street-file model's one driver for crime recorded here: the other crime types' terms of
#: its prior and the update by the place's own recorded violence (sna.violence.model).
RECORDED_CRIME_TITLE = "violence and other crime recorded here (recent months counting more)"

#: Plain-words names of the model's own terms.
_TERM_TITLES = {
    PRIOR_TERM: "recorded violence over the last year",
    CURVATURE_TERM: "recorded violence over the last year",
    "log_residents": "people here, beyond proportional exposure",
    EXPOSURE_TERM: "the number of people here (residents, workers and pupils; estimated)",
    "business_addresses": "business addresses (large-user postcodes)",
    "prior_robbery": "recorded robbery",
    "prior_possession_of_weapons": "recorded weapons possession",
    "prior_public_order": "recorded public order offences",
    "prior_anti_social_behaviour": "recorded anti-social behaviour",
    "prior_bicycle_theft": "recorded bicycle theft",
    "prior_burglary": "recorded burglary",
    "prior_criminal_damage_and_arson": "recorded criminal damage and arson",
    "prior_drugs": "recorded drug offences",
    "prior_other_crime": "other recorded crime",
    "prior_other_theft": "recorded theft (other)",
    "prior_shoplifting": "recorded shoplifting",
    "prior_theft_from_the_person": "recorded theft from the person",
    "prior_vehicle_crime": "recorded vehicle crime",
}


def term_title(term: str, titles: Mapping[str, str]) -> str:
    """Plain words for a model term (a layer's title, or the model's own term names)."""
    return titles.get(term) or _TERM_TITLES.get(term) or term.replace("_", " ")


def explain_violence(
    contributions: pd.Series,
    titles: Mapping[str, str],
    *,
    expected: float,
    regional_mean: float,
    prior_ratio: float,
    region: str,
    n: int = 2,
    prior_estimated: bool = False,
) -> str:
    """One sentence: the expected count, the ratio to the average, and the main factors.

    The factors are the terms other than recorded violence with the largest effects in the
    direction the area sits (above or below the typical neighbourhood), as multiplicative
    factors ``exp(t)``.
    """
    total = float(contributions.sum())
    others = contributions.drop(labels=[PRIOR_TERM], errors="ignore")
    others = others.drop(labels=[EXPOSURE_TERM, "log_residents"], errors="ignore")
    ordered = others.sort_values(ascending=total < 0)
    # name a factor only where it moves the expected count by 5% or more
    picked = [(t, v) for t, v in ordered.items() if (v > 0) == (total >= 0) and abs(v) > 0.05]
    parts = []
    for t, v in picked[:n]:
        verb = "adds a factor of" if v > 0 else "lowers it by a factor of"
        f = np.exp(v) if v > 0 else np.exp(-v)
        parts.append(f"{term_title(t, titles)} {verb} {f:.2f}")
    head = (
        f"About {about(expected)} violent or sexual offences expected here in the next 12 "
        f"months, {times_average(expected / regional_mean)} the average {region} neighbourhood"
    )
    prior = (
        "violence here April 2022 to March 2024, estimated (not counted) from IoD2025 rates "
        f"and the at-risk population, was {times_average(prior_ratio)} the average neighbourhood"
        if prior_estimated
        else f"violence recorded here over the last year was {times_average(prior_ratio)} the "
        "average neighbourhood"
    )
    return head + "; " + prior + ("; " + "; ".join(parts) if parts else "") + "."
