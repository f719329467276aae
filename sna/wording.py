"""Numbers in words for the public answer: counts with units, ranks as shares, intervals.

Every output that speaks to a resident (the map panel, the report, the static maps) takes
its sentences from here, so the same number is never worded two ways. The rules:

- a rank :math:`r` of :math:`n` is the share :math:`r/n` of the region's neighbourhoods at
  or above it, rounded *up* to the next of 1, 2, 5, 10, 20, 30, 40 or 50% ("among the top
  5%"); beyond the top half it is "in the lower half" - we never call a place "top 70%";
- a rank interval :math:`[r_{lo}, r_{hi}]` (Monte Carlo, 90%) is worded by the shares of its
  ends ("likely among the top 5-20%"), collapsing to one share when both ends round alike;
- counts are rounded to two significant figures above 100 and to whole numbers below
  ("About 310", "About 64"), and a ratio to the regional average to one decimal place below
  10 and to a whole number above ("9 times"), because the model cannot tell 9.3 from 9.4.
"""

from __future__ import annotations

import math

__all__ = [
    "about",
    "interval_words",
    "share_words",
    "times_average",
    "top_share",
    "violence_summary",
    "index_summary",
    "denominator_words",
]

_SHARES = (1, 2, 5, 10, 20, 30, 40, 50)

_DENOMINATORS = {
    "pop_total": "residents",
    "pop_0_15": "children aged 0-15",
    "pop_16_24": "residents aged 16-24",
    "pop_0_24": "residents aged 0-24",
    "pop_25_34": "residents aged 25-34",
    "pop_35_49": "residents aged 35-49",
    "pop_50_64": "residents aged 50-64",
    "pop_65_plus": "residents aged 65 and over",
}


def denominator_words(column: str) -> str:
    """The people a rate is per, in words (``pop_0_15`` -> "children aged 0-15")."""
    return _DENOMINATORS.get(column, column.replace("_", " "))


def about(count: float) -> str:
    """A count as a resident should read it: 2 significant figures above 100."""
    if count is None or not math.isfinite(count):
        return "an unknown number of"
    c = float(count)
    if abs(c) >= 100:
        digits = int(math.floor(math.log10(abs(c)))) - 1
        c = round(c, -digits)
    return f"{c:,.0f}"


def top_share(rank: int, n: int) -> int | None:
    """The smallest of 1, 2, 5, ... 50% that holds a rank, or ``None`` past the top half."""
    if n <= 0 or rank is None:
        return None
    share = 100.0 * rank / n
    for s in _SHARES:
        if share <= s + 1e-9:
            return s
    return None


def share_words(rank: int, n: int, what: str = "neighbourhoods") -> str:
    """ "among the top 5% of neighbourhoods in the region", or "in the lower half"."""
    s = top_share(rank, n)
    if s is None:
        return f"in the lower half of the region's {what}"
    return f"among the top {s}% of {what} in the region"


def interval_words(lo: int | None, hi: int | None, n: int) -> str | None:
    """A 90% rank interval as shares: "likely among the top 5-20%"."""
    if lo is None or hi is None or n <= 0:
        return None
    a, b = top_share(lo, n), top_share(hi, n)
    if a is None:
        return "likely in the lower half of the region"
    if b is None:
        return f"likely between the top {a}% and the lower half of the region"
    if a == b:
        return f"likely among the top {a}% of the region"
    return f"likely among the top {a}-{b}% of the region"


def times_average(ratio: float | None) -> str | None:
    """ "9 times", "1.4 times", "0.8 times" (one decimal below 10)."""
    if ratio is None or not math.isfinite(ratio):
        return None
    return f"{ratio:.0f} times" if ratio >= 10 else f"{ratio:.1f} times"


def violence_summary(
    *,
    expected: float,
    recorded: float | None,
    period: str | None,
    ratio_per_resident: float | None,
    rank: int | None,
    n: int,
    region: str,
    what: str = "neighbourhoods",
    estimated: bool = False,
) -> str:
    """The lead sentence of a public answer.

    "About 310 violent or sexual offences recorded a year (2022-24), 9 times the West
    Midlands average per resident; among the top 1% of neighbourhoods in the region. About
    300 are expected in the next 12 months."
    """
    parts = []
    if recorded is not None and math.isfinite(recorded):
        when = f" ({period})" if period else ""
        head = f"About {about(recorded)} violent or sexual offences recorded a year{when}"
        if estimated:  # no street files: published rates x the estimated at-risk population
            head = (
                f"About {about(recorded)} violent or sexual offences a year{when}, estimated "
                "from published IoD2025 rates and the people here (not counted)"
            )
    else:
        head = f"About {about(expected)} violent or sexual offences expected a year"
    times = times_average(ratio_per_resident)
    if times:
        head += f", {times} the {region} average per resident"
    parts.append(head)
    if rank is not None:
        parts.append(share_words(rank, n, what))
    sentence = "; ".join(parts) + "."
    if recorded is not None and math.isfinite(recorded):
        sentence += f" About {about(expected)} are expected in the next 12 months."
    return sentence


INDEX_WHAT = {
    "need": "for residents' risk factors",
    "risk": "for residents' risk factors",
    "protective": "for protective places within reach of homes (the more, the higher)",
}
"""What each index ranks, as its summary ends: the protective index ranks access, not risk."""


def index_summary(band: str | None, rank: int | None, n: int, index: str = "need") -> str | None:
    """An index in words: "Highest band of the five: among the top 10% of neighbourhoods
    in the region for residents' risk factors." (``index`` picks the ending,
    :data:`INDEX_WHAT`: the protective index is worded as access)."""
    if band is None or rank is None:
        return None
    return f"{band} band of the five: {share_words(rank, n)} {INDEX_WHAT[index]}."
