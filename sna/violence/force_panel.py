"""Every force with street files, as one panel: its LSOAs, their exposure and monthly counts.

The pooled violence model (:mod:`sna.violence.pooled`) and the per-force evaluations
(:mod:`sna.evaluation.forces`) read the same panel:

- ``lsoas``: one row per LSOA21 of each force area (LSOA21 → LTLA24 → police force area,
  the ONS lookups), with residents, the estimated at-risk population
  (:mod:`sna.needs.national_at_risk`), live large-user postcodes and the IoD2025 police recorded
  crime rates;
- ``counts``: recorded offences per force, month, crime type and LSOA21, from the police.uk
  archive engine (:mod:`geodata.archive`, DuckDB): repeated Crime IDs dropped, every row
  placed in its LSOA21 by the archive's documented rule (the file's LSOA code where it
  decides, the point otherwise). A force's counts keep only its own LSOAs.

The counts are :func:`sna.violence.street_counts.street_counts`, cached under
``<data_dir>/_shared/``
and keyed by the street files' checksums and the code, so the CSVs are parsed once; the views
with street files read the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata.deprivation import read_iod2025
from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.violence.street_counts import street_counts
from sna.violence.street_counts import street_folders as street_files

__all__ = ["ForcePanel", "force_slug", "force_panel", "street_files"]


@dataclass
class ForcePanel:
    """The LSOAs of every force with street files, and their recorded counts."""

    lsoas: pd.DataFrame
    counts: pd.DataFrame
    key: str

    @property
    def forces(self) -> list[str]:
        """Force ids (police.uk's own), sorted."""
        return sorted(self.lsoas["force"].unique())

    def months(self, force: str) -> list[str]:
        """The months with data of ``force`` (a missing month is absent, never zero)."""
        return sorted(self.counts.loc[self.counts["force"] == force, "month"].unique())

    def series(
        self, force: str, crime_type: str, months: tuple[str, str] | None = None
    ) -> pd.Series:
        """Offences of ``crime_type`` per LSOA of ``force`` (0 where none), over ``months``."""
        c = self.counts[(self.counts["force"] == force) & (self.counts["crime_type"] == crime_type)]
        if months is not None:
            c = c[(c["month"] >= months[0]) & (c["month"] <= months[1])]
        units = self.lsoas.loc[self.lsoas["force"] == force, "lsoa21_code"]
        return c.groupby("lsoa21_code")["count"].sum().reindex(units).fillna(0.0)


def force_slug(pfa_name: str) -> str:
    """police.uk's force id for an ONS police force area name.

    >>> force_slug("Avon and Somerset"), force_slug("London, City of")
    ('avon-and-somerset', 'city-of-london')
    >>> force_slug("Devon & Cornwall")
    'devon-and-cornwall'
    """
    name = pfa_name.replace("&", "and")
    if ", " in name:
        head, tail = name.split(", ", 1)
        name = f"{tail} {head}"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def force_panel(config: RegionConfig, shared_dir: Path, at_risk: pd.DataFrame) -> ForcePanel:
    """The panel of every force in ``pooled_from`` (module docstring); cached counts."""
    spec = config.violence_risk
    cached = street_counts(config, shared_dir)
    counts, key = cached.counts, cached.key

    ltla = pd.read_csv(config.source_path(spec.lsoa_ltla24_lookup), dtype=str)
    pfa = pd.read_csv(config.source_path(spec.force_lookup), dtype=str)
    pfa = pfa.drop_duplicates("ltla24_code")[["ltla24_code", "pfa24_code", "pfa24_name"]]
    lsoas = ltla[["lsoa21_code", "ltla24_code"]].merge(pfa, on="ltla24_code", how="inner")
    lsoas["force"] = lsoas["pfa24_name"].map(force_slug)
    lsoas = lsoas[lsoas["force"].isin(set(counts["force"]))]
    lsoas = lsoas.merge(
        at_risk[["lsoa21_code", "lsoa21_name", "residents", "large_user_postcodes", "at_risk_pop"]],
        on="lsoa21_code",
        how="inner",
    )
    iod = read_iod2025(
        config.source_path(config.sources.iod2025_scores.paths[0]),
        config.source_path(config.sources.iod2025_indicators.paths[0]),
    ).data.set_index("lsoa21_code")
    missing = [c for c in spec.iod_columns if c not in iod.columns]
    if missing:
        raise ConfigError(f"{config.id}: IoD2025 indicators have no column(s) {missing}")
    lsoas["iod_rate"] = lsoas["lsoa21_code"].map(iod[list(spec.iod_columns)].sum(axis=1))
    lsoas = lsoas.sort_values(["force", "lsoa21_code"], ignore_index=True)
    own = counts.merge(lsoas[["force", "lsoa21_code"]], on=["force", "lsoa21_code"])
    return ForcePanel(lsoas=lsoas, counts=own, key=key)
