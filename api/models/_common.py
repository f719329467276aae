"""What the postcode and area answers share: ranks, indices, violence risk, drivers and
provenance, and the envelope every JSON answer and error comes in."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Named",
    "Place",
    "WhatToDo",
    "ViolenceProvenance",
    "RankInterval",
    "InWords",
    "IndexValue",
    "Indices",
    "CountInterval",
    "ViolenceDriver",
    "ViolenceRisk",
    "Driver",
    "Envelope",
    "ErrorDetail",
]

Band = Literal["Highest", "High", "Medium", "Low", "Lowest"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Named(_Model):
    """A code with its name."""

    code: str | None
    name: str | None


class RankInterval(_Model):
    """Monte Carlo rank interval (5th to 95th percentile of ranks; 1 = highest)."""

    lo: int | None
    median: int | None
    hi: int | None
    level: float


class InWords(_Model):
    """The numbers above as a resident reads them (sna.wording: one wording everywhere)."""

    summary: str | None = Field(
        None, description="e.g. 'About 310 violent or sexual offences recorded a year ...'"
    )
    standing: str | None = Field(
        None,
        description="The band and the share of the region in one sentence (one rank, one "
        "share): 'Highest of five bands (the top fifth) ...: among the top 5% of ...'",
    )
    uncertainty: str | None = Field(
        None, description="e.g. 'How sure: likely among the top 5-20% of the region's ...'"
    )
    recorded: str | None = Field(
        None,
        description="Violence risk: the past count with its provenance ('Recorded: ... counted "
        "in police.uk street-level files' or 'Estimated, not counted: ...').",
    )


class _Ranked(_Model):
    """Where an area stands among ``of`` areas: rank, decile, band and their uncertainty."""

    rank: int | None
    of: int
    decile: int | None = Field(description="1 = the highest 10% of areas.")
    band: Band | None
    rank_interval: RankInterval | None
    p_top_decile: float | None


class IndexValue(_Ranked):
    """One index of an area: value, rank among ``of`` areas, decile, band and interval."""

    title: str
    value: float | None
    unit: str
    in_words: InWords | None = None


class Indices(_Model):
    """The risk, protective and need indices."""

    risk: IndexValue
    protective: IndexValue
    need: IndexValue


class CountInterval(_Model):
    """An interval of next year's count (parameter uncertainty and count noise)."""

    lo: float | None
    hi: float | None
    level: float


class ViolenceDriver(_Model):
    """One term of the violence model: a multiplicative factor against the typical area."""

    term: str
    title: str
    factor: float | None = Field(description="exp(contribution): 1.2 means 20% more violence.")
    contribution: float | None = Field(description="On the log scale; the terms sum exactly.")
    text: str


class ViolenceProvenance(_Model):
    """Where each number of violence risk comes from."""

    value: Literal["forecast"] = Field(description="The expected count is the model's.")
    recorded_last_year: Literal["recorded", "estimated"]
    recorded_period: str | None = Field(description="The months the past count covers.")
    recorded_source: str = Field(
        description="police.uk street-level files, or IoD2025 crime indicators x the "
        "estimated at-risk population"
    )


class Contact(_Model):
    """One line of what to do (the region's ``[contacts]``, national defaults)."""

    when: str
    name: str
    phone: str
    website: str


class WhatToDo(_Model):
    """Who to call or tell: 999, 101, Crimestoppers, Fearless and the VRU."""

    in_words: str
    contacts: list[Contact]


class Place(_Model):
    """A human name for an area: the House of Commons Library MSOA name, ward and district."""

    name: str | None
    in_words: str | None = Field(description="e.g. 'Central, Ladywood ward, Birmingham'")


class ViolenceRisk(_Ranked):
    """Violence risk: offences expected to be recorded here in the next 12 months."""

    title: str
    measures: str
    unit: str
    value: float | None
    interval: CountInterval | None
    recorded_last_year: float | None
    recorded_provenance: Literal["recorded", "estimated"] = Field(
        "recorded",
        description="recorded: counted in police.uk street files; estimated: IoD2025 rates x "
        "the estimated at-risk population, where the region has no street files",
    )
    provenance: ViolenceProvenance | None = None
    regional_mean: float | None
    ratio_to_regional_mean: float | None
    drivers: list[ViolenceDriver]
    explanation: str | None
    in_words: InWords | None = None


class Driver(_Model):
    """A layer's contribution to the needs index, in plain words."""

    layer: str
    title: str
    kind: Literal["risk", "protective"]
    level: str | None
    contribution: float | None
    effect: Literal["raises need", "lowers need", "no effect"]
    text: str
    synthetic: bool


class _Provenance(_Model):
    vintages: dict[str, str | None] = Field(description="One vintage string per source.")
    periods: dict[str, str | None] = Field(description="The period each layer covers.")
    synthetic: bool
    synthetic_layers: list[str]
    notice: str | None
    attribution: list[str]
    build_id: str
    region: str
    what_to_do: WhatToDo | None = None


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every JSON answer, as postcodes.io: ``{"status": 200, "result": ...}``."""

    status: Literal[200] = 200
    result: T


class ErrorDetail(BaseModel):
    """Every error, as postcodes.io: ``{"status": 404, "error": "Postcode not found"}``."""

    status: int = Field(ge=400, le=599, examples=[404])
    error: str = Field(examples=["Postcode not found"])
