"""Response and request models: they document the JSON the library pre-serialises.

The endpoints return pre-serialised bytes (a postcode answer is a dictionary lookup), so
these models give the OpenAPI schema, and the schema fuzz test checks that every answer's
bytes conform to them.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
    "TerminatedPostcode",
    "Outcode",
]

MAX_BULK = 100
MAX_POSTCODE_CHARS = 32  # a postcode in any spacing is far shorter; longer items are refused
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
    uncertainty: str | None = Field(None, description="e.g. 'likely among the top 5-20% ...'")


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


class ViolenceRisk(_Ranked):
    """Violence risk: offences expected to be recorded here in the next 12 months."""

    title: str
    measures: str
    unit: str
    value: float | None
    interval: CountInterval | None
    recorded_last_year: float | None
    regional_mean: float | None
    ratio_to_regional_mean: float | None
    drivers: list[ViolenceDriver]
    explanation: str | None
    in_words: InWords | None = None


class PostcodeViolenceRisk(_Model):
    """Violence risk at the postcode: the LSOA's expected count times a local factor."""

    value: float | None
    unit: str
    local_factor: float | None
    decile: int | None
    band: Band | None


class Driver(_Model):
    """A layer's contribution to the needs index, in plain words."""

    layer: str
    title: str
    kind: Literal["risk", "protective"]
    level: str | None
    contribution: float | None
    effect: Literal["raises need", "lowers need"]
    text: str
    synthetic: bool


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
    distance_m: int


class Assets(_Model):
    """Support nearby: assets within ``radius_m``."""

    radius_m: float
    count: int
    nearest: list[Asset]
    by_type: dict[str, int]


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


class _Provenance(_Model):
    vintages: dict[str, str | None] = Field(description="One vintage string per source.")
    periods: dict[str, str | None] = Field(description="The period each layer covers.")
    synthetic: bool
    synthetic_layers: list[str]
    notice: str | None
    attribution: list[str]
    build_id: str
    region: str


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
    lsoa21: Named | None
    ward: Named | None
    district: Named | None
    violence_risk: ViolenceRisk | None = None
    indices: Indices | None
    drivers: list[Driver]
    explanation: str | None


class BulkQuery(BaseModel):
    """Up to 100 postcodes, any case or spacing."""

    postcodes: list[Annotated[str, Field(max_length=MAX_POSTCODE_CHARS)]] = Field(
        min_length=1, max_length=MAX_BULK, examples=[["B1 1AY", "cv1 5fb"]]
    )


class BulkItem(_Model):
    """One answer of a bulk lookup, as postcodes.io: the query and its result (or null)."""

    query: str
    result: PostcodeResult | None
    status: Literal[200, 404]
    error: str | None = None


class NearbyPostcode(PostcodeResult):
    """A postcode answer of a reverse lookup, with its distance from the point."""

    distance: float = Field(description="Metres from the point asked.")


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


class LegendEntry(_Model):
    """One entry of a map key."""

    label: str
    colour: str


class SurfaceInfo(_Model):
    """A raster surface: tile URL and legend (classes only for partner data)."""

    tiles: str
    mode: Literal["ramp", "classes"]
    unit: str | None
    legend: list[LegendEntry]
    bounds: list[float]


class LayerInfo(_Model):
    """A layer of the index."""

    id: str
    title: str
    description: str | None
    kind: Literal["risk", "protective"]
    level: str
    measure: str | None
    partner: bool
    synthetic: bool
    notice: str | None
    weight: float | None
    period: str | None
    vintage: str | None
    licence: str | None
    attribution: str | None
    national: bool
    property: str | None = Field(
        description="The vector-tile property that holds the layer (None: no values)."
    )
    display: Literal["score", "band", "none"]
    surface: SurfaceInfo | None
    status: str | None = Field(
        None,
        description="open data, partner data, synthetic (illustrative), or awaiting partner "
        "data (weight 0, no values)",
    )
    disclosure_level: str | None = Field(
        None, description="Geography a partner layer is published at (lsoa, msoa, ward, district)."
    )


class ModelCoefficient(_Model):
    """One term of the fitted violence model: its relative risk, as RTM reports them."""

    term: str
    coef: float
    se: float
    relative_risk: float
    rr_lo: float
    rr_hi: float
    penalised: bool
    effect: str


class ViolenceModel(_Model):
    """How violence risk was fitted: source, half-life, coefficients and standard errors."""

    source: str
    target: str
    family: str
    unit: str
    half_life_months: float | None
    coefficients: list[ModelCoefficient]


class LayerList(_Model):
    """Every layer of the current build, and the fitted violence model."""

    build_id: str
    violence_model: ViolenceModel | None = None
    layers: list[LayerInfo]


class BuildSummary(_Model):
    """One build folder."""

    build_id: str
    created: str | None
    current: bool
    code_version: str | None
    synthetic_layers: list[str]


class BuildInfo(_Model):
    """Provenance of the current build and the list of builds."""

    build_id: str
    region: str
    region_name: str
    created: str | None
    code_version: str | None
    n_lsoa: int
    n_postcodes: int
    synthetic: bool
    synthetic_layers: list[str]
    bounds: list[float]
    sources: dict[str, list[dict[str, str | None]]]
    builds: list[BuildSummary]


class Health(_Model):
    """Liveness."""

    status: Literal["ok"]


class Readiness(_Model):
    """Readiness: a build is loaded."""

    status: Literal["ready", "loading", "unavailable"]
    build_id: str | None
    detail: str | None = None


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every JSON answer, as postcodes.io: ``{"status": 200, "result": ...}``."""

    status: Literal[200] = 200
    result: T


class ErrorDetail(BaseModel):
    """Every error, as postcodes.io: ``{"status": 404, "error": "Postcode not found"}``."""

    status: int = Field(ge=400, le=599, examples=[404])
    error: str = Field(examples=["Postcode not found"])
