"""Synthetic stand-in for pupil-level school exclusions, calibrated to DfE district rates.

:func:`synth_pupil_exclusions` applies each district's real DfE permanent and fixed-period
exclusion rates to its school-age population and writes pupil-level records in the partner
schema of :mod:`geodata.schools` (so its reader reads them). See :mod:`geodata.synthetic` for
how every synthetic frame is marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._io import require_columns
from ._synthetic_common import PostcodePicker, insert_rows, mark, prepare_lsoa, seeded_rng
from .schools import EXCLUSION_REASON_CODES, EXCLUSION_REASONS, PUPIL_EXCLUSION_COLUMNS

__all__ = [
    "SCHOOL_AGE_FRACTION_OF_0_15",
    "NATIONAL_REASON_COUNTS_201617",
    "synth_pupil_exclusions",
]

SCHOOL_AGE_FRACTION_OF_0_15 = 11 / 16
"""Share of the Census "aged 15 and under" band taken as compulsory school age (5-15): 11 of
its 16 single years of age, assuming a flat age profile. Falling births since 2012 make the 0-4
years slightly smaller than the rest, so this slightly under-estimates 5-15 (by a few %)."""

NATIONAL_REASON_COUNTS_201617: dict[str, dict[str, int]] = {
    "permanent": dict(
        zip(
            EXCLUSION_REASONS,
            (1025, 745, 330, 655, 25, 25, 105, 565, 95, 40, 2755, 1355),
            strict=True,
        )
    ),
    "suspension": dict(
        zip(
            EXCLUSION_REASONS,
            (64355, 26695, 15170, 59675, 4250, 4565, 2235, 9075, 7685, 4320, 108640, 75195),
            strict=True,
        )
    ),
}
"""England 2016/17 exclusions by reason, all state-funded schools (DfE
``clean_la_exclusions_reasons_data``, ``England``/``Total`` row): the default reason mix."""

# single-year age shares (5..15) of synthetic exclusions: concentrated in Years 8-11
_EXCL_AGE = {
    "permanent": (1, 1, 1.5, 2, 2.5, 3, 6, 12, 20, 26, 25),
    "suspension": (2, 2.5, 3, 3.5, 4, 4.5, 9, 15, 19, 20, 17.5),
}
_CATEGORY_VARIANTS = {
    "permanent": ("Permanent exclusion", "PERMANENT"),
    "suspension": ("Fixed period", "Fixed-period exclusion", "Suspension"),
}
_LABEL_TO_CODE = {label: code for code, label in EXCLUSION_REASON_CODES.items()}


def _school_age(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    if "pop_5_15" in frame.columns:
        pop = frame["pop_5_15"]
        how = "pop_5_15 as given"
    elif "pop_0_15" in frame.columns:
        pop = frame["pop_0_15"] * SCHOOL_AGE_FRACTION_OF_0_15
        how = "pop_0_15 x 11/16 (ages 5-15 of 0-15, flat age profile assumed)"
    else:
        raise ValueError("lsoa frame needs pop_5_15 or pop_0_15 for the school-age population")
    return np.clip(pd.to_numeric(pop, errors="coerce").fillna(0).to_numpy(float), 0, None), how


def _academic_days(year: str, n_years: int) -> pd.DatetimeIndex:
    """School days (Mon-Fri, 1 Sep to 20 Jul, holidays ignored) of ``n_years`` from ``year``."""
    start = int(year[:4])
    days = [pd.bdate_range(f"{y}-09-01", f"{y + 1}-07-20") for y in range(start, start + n_years)]
    return days[0].append(days[1:]) if len(days) > 1 else days[0]


def _pick_schools(
    schools: pd.DataFrame | None,
    district: np.ndarray,
    age: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A random school URN in the pupil's district and phase (primary under 11), else blank."""
    out = np.full(len(district), "", dtype=object)
    if schools is None:
        return out
    require_columns(schools.columns, ["urn", "district_code", "education_phase"], "schools frame")
    phase = schools["education_phase"].astype("string").str.lower()
    primary = phase.str.contains("primary").fillna(False).to_numpy(bool)
    secondary = phase.str.contains("secondary|all-through").fillna(False).to_numpy(bool)
    urn = schools["urn"].astype("int64").astype(str).to_numpy()
    sd = schools["district_code"].astype("string").to_numpy()
    for d in np.unique(district):
        for is_primary, mask_phase in ((True, primary), (False, secondary)):
            rows = np.flatnonzero((district == d) & ((age < 11) == is_primary))
            pool = urn[(sd == d) & mask_phase]
            if len(rows) and len(pool):
                out[rows] = rng.choice(np.sort(pool), len(rows))
    return out


