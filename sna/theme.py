"""The one theme table: the five bands every output colours and labels places by.

The public map (``api/static/app.js``, which reads :func:`web_theme` from the page's embedded
config), the static HTML maps and the printed maps (:mod:`maps._themes`) all draw a band
with these colours and these labels, so a place that is "High" on the web is the same
orange, with the same words, on paper. The bands themselves are the build's
(:func:`sna.stats.ranking.bands`: equal fifths of the region's neighbourhoods, highest first);
this module only says how they look.

Pure Python on purpose: the server imports it and never imports pandas.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "BANDS",
    "BAND_COLOURS",
    "BAND_PLACES",
    "BAND_NOTE",
    "NO_DATA",
    "Palette",
    "band_label",
    "band_legend",
    "web_theme",
]

BANDS: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
"""Band labels, highest first (the same as :data:`sna.stats.ranking.BAND_LABELS`; a test says
so)."""

Palette = Literal["risk", "protective"]

BAND_COLOURS: dict[str, dict[str, str]] = {
    # ColorBrewer YlOrRd (5 classes): violence risk, the needs index, risk, the levels
    "risk": {
        "Highest": "#bd0026",
        "High": "#f03b20",
        "Medium": "#fd8d3c",
        "Low": "#fecc5c",
        "Lowest": "#ffffb2",
    },
    # ColorBrewer Greens (5 classes): protective access
    "protective": {
        "Highest": "#006d2c",
        "High": "#31a354",
        "Medium": "#74c476",
        "Low": "#bae4b3",
        "Lowest": "#edf8e9",
    },
}
"""Fill colour of each band, per palette."""

BAND_PLACES: dict[str, str] = {
    "Highest": "top fifth",
    "High": "fifth 2 of 5",
    "Medium": "fifth 3 of 5",
    "Low": "fifth 4 of 5",
    "Lowest": "bottom fifth",
}
"""Where each band sits among the region's neighbourhoods, in words."""

BAND_NOTE = "Bands are fifths of the region's neighbourhoods (LSOAs), ranked highest first"
"""The sentence under every band legend."""

NO_DATA = "#cfd5dd"
"""Fill of a place with no band (no value)."""


def band_label(band: str) -> str:
    """A legend row's words: ``Highest (top fifth)``.

    >>> band_label("High")
    'High (fifth 2 of 5)'
    """
    return f"{band} ({BAND_PLACES[band]})"


def band_legend(palette: Palette = "risk") -> list[tuple[str, str]]:
    """``(colour, label)`` legend rows, highest band first."""
    colours = BAND_COLOURS[palette]
    return [(colours[b], band_label(b)) for b in BANDS]


def web_theme() -> dict[str, Any]:
    """The table as the public map reads it (embedded in ``/`` as JSON)."""
    return {
        "bands": list(BANDS),
        "colours": {k: dict(v) for k, v in BAND_COLOURS.items()},
        "labels": {b: band_label(b) for b in BANDS},
        "places": dict(BAND_PLACES),
        "note": BAND_NOTE,
        "noData": NO_DATA,
    }
