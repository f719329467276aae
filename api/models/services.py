"""The VRU's service directory as GeoJSON points (``/api/v1/services``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._common import _Model

__all__ = ["ServiceProperties", "PointGeometry", "ServiceFeature", "ServiceCollection"]


class ServiceProperties(_Model):
    """What the map's popup shows of one service of the VRU's directory."""

    id: str | None
    name: str
    type: str
    type_label: str
    ages: str | None
    website: str | None
    phone: str | None
    opening_times: str | None
    postcode: str | None


class PointGeometry(_Model):
    """A GeoJSON point, WGS84 longitude then latitude."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2)


class ServiceFeature(_Model):
    """One service as a GeoJSON feature."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: ServiceProperties


class ServiceCollection(_Model):
    """The VRU's directory services (GeoJSON, EPSG:4326); empty without a directory."""

    type: Literal["FeatureCollection"]
    features: list[ServiceFeature]
