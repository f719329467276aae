"""The Home Office success measures as series: knife-enabled serious violence and homicide.

Input: the tidy rows of :func:`geodata.outcomes.read_pfa_tables` (every edition). Output: one
series per area (force, English region, England and Wales), each a list of points with its
period, count, rate per 100,000, the edition and table it came from and its provenance.

**Rolling years overlap.** Each edition is a 12-month window ending in its quarter, so the
year to June 2019 shares nine months with the year to March 2019. Points shown side by side
must not share months, so :func:`series` keeps, as points, the **years ending March** (the
financial years ONS leads with; P5 carries them back to the year ending March 2011) and gives
the latest rolling year separately, as ``latest``, saying which point it overlaps. For every
window the **latest edition** that shows a value wins, so revisions are taken up.

**Rates per 100,000.** ONS's own rate (Table P6) where it publishes one for that window;
otherwise count / population x 100,000 with the population of the mid-year (30 June) inside
the window: the ONS mid-year estimate in Table P9 where an edition has that year (recorded),
else a straight line between the last P9 estimate (mid-2016) and Census 2021 (estimated,
and said so). A country or region total that the table says excludes a force (Greater
Manchester, late 2019) gets no computed rate: its count and a full population do not match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geodata.outcomes import HOMICIDE, KNIFE_TOTAL

__all__ = [
    "CENSUS_DAY",
    "ANCHOR_MONTH",
    "Populations",
    "populations",
    "latest_values",
    "mid_year",
    "overlaps",
    "series",
    "period_label",
]

CENSUS_DAY = 2021 + (31 + 28 + 20) / 365  # 21 March 2021, as a fractional year
ANCHOR_MONTH = 3  # years ending March: the non-overlapping points
_MONTHS = "January February March April May June July August September October November December"
MONTH_NAMES = _MONTHS.split()


def period_label(start: str, end: str) -> str:
    """('2017-04', '2018-03') -> 'year ending March 2018' (12 months), else 'Apr 2017 to ...'."""
    ys, ms = int(start[:4]), int(start[5:7])
    ye, me = int(end[:4]), int(end[5:7])
    if (ye * 12 + me) - (ys * 12 + ms) == 11:
        return f"year ending {MONTH_NAMES[me - 1]} {ye}"
    if start == end:
        return f"mid-{ye}" if me == 6 else f"{MONTH_NAMES[me - 1]} {ye}"
    return f"{MONTH_NAMES[ms - 1][:3]} {ys} to {MONTH_NAMES[me - 1][:3]} {ye}"


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def overlaps(a: tuple[str, str], b: tuple[str, str]) -> int:
    """How many months two windows (start, end) share."""
    lo, hi = max(_index(a[0]), _index(b[0])), min(_index(a[1]), _index(b[1]))
    return max(hi - lo + 1, 0)


def mid_year(start: str, end: str) -> int | None:
    """The year whose 30 June falls inside the window (None if none does)."""
    for year in range(int(start[:4]), int(end[:4]) + 1):
        if _index(start) <= _index(f"{year}-06") <= _index(end):
            return year
    return None


@dataclass
class Populations:
    """Known populations per area: ``{code: {fractional year: (people, what it is)}}``."""

    known: dict[str, dict[float, tuple[float, str]]] = field(default_factory=dict)

    def at(self, code: str, year: int) -> tuple[float, str, str] | None:
        """(people, basis, provenance) at 30 June ``year``, or None."""
        points = self.known.get(code, {})
        t = year + 0.5
        if t in points:
            people, what = points[t]
            return people, what, "recorded"
        before = [k for k in points if k < t]
        after = [k for k in points if k > t]
        if not before or not after:
            return None
        a, b = max(before), min(after)
        (pa, wa), (pb, wb) = points[a], points[b]
        people = pa + (pb - pa) * (t - a) / (b - a)
        basis = f"mid-{year} population interpolated between the {wa} and the {wb}"
        return people, basis, "estimated"


def populations(tidy: pd.DataFrame, census: pd.Series | None = None) -> Populations:
    """Table P9's mid-year estimates, and Census 2021 per force summed to regions and
    countries (the force -> region membership is read from the tables themselves)."""
    out = Populations()
    p9 = tidy[(tidy["measure"] == "population") & tidy["count"].notna()]
    p9 = p9.sort_values("edition_end").drop_duplicates(["area_code", "period_end"], keep="last")
    for r in p9.itertuples():
        year = int(r.period_end[:4])
        what = f"ONS mid-{year} estimate (Table {r.table}, {r.edition} edition)"
        out.known.setdefault(r.area_code, {})[year + 0.5] = (float(r.count), what)
    if census is None or census.empty:
        return out
    forces = tidy.loc[tidy["area_kind"] == "force", ["area_code", "region_code"]]
    region_of = forces.drop_duplicates("area_code").set_index("area_code")["region_code"]
    totals: dict[str, float] = {}
    for code, people in census.items():
        totals[code] = float(people)
        region = region_of.get(code)
        parents = [region] if isinstance(region, str) else []
        parents += ["K04000001"] + (["E92000001"] if code.startswith("E") else ["W92000004"])
        for parent in dict.fromkeys(parents):
            totals[parent] = totals.get(parent, 0.0) + float(people)
    for code, people in totals.items():
        out.known.setdefault(code, {})[CENSUS_DAY] = (people, "Census 2021 usual residents")
    return out


def latest_values(tidy: pd.DataFrame, measure: str, offence: str) -> pd.DataFrame:
    """One row per area and window: the latest edition's value (revisions taken up).

    ``measure`` is one of the tidy ``measure`` values; rows without a count are skipped,
    so an edition that does not show a window leaves the earlier edition's value.
    """
    rows = tidy[(tidy["measure"] == measure) & (tidy["offence"] == offence)]
    value = "rate" if measure == "knife_rate" else "count"
    rows = rows[pd.to_numeric(rows[value], errors="coerce").notna()]
    # the edition's own table (P4) before its series table (P5) within an edition
    rows = rows.assign(_own=(rows["period_end"] == rows["edition_end"]).astype(int))
    rows = rows.sort_values(["edition_end", "_own"], kind="stable")
    keep = rows.drop_duplicates(["area_code", "period_start", "period_end"], keep="last")
    return keep.drop(columns="_own").sort_values(["area_code", "period_end"]).reset_index(drop=True)


def _knife_share(tidy: pd.DataFrame, offence: str) -> dict[tuple[str, str, str], float]:
    """(area, start, end) -> knife-involved count of ``offence`` from P4 (for homicide)."""
    got = latest_values(tidy, "knife_offences", offence)
    return {(r.area_code, r.period_start, r.period_end): float(r.count) for r in got.itertuples()}


@dataclass
class _Source:
    values: pd.DataFrame
    rates: dict[tuple[str, str, str], tuple[float, str]]
    knife: dict[tuple[str, str, str], float]


def _source(tidy: pd.DataFrame, measure_id: str) -> _Source:
    if measure_id == "knife_enabled_serious_violence":
        values = latest_values(tidy, "knife_offences", KNIFE_TOTAL)
        published = latest_values(tidy, "knife_rate", KNIFE_TOTAL)
        rates = {
            (r.area_code, r.period_start, r.period_end): (
                float(r.rate),
                f"published by ONS (Table {r.table}, {r.edition} edition)",
            )
            for r in published.itertuples()
        }
        return _Source(values, rates, {})
    if measure_id == "homicide":
        values = latest_values(tidy, "recorded_crime", HOMICIDE)
        return _Source(values, {}, _knife_share(tidy, HOMICIDE))
    raise ValueError(f"unknown measure {measure_id!r}")


def _point(
    src: _Source, pops: Populations, codes: list[str], start: str, end: str
) -> dict[str, Any] | None:
    """One window's point for the sum of ``codes`` (None unless every code has a value)."""
    rows = src.values[
        src.values["area_code"].isin(codes)
        & (src.values["period_start"] == start)
        & (src.values["period_end"] == end)
    ]
    if len(rows) != len(codes):
        return None
    count = float(rows["count"].sum())
    first = rows.iloc[0]
    coverage = first["coverage"] if isinstance(first["coverage"], str) else None
    partial = bool(coverage and "excluding" in coverage.lower())
    point: dict[str, Any] = {
        "period_start": start,
        "period_end": end,
        "label": period_label(start, end),
        "count": int(round(count)),
        "rate_per_100k": None,
        "rate_basis": None,
        "rate_provenance": None,
        "pct_involving_knife": None,
        "involving_knife": None,
        "edition": str(first["edition"]),
        "table": f"Table {first['table']}",
        "coverage": coverage,
        "provenance": "recorded",
    }
    if len(codes) == 1:
        pct = first["pct_knife"]
        point["pct_involving_knife"] = None if pd.isna(pct) else round(float(pct), 2)
    knife = [src.knife.get((c, start, end)) for c in codes]
    if src.knife and all(k is not None for k in knife):
        point["involving_knife"] = int(round(sum(knife)))  # type: ignore[arg-type]
    published = src.rates.get((codes[0], start, end)) if len(codes) == 1 else None
    if published:
        point.update(rate_per_100k=round(published[0], 1), rate_basis=published[1])
        point["rate_provenance"] = "recorded"
        return point
    year = mid_year(start, end)
    country = all(c[:3] in ("K04", "E92", "W92", "E12") for c in codes)
    got = [pops.at(c, year) for c in codes] if year is not None else [None]
    if any(g is None for g in got) or (partial and country):
        return point
    people = sum(g[0] for g in got)  # type: ignore[index]
    estimated = any(g[2] == "estimated" for g in got)  # type: ignore[index]
    point["rate_per_100k"] = round(count / people * 100_000, 1)
    point["rate_basis"] = "count / " + got[0][1]  # type: ignore[index]
    point["rate_provenance"] = "estimated" if estimated else "recorded"
    return point


