"""What a build reads and scores first: the store's tables, the layer inputs and the shrinkage
parents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna.config.region import RegionConfig, ScoringSpec
from sna.needs.layers import LayerData
from sna.needs.scoring import LayerInput
from sna.needs.trends import monthly_from_counts, trend_tables
from sna.prepare.store import Store
from sna.violence.region_street import RegionStreet

__all__ = ["load_tables", "load_trend_tables", "layer_inputs", "shrinkage_parents"]


# --- layer inputs ------------------------------------------------------------------------


def load_tables(store: Store, config: RegionConfig) -> dict[str, pd.DataFrame]:
    """The store tables the layers read, and those the violence model reads."""
    names = {layer.table for layer in config.layers} | {"crime_points", "iod2025"}
    return {n: store.read(n) for n in sorted(names) if store.has(n)}


def load_trend_tables(
    store: Store,
    tables: dict[str, pd.DataFrame],
    areas: pd.DataFrame,
    street: RegionStreet | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly recorded violence and IoD decile changes per area (:mod:`sna.needs.trends`); a
    view with street files counts its months from the archive's counts (``street``: its
    ``street_files``, or its ``trend_files`` over the districts they cover)."""
    iod2019 = store.read("iod2019_lsoa21") if store.has("iod2019_lsoa21") else None
    monthly, iod = trend_tables(tables.get("crime_points"), areas, iod2019, tables.get("iod2025"))
    if street is not None and monthly.empty:
        covered = areas
        if street.districts is not None:  # files of part of the view: their LSOAs only
            covered = areas[areas["district_code"].isin(street.districts)]
        monthly = monthly_from_counts(street.counts, covered, street.months)
    return monthly, iod


def layer_inputs(layers: list[LayerData]) -> list[LayerInput]:
    """The scoring model's inputs, one per computed layer."""
    return [d.to_input() for d in layers]


def shrinkage_parents(areas: pd.DataFrame, scoring: ScoringSpec) -> np.ndarray:
    """Each LSOA's parent area for shrinkage: its MSOA or its district (``shrink_parent``)."""
    col = "msoa21_name" if scoring.shrink_parent == "msoa" else "district_code"
    return areas[col].astype(str).to_numpy()
