"""A VRU's own outcome measures: a CSV in the tidy shape of the ONS tables' reader.

A VRU with figures of its own (its analysts' knife crime among under-25s, say) names the file
in its region TOML (``[outcomes] measures``); docs/outcomes.md describes the columns.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .errors import InputFileError, MissingColumnsError, MissingFileError

__all__ = ["MEASURES_COLUMNS", "read_measures_file"]

MEASURES_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "period_start",
    "period_end",
    "measure",
    "offence",
    "count",
    "pct_knife",
    "rate",
)
"""A VRU's own measures file: the tidy shape, ``count``/``pct_knife``/``rate`` optional."""


def read_measures_file(path: str | Path) -> pd.DataFrame:
    """A VRU's own measures (CSV, :data:`MEASURES_COLUMNS`), checked line by line.

    ``period_start``/``period_end`` are ``YYYY-MM``; at least one of ``count`` and ``rate``
    per row. Errors name the file, line and column.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    required = ["area_code", "area_name", "period_start", "period_end", "measure"]
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise MissingColumnsError(path, absent, list(frame.columns))
    for c in ("offence", "count", "pct_knife", "rate"):
        if c not in frame.columns:
            frame[c] = ""
    out = []
    for i, r in enumerate(frame.to_dict("records"), start=1):
        for c in ("period_start", "period_end"):
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", r[c].strip()):
                raise InputFileError(path, f"{r[c]!r} is not a month YYYY-MM", row=i, column=c)
        values: dict[str, float | None] = {}
        for c in ("count", "pct_knife", "rate"):
            text = r[c].strip()
            try:
                values[c] = float(text) if text else None
            except ValueError:
                raise InputFileError(path, f"{text!r} is not a number", row=i, column=c) from None
        if values["count"] is None and values["rate"] is None:
            raise InputFileError(path, "neither a count nor a rate", row=i, column="count")
        if not r["measure"].strip():
            raise InputFileError(path, "no measure named", row=i, column="measure")
        out.append(
            {
                "area_code": r["area_code"].strip(),
                "area_name": r["area_name"].strip(),
                "period_start": r["period_start"].strip(),
                "period_end": r["period_end"].strip(),
                "measure": r["measure"].strip(),
                "offence": r["offence"].strip() or r["measure"].strip(),
                **values,
            }
        )
    return pd.DataFrame(out, columns=list(MEASURES_COLUMNS))
