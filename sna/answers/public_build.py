"""The public view of a build: what every navigator's output (priority lists, static and
printed maps, the report) reads, so partner counts and exact partner rates never reach them.

:func:`load_public_build` opens a build through the one reader
(:func:`sna.builds.registry.open_build`)
and returns a :class:`PublicBuild`: the manifest, the layer specs and the LSOA table after
:func:`sna.disclosure.public_tables.public_lsoa_table`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sna.config.region import LEVELS, LayerSpec
from sna.errors import StoreError
from sna.needs.drivers import driver_text

__all__ = [
    "PublicBuild",
    "PUBLIC_POSTCODE_COLUMNS",
]

log = logging.getLogger(__name__)

PUBLIC_POSTCODE_COLUMNS = (
    "postcode",
    "status",
    "lsoa21_code",
    "ward_code",
    "district_code",
    "easting",
    "northing",
)
"""Postcode columns the public outputs read (no partner-derived ``local_*`` values)."""


@dataclass
class PublicBuild:
    """A build as the public may see it: manifest, layer specs and the public LSOA table.

    Attributes
    ----------
    path : Path
        The build folder (``<data_dir>/<region>/builds/<build_id>``).
    manifest : dict
        ``manifest.json`` (see docs/build-format.md).
    specs : list of LayerSpec
        The layers, in manifest order.
    lsoa : geopandas.GeoDataFrame
        ``lsoa.parquet`` after :func:`sna.disclosure.public_tables.public_lsoa_table` (EPSG:27700):
        partner
        counts, unshrunk partner rates and exact partner values are already removed.
    data_dir : Path or None
        The data directory the build was found in (for the store beside it).
    """

    path: Path
    manifest: dict[str, Any]
    specs: list[LayerSpec]
    lsoa: gpd.GeoDataFrame
    data_dir: Path | None = None
    _assets: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        """Region id, e.g. ``west-midlands``."""
        return str(self.manifest["region"])

    @property
    def region_name(self) -> str:
        """Display name, e.g. ``West Midlands``."""
        return str(self.manifest.get("region_name") or self.region)

    @property
    def build_id(self) -> str:
        """The build's id (a UTC timestamp)."""
        return str(self.manifest["build_id"])

    @property
    def titles(self) -> dict[str, str]:
        """Layer id -> title."""
        return {s.id: s.title for s in self.specs}

    @property
    def protective_layers(self) -> set[str]:
        """Ids of the protective layers."""
        return {s.id for s in self.specs if s.kind == "protective"}

    def driver_words(self, drivers: str | list | None, sep: str = "; ") -> str:
        """What raises one LSOA's need, in words: the layers of its ``drivers``
        (``[[layer_id, contribution], ...]``) that raise need, each worded as the API's
        answers word it (:func:`sna.needs.drivers.driver_text`), joined by ``sep``.
        """
        if drivers is None or (isinstance(drivers, float) and np.isnan(drivers)):
            items = []
        else:
            items = json.loads(drivers) if isinstance(drivers, str) else list(drivers)
        kinds = {s.id: s.kind for s in self.specs}
        titles, synthetic = self.titles, set(self.synthetic_layers)
        words = [
            driver_text(
                titles.get(lid, lid),
                float(c),
                kind=kinds.get(lid, "risk"),
                synthetic=lid in synthetic,
            )
            for lid, c in items
            if float(c) > 0
        ]
        return sep.join(words) or "no layer raises need above average"

    @property
    def synthetic_layers(self) -> list[str]:
        """Ids of the layers built from synthetic stand-in data."""
        return list(self.manifest.get("synthetic_layers") or [])

    @property
    def synthetic(self) -> bool:
        """True when any layer of the build uses synthetic data."""
        return bool(self.manifest.get("synthetic") or self.synthetic_layers)

    @property
    def need_is_risk(self) -> bool:
        """True when the needs index is the risk index: the build subtracts no protective
        access (``[scoring] need_lambda = 0``, the shipped regions' choice), so need = risk."""
        scoring = (self.manifest.get("config") or {}).get("scoring") or {}
        return float(scoring.get("need_lambda", 0.0)) == 0.0

    @property
    def violence_estimated(self) -> bool:
        """True when last year's violence is estimated from published rates (the region has
        no street-level files), not counted in police.uk files."""
        return bool((self.manifest.get("violence_model") or {}).get("carried_over_from"))

    @property
    def levels(self) -> list[str]:
        """Socio-ecological levels with a ``level_<level>`` column, in the canonical order."""
        return [lv for lv in LEVELS if f"level_{lv}" in self.lsoa.columns]

    @property
    def districts(self) -> pd.DataFrame:
        """``district_code``, ``district_name`` of the build, in order of first appearance."""
        return (
            self.lsoa[["district_code", "district_name"]]
            .drop_duplicates("district_code")
            .reset_index(drop=True)
        )

    def postcodes(self, columns: tuple[str, ...] = PUBLIC_POSTCODE_COLUMNS) -> pd.DataFrame:
        """The build's postcodes, reading only the named (public) columns."""
        import pyarrow.parquet as pq

        path = self.path / "postcodes.parquet"
        have = set(pq.read_schema(path).names)
        cols = [c for c in columns if c in have]
        return pd.read_parquet(path, columns=cols)

    def sensitivity(self) -> pd.DataFrame | None:
        """``sensitivity.csv``, or None when the build has none."""
        path = self.path / "sensitivity.csv"
        return pd.read_csv(path) if path.exists() else None

    def assets(self) -> gpd.GeoDataFrame | None:
        """The store's ``assets`` points (EPSG:27700), or None when the store has none."""
        if self._assets is None:
            from sna.prepare.store import Store

            store = Store(self.region, self.data_dir)
            try:
                if not store.has("assets"):
                    log.warning("store of %s has no assets table", self.region)
                    return None
                frame = store.read("assets")
            except StoreError as exc:
                log.warning("no store for %s: %s", self.region, exc)
                return None
            if not isinstance(frame, gpd.GeoDataFrame):
                frame = gpd.GeoDataFrame(
                    frame,
                    geometry=gpd.points_from_xy(frame["easting"], frame["northing"]),
                    crs="EPSG:27700",
                )
            self._assets = frame
        return self._assets
