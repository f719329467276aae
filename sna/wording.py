"""Numbers in words for the public answer: counts with units, ranks as shares, intervals.

Every output that speaks to a resident (the map panel, the API's ``in_words``, the report)
takes its sentences from here, at build time, so the same number is never worded two ways and
the map page words nothing itself. The rules:

- a rank :math:`r` of :math:`n` (1 = highest) is worded by one share: in the top half, the
  smallest of 1, 2, 5, 10, 20, 30, 40 or 50% with fewer than that share of the region's areas
  above it ("among the top 5%"); in the lower half, the smallest share :math:`(n-r+1)/n` at
  or below it on the same steps ("among the lowest 10%"), "in the lower half" past 40%. These
  are the edges the bands and deciles use (:func:`sna.stats.ranking.quantile_groups`);
- the band (fifths of the region, highest first) is named in the same sentence as that share,
  and the two cannot disagree: "top 1-20%" is the Highest band, "lowest 1-20%" the Lowest;
- a rank interval :math:`[r_{lo}, r_{hi}]` (Monte Carlo, 90%) is worded by the shares of its
  ends ("likely among the top 5-20%"), collapsing to one share when both ends round alike;
- counts are rounded to two significant figures above 100 and to whole numbers below
  ("About 310", "About 64"), and a ratio to the regional average to one decimal place below
  10 and to a whole number above ("9 times");
- a count says what it is: *forecast* (the model), *recorded* (counted in police.uk street
  files, with the months) or *estimated* (from published rates, with source and period).
"""

from __future__ import annotations

import math

#: Violence risk is published to 0.1 offences a year, and ranked at that precision, so two
#: places a reader sees with the same forecast never carry different ranks or bands.
VIOLENCE_DECIMALS = 1

__all__ = [
    "VIOLENCE_DECIMALS",
    "about",
    "band_of_share",
    "interval_words",
    "share_words",
    "standing",
    "times_average",
    "top_share",
    "violence_summary",
    "recorded_words",
    "index_summary",
    "denominator_words",
    "BAND_SHARES",
]

_SHARES = (1, 2, 5, 10, 20, 30, 40, 50)

#: What each band is, in the words the standing sentence uses.
BAND_SHARES = {
    "Highest": "the top fifth",
    "High": "the second fifth",
    "Medium": "the middle fifth",
    "Low": "the fourth fifth",
    "Lowest": "the bottom fifth",
}

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

_SINGULAR = {"neighbourhoods": "neighbourhood", "wards": "ward", "districts": "district"}


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


def _step(share: float) -> int | None:
    for s in _SHARES:
        if share <= s + 1e-9:
            return s
    return None


def top_share(rank: int, n: int) -> int | None:
    """The smallest of 1, 2, 5, ... 50% that holds a rank, or ``None`` past the top half.

    A rank is in the top ``s``% when fewer than ``s``% of the areas rank above it,
    :math:`(r - 1) / n < s / 100`: the rule the bands and deciles use
    (:func:`sna.stats.ranking.quantile_groups`), so a share never crosses its band's edge.
    """
    if n <= 0 or rank is None:
        return None
    for s in _SHARES:
        if (rank - 1) * 100 < s * n:
            return s
    return None


def standing(rank: int, n: int) -> tuple[str, int] | None:
    """Where a rank stands, as ``("top", 5)``, ``("lowest", 10)`` or ``("lower half", 50)``."""
    if n <= 0 or rank is None:
        return None
    top = top_share(rank, n)
    if top is not None:
        return ("top", top)
    low = _step(100.0 * (n - rank + 1) / n)
    if low is None or low == 50:
        return ("lower half", 50)
    return ("lowest", low)


def band_of_share(where: tuple[str, int]) -> str:
    """The band (fifths, highest first) a worded share lies in: ``("top", 5)`` -> Highest."""
    side, s = where
    if side == "top":
        return "Highest" if s <= 20 else "High" if s <= 40 else "Medium"
    if side == "lower half":
        return "Medium"
    return "Lowest" if s <= 20 else "Low"


