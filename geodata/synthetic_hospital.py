r"""Synthetic stand-in for hospital admissions for assault, calibrated to open aggregates.

:func:`synth_hospital_admissions` writes record-level admissions in the partner schema of
:mod:`geodata.hospital` (so its reader reads them).

Notes
-----
The expected number of under-25 admissions in LSOA :math:`i` over :math:`T` years is

.. math::

    \lambda_i = T \cdot \frac{r}{1000} \cdot P \cdot \frac{p_i v_i}{\sum_j p_j v_j}

where :math:`r` is the assumed admission rate per 1,000 residents aged 0-24
(:data:`DEFAULT_U25_ADMISSIONS_PER_1000`), :math:`p_i` the LSOA's 0-24 population,
:math:`P = \sum_j p_j`, and :math:`v_i` its IoD2025 violence-with-injury rate. Adults are
added at :math:`\lambda_i a / (1 - a)`, :math:`a` the adult share
(:data:`DEFAULT_ADULT_SHARE`); both counts are Poisson draws. See :mod:`geodata.synthetic`
for how every synthetic frame is marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._synthetic_common import (
    BAD_DATES,
    PostcodePicker,
    insert_rows,
    mark,
    pop_0_24,
    prepare_lsoa,
    seeded_rng,
)
from .hospital import HOSPITAL_COLUMNS, ICD10_MECHANISM

__all__ = [
    "DEFAULT_VIOLENCE_RATE_COL",
    "DEFAULT_U25_ADMISSIONS_PER_1000",
    "DEFAULT_ADULT_SHARE",
    "ASSAULT_CAUSE_MIX",
    "synth_hospital_admissions",
]

DEFAULT_VIOLENCE_RATE_COL = "violence_with_injury_rate_per_1_000_at_risk_population"
"""IoD2025 indicator: police recorded violence with injury per 1,000 at-risk population."""

DEFAULT_U25_ADMISSIONS_PER_1000 = 0.6
"""Assumed emergency admissions for assault per 1,000 residents aged 0-24 per year.