def synth_pupil_exclusions(
    lsoa: pd.DataFrame,
    postcodes: pd.DataFrame,
    la_rates: pd.DataFrame,
    *,
    seed: int,
    year: str = "201617",
    years: int = 1,
    weight_col: str | None = None,
    reason_counts: Mapping[str, Mapping[str, float]] | None = None,
    schools: pd.DataFrame | None = None,
    n_no_location: int = 2,
    n_bad_dates: int = 2,
    n_unknown_category: int = 2,
) -> pd.DataFrame:
    """Synthetic pupil-level exclusions, in the :data:`PUPIL_EXCLUSION_COLUMNS` schema.

    Parameters
    ----------
    lsoa
        One row per LSOA 2021: ``lsoa21_code``, ``district_code`` and ``pop_0_15`` (or
        ``pop_5_15``), plus ``weight_col`` if given.
    postcodes
        ``postcode``, ``lsoa21_code`` and optionally ``status``; each record gets a live home
        postcode inside its LSOA (blank if the LSOA has none) and its ``home_lsoa``.
    la_rates
        Per district: ``district_code``, ``perm_rate`` and ``fixed_rate``, exclusions per
        pupil per year (e.g. from :func:`geodata.schools.exclusion_rates` on the DfE LA file).
    seed
        Seed of the random generator; the same seed and inputs give identical output.
    year, years
        First academic year (DfE code, ``'201617'``) and how many years; dates fall on
        weekdays from 1 September to 20 July.
    weight_col
        Optional LSOA column (e.g. an IDACI score) that tilts where, within a district,
        exclusions fall: weights are school-age population times this column. Default: the
        school-age population alone.
    reason_counts
        ``{'permanent': {reason_key: count}, 'suspension': {...}}`` with keys of
        :data:`~geodata.schools.EXCLUSION_REASONS`; default
        :data:`NATIONAL_REASON_COUNTS_201617`.
    schools
        Optional schools (``urn``, ``district_code``, ``education_phase``, e.g. from
        :func:`geodata.schools.read_gias` with a lookup) to fill ``school_urn`` with a random
        school of the right phase in the pupil's district; otherwise ``school_urn`` is blank.
    n_no_location, n_bad_dates, n_unknown_category
        Extra defective rows (no postcode and no LSOA; a date that is not ISO or not a real
        day; a category such as ``'Internal exclusion'``), outside the calibrated totals.

    Returns
    -------
    pandas.DataFrame
        :data:`PUPIL_EXCLUSION_COLUMNS` plus ``synthetic`` (True); ``attrs`` as for
        :func:`synth_hospital_admissions` (``calibration['by_district']`` has the targets).

    Notes
    -----
    The school-age population of LSOA :math:`i` is :math:`S_i = \\tfrac{11}{16} P^{0-15}_i`
    (:data:`SCHOOL_AGE_FRACTION_OF_0_15`; ``pop_5_15`` is used instead when given). Each
    district :math:`d` gets :math:`T_d = r_d \\, Y \\sum_{i \\in d} S_i` exclusions of each
    category, for its DfE rate :math:`r_d` per pupil; the integer total is :math:`\\lfloor T_d
    \\rfloor` plus one with probability :math:`T_d - \\lfloor T_d \\rfloor` (so it is within
    one of the target), and is spread over the district's LSOAs by a multinomial draw with
    weights :math:`S_i` (times ``weight_col``). DfE headcounts are pupils on roll in the
    LA's schools, not residents, so this treats resident school-age children as the pupils at
    risk. Ages are 5-15, mostly 12-15; about 10% of categories are written in other accepted
    spellings ("Fixed period", "Permanent exclusion") and 20% of reasons as the two-letter
    codes, so that the reader's normalisation is exercised.
    """
    rng = seeded_rng(seed)
    need = [weight_col] if weight_col else []
    frame = prepare_lsoa(lsoa, need)
    require_columns(la_rates.columns, ["district_code", "perm_rate", "fixed_rate"], "la_rates")
    school_age, how = _school_age(frame)
    weight = school_age.copy()
    if weight_col:
        tilt = pd.to_numeric(frame[weight_col], errors="coerce")
        weight *= np.clip(tilt.fillna(tilt.median()).to_numpy(float), 0, None)
    rates = la_rates.drop_duplicates("district_code").set_index("district_code")
    missing = sorted(set(frame["district_code"]) - set(rates.index))
    if missing:
        raise ValueError(f"la_rates has no rates for district(s) {missing}")
    counts = reason_counts or NATIONAL_REASON_COUNTS_201617
    codes = frame["lsoa21_code"].to_numpy()
    districts = frame["district_code"].to_numpy()

    idx_parts, cat_parts, calib = [], [], []
    for d in sorted(set(districts)):
        rows = np.flatnonzero(districts == d)
        s_d = float(school_age[rows].sum())
        w = weight[rows]
        w = w / w.sum() if w.sum() > 0 else np.full(len(rows), 1 / len(rows))
        entry: dict[str, Any] = {"district_code": d, "school_age_pop": round(s_d, 1)}
        for category, col in (("permanent", "perm_rate"), ("suspension", "fixed_rate")):
            target = float(rates.loc[d, col]) * years * s_d
            total = int(np.floor(target)) + int(rng.random() < target - np.floor(target))
            per_lsoa = rng.multinomial(total, w)
            idx_parts.append(np.repeat(rows, per_lsoa))
            cat_parts.append(np.full(total, category, dtype=object))
            entry[f"{category}_rate"] = float(rates.loc[d, col])
            entry[f"{category}_target"] = round(target, 2)
            entry[f"{category}_drawn"] = total
        calib.append(entry)
    idx = np.concatenate(idx_parts)
    category = np.concatenate(cat_parts)
    n = len(idx)

    ages = np.arange(5, 16)
    age = np.empty(n, dtype=int)
    reason = np.empty(n, dtype=object)
    for cat in ("permanent", "suspension"):
        m = category == cat
        p = np.array(_EXCL_AGE[cat], float)
        age[m] = rng.choice(ages, int(m.sum()), p=p / p.sum())
        keys = list(counts[cat])
        pr = np.array([counts[cat][k] for k in keys], float)
        reason[m] = rng.choice(
            np.array([EXCLUSION_REASONS[k] for k in keys], dtype=object),
            int(m.sum()),
            p=pr / pr.sum(),
        )
    as_code = rng.random(n) < 0.2
    reason[as_code] = [_LABEL_TO_CODE[r] for r in reason[as_code]]
    written = category.copy()
    variant = rng.random(n) < 0.1
    for cat, spellings in _CATEGORY_VARIANTS.items():
        m = variant & (category == cat)
        written[m] = rng.choice(np.array(spellings, dtype=object), int(m.sum()))
    days = _academic_days(year, years)
    dates = days[rng.integers(0, len(days), n)]
    picker = PostcodePicker(postcodes, codes)
    pcs = picker.pick(idx, rng)
    urn = _pick_schools(schools, districts[idx], age, rng)

    good = pd.DataFrame(
        {
            "home_postcode": pcs,
            "home_lsoa": codes[idx],
            "date": dates,
            "category": written,
            "reason": reason,
            "age": age,
            "school_urn": urn,
        }
    ).sort_values(["date", "home_lsoa", "age"], kind="stable")
    good["date"] = good["date"].dt.strftime("%Y-%m-%d")

    bad_parts = []
    if n_no_location:
        bad_parts.append(
            good.sample(n_no_location, random_state=rng, replace=len(good) < n_no_location).assign(
                home_postcode="", home_lsoa=""
            )
        )
    if n_bad_dates:
        y0 = int(year[:4])
        choices = np.array(
            [
                f"{y0 + 1}-02-29" if (y0 + 1) % 4 else f"{y0}-09-31",
                f"12/03/{y0 + 1}",
                f"{y0}-11-00",
            ],
            dtype=object,
        )
        bad_parts.append(
            good.sample(n_bad_dates, random_state=rng, replace=len(good) < n_bad_dates).assign(
                date=rng.choice(choices, n_bad_dates)
            )
        )
    if n_unknown_category:
        choices = np.array(["Internal exclusion", "Managed move", "Isolation"], dtype=object)
        bad_parts.append(
            good.sample(
                n_unknown_category, random_state=rng, replace=len(good) < n_unknown_category
            ).assign(category=rng.choice(choices, n_unknown_category))
        )
    bad = pd.concat(bad_parts) if bad_parts else good.iloc[0:0]
    out = insert_rows(good.reset_index(drop=True), bad.reset_index(drop=True), rng)
    out["age"] = out["age"].astype("int64")

    attrs = {
        "seed": int(seed),
        "generator": "geodata.synthetic.synth_pupil_exclusions",
        "parameters": {
            "year": year,
            "years": years,
            "weight_col": weight_col,
            "school_age_population": how,
        },
        "calibration": {
            "sources": [
                f"DfE permanent and fixed-period exclusions by local authority, {year} "
                "(rates per pupil on roll, all state-funded schools)",
                "DfE exclusions by reason, England 2016/17 (reason mix)"
                if reason_counts is None
                else "reason mix passed in",
                "Census 2021 usual residents aged 15 and under by LSOA 2021 (ONS)",
                "Postcodes: the postcode table passed in (live postcodes only)",
            ],
            "by_district": calib,
            "lsoas_without_live_postcode": picker.lsoa_without,
        },
        "injected": {
            k: v
            for k, v in {
                "no valid home postcode or LSOA": n_no_location,
                "invalid date": n_bad_dates,
                "unknown category": n_unknown_category,
            }.items()
            if v
        },
    }
    out = mark(out, "EXC", attrs)
    return out[["record_id", *PUPIL_EXCLUSION_COLUMNS[1:], "synthetic"]]
