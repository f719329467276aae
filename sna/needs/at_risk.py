r"""The at-risk population of every LSOA: residents plus the people who come there by day.

Police recorded crime rates (the IoD2025 crime indicators) are per 1,000 *at-risk*
population: the people who are in a place, not only those who sleep there. Multiplying a
rate by residents erases city centres, hospitals, stations and night-time economies. This
module estimates the at-risk population from open data only:

.. math::

    a_i = r_i + I_{M(i)} \, s_i + \pi \, p_i,
    \qquad
    s_i = \frac{u_i + \kappa \, U_{M} \, r_i / R_{M}}{(1 + \kappa) \, U_{M}}

- :math:`r_i` the Census 2021 usual residents of LSOA :math:`i`;
- :math:`I_M` the people who work in its MSOA :math:`M` but live elsewhere (Census 2021
  workplace population less home workers and residents working in the MSOA,
  :func:`geodata.workplace.read_workplace_msoa`);
- :math:`s_i` the LSOA's share of that inflow: its share of the MSOA's live *large-user*
  postcodes :math:`u_i` (ONS ``usertype`` 1: addresses receiving 25 or more items a day,
  i.e. businesses, offices, hospitals, colleges), blended with its share of residents
  (:math:`\kappa` = :data:`RESIDENT_BLEND`) so that an MSOA's inflow never lands on one
  LSOA by the accident of one postcode. An MSOA with no large-user postcode splits its
  inflow by residents. The shares sum to 1 in every MSOA, so the allocation *conserves*
  each MSOA's inflow exactly;
- :math:`p_i` the pupils of the schools in the LSOA (GIAS), counted at
  :math:`\pi` = :data:`PUPIL_WEIGHT` (a school day is about half of a waking day).

The two constants were chosen by the exposure validation (``sna evaluate --forces``,
``docs/evaluation.md``): the median absolute log error against the implied at-risk
population (recorded violence / the IoD2025 rate) over the LSOAs of 17 forces, over a small
grid. It is an **estimate**, and is worded as one wherever it is shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "RESIDENT_BLEND",
    "PUPIL_WEIGHT",
    "AT_RISK_COLUMNS",
    "METHOD",
    "at_risk_population",
    "provenance",
]

#: :math:`\kappa`: weight of the residents' share against the large-user postcodes' share.
RESIDENT_BLEND = 0.5
#: :math:`\pi`: each pupil counts as this many people of the at-risk population.
PUPIL_WEIGHT = 0.5

#: The columns :func:`at_risk_population` returns, after ``lsoa21_code``.
AT_RISK_COLUMNS = [
    "msoa21_code",
    "residents",
    "large_user_postcodes",
    "pupils",
    "workday_inflow",
    "at_risk_pop",
]

METHOD = (
    "Census 2021 residents, plus the people who work in the LSOA's MSOA but live elsewhere "
    "(Census 2021 workplace population, ODWP01EW) shared among its LSOAs by their live "
    "large-user postcodes (ONS postcode lookup) blended with their residents, plus half the "
    "pupils of the LSOA's schools (GIAS)"
)


def at_risk_population(lsoas: pd.DataFrame, workplace: pd.DataFrame) -> pd.DataFrame:
    """Estimate each LSOA's at-risk population (module docstring).

    Parameters
    ----------
    lsoas
        One row per LSOA: ``lsoa21_code``, ``msoa21_code``, ``residents``,
        ``large_user_postcodes`` and ``pupils``. Every LSOA of an MSOA must be present for
        the MSOA's inflow to be shared correctly (pass whole districts: MSOAs nest in them).
    workplace
        ``msoa21_code`` and ``inflow``, as :func:`geodata.workplace.read_workplace_msoa`.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code`` and :data:`AT_RISK_COLUMNS`, in the order of ``lsoas``; an LSOA whose
        MSOA is not in ``workplace`` gets no inflow.

    Examples
    --------
    >>> lsoas = pd.DataFrame({"lsoa21_code": ["A", "B"], "msoa21_code": ["M", "M"],
    ...                       "residents": [1000, 1000], "large_user_postcodes": [3, 0],
    ...                       "pupils": [0, 200]})
    >>> out = at_risk_population(lsoas, pd.DataFrame({"msoa21_code": ["M"], "inflow": [900]}))
    >>> out["workday_inflow"].round(1).tolist(), out["at_risk_pop"].round(1).tolist()
    ([750.0, 150.0], [1750.0, 1250.0])
    """
    need = ["lsoa21_code", "msoa21_code", "residents", "large_user_postcodes", "pupils"]
    missing = [c for c in need if c not in lsoas.columns]
    if missing:
        raise ValueError(f"at-risk population: missing column(s) {missing}")
    d = lsoas[need].copy()
    r = d["residents"].astype(float).to_numpy()
    u = d["large_user_postcodes"].astype(float).to_numpy()
    group = d["msoa21_code"].astype(str)
    res_m = pd.Series(r).groupby(group.to_numpy()).transform("sum").to_numpy()
    lu_m = pd.Series(u).groupby(group.to_numpy()).transform("sum").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        resident_share = np.where(res_m > 0, r / res_m, 0.0)
        blended = (u + RESIDENT_BLEND * lu_m * resident_share) / ((1 + RESIDENT_BLEND) * lu_m)
    share = np.where(lu_m > 0, blended, resident_share)
    inflow = group.map(workplace.set_index("msoa21_code")["inflow"]).fillna(0).astype(float)
    d["workday_inflow"] = inflow.to_numpy() * share
    d["residents"] = r
    d["at_risk_pop"] = r + d["workday_inflow"] + PUPIL_WEIGHT * d["pupils"].astype(float)
    return d[["lsoa21_code", *AT_RISK_COLUMNS]].reset_index(drop=True)


def provenance(vintages: dict[str, str] | None = None) -> dict[str, Any]:
    """What the manifest and ``/api/v1/layers`` say about the exposure: method and vintage."""
    return {
        "id": "at_risk_pop",
        "title": "At-risk population (estimated)",
        "unit": "people (residents plus daytime workers and pupils), estimated",
        "provenance": "estimated",
        "method": METHOD,
        "resident_blend": RESIDENT_BLEND,
        "pupil_weight": PUPIL_WEIGHT,
        "vintage": "Census 2021 (residents, workplace population); ONS postcode lookup May "
        "2022 (large-user postcodes); GIAS 2025-05-24 (pupils)",
        "sources": dict(vintages or {}),
    }