An **assumption**, not a local measurement. OHID Fingertips publishes "Hospital admissions for
violence (including sexual violence)" only for districts and above, at roughly 40-60 per
100,000 (0.4-0.6 per 1,000) all ages in recent three-year periods; admission rates peak at
ages 15-24, while under-10s are rarely admitted for assault, so 0.5-1 per 1,000 for the 0-24
band as a whole is the plausible range and 0.6 sits at its cautious end. A region that knows
its own figure should pass it as ``rate_per_1000``.
"""

DEFAULT_ADULT_SHARE = 0.6
"""Assumed share of all assault admissions that are aged 25 and over (HES assault admissions
are mostly adults; the risk layer later keeps only the under-25s)."""

SCHOOL_AGE_FRACTION_OF_0_15 = 11 / 16
"""Share of the Census "aged 15 and under" band taken as compulsory school age (5-15): 11 of
its 16 single years of age, assuming a flat age profile. Falling births since 2012 make the 0-4
years slightly smaller than the rest, so this slightly under-estimates 5-15 (by a few %)."""

ASSAULT_CAUSE_MIX: dict[str, float] = {
    "Y04": 0.50,  # bodily force: the commonest cause of assault admissions
    "X99": 0.17,  # sharp object
    "Y00": 0.12,  # blunt object
    "Y09": 0.12,  # unspecified means
    "Y08": 0.05,  # other specified means
    "X95": 0.01,  # firearm
    "Y05": 0.01,  # sexual assault by bodily force
    "X85": 0.01,  # drugs and medicaments
    "X91": 0.01,  # hanging, strangulation and suffocation
}
"""Share of synthetic assault admissions by ICD-10 category (an assumption in the shape of
published HES assault admissions: bodily force most common, then sharp and blunt objects)."""

_PLACE_SUFFIX = ("", ".0", ".4", ".8", ".9")  # none, home, street and highway, other, unknown
_PLACE_P = (0.30, 0.20, 0.25, 0.10, 0.15)
_NON_ASSAULT = ("W19", "X59", "V89.2", "W01", "Y83.1", "X60")  # falls, accidents, self-harm...


def synth_hospital_admissions(
    lsoa: pd.DataFrame,
    postcodes: pd.DataFrame,
    *,
    seed: int,
    years: int = 3,
    violence_rate_col: str = DEFAULT_VIOLENCE_RATE_COL,
    rate_per_1000: float = DEFAULT_U25_ADMISSIONS_PER_1000,
    adult_share: float = DEFAULT_ADULT_SHARE,
    start: str = "2021-04-01",
    n_non_assault: int = 6,
    n_bad_dates: int = 4,
) -> pd.DataFrame:
    """Synthetic hospital admissions for assault, in the :data:`HOSPITAL_COLUMNS` schema.

    Parameters
    ----------
    lsoa
        One row per LSOA 2021: ``lsoa21_code``, ``district_code``, ``pop_0_24`` (or
        ``pop_0_15`` + ``pop_16_24``) and ``violence_rate_col``.
    postcodes
        ``postcode``, ``lsoa21_code`` and optionally ``status`` (only ``live`` ones are used)
        and ``usertype`` (only small users, 0, are used): each record gets a real postcode
        inside its LSOA (blank if the LSOA has none).
    seed
        Seed of the random generator; the same seed and inputs give identical output.
    years
        Number of years of admissions, from ``start`` (default: three financial years).
    violence_rate_col
        The IoD2025 violence-with-injury rate per 1,000 (where assaults concentrate).
    rate_per_1000
        Admissions per 1,000 residents aged 0-24 per year, region-wide (an assumption, see
        :data:`DEFAULT_U25_ADMISSIONS_PER_1000`).
    adult_share
        Share of all records aged 25+ (:data:`DEFAULT_ADULT_SHARE`).
    n_non_assault, n_bad_dates
        Extra defective rows, so that the reader's rejection paths are exercised: rows whose
        cause is not an assault code (e.g. ``W19`` falls) and rows with an invalid date
        (e.g. ``2022-02-30``). Each has only that one defect.

    Returns
    -------
    pandas.DataFrame
        :data:`HOSPITAL_COLUMNS` plus ``synthetic`` (True), all values as CSV-ready strings
        except ``age``. ``attrs`` holds ``synthetic``, ``seed``, ``generator``,
        ``parameters``, ``calibration`` and ``injected`` (the defective rows by the reason
        :func:`~geodata.hospital.read_hospital_admissions` gives when rejecting them).

    Notes
    -----
    For LSOA :math:`i` with 0-24 population :math:`P_i` and violence rate :math:`v_i`, the
    expected under-25 admissions over :math:`Y` years are

    .. math:: \\lambda_i = \\frac{r}{1000} \\, Y \\, \\Big(\\sum_j P_j\\Big)
              \\frac{P_i v_i}{\\sum_j P_j v_j}

    so the region total is the assumed rate :math:`r` on the whole 0-24 population and each
    LSOA's share follows its population times its violence rate; counts are
    :math:`N_i \\sim \\text{Poisson}(\\lambda_i)`. Adults (25+) are drawn the same way with
    :math:`\\lambda_i \\, s / (1 - s)` for ``adult_share`` :math:`s` (so they also concentrate
    where violence does). Ages: 0-24 mostly 15-24 with some 10-14 and few under 10; adults
    25-70, younger more often. About 75% are male. Causes follow
    :data:`ASSAULT_CAUSE_MIX` with a random place-of-occurrence fourth character; half the
    rows leave ``mechanism`` blank so the reader derives it from the code. A missing violence
    rate is filled with the median (counted in ``attrs['calibration']``).
    """
    if not 0 <= adult_share < 1:
        raise ValueError(f"adult_share must be in [0, 1), got {adult_share}")
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    if rate_per_1000 < 0:
        raise ValueError(f"rate_per_1000 must be >= 0, got {rate_per_1000}")
    rng = seeded_rng(seed)
    frame = prepare_lsoa(lsoa, [violence_rate_col])
    pop = pop_0_24(frame)
    rate = pd.to_numeric(frame[violence_rate_col], errors="coerce")
    n_missing_rate = int(rate.isna().sum())
    rate = np.clip(rate.fillna(rate.median()).fillna(0).to_numpy(float), 0, None)
    weight = pop * rate
    if weight.sum() <= 0:
        raise ValueError("population x violence rate is zero everywhere: nothing to distribute")
    total_u25 = rate_per_1000 / 1000 * years * pop.sum()
    lam = total_u25 * weight / weight.sum()
    n_young = rng.poisson(lam)
    n_old = rng.poisson(lam * adult_share / (1 - adult_share))
    codes = frame["lsoa21_code"].to_numpy()
    idx = np.concatenate(
        [np.repeat(np.arange(len(frame)), n_young), np.repeat(np.arange(len(frame)), n_old)]
    )
    young = np.concatenate([np.ones(n_young.sum(), bool), np.zeros(n_old.sum(), bool)])
    n = len(idx)

    ages_u25 = np.arange(25)
    p_u25 = np.where(ages_u25 < 10, 0.3, np.where(ages_u25 < 15, 2.4, 8.5))
    ages_old = np.arange(25, 71)
    p_old = np.exp(-(ages_old - 25) / 15)
    age = np.where(
        young,
        rng.choice(ages_u25, n, p=p_u25 / p_u25.sum()),
        rng.choice(ages_old, n, p=p_old / p_old.sum()),
    )
    sex = rng.choice(np.array(["M", "F", "U"], dtype=object), n, p=[0.75, 0.24, 0.01])
    cats = np.array(list(ASSAULT_CAUSE_MIX), dtype=object)
    p_cat = np.array(list(ASSAULT_CAUSE_MIX.values()))
    cat = rng.choice(cats, n, p=p_cat / p_cat.sum())
    suffix = rng.choice(np.array(_PLACE_SUFFIX, dtype=object), n, p=_PLACE_P)
    icd = cat + suffix
    mech = np.array([ICD10_MECHANISM[c] for c in cat], dtype=object)
    mech[rng.random(n) < 0.5] = ""
    first = pd.Timestamp(start)
    span = (first + pd.DateOffset(years=years) - first).days
    dates = first + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    picker = PostcodePicker(postcodes, codes)
    pcs = picker.pick(idx, rng)

    good = pd.DataFrame(
        {
            "postcode": pcs,
            "lsoa_code": codes[idx],
            "admission_date": dates,
            "age": age,
            "sex": sex,
            "icd10_cause": icd,
            "mechanism": mech,
        }
    ).sort_values(["admission_date", "lsoa_code", "age"], kind="stable")
    good["admission_date"] = good["admission_date"].dt.strftime("%Y-%m-%d")

    bad_parts = []
    if n_non_assault:
        rows = good.sample(n_non_assault, random_state=rng, replace=len(good) < n_non_assault)
        rows = rows.assign(
            icd10_cause=rng.choice(np.array(_NON_ASSAULT, dtype=object), n_non_assault),
            mechanism="",
        )
        bad_parts.append(rows)
    if n_bad_dates:
        rows = good.sample(n_bad_dates, random_state=rng, replace=len(good) < n_bad_dates)
        rows = rows.assign(
            admission_date=rng.choice(np.array(BAD_DATES, dtype=object), n_bad_dates)
        )
        bad_parts.append(rows)
    bad = pd.concat(bad_parts) if bad_parts else good.iloc[0:0]
    out = insert_rows(good.reset_index(drop=True), bad.reset_index(drop=True), rng)
    out["age"] = out["age"].astype("int64")

    by_district = (
        pd.DataFrame({"district_code": frame["district_code"], "pop_0_24": pop, "lam": lam})
        .groupby("district_code")
        .sum()
    )
    attrs = {
        "seed": int(seed),
        "generator": "geodata.synthetic.synth_hospital_admissions",
        "parameters": {
            "years": years,
            "start": str(first.date()),
            "rate_per_1000_0_24_per_year": rate_per_1000,
            "adult_share": adult_share,
            "violence_rate_col": violence_rate_col,
            "cause_mix": ASSAULT_CAUSE_MIX,
        },
        "calibration": {
            "sources": [
                "Assumed under-25 assault admission rate (see DEFAULT_U25_ADMISSIONS_PER_1000; "
                "order of magnitude from OHID Fingertips 'Hospital admissions for violence "
                "(including sexual violence)', district level)",
                "Census 2021 usual residents aged 0-24 by LSOA 2021 (ONS)",
                f"English Indices of Deprivation 2025, {violence_rate_col} (MHCLG)",
                "Postcodes: the postcode table passed in (live postcodes only)",
            ],
            "expected_under25_total": float(total_u25),
            "drawn_under25_total": int(n_young.sum()),
            "drawn_25plus_total": int(n_old.sum()),
            "expected_under25_by_district": {
                k: round(float(v), 2) for k, v in by_district["lam"].items()
            },
            "lsoas_missing_violence_rate": n_missing_rate,
            "lsoas_without_live_postcode": picker.lsoa_without,
        },
        "injected": {
            k: v
            for k, v in {
                "cause outside X85-Y09": n_non_assault,
                "invalid admission date": n_bad_dates,
            }.items()
            if v
        },
    }
    out = mark(out, "HOS", attrs)
    return out[["record_id", *HOSPITAL_COLUMNS[1:], "synthetic"]]
