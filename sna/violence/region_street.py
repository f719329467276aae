"""A region's own street-file counts: the forces of ``[region] street_files``, in its LSOAs.

A view of a national build whose force area has police.uk street files (``street_files =
["merseyside"]``) takes them from the archive's cached counts (:mod:`sna.violence.street_counts`),
the
table the pooled panel reads too: no second parse of the CSVs. The build fits violence risk
on them (:mod:`sna.build.violence`) and counts the monthly trend (:mod:`sna.needs.trends`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.violence.street_counts import street_counts

__all__ = ["PLACEMENT_RULE", "RegionStreet", "region_forces", "region_street", "region_trend"]


@dataclass
class RegionStreet:
    """A region's (a view's) street-file counts: its forces, in its LSOAs, and their months."""

    forces: list[str]
    counts: pd.DataFrame
    months: list[str]
    key: str
    #: the districts the counts cover, where the forces cover only part of the view
    #: (``[region] trend_files``); None when they cover all of it
    districts: list[str] | None = None

    def manifest(self) -> dict[str, object]:
        """What the build manifest says about where the counts came from."""
        covers = {"districts": self.districts} if self.districts is not None else {}
        return {
            "forces": self.forces,
            **covers,
            "months": self.months,
            "offences_in_region": int(self.counts["count"].sum()),
            "counted_by": "police.uk archive (geodata.archive), DuckDB engine",
            "cache": f"street-counts-{self.key}.parquet",
            "placement": PLACEMENT_RULE,
        }


PLACEMENT_RULE = (
    "repeated Crime IDs within a force and month dropped; LSOA21 = the file's LSOA code where "
    "it is an LSOA 2021 code, the 2021 code of a merged 2011 code (ONS LSOA11->LSOA21 lookup), "
    "the child of a split 2011 code whose polygon holds the point (else the nearest child), "
    "the polygon holding the point where a row has no code"
)


def region_forces(config: RegionConfig) -> list[str]:
    """The police.uk forces whose street files a view reads (``[region] street_files``)."""
    return list(getattr(config.region, "street_files", None) or [])


def region_street(config: RegionConfig, lsoas: pd.Index, shared_dir: Path) -> RegionStreet | None:
    """The cached counts of ``config``'s ``street_files`` forces in ``lsoas``; None without any.

    ``months`` are the months the forces have data (any LSOA, any crime type): a month missing
    from the files is absent, never a zero.
    """
    forces = region_forces(config)
    if not forces:
        return None
    return _counts_of(config, forces, lsoas, shared_dir)


def region_trend(
    config: RegionConfig, areas: pd.DataFrame, shared_dir: Path
) -> RegionStreet | None:
    """The counts of ``[region] trend_files``: forces whose files cover part of a view.

    Only the LSOAs of their districts are counted (``areas`` has ``lsoa21_code`` and
    ``district_code``), so a trend is published where the files cover it and nowhere else:
    an LSOA of another force has no trend rather than a run of zeros. None without any.
    """
    trend = dict(getattr(config.region, "trend_files", None) or {})
    if not trend:
        return None
    districts = sorted({d for ds in trend.values() for d in ds})
    lsoas = pd.Index(areas.loc[areas["district_code"].isin(districts), "lsoa21_code"])
    if lsoas.empty:
        raise ConfigError(
            f"{config.path or config.id}: region.trend_files: the districts {districts} have "
            "no LSOA in this region"
        )
    out = _counts_of(config, sorted(trend), lsoas, shared_dir, key="trend_files")
    out.districts = districts
    return out


def _counts_of(
    config: RegionConfig,
    forces: list[str],
    lsoas: pd.Index,
    shared_dir: Path,
    key: str = "street_files",
) -> RegionStreet:
    cached = street_counts(config, shared_dir)
    unknown = sorted(set(forces) - set(cached.forces))
    if unknown:
        raise ConfigError(
            f"{config.path or config.id}: region.{key}: {unknown} have no street files "
            f"in [violence_risk] pooled_from (forces there: {cached.forces})"
        )
    mine = cached.counts[cached.counts["force"].isin(forces)]
    months = sorted(mine["month"].unique())
    counts = mine[mine["lsoa21_code"].isin(lsoas)].reset_index(drop=True)
    return RegionStreet(sorted(forces), counts, months, cached.key)
