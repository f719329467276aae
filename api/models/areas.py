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
    """One row of the priority list (also the CSV columns and GeoJSON properties)."""

    code: str
    name: str | None
    level: str
    district_code: str | None
    violence_risk: float | None = None
    violence_risk_rank: int | None = None
    violence_risk_band: Band | None = None
    need: float | None
    need_rank: int | None
    need_band: Band | None


class AreaList(_Model):
    """Priority places, highest need first by default."""

    build_id: str
    level: str
    district: str | None
    sort: str
    order: str
    total: int
    items: list[AreaRow]
    synthetic_layers: list[str]
