"""What a build reads and scores first: the store's tables, the layer inputs, the shrinkage
parents, and the scores of a region whose violence model is carried over.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sna.config.region import RegionConfig, ScoringSpec
from sna.needs.layers import LayerData
from sna.needs.partner_layers import scored_layers
from sna.needs.scoring import LayerInput, score_layers
from sna.needs.trends import monthly_from_counts, trend_tables
from sna.prepare.pipeline import prepare_region
from sna.prepare.store import Store
from sna.violence.region_street import RegionStreet

__all__ = ["load_tables", "load_trend_tables", "layer_inputs", "shrinkage_parents", "region_scores"]


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


SOURCE_SCORES: dict[tuple[str, str], tuple] = {}


def region_scores(config: RegionConfig, data_dir: Path | None) -> tuple:
    """Tables, areas, normalised layer scores and synthetic ids of another region.

    Used to fit the violence model of a region whose coefficients are carried over. Kept in
    memory by the store's cache key and the config, so repeated builds in one process (tests,
    notebooks) compute them once.
    """
    prepare_region(config, data_dir=data_dir)
    store = Store(config.id, data_dir)
    key = (store.manifest()["cache_key"], config.fingerprint())
    if key not in SOURCE_SCORES:
        SOURCE_SCORES.clear()  # one source region at a time is enough
        SOURCE_SCORES[key] = _compute_region_scores(config, store)
    return SOURCE_SCORES[key]


def _compute_region_scores(config: RegionConfig, store: Store) -> tuple:
    areas = store.read("lsoa21")
    postcodes = store.read("postcodes")
    tables = load_tables(store, config)
    live = postcodes[postcodes["status"] == "live"]
    layers, _, _ = scored_layers(
        config.layers, tables, areas, live, config.scoring.disclosure_threshold
    )
    scored = score_layers(
        layer_inputs(layers), config.scoring, shrinkage_parents(areas, config.scoring)
    )
    return tables, areas, scored.scores, {d.spec.id for d in layers if d.synthetic}
