r"""The Poisson–gamma update: a place's own recorded violence on top of what its terms predict.

The structural count regression (:mod:`sna.violence.count_model`, NB2) gives each LSOA the
count :math:`\mu_i` its terms predict over the :math:`T` months of the window that have data,
and the overdispersion :math:`\alpha`. Read as a prior, NB2 is a gamma distribution of the
LSOA's monthly rate: shape :math:`1/\alpha`, mean :math:`\mu_i / T`. The window's own counts,
weighted :math:`w_m = 2^{-a_m/h}` by age :math:`a_m` (months before the window's last),

.. math::  y^w_i = \sum_m w_m\, y_{im}, \qquad t^w = \sum_m w_m

over the months with data, update it to

.. math::

    \lambda_i \mid y \sim \mathrm{Gamma}\big(1/\alpha + y^w_i,\ T/(\alpha\mu_i) + t^w\big),
    \qquad
    E_i = H\,\frac{1 + \alpha\, y^w_i}{T/\mu_i + \alpha\, t^w}

for the next :math:`H` months (12). This is the Poisson–gamma shrinkage of ``methods.md``
section 2 with a regression prior: a place with many recorded offences keeps close to its own
rate; one with few moves toward what its terms predict. With :math:`h = \infty` every month
counts alike; a finite half-life discounts older months (a drifting rate) at the cost of a
wider posterior. With :math:`\alpha = 0` (no variation beyond the terms) the data add nothing.

The update factor :math:`E_i / (H \mu_i / T)`, with the prior's crime-type terms, is the
driver "violence and other crime recorded here" (:mod:`sna.violence.model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sna.violence.features import month_number

__all__ = ["Posterior", "weighted_sum"]

#: Months ahead a forecast covers.
HORIZON_MONTHS = 12


def weighted_sum(
    months: Any,
    codes: Any,
    units: pd.Index,
    *,
    end: str,
    half_life: float,
    months_present: Sequence[str],
) -> tuple[np.ndarray, float]:
    r""":math:`y^w_i` per unit and :math:`t^w` (module docstring) over ``months_present``.

    Events of months not in ``months_present`` (or after ``end``) are ignored, so a missing
    month is neither a month of no crime nor a month of data.
    """
    hi = int(month_number([end])[0])
    present = np.unique(month_number(list(months_present)))
    present = present[present <= hi]
    mn = month_number(months) if len(months) else np.zeros(0, int)
    keep = np.isin(mn, present)
    w = np.power(2.0, -(hi - mn[keep]).astype(float) / half_life)
    sums = pd.Series(w).groupby(np.asarray(codes)[keep]).sum()
    t_w = float(np.power(2.0, -(hi - present).astype(float) / half_life).sum())
    return sums.reindex(units).fillna(0.0).to_numpy(), t_w


@dataclass
class Posterior:
    """The data side of the update: weighted counts, their weight in months, and ``T``."""

    y_w: np.ndarray
    t_w: float
    months: int
    alpha: float

    def expected(self, mu: np.ndarray, horizon: int = HORIZON_MONTHS) -> np.ndarray:
        """:math:`E_i` for the window's structural expectation ``mu`` (over ``months``)."""
        mu = np.asarray(mu, float)
        return horizon * (1.0 + self.alpha * self.y_w) / (self.months / mu + self.alpha * self.t_w)

    def update_factor(self, mu: np.ndarray) -> np.ndarray:
        r""":math:`E_i / (H\mu_i/T)`: how far the place's own counts move its forecast."""
        mu = np.asarray(mu, float)
        return (1.0 + self.alpha * self.y_w) / (1.0 + self.alpha * self.t_w * mu / self.months)

    def draw(
        self, rng: np.random.Generator, mu: np.ndarray, horizon: int = HORIZON_MONTHS
    ) -> np.ndarray:
        """One draw of the next ``horizon`` months' counts: a rate from the posterior, then
        a Poisson count around it."""
        mu = np.asarray(mu, float)
        if self.alpha > 0:
            shape = 1.0 / self.alpha + self.y_w
            rate = self.months / (self.alpha * mu) + self.t_w
            lam = rng.gamma(shape, 1.0 / rate)
        else:
            lam = mu / self.months
        return rng.poisson(horizon * lam).astype(float)
