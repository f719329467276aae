"""Response and request models: they document the JSON the library pre-serialises.

The endpoints return pre-serialised bytes (a postcode answer is a dictionary lookup), so
these models give the OpenAPI schema, and the schema fuzz test checks that every answer's
bytes conform to them.

One module per router area (postcodes, areas, meta, services, health) over the shapes they
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
from .outcomes import (
    HospitalYear,
    LatestPoint,
    OutcomeArea,
    OutcomeMeasure,
    OutcomePoint,
    Outcomes,
    OutcomeSeries,
    OutcomeSource,
    OwnMeasure,
    OwnPoint,
    PoliceMonth,
    PoliceSeries,
    PoliceUk,
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
    NearbyPostcode,
    Outcode,
    PostcodeCodes,
    PostcodeNeed,
    PostcodeResult,
    PostcodeViolenceRisk,
    TerminatedPostcode,
)
from .services import PointGeometry, ServiceCollection, ServiceFeature, ServiceProperties

__all__ = [
    "HospitalYear",
    "LatestPoint",
    "OutcomeArea",
    "OutcomeMeasure",
    "OutcomePoint",
    "Outcomes",
    "OutcomeSeries",
    "OutcomeSource",
    "OwnMeasure",
    "OwnPoint",
    "PoliceMonth",
    "PoliceSeries",
    "PoliceUk",
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
    "TerminatedPostcode",
    "Outcode",
    "MAX_POSTCODE_CHARS",
    "InWords",
    "MonthlyTrend",
    "AreaTrend",
    "ModelCoefficient",
    "ViolenceModel",
]
