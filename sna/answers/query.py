"""Postcode text from a request: a full postcode (normalised) or the start of one."""

from __future__ import annotations

import re
from functools import cache

from geodata.postcode_format import InvalidPostcodeError, normalise_postcode
from sna.errors import InvalidPostcode

__all__ = ["clean_query", "normalise", "to_grid"]

_QUERY = re.compile(r"^[A-Z0-9 ]{1,8}$")


def clean_query(q: str) -> str:
    """Upper-case a postcode prefix, one space at most (``InvalidPostcode`` if not postcode-like).

    A space marks the end of the outward code, so ``"b1 1"`` matches ``B1 1AA`` but not
    ``B11 1AA``, while ``"b11"`` matches both.

    >>> clean_query(" b1   1")
    'B1 1'
    """
    text = re.sub(r"\s+", " ", str(q)).strip().upper()
    if not text or not _QUERY.match(text) or text.count(" ") > 1:
        raise InvalidPostcode(
            f"{q!r} is not the start of a postcode: use 1 to 8 letters and digits, "
            "with at most one space"
        )
    return text


def normalise(text: str) -> str:
    """``B1 1AA`` from any case and spacing (:class:`~sna.errors.InvalidPostcode` saying why)."""
    try:
        return normalise_postcode(text, strict=False)
    except InvalidPostcode:
        raise
    except InvalidPostcodeError as exc:
        raise InvalidPostcode(str(exc)) from exc


@cache
def _to_bng():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_grid(longitude: float, latitude: float) -> tuple[float, float]:
    """WGS84 longitude and latitude to British National Grid metres."""
    return _to_bng().transform(float(longitude), float(latitude))
