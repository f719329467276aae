"""A view's national ranks: where its LSOAs stand in the nation, read from the national build.

A VRU view is built on its own (its ranks are regional); beside them it publishes the
national rank and decile of each LSOA, taken from the national build when that is published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sna.builds.registry import current_build
from sna.config.region import RegionConfig, load_region
from sna.errors import BuildNotFound

__all__ = ["NATIONAL_COLUMNS", "national_ranks"]


NATIONAL_COLUMNS = ("violence_risk", "need", "risk", "protective")
"""Indices whose national rank and decile a view publishes beside its regional ones."""


def national_ranks(
    config: RegionConfig, lsoa_codes: pd.Series, data_dir: Path | None = None
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """National ranks and deciles of a view's LSOAs, from the national build, if published.

    Returns a frame aligned with ``lsoa_codes`` with ``<k>_national_rank`` and
    ``<k>_national_decile`` (1 = highest in the nation), and a note for the manifest. A view
    whose national build is not published yet gets ``None`` and a note saying so.
    """
    nation = config.region.view_of
    national_id = load_region(nation).id
    try:
        folder = current_build(national_id, data_dir)
    except BuildNotFound:
        return None, {"national": national_id, "note": "national build not published yet"}
    cols = [f"{k}_{x}" for k in NATIONAL_COLUMNS for x in ("rank", "decile")]

    path = folder / "lsoa.parquet"
    have = [c for c in cols if c in pq.read_schema(path).names]  # only the rank columns
    nat = pd.read_parquet(path, columns=["lsoa21_code", *have])
    n_national = int(len(nat))
    nat = nat.set_index("lsoa21_code")[have].reindex(lsoa_codes.to_numpy())
    nat.columns = [
        c.replace("_rank", "_national_rank").replace("_decile", "_national_decile") for c in have
    ]
    note = {"national": national_id, "build_id": folder.name, "of": n_national}
    return nat.reset_index(drop=True), note
