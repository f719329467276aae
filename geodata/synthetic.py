"""Seeded synthetic stand-ins for partner data that is not open.

Hospital admissions for assault and pupil-level school exclusions reach a VRU only as partner
data under a data-sharing agreement. So that the whole pipeline can be built, tested and
demonstrated without them, this module writes record-level **synthetic** data in exactly the
partner schemas of :mod:`geodata.hospital` and :mod:`geodata.schools` (so the same readers
read it), calibrated to open aggregates:

* :func:`synth_hospital_admissions`: an assumed regional admission rate for ages 0-24,
  distributed over LSOAs in proportion to the 0-24 population times the IoD2025
  violence-with-injury rate, with Poisson draws;
* :func:`synth_pupil_exclusions`: each district's real DfE permanent and fixed-period rates
  applied to its school-age population.

Every synthetic frame carries a ``synthetic`` column (all True), ``frame.attrs['synthetic'] =
True``, ``record_id`` values starting ``SYN-``, and the seed and calibration in
``frame.attrs``; :func:`write_partner_csv` writes a ``<path>.synthetic.json`` sidecar that says
SYNTHETIC. The same seed and inputs give identical output. Nothing here describes any real
person, and counts from it must never be presented as observed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._io import require_columns
from .hospital import HOSPITAL_COLUMNS, ICD10_MECHANISM
from .schools import EXCLUSION_REASON_CODES, EXCLUSION_REASONS, PUPIL_EXCLUSION_COLUMNS

__all__ = [
    "DEFAULT_VIOLENCE_RATE_COL",
    "DEFAULT_U25_ADMISSIONS_PER_1000",
    "DEFAULT_ADULT_SHARE",
    "SCHOOL_AGE_FRACTION_OF_0_15",
    "ASSAULT_CAUSE_MIX",
    "NATIONAL_REASON_COUNTS_201617",
    "synth_hospital_admissions",
    "synth_pupil_exclusions",
    "write_partner_csv",
]

PathLike_ = str | PathLike[str]

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
_BAD_DATES = ("2022-02-30", "31/12/2022", "2023-13-01", "not recorded")

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
_LIVE = {"live", "active", "current", "l"}


# --------------------------------------------------------------------------------------------
# shared pieces


def _rng(seed: int) -> np.random.Generator:
    if not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def _prepare_lsoa(lsoa: pd.DataFrame, need: Sequence[str]) -> pd.DataFrame:
    require_columns(lsoa.columns, ["lsoa21_code", "district_code", *need], "lsoa frame")
    out = lsoa.drop_duplicates("lsoa21_code").sort_values("lsoa21_code").reset_index(drop=True)
    if out.empty:
        raise ValueError("lsoa frame has no rows")
    return out


def _pop_0_24(lsoa: pd.DataFrame) -> np.ndarray:
    if "pop_0_24" in lsoa.columns:
        pop = lsoa["pop_0_24"]
    elif {"pop_0_15", "pop_16_24"} <= set(lsoa.columns):
        pop = lsoa["pop_0_15"] + lsoa["pop_16_24"]
    else:
        raise ValueError("lsoa frame needs pop_0_24, or pop_0_15 and pop_16_24")
    return np.clip(pd.to_numeric(pop, errors="coerce").fillna(0).to_numpy(float), 0, None)


class _PostcodePicker:
    """Draw a live postcode inside a given LSOA (blank where the LSOA has none)."""

    def __init__(self, postcodes: pd.DataFrame, lsoa_codes: np.ndarray) -> None:
        require_columns(postcodes.columns, ["postcode", "lsoa21_code"], "postcodes frame")
        pcs = postcodes
        if "status" in pcs.columns:
            pcs = pcs[pcs["status"].astype("string").str.strip().str.lower().isin(_LIVE)]
        if "usertype" in pcs.columns:  # homes have small-user postcodes (ONS usertype 0)
            pcs = pcs[pd.to_numeric(pcs["usertype"], errors="coerce").fillna(0).to_numpy() == 0]
        pcs = pcs.dropna(subset=["postcode", "lsoa21_code"])
        pcs = pcs[pcs["lsoa21_code"].isin(lsoa_codes)].sort_values(["lsoa21_code", "postcode"])
        self.values = pcs["postcode"].astype(str).to_numpy()
        codes = pcs["lsoa21_code"].to_numpy()
        first = pd.Series(np.arange(len(codes))).groupby(codes).min()
        count = pd.Series(codes).value_counts()
        self.start = first.reindex(lsoa_codes).fillna(0).to_numpy(int)
        self.count = count.reindex(lsoa_codes).fillna(0).to_numpy(int)
        self.lsoa_without = int((self.count == 0).sum())

    def pick(self, lsoa_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = rng.random(len(lsoa_idx))
        n = self.count[lsoa_idx]
        pos = self.start[lsoa_idx] + np.floor(u * np.maximum(n, 1)).astype(int)
        out = np.full(len(lsoa_idx), "", dtype=object)
        has = n > 0
        out[has] = self.values[pos[has]]
        return out


def _mark(frame: pd.DataFrame, prefix: str, attrs: dict[str, Any]) -> pd.DataFrame:
    frame.insert(0, "record_id", [f"SYN-{prefix}-{i:06d}" for i in range(1, len(frame) + 1)])
    frame["synthetic"] = True
    frame.attrs.update(attrs)
    frame.attrs["synthetic"] = True
    return frame


def _insert_rows(good: pd.DataFrame, bad: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Put ``bad`` rows at random positions among ``good`` rows (order otherwise kept)."""
    if bad.empty:
        return good.reset_index(drop=True)
    keys = np.concatenate([np.arange(len(good)), rng.uniform(0, len(good), len(bad))])
    both = pd.concat([good, bad], ignore_index=True)
    return both.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# hospital admissions


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
    rng = _rng(seed)
    frame = _prepare_lsoa(lsoa, [violence_rate_col])
    pop = _pop_0_24(frame)
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
    picker = _PostcodePicker(postcodes, codes)
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
            admission_date=rng.choice(np.array(_BAD_DATES, dtype=object), n_bad_dates)
        )
        bad_parts.append(rows)
    bad = pd.concat(bad_parts) if bad_parts else good.iloc[0:0]
    out = _insert_rows(good.reset_index(drop=True), bad.reset_index(drop=True), rng)
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
    out = _mark(out, "HOS", attrs)
    return out[["record_id", *HOSPITAL_COLUMNS[1:], "synthetic"]]


