"""The ``[outcomes]`` table of a region file: where the Home Office success measures come from.

Every key has a default, so a region file without ``[outcomes]`` reads the ONS police force
area tables of the shared bundle for the force areas its districts are in.
"""

from __future__ import annotations

from pydantic import Field

from sna.config.base import StrictModel

__all__ = ["OutcomesSpec"]


class OutcomesSpec(StrictModel):
    """The ONS tables, the lookups that place the region in force areas, and the VRU's own
    measures file (off when empty)."""

    tables: str = Field(
        "outcomes/ons_pfa_tables",
        description="Folder of ONS police force area workbooks (.xlsx), one per edition, "
        "relative to [sources].root.",
    )
    pfa_lookup: str = Field(
        "lookups/lookup_ltla24_csp24_pfa24.csv.gz",
        description="District -> police force area lookup, relative to [sources].root.",
    )
    lsoa_lookup: str = Field(
        "lookups/lookup_lsoa21_ward24_ltla24.csv.gz",
        description="LSOA21 -> district lookup (Census 2021 population by force area).",
    )
    forces: list[str] = Field(
        default_factory=list,
        description="Force area codes (E23...); empty: the force areas of the districts.",
    )
    measures: str = Field(
        "",
        description="The VRU's own measures, a CSV in the tidy shape (docs/outcomes.md), "
        "relative to this region file; empty: none.",
    )
    measures_source: str = Field("", description="Who produced the VRU's own measures.")
