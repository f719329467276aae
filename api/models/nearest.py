"""Lists of postcodes and outcodes by position (reverse geocoding, nearest, bulk reverse),
shaped as postcodes.io shapes them, with compact entries in place of full answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from sna.answers.nearest import WIDE_LIMIT

from ._common import Band, _Model
from .postcodes import MAX_BULK, BulkQuery, Outcode, PostcodeCodes

__all__ = [
    "MAX_LIMIT",
    "MAX_RADIUS_M",
    "MAX_OUTCODE_RADIUS_M",
    "MAX_BULK_ENTRIES",
    "Bands",
    "PostcodeEntry",
    "NearbyPostcode",
    "NearbyOutcode",
    "GeolocationQuery",
    "BulkReverseQuery",
    "ReverseQuery",
    "BulkReverseItem",
    "bulk_body_kind",
    "BulkBody",
]

MAX_LIMIT = 100  # postcodes (or outcodes) in one list, as postcodes.io
MAX_RADIUS_M = 2000.0  # reverse lookup and nearest postcodes, as postcodes.io
MAX_OUTCODE_RADIUS_M = 25_000.0  # nearest outcodes, as postcodes.io
MAX_BULK_ENTRIES = 1000  # compact entries in one bulk reverse answer (about 420 kB)


class Bands(_Model):
    """The bands of the postcode's LSOA, the two the map leads with (of five, Highest to
    Lowest; null where the build has none)."""

    violence_risk: Band | None = Field(description="Violence expected next year, regional band.")
    need: Band | None = Field(description="The needs index, regional band.")


class PostcodeEntry(_Model):
    """A postcode in a list: where it is, its areas and their bands. The full answer is
    ``GET /api/v1/postcodes/{postcode}``."""

    postcode: str = Field(examples=["B1 1AY"])
    outcode: str
    incode: str
    longitude: float | None
    latitude: float | None
    eastings: int | None
    northings: int | None
    lsoa: str | None = Field(description="LSOA 2021 name.")
    msoa: str | None
    admin_ward: str | None
    admin_district: str | None
    codes: PostcodeCodes
    bands: Bands


class NearbyPostcode(PostcodeEntry):
    """A postcode of a reverse or nearest lookup, with its distance from the point asked."""

    distance: float = Field(description="Metres from the point asked (British National Grid).")


class NearbyOutcode(Outcode):
    """An outward code near a point or another outcode, with its distance."""

    distance: float = Field(description="Metres from the point asked to the outcode's mean.")


def _whole(value: Any) -> Any:
    """A JSON number with no fraction (``70.0``) as the integer it is (JSON Schema's view)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class GeolocationQuery(BaseModel):
    """One point of a bulk reverse lookup, as postcodes.io: ``longitude``, ``latitude`` and
    optionally ``radius`` (m), ``limit`` and ``widesearch`` (20 km, at most 10)."""

    # strict: JSON's own types only (true is not a latitude, nor "5" a limit)
    model_config = ConfigDict(extra="forbid", strict=True)

    longitude: float = Field(ge=-180, le=180, examples=[-1.8998])
    latitude: float = Field(ge=-90, le=90, examples=[52.4796])
    radius: float = Field(100.0, gt=0, le=MAX_RADIUS_M, description="Metres around the point.")
    limit: Annotated[int, BeforeValidator(_whole)] = Field(
        10, ge=1, le=MAX_LIMIT, description="At most this many postcodes."
    )
    widesearch: bool = Field(
        False,
        validation_alias=AliasChoices("widesearch", "wideSearch"),
        description="Search up to 20 km for at most 10 postcodes (radius and limit above 10 "
        "are then ignored); also spelt wideSearch.",
    )

    @property
    def searched(self) -> int:
        """How many postcodes this point may answer with."""
        return min(self.limit, WIDE_LIMIT) if self.widesearch else self.limit


class BulkReverseQuery(BaseModel):
    """postcodes.io's bulk reverse geocoding: up to 100 points."""

    model_config = ConfigDict(extra="forbid")

    geolocations: list[GeolocationQuery] = Field(
        min_length=1,
        max_length=MAX_BULK,
        examples=[[{"longitude": -1.8998, "latitude": 52.4796, "limit": 5, "radius": 500}]],
    )

    @model_validator(mode="after")
    def _bounded(self) -> BulkReverseQuery:
        total = sum(g.searched for g in self.geolocations)
        if total > MAX_BULK_ENTRIES:
            raise ValueError(
                f"the limits add up to {total}; a bulk reverse lookup answers at most "
                f"{MAX_BULK_ENTRIES} postcodes in all: lower them"
            )
        return self


def bulk_body_kind(body: Any) -> str:
    """Which bulk body this is: ``geolocations`` when it has that key, else ``postcodes``."""
    return "geolocations" if isinstance(body, dict) and "geolocations" in body else "postcodes"


class ReverseQuery(_Model):
    """The search of one point, as done: ``radius`` and ``limit`` after ``widesearch``."""

    longitude: float
    latitude: float
    radius: float
    limit: int
    wideSearch: bool | None = None  # noqa: N815 - postcodes.io's name


class BulkReverseItem(_Model):
    """One point of a bulk reverse lookup and the postcodes near it, nearest first
    (``[]`` when none)."""

    query: ReverseQuery
    result: list[NearbyPostcode]


#: the two bodies ``POST /api/v1/postcodes`` takes, told apart by their key
BulkBody = Annotated[
    Annotated[BulkQuery, Tag("postcodes")] | Annotated[BulkReverseQuery, Tag("geolocations")],
    Discriminator(bulk_body_kind),
]