# --------------------------------------------------------------------------------------------
# pupil exclusions


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
    rng = _rng(seed)
    need = [weight_col] if weight_col else []
    frame = _prepare_lsoa(lsoa, need)
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
    picker = _PostcodePicker(postcodes, codes)
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
    out = _insert_rows(good.reset_index(drop=True), bad.reset_index(drop=True), rng)
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
    out = _mark(out, "EXC", attrs)
    return out[["record_id", *PUPIL_EXCLUSION_COLUMNS[1:], "synthetic"]]


# --------------------------------------------------------------------------------------------
# writing


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def write_partner_csv(frame: pd.DataFrame, path: PathLike_) -> tuple[Path, Path | None]:
    """Write a partner-schema frame as CSV, with a SYNTHETIC sidecar when it is synthetic.

    Parameters
    ----------
    frame
        A hospital-admissions or pupil-exclusions frame (its schema is told from its columns),
        e.g. from :func:`synth_hospital_admissions`.
    path
        Output CSV (``.csv``, or ``.csv.gz`` for gzip). The header is the schema's column
        names, with no comment lines, so any CSV reader and the project's readers take it.

    Returns
    -------
    (csv_path, sidecar_path)
        ``sidecar_path`` is ``<path>.synthetic.json`` when the frame is synthetic (its
        ``synthetic`` column or ``attrs['synthetic']``), else None. The sidecar says
        ``"synthetic": true`` and ``"label": "SYNTHETIC DATA ..."``, and holds the generator,
        seed, parameters, calibration sources, injected defects, row count and the CSV's
        sha256.
    """
    cols = set(frame.columns)
    if set(HOSPITAL_COLUMNS) <= cols:
        schema, columns = "hospital_admissions", list(HOSPITAL_COLUMNS)
    elif set(PUPIL_EXCLUSION_COLUMNS) <= cols:
        schema, columns = "pupil_exclusions", list(PUPIL_EXCLUSION_COLUMNS)
    else:
        raise ValueError(
            "frame is in neither partner schema; expected the columns "
            f"{list(HOSPITAL_COLUMNS)} or {list(PUPIL_EXCLUSION_COLUMNS)}"
        )
    is_synth = bool(frame.attrs.get("synthetic", False)) or (
        "synthetic" in cols and bool(frame["synthetic"].fillna(False).astype(bool).any())
    )
    if is_synth:
        columns.append("synthetic")
        out = frame.assign(synthetic=True)[columns]
    else:
        out = frame[columns]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, lineterminator="\n")
    if not is_synth:
        return path, None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = {
        "synthetic": True,
        "label": "SYNTHETIC DATA - generated records, not real people or real events",
        "schema": schema,
        "file": path.name,
        "sha256": digest,
        "rows": len(out),
        "generator": frame.attrs.get("generator"),
        "seed": frame.attrs.get("seed"),
        "parameters": frame.attrs.get("parameters", {}),
        "calibration": frame.attrs.get("calibration", {}),
        "injected_defects": frame.attrs.get("injected", {}),
    }
    sidecar = Path(f"{path}.synthetic.json")
    sidecar.write_text(json.dumps(_json_ready(meta), indent=2) + "\n")
    return path, sidecar
