"""Pieces shared by the synthetic partner stand-ins: seeding, LSOA inputs, postcodes, marking.

Every synthetic frame is drawn from ``numpy.random.default_rng(seed)`` (:func:`rng`), from an
LSOA frame checked by :func:`prepare_lsoa`, with home postcodes drawn by
:class:`PostcodePicker`; :func:`mark` adds the ``SYN-`` record ids, the ``synthetic`` column and
the ``attrs`` that say so, and :func:`insert_rows` scatters the injected defective rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._io import require_columns

__all__ = [
    "BAD_DATES",
    "seeded_rng",
    "prepare_lsoa",
    "pop_0_24",
    "PostcodePicker",
    "mark",
    "insert_rows",
]

#: Dates a partner extract might hold that no reader should accept.
BAD_DATES = ("2022-02-30", "31/12/2022", "2023-13-01", "not recorded")
_LIVE = {"live", "active", "current", "l"}


def seeded_rng(seed: int) -> np.random.Generator:
    if not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def prepare_lsoa(lsoa: pd.DataFrame, need: Sequence[str]) -> pd.DataFrame:
    require_columns(lsoa.columns, ["lsoa21_code", "district_code", *need], "lsoa frame")
    out = lsoa.drop_duplicates("lsoa21_code").sort_values("lsoa21_code").reset_index(drop=True)
    if out.empty:
        raise ValueError("lsoa frame has no rows")
    return out


def pop_0_24(lsoa: pd.DataFrame) -> np.ndarray:
    if "pop_0_24" in lsoa.columns:
        pop = lsoa["pop_0_24"]
    elif {"pop_0_15", "pop_16_24"} <= set(lsoa.columns):
        pop = lsoa["pop_0_15"] + lsoa["pop_16_24"]
    else:
        raise ValueError("lsoa frame needs pop_0_24, or pop_0_15 and pop_16_24")
    return np.clip(pd.to_numeric(pop, errors="coerce").fillna(0).to_numpy(float), 0, None)


class PostcodePicker:
    """Draw a live postcode inside a given LSOA (blank where the LSOA has none)."""

    def __init__(self, postcodes: pd.DataFrame, lsoa_codes: np.ndarray) -> None:
        require_columns(postcodes.columns, ["postcode", "lsoa21_code"], "postcodes frame")
        pcs = postcodes
        if "status" in pcs.columns:
            pcs = pcs[pcs["status"].astype("string").str.strip().str.lower().isin(_LIVE)]
        if "usertype" in pcs.columns:  # homes have small-user postcodes (ONS usertype 0)
            pcs = pcs[pd.to_numeric(pcs["usertype"], errors="coerce").fillna(0).to_numpy() == 0]
        pcs = pcs.dropna(subset=["postcode", "lsoa21_code"])
        pcs = pcs[pcs["lsoa21_code"].isin(lsoa_codes)].sort_values(["lsoa21_code", "postcode"])
        self.values = pcs["postcode"].astype(str).to_numpy()
        codes = pcs["lsoa21_code"].to_numpy()
        first = pd.Series(np.arange(len(codes))).groupby(codes).min()
        count = pd.Series(codes).value_counts()
        self.start = first.reindex(lsoa_codes).fillna(0).to_numpy(int)
        self.count = count.reindex(lsoa_codes).fillna(0).to_numpy(int)
        self.lsoa_without = int((self.count == 0).sum())

    def pick(self, lsoa_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = rng.random(len(lsoa_idx))
        n = self.count[lsoa_idx]
        pos = self.start[lsoa_idx] + np.floor(u * np.maximum(n, 1)).astype(int)
        out = np.full(len(lsoa_idx), "", dtype=object)
        has = n > 0
        out[has] = self.values[pos[has]]
        return out


def mark(frame: pd.DataFrame, prefix: str, attrs: dict[str, Any]) -> pd.DataFrame:
    frame.insert(0, "record_id", [f"SYN-{prefix}-{i:06d}" for i in range(1, len(frame) + 1)])
    frame["synthetic"] = True
    frame.attrs.update(attrs)
    frame.attrs["synthetic"] = True
    return frame


def insert_rows(good: pd.DataFrame, bad: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Put ``bad`` rows at random positions among ``good`` rows (order otherwise kept)."""
    if bad.empty:
        return good.reset_index(drop=True)
    keys = np.concatenate([np.arange(len(good)), rng.uniform(0, len(good), len(bad))])
    both = pd.concat([good, bad], ignore_index=True)
    return both.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)
