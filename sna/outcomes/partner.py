"""The outcome series that do not come from the ONS tables.

- **Hospital admissions for assault by a sharp object** (ICD-10 X99), all ages and under 25,
  per financial year, from the configured partner extract. Partner records follow the
  disclosure rule: a count of 1 to 7 is never published (0 is), and when both are shown,
  the all-ages and under-25 counts of a year may not differ by 1 to 7 (that difference would
  publish the small count of people aged 25 and over), so the under-25 count is then held
  back too. Without an extract the measure is "awaiting partner data".
- **police.uk monthly counts** where the region has street-level files: robbery, possession
  of weapons, violence and sexual offences. Each is what it says, not the Home Office
  measure (no knife flag, no age).
- **The VRU's own measures** (``[outcomes] measures``): the tidy shape, points that do not
  overlap.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.outcomes.series import overlaps, period_label

__all__ = [
    "AWAITING",
    "SHARP_OBJECT",
    "POLICE_UK_TYPES",
    "hospital_years",
    "police_monthly",
    "own_measures",
]

AWAITING = "awaiting partner data"
SHARP_OBJECT = "X99"
POLICE_UK_TYPES: dict[str, str] = {
    "Robbery": "all robbery recorded by the police, with or without a knife",
    "Possession of weapons": "possession of weapons offences (knives, firearms and other "
    "weapons), which mostly reflect police activity such as stop and search",
    "Violence and sexual offences": "all violence and sexual offences, with or without a "
    "weapon and of any seriousness",
}


def _financial_year(dates: pd.Series) -> pd.Series:
    """The year ending March each date falls in (2023-04-01 -> 2024)."""
    return dates.dt.year + (dates.dt.month >= 4).astype(int)


def _safe(n: int, threshold: int) -> int | None:
    return n if n == 0 or n >= threshold else None


def hospital_years(
    admissions: pd.DataFrame | None, threshold: int = DISCLOSURE_THRESHOLD, synthetic: bool = False
) -> dict[str, Any]:
    """Sharp-object assault admissions per year ending March, all ages and under 25.

    ``admissions`` is the prepared extract (:func:`geodata.hospital.read_hospital_admissions`
    columns) or None when no extract is configured. ``months_covered`` says how many months of
    each year the extract holds, so a part year is not read as a whole one.
    """
    threshold = max(int(threshold), DISCLOSURE_THRESHOLD)
    if admissions is None or admissions.empty:
        return {"status": AWAITING, "synthetic": False, "years": []}
    dates = pd.to_datetime(admissions["admission_date"], errors="coerce")
    months = dates.dt.to_period("M")
    fy = _financial_year(dates)
    sharp = admissions["icd10_category"].astype(str).eq(SHARP_OBJECT).to_numpy()
    young = (pd.to_numeric(admissions["age"], errors="coerce") < 25).to_numpy()
    years = []
    for year in sorted(fy.dropna().unique().astype(int)):
        in_year = (fy == year).to_numpy()
        covered = months[in_year].dropna().unique()
        n_all = int((in_year & sharp).sum())
        n_young = int((in_year & sharp & young).sum())
        all_ages, under_25 = _safe(n_all, threshold), _safe(n_young, threshold)
        if all_ages is not None and under_25 is not None and 0 < n_all - n_young < threshold:
            under_25 = None  # the difference would show a small count of those aged 25+
        years.append(
            {
                "period_start": f"{year - 1}-04",
                "period_end": f"{year}-03",
                "label": period_label(f"{year - 1}-04", f"{year}-03"),
                "all_ages": all_ages,
                "under_25": under_25,
                "all_ages_suppressed": all_ages is None,
                "under_25_suppressed": under_25 is None,
                "months_covered": len(covered),
            }
        )
    status = "synthetic (illustrative)" if synthetic else "published"
    return {"status": status, "synthetic": bool(synthetic), "years": years}


def police_monthly(crime_points: pd.DataFrame | None, areas: pd.DataFrame) -> list[dict]:
    """Monthly police.uk counts over the region for :data:`POLICE_UK_TYPES` (empty without
    street-level files). Counted as :func:`sna.needs.trends.monthly_counts` counts the trend."""
    from sna.needs.trends import monthly_counts

    if crime_points is None or crime_points.empty:
        return []
    out = []
    for crime_type, what in POLICE_UK_TYPES.items():
        counts = monthly_counts(crime_points, areas, crime_type)
        region = counts[counts["level"] == "district"].groupby("month")["count"].sum()
        out.append(
            {
                "crime_type": crime_type,
                "what_it_is": what,
                "unit": "offences recorded a month",
                "months": [{"month": str(m), "count": int(n)} for m, n in region.items()],
            }
        )
    return out


def own_measures(frame: pd.DataFrame | None, source: str = "") -> list[dict[str, Any]]:
    """The VRU's own measures as series, one per measure, offence and area.

    Points are chosen from the latest window back so that none shares a month with another;
    ``overlapping_left_out`` says how many windows that left out.
    """
    if frame is None or frame.empty:
        return []
    out = []
    keys = ["measure", "offence", "area_code"]
    for (measure, offence, code), rows in frame.groupby(keys, sort=False):
        rows = rows.sort_values("period_end", ascending=False)
        points: list[dict[str, Any]] = []
        for r in rows.itertuples():
            window = (r.period_start, r.period_end)
            if any(overlaps(window, (p["period_start"], p["period_end"])) for p in points):
                continue
            points.append(
                {
                    "period_start": r.period_start,
                    "period_end": r.period_end,
                    "label": period_label(r.period_start, r.period_end),
                    "count": None if pd.isna(r.count) else float(r.count),
                    "rate": None if pd.isna(r.rate) else float(r.rate),
                    "pct_knife": None if pd.isna(r.pct_knife) else float(r.pct_knife),
                }
            )
        out.append(
            {
                "measure": measure,
                "offence": offence,
                "area_code": code,
                "area_name": str(rows["area_name"].iloc[0]),
                "source": source or "the VRU's own figures",
                "points": points[::-1],
                "overlapping_left_out": len(rows) - len(points),
            }
        )
    return out
