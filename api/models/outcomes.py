"""The Home Office success measures of a region (``/api/v1/outcomes``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._common import _Model

__all__ = [
    "OutcomeArea",
    "OutcomePoint",
    "LatestPoint",
    "OutcomeSeries",
    "HospitalYear",
    "OutcomeMeasure",
    "PoliceMonth",
    "PoliceSeries",
    "PoliceUk",
    "OwnPoint",
    "OwnMeasure",
    "OutcomeSource",
    "Outcomes",
]

Provenance = Literal["recorded", "estimated"]


class OutcomeArea(_Model):
    """An area the measures are given for: a force area, an English region, a country."""

    code: str
    name: str
    kind: Literal["force", "vru", "english_region", "country"]
    forces: list[dict[str, str]] | None = None


class OutcomePoint(_Model):
    """One 12-month window's value (a year ending March: no two points share a month)."""

    period_start: str = Field(description="First month, YYYY-MM.")
    period_end: str = Field(description="Last month, YYYY-MM.")
    label: str = Field(description="e.g. 'year ending March 2019'.")
    count: int = Field(description="Offences recorded in the 12 months.")
    rate_per_100k: float | None = Field(description="Per 100,000 residents, where known.")
    rate_basis: str | None = Field(description="Where the rate's population comes from.")
    rate_provenance: Provenance | None
    pct_involving_knife: float | None = Field(
        description="% of these offences that involved a knife (single force areas)."
    )
    involving_knife: int | None = Field(description="Homicide: of which involving a knife.")
    edition: str = Field(description="The ONS edition the value comes from (the latest).")
    table: str
    coverage: str | None = Field(description="What the table says it covers.")
    provenance: Provenance


class LatestPoint(OutcomePoint):
    """The latest 12 months published: overlaps the last point, so it is not one."""

    overlaps_months: int = Field(description="Months shared with the last point.")
    overlaps: str | None = Field(description="The point it overlaps.")


class OutcomeSeries(_Model):
    """One area's values of one measure."""

    code: str
    name: str
    kind: Literal["force", "vru", "english_region", "country"]
    points: list[OutcomePoint]
    latest: LatestPoint | None


class HospitalYear(_Model):
    """Sharp-object assault admissions in a year ending March (partner data: a count of 1
    to 7 is never published; null then, with ``*_suppressed``)."""

    period_start: str
    period_end: str
    label: str
    all_ages: int | None
    under_25: int | None
    all_ages_suppressed: bool
    under_25_suppressed: bool
    months_covered: int = Field(ge=0, le=12, description="Months of the year in the extract.")


class OutcomeMeasure(_Model):
    """One Home Office success measure: definition, unit, source and series."""

    id: Literal["knife_enabled_serious_violence", "homicide", "hospital_sharp_object_assault"]
    title: str
    home_office_measure: str
    definition: str
    noun: str
    unit: str
    rate_unit: str | None
    status: Literal["published", "awaiting partner data", "synthetic (illustrative)"]
    synthetic: bool
    provenance: Provenance | None
    source: str
    series: list[OutcomeSeries]
    years: list[HospitalYear]


class PoliceMonth(_Model):
    """One month's count."""

    month: str
    count: int = Field(ge=0)


class PoliceSeries(_Model):
    """A police.uk crime type, month by month: what it is, not the Home Office measure."""

    crime_type: str
    what_it_is: str
    unit: str
    months: list[PoliceMonth]


class PoliceUk(_Model):
    """The police.uk street-level series closest to the measures, where the region has them."""

    available: bool
    note: str
    series: list[PoliceSeries]


class OwnPoint(_Model):
    """A point of the VRU's own measures file."""

    period_start: str
    period_end: str
    label: str
    count: float | None
    rate: float | None
    pct_knife: float | None


class OwnMeasure(_Model):
    """A measure from the VRU's own file (``[outcomes] measures``)."""

    measure: str
    offence: str
    area_code: str
    area_name: str
    source: str
    points: list[OwnPoint]
    overlapping_left_out: int


class OutcomeSource(_Model):
    """A source with its vintage, licence and attribution."""

    name: str
    vintage: str | None
    licence: str | None
    attribution: str | None


class Outcomes(_Model):
    """The Home Office success measures of the region, against its English region and
    England and Wales, with what the open tables cannot give."""

    region: str
    region_name: str
    vru: str | None
    subject: OutcomeArea
    comparators: list[OutcomeArea]
    measures: list[OutcomeMeasure]
    police_uk: PoliceUk
    own_measures: list[OwnMeasure]
    cannot_give: list[str]
    rolling_years: str
    sources: list[OutcomeSource]
    synthetic: bool
    sentences: list[str]
