"""The one row check: stop at the first bad row of a column, naming the file, line and value.

Loaders compute a boolean mask of bad rows (pandas, numpy or pyarrow) and call
:func:`check_rows`, which raises :class:`~geodata.errors.InvalidValueError` at the first bad
row. The error reports the row as :class:`~geodata.errors.InputFileError` does: for a text
file its **line** (data row + 1, line 1 being the header), for other files the row.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from os import PathLike
from typing import Any

import numpy as np

from .errors import InvalidValueError

__all__ = ["first_bad_row", "check_rows", "check_names"]


def _as_bool(mask: Any) -> np.ndarray:
    """A numpy bool array from a pandas/numpy/pyarrow mask (missing counts as not bad)."""
    if hasattr(mask, "fill_null"):  # pyarrow Array / ChunkedArray
        mask = mask.fill_null(False).to_numpy(zero_copy_only=False)
    elif hasattr(mask, "fillna"):  # pandas Series / Index
        mask = mask.fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def first_bad_row(mask: Any) -> int | None:
    """0-based position of the first True in ``mask``, or None when every row is good."""
    bad = _as_bool(mask)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if len(hits) else None


def check_rows(
    mask: Any,
    path: str | PathLike[str],
    problem: str | Callable[[int], str],
    *,
    column: str | None = None,
    rows: Any = None,
) -> None:
    """Raise :class:`InvalidValueError` at the first row where ``mask`` is True.

    Parameters
    ----------
    mask
        True for a bad row (pandas Series, numpy array or pyarrow array; missing = good).
    path
        The file (or ``archive.zip!member``) named in the message.
    problem
        The message, or a function of the bad row's 0-based position that words it (so it
        can quote the value: ``lambda i: f"{values.iloc[i]!r} is not a number"``).
    column
        The source column named in the message.
    rows
        The 1-based data row of each position, when rows were dropped or filtered before the
        check (a sequence, Series or pyarrow array); by default position ``i`` is row ``i + 1``.
    """
    i = first_bad_row(mask)
    if i is None:
        return
    if rows is None:
        row = i + 1
    elif hasattr(rows, "to_pylist"):  # pyarrow
        row = int(rows[i].as_py())
    elif hasattr(rows, "iloc"):
        row = int(rows.iloc[i])
    else:
        row = int(rows[i])
    text = problem(i) if callable(problem) else problem
    raise InvalidValueError(path, text, row=row, column=column)


def check_names(requested: Iterable[str], available: Iterable[str], what: str) -> list[str]:
    """Return ``requested`` as a list, or raise ValueError naming unknown ones with hints."""
    req = [requested] if isinstance(requested, str) else list(requested)
    have = sorted(set(available))
    unknown = [n for n in req if n not in have]
    if unknown:
        hints = {n: difflib.get_close_matches(n, have, n=3) for n in unknown}
        raise ValueError(f"unknown {what} {unknown}; closest names in the file: {hints}")
    return req
