"""The VRUs a national server serves (``/api/v1/vrus``), their outlines, and what a
postcode answer says of its VRU and its national ranks (:mod:`api.front_door`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._common import _Model

__all__ = [
    "NationalRank",
    "NationalRanks",
    "StreetFiles",
    "VruData",
    "VruEntry",
    "VruOutlineFeature",
    "VruOutlines",
    "VruRef",
]


class VruRef(_Model):
    """The VRU whose view covers a postcode of the national build."""

    id: str = Field(examples=["merseyside"])
    name: str = Field(description="The area's name.", examples=["Merseyside"])
    vru: str = Field(description="The VRU's name ('' where the area has none).")
    path: str = Field(description="Where its view is served.", examples=["/vru/merseyside/"])
    served: bool = Field(description="Whether this server serves its view.")
    note: str | None = Field(description="When not served: whose answer this is instead.")


class NationalRank(_Model):
    """A rank among every neighbourhood (LSOA) of the national build."""

    rank: int | None = Field(description="1 = highest.")
    of: int | None
    decile: int | None
    band: str | None


class NationalRanks(_Model):
    """A view's postcode, ranked in the national build the server holds."""

    region: str = Field(examples=["england"])
    region_name: str
    build_id: str
    violence_risk: NationalRank | None
    need: NationalRank | None
    risk: NationalRank | None
    protective: NationalRank | None


class StreetFiles(_Model):
    """The police.uk street files the bundle holds for one force."""

    force: str = Field(description="police.uk force folder.", examples=["merseyside"])
    months: int
    first: str | None = Field(description="First month, YYYY-MM.")
    last: str | None


class TrendFiles(StreetFiles):
    """Street files of a force that covers part of a view: its districts' monthly trend."""

    districts: list[str] = Field(description="The districts (LAD codes) the files cover.")


class VruData(_Model):
    """What data a view has: street files, partner extracts, service directory."""

    street_files: list[StreetFiles]
    trend_files: list[TrendFiles] = Field(
        default_factory=list,
        description="Street files of part of the view (the City of London's in London): they "
        "give the monthly recorded trend of those districts only, not violence risk.",
    )
    partner_extracts: list[str] = Field(description="Configured partner sources.")
    directory: bool = Field(description="Whether it has a service directory.")


class VruEntry(_Model):
    """One region the server knows: the main one (path '/') or a VRU view."""

    id: str
    name: str
    vru: str = ""
    path: str = Field(examples=["/vru/merseyside/"])
    served: bool
    main: bool = Field(False, description="The region served at '/'.")
    build_id: str | None = Field(None, description="Its published build (null: none).")
    data: VruData | None = None


class VruOutlineFeature(_Model):
    """A VRU view's boundary (the union of its districts), simplified (~100 m)."""

    type: Literal["Feature"]
    properties: dict[str, Any]
    geometry: dict[str, Any]


class VruOutlines(_Model):
    """Every VRU view's boundary as GeoJSON (EPSG:4326)."""

    type: Literal["FeatureCollection"]
    features: list[VruOutlineFeature]
