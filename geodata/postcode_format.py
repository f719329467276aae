"""Postcode text: the UK format, normalising free text to the ``pcds`` form, and ``pcd7``.

``pcds`` is upper case with one space before the 3-character inward code (``"B1 1AY"``);
``pcd7`` left-justifies the outward code to 4 characters (``"B1  1AY"``). A strict check uses
the UK Government Data Standards pattern; a loose one (:data:`POSTCODE_SHAPE`) also admits the
retired formats ONS still lists as terminated postcodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import GeodataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "POSTCODE_PATTERN",
    "POSTCODE_SHAPE",
    "InvalidPostcodeError",
    "normalise_postcode",
    "normalise_postcodes",
    "to_pcd7",
    "is_valid_postcode",
]

#: The UK Government Data Standards postcode pattern (``pcds`` form, one space), incl. GIR 0AA.
POSTCODE_PATTERN = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)
#: A looser shape that also admits retired formats still listed as terminated postcodes by
#: ONS (e.g. ``NPT 0AD`` for old Newport, ``W1M 0JL`` for retired London districts).
POSTCODE_SHAPE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?|[A-Z]{3}) [0-9][A-Z]{2}$")


class InvalidPostcodeError(GeodataError, ValueError):
    """The text is not a well-formed UK postcode (a ``ValueError``; the API answers 422)."""


# --------------------------------------------------------------------------- normalisation


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def normalise_postcode(text: str, *, strict: bool = True) -> str:
    """Return the ``pcds`` form of a postcode: upper case, one space before the inward code.

    Parameters
    ----------
    text
        Free text such as ``"b11aa"``, ``" B1  1AA "`` or ``"b1 1aa"``.
    strict
        Check against :data:`POSTCODE_PATTERN` (the current UK format). With ``False`` the
        looser :data:`POSTCODE_SHAPE` is used, which also admits retired formats that ONS still
        lists as terminated postcodes (``NPT 0AD``, ``W1M 0JL``).

    Returns
    -------
    str
        E.g. ``"B1 1AA"``.

    Raises
    ------
    InvalidPostcodeError
        A ``ValueError`` naming the text, when it is not a postcode.

    Examples
    --------
    >>> normalise_postcode("b11aa")
    'B1 1AA'
    >>> normalise_postcode("  ab10   1ab ")
    'AB10 1AB'
    """
    if not isinstance(text, str):
        raise InvalidPostcodeError(f"postcode must be text, got {type(text).__name__}")
    compact = _compact(text)
    if not 5 <= len(compact) <= 7:
        raise InvalidPostcodeError(
            f"{text!r} is not a valid UK postcode: expected 5 to 7 letters and digits "
            f"(e.g. 'B1 1AA'), got {len(compact)}"
        )
    pcds = f"{compact[:-3]} {compact[-3:]}"
    pattern = POSTCODE_PATTERN if strict else POSTCODE_SHAPE
    if not pattern.match(pcds):
        raise InvalidPostcodeError(
            f"{text!r} is not a valid UK postcode (expected an outward code such as 'B1' or "
            f"'CV10' then an inward code such as '1AA')"
        )
    return pcds


def is_valid_postcode(text: object, *, strict: bool = True) -> bool:
    """Whether ``text`` normalises to a well-formed UK postcode (see :func:`normalise_postcode`).

    >>> is_valid_postcode("gir0aa"), is_valid_postcode("B1 1AAA"), is_valid_postcode(None)
    (True, False, False)
    """
    if not isinstance(text, str):
        return False
    try:
        normalise_postcode(text, strict=strict)
    except InvalidPostcodeError:
        return False
    return True


def to_pcd7(pcds: str) -> str:
    """The 7-character ``pcd7`` form: outward code left-justified to 4, then the inward code.

    >>> to_pcd7("B1 1AA"), to_pcd7("AB10 1AB"), to_pcd7("b11aa")
    ('B1  1AA', 'AB101AB', 'B1  1AA')
    """
    compact = _compact(normalise_postcode(pcds, strict=False))
    return compact[:-3].ljust(4) + compact[-3:]


def normalise_postcodes(
    values: pd.Series | Iterable[str], *, strict: bool = True, errors: str = "coerce"
) -> pd.Series:
    """Vectorised :func:`normalise_postcode` over a Series.

    Parameters
    ----------
    values
        Postcode text (any case and spacing); missing values stay missing.
    strict
        As in :func:`normalise_postcode`.
    errors
        ``"coerce"`` (default): malformed postcodes become ``<NA>``. ``"raise"``: raise
        :class:`InvalidPostcodeError` naming the first malformed value and its position.

    Returns
    -------
    pandas.Series
        ``pcds`` forms, same index as the input, string dtype.
    """
    import numpy as np  # here, not at the top: the server normalises one postcode at a time
    import pandas as pd

    if errors not in {"coerce", "raise"}:
        raise ValueError(f"errors must be 'coerce' or 'raise', got {errors!r}")
    s = values if isinstance(values, pd.Series) else pd.Series(list(values))
    s = s.astype("string")
    compact = s.str.replace(r"\s+", "", regex=True).str.upper()
    out = compact.str[:-3] + " " + compact.str[-3:]
    pattern = POSTCODE_PATTERN if strict else POSTCODE_SHAPE
    ok = out.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
    bad = s.notna() & ~ok
    if errors == "raise" and bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidPostcodeError(
            f"{s.iloc[pos]!r} (position {pos}) is not a valid UK postcode "
            f"({int(bad.sum())} malformed in all)"
        )
    return out.where(ok, pd.NA)