def series(
    tidy: pd.DataFrame,
    pops: Populations,
    measure_id: str,
    areas: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per area: the non-overlapping years ending March as ``points`` and the ``latest``
    rolling year (with how many months it shares with the last point).

    ``areas`` are ``{"code", "name", "kind", "codes"}``: ``codes`` the force or area codes
    summed (one, except a VRU spanning several force areas).
    """
    src = _source(tidy, measure_id)
    out = []
    for area in areas:
        codes = list(area["codes"])
        windows = src.values.loc[
            src.values["area_code"] == codes[0], ["period_start", "period_end"]
        ].drop_duplicates()
        windows = sorted(map(tuple, windows.to_numpy()), key=lambda w: w[1])
        points = []
        for start, end in windows:
            if int(end[5:7]) == ANCHOR_MONTH and overlaps((start, end), (start, end)) == 12:
                p = _point(src, pops, codes, start, end)
                if p is not None:
                    points.append(p)
        latest = None
        for start, end in reversed(windows):
            latest = _point(src, pops, codes, start, end)
            if latest is not None:
                break
        if latest is not None:
            last = points[-1] if points else None
            shared = (
                overlaps(
                    (latest["period_start"], latest["period_end"]),
                    (last["period_start"], last["period_end"]),
                )
                if last
                else 0
            )
            latest["overlaps_months"] = shared
            latest["overlaps"] = last["label"] if shared and last else None
            if last and shared == 12:
                latest = None  # the latest window is the last point itself
        out.append(
            {**{k: area[k] for k in ("code", "name", "kind")}, "points": points, "latest": latest}
        )
    return out
