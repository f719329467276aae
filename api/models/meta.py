"""The layer catalogue (``/api/v1/layers``) and build provenance (``/api/v1/builds``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._common import _Model

__all__ = [
    "LegendEntry",
    "SurfaceInfo",
    "LayerInfo",
    "ModelCoefficient",
    "ViolenceModel",
    "LayerList",
    "BuildSummary",
    "BuildInfo",
]


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


class ExposureInfo(_Model):
    """The exposure violence risk is per: the at-risk population, an estimate."""

    id: str
    title: str
    unit: str
    provenance: str
    method: str
    vintage: str


class ViolenceModel(_Model):
    """How violence risk was fitted: source, half-life, coefficients and standard errors."""

    source: str
    method: str = Field(
        "",
        description="How the forecast combines the model's terms with each place's own "
        "recorded counts (empty for the pooled model, whose terms alone make it)",
    )
    target: str
    family: str
    unit: str
    half_life_months: float | None
    coefficients: list[ModelCoefficient]
    exposure: ExposureInfo | None = None


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