def _phrase(where: tuple[str, int]) -> str:
    side, s = where
    return "in the lower half" if side == "lower half" else f"among the {side} {s}%"


def share_words(rank: int, n: int, what: str = "neighbourhoods") -> str:
    """ "among the top 5% of the region's 1,719 neighbourhoods", "among the lowest 10% ..."."""
    where = standing(rank, n)
    if where is None:
        return f"not ranked among the region's {what}"
    return f"{_phrase(where)} of the region's {n:,} {what}"


def interval_words(
    lo: int | None, hi: int | None, n: int, level: float = 0.9, what: str = "neighbourhoods"
) -> str | None:
    """A rank interval as shares: "How sure: likely among the top 5-20% of the region's ..."."""
    if lo is None or hi is None or n <= 0:
        return None
    a, b = standing(lo, n), standing(hi, n)
    if a is None or b is None:
        return None
    tail = f" of the region's {n:,} {what} (in {round(100 * level)}% of simulations)."
    if a == b:
        return f"How sure: likely {_phrase(a)}" + tail
    if a[0] == b[0] == "top":
        return f"How sure: likely among the top {a[1]}-{b[1]}%" + tail
    if a[0] == b[0] == "lowest":
        return f"How sure: likely among the lowest {b[1]}-{a[1]}%" + tail
    return f"How sure: likely between {_end(a)} and {_end(b)}" + tail


def _end(where: tuple[str, int]) -> str:
    side, s = where
    return "the lower half" if side == "lower half" else f"the {side} {s}%"


def times_average(ratio: float | None) -> str | None:
    """ "9 times", "1.4 times", "0.8 times" (one decimal below 10)."""
    if ratio is None or not math.isfinite(ratio):
        return None
    return f"{ratio:.0f} times" if ratio >= 10 else f"{ratio:.1f} times"


def violence_summary(
    *,
    expected: float,
    interval: tuple[float, float] | None,
    ratio: float | None,
    region: str,
    what: str = "neighbourhoods",
) -> str:
    """The lead sentence: the forecast, its interval and its one comparison.

    "About 300 violent or sexual offences expected here in the next 12 months (forecast;
    likely 260 to 340), 9.0 times the average West Midlands neighbourhood."
    The comparison is per area (the rank is of the same count), never per resident.
    """
    head = f"About {about(expected)} violent or sexual offences expected here in the next 12 months"
    head += " (forecast"
    if interval is not None and None not in interval:
        head += f"; likely {about(interval[0])} to {about(interval[1])}"
    head += ")"
    times = times_average(ratio)
    if times:
        head += f", {times} the average {region} {_SINGULAR.get(what, what)}"
    return head + "."


def recorded_words(recorded: float | None, period: str | None, estimated: bool) -> str | None:
    """The past count the forecast starts from, with its provenance.

    Recorded: counted in police.uk street files, with the months. Estimated: from the
    published IoD2025 crime rates and the estimated at-risk population, not counted.
    """
    if recorded is None or not math.isfinite(recorded):
        return None
    when = f" ({period})" if period else ""
    if estimated:
        return (
            f"Estimated, not counted: about {about(recorded)} offences a year here{when}, from "
            "published IoD2025 crime rates and the people who live, work or study here (this "
            "region has no police.uk street files)."
        )
    return (
        f"Recorded: about {about(recorded)} offences a year here{when}, counted in police.uk "
        "street-level files."
    )


_INDEX_NOUNS = {
    "need": "for residents' risk factors (the needs index)",
    "risk": "for residents' risk factors",
    "protective": "for access to protective places (schools, libraries, places of worship)",
    "violence_risk": "for violence risk",
}


def index_summary(
    band: str | None, rank: int | None, n: int, kind: str = "need", what: str = "neighbourhoods"
) -> str | None:
    """The band and the share in one sentence, so they cannot disagree:
    "Highest of five bands (the top fifth) for ...: among the top 5% of the region's ..."."""
    if band is None or rank is None:
        return None
    noun = _INDEX_NOUNS.get(kind, f"for {kind}")
    share = BAND_SHARES.get(band, band)
    return f"{band} of five bands ({share}) {noun}: {share_words(rank, n, what)}."
