"""The trend of an area in words: the monthly series (or why there is none) and the IoD
decile change, worded once at build time for the map page and the API."""

from __future__ import annotations

import calendar
from typing import Any

__all__ = ["trend_words"]

_IOD = (("crime_decile", "Crime domain"), ("imd_decile", "Overall deprivation (IMD)"))


def _month(ym: str) -> str:
    year, mon = str(ym).split("-")[:2]
    return f"{calendar.month_abbr[int(mon)]} {year}"


def trend_words(trend: dict[str, Any], region_name: str, estimated: bool) -> dict[str, Any]:
    """``in_words`` of a trend answer: ``monthly`` (a sentence about the series, or the reason
    there is none) and ``iod`` (one sentence per IoD domain with deciles)."""
    m = trend.get("monthly")
    if m and m.get("counts"):
        counts = m["counts"]
        monthly = (
            f"{m['offence']} recorded each month, {_month(m['months'][0])} to "
            f"{_month(m['months'][-1])}: {sum(counts):,} in all, at most {max(counts):,} in a "
            f"month (counted in {m['source']} files)."
        )
    else:
        monthly = (
            f"No monthly series: this build of {region_name} has no police.uk street-level "
            "files, so offences here were not counted month by month"
            + (
                " (the yearly forecast starts from offences estimated from published rates)."
                if estimated
                else "."
            )
        )
    lines = []
    iod = trend.get("iod") or {}
    for key, title in _IOD:
        d = iod.get(key) or {}
        a, b = d.get("2019"), d.get("2025")
        if a is None and b is None:
            continue
        change = ""
        if a is not None and b is not None:
            change = (
                "unchanged"
                if a == b
                else "more deprived than in 2019"
                if b < a
                else "less deprived than in 2019"
            )
        lines.append(
            f"{title}: decile {'–' if a is None else a} in IoD2019, {'–' if b is None else b} "
            f"in IoD2025" + (f" ({change})" if change else "")
        )
    note = "Deciles of England's neighbourhoods: 1 = the most deprived 10%." if lines else None
    return {"monthly": monthly, "iod": lines, "iod_note": note}
