"""JSON-safe scalars and byte joins shared by the answer writers (no pandas NaN leaks out)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd

__all__ = ["num", "to_int", "to_str", "dumps", "inner", "num_list", "int_list", "is_na", "wrap"]


def num(x: Any, nd: int = 4) -> float | None:
    """A JSON-safe rounded float (None for missing or non-finite)."""
    if x is None or x is pd.NA:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(f):
        return None
    return round(f, nd)


def to_int(x: Any) -> int | None:
    """A JSON-safe rounded int (None for missing)."""
    f = num(x, 6)
    return None if f is None else int(round(f))


def to_str(x: Any) -> str | None:
    """A string, or None for missing (None, NA, NaN)."""
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return None
    return str(x)


def is_na(v: Any) -> bool:
    """Whether ``v`` is a missing value (None, NA or a non-finite float)."""
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and not np.isfinite(v)


def dumps(obj: Any) -> bytes:
    """orjson bytes (non-string keys allowed)."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)


def inner(obj: Any) -> bytes:
    """orjson bytes of a dict without its outer braces, for joining fragments."""
    return dumps(obj)[1:-1]


def wrap(body: dict[str, Any], tail: bytes) -> bytes:
    """``body`` and the build's shared ``tail`` fragment as one JSON object."""
    return b"{" + inner(body) + b"," + tail + b"}"


def num_list(values: np.ndarray, nd: int = 4) -> list[float | None]:
    """Rounded floats as a list, None where missing (vectorised :func:`num`)."""
    arr = np.round(np.asarray(values, dtype=float), nd)
    out: list[float | None] = arr.tolist()
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    return out


def int_list(values: np.ndarray) -> list[int | None]:
    """Rounded ints as a list, None where missing."""
    arr = np.asarray(values, dtype=float)
    good = np.isfinite(arr)
    out: list[int | None] = [None] * len(arr)
    for i, v in zip(
        np.flatnonzero(good).tolist(), np.round(arr[good]).astype(int).tolist(), strict=True
    ):
        out[i] = v
    return out
