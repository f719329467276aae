"""Response and request models: they document the JSON the library pre-serialises.

The endpoints return pre-serialised bytes (a postcode answer is a dictionary lookup), so
these models give the OpenAPI schema, and the schema fuzz test checks that every answer's
bytes conform to them.

One module per router area (postcodes, nearest, areas, meta, services, health) over the shapes they
share (``_common``); every model is re-exported here, where the routers import them.
"""

from __future__ import annotations

from ._common import (
    CountInterval,
    Driver,
    Envelope,
    ErrorDetail,
    IndexValue,
    Indices,
    InWords,
    Named,
    RankInterval,
    ViolenceDriver,
    ViolenceRisk,
)
from .areas import AreaList, AreaResult, AreaRow, AreaTrend, Comparison, LayerValue, MonthlyTrend
from .health import Health, Readiness
from .meta import (
    BuildInfo,
    BuildSummary,
    LayerInfo,
    LayerList,
    LegendEntry,
    ModelCoefficient,
    SurfaceInfo,
    ViolenceModel,
)
from .nearest import (
    MAX_BULK_ENTRIES,
    MAX_LIMIT,
    MAX_OUTCODE_RADIUS_M,
    MAX_RADIUS_M,
    Bands,
    BulkBody,
    BulkReverseItem,
    BulkReverseQuery,
    GeolocationQuery,
    NearbyOutcode,
    NearbyPostcode,
    PostcodeEntry,
    ReverseQuery,
)
from .postcodes import (
    MAX_BULK,
    MAX_POSTCODE_CHARS,
    Asset,
    Assets,
    BulkItem,
    BulkQuery,
    LocalValue,
    Location,
    Outcode,
    PostcodeCodes,
    PostcodeNeed,
    PostcodeResult,
    PostcodeViolenceRisk,
    TerminatedPostcode,
)
from .services import PointGeometry, ServiceCollection, ServiceFeature, ServiceProperties

__all__ = [
    "MAX_BULK",
    "Named",
    "RankInterval",
    "IndexValue",
    "Indices",
    "CountInterval",
    "ViolenceDriver",
    "ViolenceRisk",
    "PostcodeViolenceRisk",
    "Driver",
    "Location",
    "PostcodeNeed",
    "LocalValue",
    "Asset",
    "Assets",
    "ServiceProperties",
    "PointGeometry",
    "ServiceFeature",
    "ServiceCollection",
    "PostcodeResult",
    "BulkQuery",
    "BulkItem",
    "LayerValue",
    "Comparison",
    "AreaResult",
    "AreaRow",
    "AreaList",
    "LegendEntry",
    "SurfaceInfo",
    "LayerInfo",
    "LayerList",
    "BuildSummary",
    "BuildInfo",
    "Health",
    "Readiness",
    "ErrorDetail",
    "Envelope",
    "PostcodeCodes",
    "NearbyPostcode",
    "NearbyOutcode",
    "PostcodeEntry",
    "Bands",
    "BulkBody",
    "BulkReverseItem",
    "BulkReverseQuery",
    "GeolocationQuery",
    "ReverseQuery",
    "MAX_BULK_ENTRIES",
    "MAX_LIMIT",
    "MAX_OUTCODE_RADIUS_M",
    "MAX_RADIUS_M",
    "TerminatedPostcode",
    "Outcode",
    "MAX_POSTCODE_CHARS",
    "InWords",
    "MonthlyTrend",
    "AreaTrend",
    "ModelCoefficient",
    "ViolenceModel",
]
