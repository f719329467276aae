"""A postcode answer (``/api/v1/postcodes``), bulk and reverse lookups, outcodes and
terminated postcodes, shaped as postcodes.io shapes them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._common import Band, Driver, Indices, Named, Place, ViolenceRisk, _Model, _Provenance
from .vrus import NationalRanks, VruRef

__all__ = [
    "MAX_BULK",
    "MAX_POSTCODE_CHARS",
    "PostcodeViolenceRisk",
    "Location",
    "PostcodeNeed",
    "LocalValue",
    "Asset",
    "Assets",
    "PostcodeCodes",
    "PostcodeResult",
    "BulkQuery",
    "BulkItem",
    "TerminatedPostcode",
    "Outcode",
]

MAX_BULK = 100


MAX_POSTCODE_CHARS = 32  # a postcode in any spacing is far shorter; longer items are refused


class PostcodeViolenceRisk(_Model):
    """Violence risk at the postcode: the LSOA's expected count times a local factor."""

    value: float | None
    unit: str
    local_factor: float | None
    decile: int | None
    band: Band | None


class Location(_Model):
    """Where the postcode is (``source='area'``: no grid reference, the LSOA's centre)."""

    easting: float
    northing: float
    longitude: float
    latitude: float
    source: Literal["postcode", "area"]


class PostcodeNeed(_Model):
    """The postcode need index (local surfaces in place of area values)."""

    value: float | None
    unit: str
    decile: int | None
    band: Band | None
    drivers: list[Driver]


class LocalValue(_Model):
    """A surface sampled at the postcode: a value for open data, a band for partner data."""

    band: Band | None
    value: float | None
    unit: str = Field(description="Unit of ``value`` ('band' for partner data).")


class Asset(_Model):
    """Support near the postcode: a service of the VRU's directory, a school, a place of
    worship or a library. Directory services come first; an unnamed record is named by its
    type ("Place of worship (Christian)")."""

    name: str
    type: str = Field(description="youth_club, mentoring, ..., school, place_of_worship, library")
    subtype: str | None = Field(description="Faith, school phase or library type.")
    source: str | None = Field(
        None, description="service_directory, gias_schools, osm_places_of_worship, ..."
    )
    ages: str | None = Field(None, description="Ages served ('10-18', '11+'); directory only.")
    website: str | None = None
    phone: str | None = None
    opening_times: str | None = None
    what: str | None = Field(None, description="What the place is, in words.")
    distance_m: int


class Assets(_Model):
    """Support nearby: assets within ``radius_m``."""

    radius_m: float
    count: int
    nearest: list[Asset]
    by_type: dict[str, int]


class PostcodeCodes(_Model):
    """GSS codes, as postcodes.io's ``codes``."""

    lsoa: str | None
    msoa: str | None
    admin_ward: str | None
    admin_district: str | None


class PostcodeResult(_Provenance):
    """Everything the public map shows about one postcode."""

    postcode: str = Field(examples=["B1 1AY"])
    outcode: str
    incode: str
    longitude: float | None = Field(description="WGS84; null without a grid reference.")
    latitude: float | None
    eastings: int | None = Field(description="British National Grid (m).")
    northings: int | None
    lsoa: str | None = Field(description="LSOA 2021 name.")
    msoa: str | None = Field(description="MSOA 2021 name.")
    admin_ward: str | None
    admin_district: str | None
    codes: PostcodeCodes
    status: Literal["live", "terminated"]
    date_introduced: str | None
    date_terminated: str | None
    note: str | None = Field(description="Set for a terminated postcode.")
    location: Location | None
    postcode_violence_risk: PostcodeViolenceRisk | None = None
    postcode_need: PostcodeNeed
    local: dict[str, LocalValue]
    assets: Assets
    support_note: str | None = Field(
        None, description="What the list is, and whether the region has a service directory."
    )
    lsoa21: Named | None
    place: Place | None = None
    ward: Named | None
    district: Named | None
    violence_risk: ViolenceRisk | None = None
    indices: Indices | None
    drivers: list[Driver]
    explanation: str | None
    vru: VruRef | None = Field(
        None, description="National build: the VRU whose view covers this postcode."
    )
    national: NationalRanks | None = Field(
        None, description="A VRU view: this postcode's ranks in the national build."
    )


class BulkQuery(BaseModel):
    """Up to 100 postcodes, any case or spacing."""

    model_config = ConfigDict(extra="forbid")

    postcodes: list[Annotated[str, Field(max_length=MAX_POSTCODE_CHARS)]] = Field(
        min_length=1, max_length=MAX_BULK, examples=[["B1 1AY", "cv1 5fb"]]
    )


class BulkItem(_Model):
    """One answer of a bulk lookup, as postcodes.io: the query and its result (or null)."""

    query: str
    result: PostcodeResult | None
    status: Literal[200, 404]
    error: str | None = None


class TerminatedPostcode(_Model):
    """A terminated postcode, as postcodes.io's ``/terminated_postcodes``."""

    postcode: str
    year_terminated: int | None
    month_terminated: int | None
    longitude: float | None
    latitude: float | None


class Outcode(_Model):
    """An outward code, as postcodes.io's ``/outcodes``: its live postcodes' mean position."""

    outcode: str
    longitude: float | None
    latitude: float | None
    eastings: int | None
    northings: int | None
    admin_district: list[str]
    admin_ward: list[str]
    country: list[str]
    postcodes: int = Field(description="Live postcodes of the outcode in this region.")
    region: str
    build_id: str
