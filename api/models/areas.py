"""An LSOA21, ward or district (``/api/v1/areas/{code}``), its trend, and the priority list."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._common import Band, Driver, Indices, Named, Place, ViolenceRisk, _Model, _Provenance

__all__ = [
    "LayerValue",
    "Comparison",
    "AreaResult",
    "MonthlyTrend",
    "AreaTrend",
    "AreaRow",
    "SortedBy",
    "AreaList",
]


class LayerWords(_Model):
    """A layer's value with its unit, and its comparison, as the map shows them."""

    value: str
    comparison: str


class LayerValue(_Model):
    """A layer in an area: open-data value, or band only for partner data."""

    id: str
    title: str
    kind: Literal["risk", "protective"]
    level: str
    partner: bool
    synthetic: bool
    value: float | None
    band: Band | None
    score: float | None
    contribution: float | None
    national_decile: int | None = Field(
        description="National decile where the source ranks all of England's LSOAs "
        "(1 = most deprived 10%)."
    )
    count: float | None
    unit: str | None = Field(None, description="What the value is measured in.")
    region_value: float | None = Field(
        None, description="The region's average (population-weighted), same unit."
    )
    in_words: LayerWords | None = None


class Comparison(_Model):
    """The area against its district and the region (index values)."""

    district: dict[str, str | float | None] | None = None
    region: dict[str, str | float | None]
    difference_from_region: dict[str, float | None]


class AreaResult(_Provenance):
    """An LSOA21, ward or district: indices, drivers, layers and comparisons."""

    code: str
    name: str | None
    level: Literal["lsoa", "ward", "district"]
    msoa_name: str | None
    place: Place | None = None
    ward: Named | None
    district: Named | None
    population: int | None
    area_km2: float | None
    n_lsoa: int | None
    violence_risk: ViolenceRisk | None = None
    indices: Indices
    levels: dict[str, float | None]
    drivers: list[Driver]
    explanation: str | None
    hotspot: dict[str, str | None] | None
    layers: list[LayerValue]
    comparison: Comparison
    lsoas: list[str]


class MonthlyTrend(_Model):
    """Recorded offences per month (police.uk street-level files)."""

    offence: str
    source: str
    months: list[str] = Field(description="Every month of the window, YYYY-MM.")
    counts: list[int] = Field(description="Offences recorded in each month (0 is a real zero).")


class TrendWords(_Model):
    """The trend as the map shows it."""

    monthly: str = Field(description="The monthly series in a sentence, or why there is none.")
    iod: list[str]
    iod_note: str | None


class AreaTrend(_Provenance):
    """How an area has changed: monthly recorded violence and IoD2019 -> IoD2025 deciles."""

    code: str
    name: str | None = None
    level: Literal["lsoa", "ward", "district"]
    monthly: MonthlyTrend | None = Field(
        None, description="Null where the region has no street-level files."
    )
    iod: dict[str, Any] = Field(
        description="LSOA: imd_decile and crime_decile per edition (1 = most deprived 10% of "
        "England); ward/district: lsoas and the number of them in decile 1 per edition."
    )
    in_words: TrendWords | None = None


class AreaRow(_Model):
    """One row of the area list (also the CSV columns and GeoJSON properties).

    Each index comes with what drives it under its own name (``violence_risk_drivers``,
    ``need_drivers``), so the list's ``sorted_by.explained_by`` names the columns that
    explain its order. The risk index (``risk``...) is listed only where it differs from the
    needs index: a build that subtracts no protective access (``need_lambda`` 0, the shipped
    regions) has need = risk, value for value.
    """

    code: str
    name: str | None
    level: str
    ward_code: str | None = None
    ward_name: str | None = None
    district_code: str | None
    district_name: str | None = None
    population: int | None = None
    violence_risk: float | None = Field(
        None, description="Violence and sexual offences expected in the next 12 months."
    )
    violence_risk_rank: int | None = None
    violence_risk_band: Band | None = None
    violence_risk_drivers: str | None = Field(
        None,
        description="What raises violence risk here, e.g. 'Past violence raises it by a "
        "factor of 1.80; ...'.",
    )
    violence_risk_explanation: str | None = None
    need: float | None = Field(description="Needs index (standardised; 0 = regional average).")
    need_rank: int | None
    need_decile: int | None = None
    need_band: Band | None
    need_rank_lo: int | None = None
    need_rank_hi: int | None = None
    need_drivers: str | None = Field(None, description="The layers that raise need here.")
    need_explanation: str | None = None
    risk: float | None = Field(
        None, description="Risk index; absent where it equals the needs index."
    )
    risk_rank: int | None = None
    risk_decile: int | None = None
    risk_band: Band | None = None
    protective: float | None = None
    protective_rank: int | None = None
    protective_decile: int | None = None
    protective_band: Band | None = None
    synthetic: bool = False


class SortedBy(_Model):
    """What the list is sorted by, in words, and which of a row's columns explain it."""

    id: Literal["violence_risk", "need", "risk", "protective", "name"]
    title: str = Field(description="e.g. 'Violence risk'.")
    measures: str = Field(description="What the index measures, in one sentence.")
    unit: str | None = Field(description="e.g. 'offences a year'.")
    provenance: Literal["recorded", "estimated", "forecast"] | None = Field(
        None, description="forecast: the model's expectation for the next 12 months."
    )
    columns: list[str] = Field(description="The row columns holding the sorted values.")
    explained_by: list[str] = Field(
        description="The row columns that explain each area's place in this order."
    )
    order: str = Field(description="'highest first', 'lowest first', 'A to Z' or 'Z to A'.")


class AreaList(_Model):
    """Priority places: by violence risk, highest first, by default."""

    build_id: str
    level: str
    district: str | None
    sort: str
    order: str
    sorted_by: SortedBy | None = Field(
        None,
        description="What the list is sorted by and what explains it (null for a build "
        "made before lists said so).",
    )
    total: int
    items: list[AreaRow]
    synthetic_layers: list[str]
