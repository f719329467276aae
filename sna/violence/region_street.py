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

__all__ = ["PLACEMENT_RULE", "RegionStreet", "region_forces", "region_street"]


@dataclass
class RegionStreet:
    """A region's (a view's) street-file counts: its forces, in its LSOAs, and their months."""

    forces: list[str]
    counts: pd.DataFrame
    months: list[str]
    key: str

    def manifest(self) -> dict[str, object]:
        """What the build manifest says about where the counts came from."""
        return {
            "forces": self.forces,
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
    cached = street_counts(config, shared_dir)
    unknown = sorted(set(forces) - set(cached.forces))
    if unknown:
        raise ConfigError(
            f"{config.path or config.id}: region.street_files: {unknown} have no street files "
            f"in [violence_risk] pooled_from (forces there: {cached.forces})"
        )
    mine = cached.counts[cached.counts["force"].isin(forces)]
    months = sorted(mine["month"].unique())
    counts = mine[mine["lsoa21_code"].isin(lsoas)].reset_index(drop=True)
    return RegionStreet(sorted(forces), counts, months, cached.key)
