"""How a region's build scores: its layers, the index method and the violence-risk model.

The ``[[layers]]``, ``[scoring]`` and ``[violence_risk]`` tables of a region file: they
change the build, never the prepared store.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from geodata.crime_types import CURRENT_CRIME_TYPES
from sna.config.base import StrictModel
from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.wording import denominator_words

__all__ = [
    "GEOGRAPHY_WORDS",
    "LEVELS",
    "LayerSpec",
    "ScoringSpec",
    "ViolenceRiskSpec",
    "manifest_specs",
]


Level = Literal["individual", "relationship", "community", "society"]
LEVELS: tuple[str, ...] = ("individual", "relationship", "community", "society")

Geography = Literal["lsoa", "msoa", "ward", "district"]
GEOGRAPHY_WORDS: dict[str, str] = {
    "lsoa": "neighbourhood (LSOA)",
    "msoa": "MSOA",
    "ward": "ward",
    "district": "district",
}
"""How each geography a layer's value can come at is named to a reader."""


class LayerSpec(StrictModel):
    """One risk or protective factor, turned into one value per LSOA21.

    ``measure`` says how:

    - ``column``: a published value per LSOA21 (an IoD score, rate or indicator) read from
      ``table[column]``;
    - ``count``: records in a record-level ``table`` (hospital admissions, exclusions, crime
      points) counted per LSOA21, optionally filtered, as a rate per ``per`` of
      ``denominator`` (a population column of the ``lsoa21`` table), with small-number
      shrinkage;
    - ``access``: the mean, over an LSOA's live postcodes, of the number of ``table`` points
      (e.g. community assets) within ``radius_m`` metres: the access residents have.

    Every value has a unit (:attr:`display_unit`) and a possible range (:attr:`bounds`,
    derived from the measure or stated as ``value_range``); a build refuses to publish a
    value outside it. ``geography`` is the finest level the source gives the value at: a
    district-level layer is context (:attr:`context_only`): shown beside the index with its
    geography and years, weight 0 in it, never a driver (docs/scoring-method.md, section 0).
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    description: str = ""
    kind: Literal["risk", "protective"]
    level: Level
    table: str
    measure: Literal["column", "count", "access"]
    column: str = ""
    filter: str = Field("", description="pandas query applied to record tables, e.g. 'age < 25'")
    denominator: str = ""
    denominator_expr: str = Field(
        "",
        description="Count layers: the denominator as an expression over the layer's own "
        "table's columns, so numerator and denominator share a source, population and year "
        "(e.g. IoD2025's own population: 'income_domain_numerator / income_score'); used "
        "instead of ``denominator``. Needs ``unit``.",
    )
    per: float = 1000.0
    radius_m: float = Field(1000.0, gt=0)
    direction: Literal[1, -1] = 1
    weight: float = Field(1.0, ge=0)
    period: str = ""
    months: int = Field(
        0,
        ge=0,
        description="Record tables with a month column: use the last N months of the data "
        "(0 = all). Relative to the data, so a new data drop or an evaluation window needs no "
        "edit to the layer.",
    )
    partner: bool = Field(False, description="Partner data: disclosure control applies.")
    proportion: bool = Field(
        False,
        description="Counts are people within the denominator (at most one each), so the "
        "empirical logit suits them; otherwise counts are events and Poisson-Gamma is used.",
    )
    surface: bool = Field(
        False, description="Also build a kernel-density surface from the table's points."
    )
    national: bool = Field(
        False, description="The source covers all of England, so national ranks are given."
    )
    interim_for: str = Field(
        "",
        description="Id of a partner layer this open-data layer stands in for: used only while "
        "that layer is awaiting partner data.",
    )
    unit: str = Field(
        "",
        description="What the layer's value is measured in, as a resident reads it (e.g. 'per "
        "1,000 at-risk population'). Default: derived from the measure ('per 1,000 children "
        "aged 0-15' for counts, 'places within 1 km of homes (mean)' for access); column "
        "layers should say.",
    )
    value_range: tuple[float | None, float | None] | None = Field(
        None,
        description="The possible range [low, high] of the layer's value (e.g. [0, 1] for a "
        "share; inf, or null in JSON, for no bound). Default: [0, per] for proportion counts, "
        "[0, inf] for other counts and access, unbounded for columns. A build refuses a value "
        "outside it.",
    )
    geography: Geography = Field(
        "lsoa",
        description="The finest geography the source gives the value at. 'district': the "
        "layer is context only (weight 0 in the needs index, never a driver), shown with its "
        "geography and years beside the index. 'msoa' or 'ward': scored, and labelled.",
    )

    @property
    def display_unit(self) -> str:
        """The unit shown beside the layer's value in every public output."""
        if self.unit:
            return self.unit
        if self.measure == "count" and self.denominator:
            return f"per {self.per:,.0f} {denominator_words(self.denominator)}"
        if self.measure == "access":
            return f"places within {self.radius_m / 1000:g} km of homes (mean)"
        return "score"

    @property
    def surface_unit(self) -> str:
        """The unit of the layer's kernel-density surface and of a postcode's local value:
        events a year for counts of events, places (no time) for access to places."""
        if self.measure == "access":
            return "places per km² (kernel density)"
        return "events per km² per year (kernel density)"

    @property
    def bounds(self) -> tuple[float, float]:
        """The possible range of the layer's value (``value_range`` or derived)."""
        if self.value_range is not None:
            lo, hi = self.value_range
            return (-math.inf if lo is None else lo, math.inf if hi is None else hi)
        if self.measure == "count" and self.proportion:
            return (0.0, float(self.per))
        if self.measure in ("count", "access"):
            return (0.0, math.inf)
        return (-math.inf, math.inf)

    @property
    def context_only(self) -> bool:
        """A district-level layer: shown beside the index, weight 0 in it, never a driver."""
        return self.geography == "district"

    @property
    def index_weight(self) -> float:
        """The layer's weight in the index: its ``weight``, or 0 for a context layer."""
        return 0.0 if self.context_only else self.weight

    @property
    def geography_words(self) -> str:
        """Where the value comes from and when, for every output that shows it: empty for an
        LSOA layer, else e.g. "one value per district, 2014/15-2016/17"."""
        if self.geography == "lsoa":
            return ""
        words = f"one value per {GEOGRAPHY_WORDS[self.geography]}"
        return f"{words}; {self.period}" if self.period else words

    @model_validator(mode="after")
    def _column_needed(self) -> LayerSpec:
        # an after-validator: a field validator would not run when `column` is left out
        if self.measure == "column" and not self.column.strip():
            raise ValueError(f"layer {self.id!r}: measure 'column' needs a column name")
        if self.denominator_expr and not self.unit:
            raise ValueError(
                f"layer {self.id!r}: a denominator_expr needs a unit saying what it is per"
            )
        lo, hi = self.bounds
        if not lo < hi:
            raise ValueError(
                f"layer {self.id!r}: value_range {[lo, hi]} must be [low, high] with low < high"
            )
        return self

    @field_validator("value_range")
    @classmethod
    def _no_infinity(cls, v: tuple[float | None, float | None] | None) -> Any:
        # TOML writes "no bound" as inf; kept as None so a manifest stays plain JSON
        if v is None:
            return v
        return tuple(None if x is None or math.isinf(x) else float(x) for x in v)


class ScoringSpec(StrictModel):
    """Every method choice of the index, with documented defaults (docs/scoring-method.md)."""

    normalisation: Literal["rank_normal", "zscore", "minmax"] = "rank_normal"
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    shrinkage: Literal["auto", "logit", "poisson_gamma", "none"] = Field(
        "auto",
        description="auto: logit for proportion layers, Poisson-Gamma for event rates",
    )
    shrink_parent: Literal["msoa", "district"] = "msoa"
    treat_outliers: bool = True
    exponential: bool = False
    need_lambda: float = Field(
        0.0,
        ge=0,
        le=2,
        description="needs = risk - lambda x protective; 0 (the default) shows protective "
        "access beside the needs index without subtracting it",
    )
    level_weights: dict[str, float] = Field(default_factory=lambda: {lv: 0.25 for lv in LEVELS})
    mc_draws: int = Field(500, ge=20)
    weight_concentration: float = Field(50.0, gt=0)
    seed: int = 20261121
    hotspot_permutations: int = Field(999, ge=99)
    fdr_alpha: float = Field(0.05, gt=0, lt=1)
    surface_cell_m: float = Field(100.0, gt=0)
    surface_bandwidth_m: float = Field(400.0, gt=0)
    surface_crime_types: list[str] = Field(
        default_factory=lambda: ["Violence and sexual offences", "Robbery", "Possession of weapons"]
    )
    disclosure_threshold: int = Field(
        DISCLOSURE_THRESHOLD,
        ge=DISCLOSURE_THRESHOLD,
        description="No public value is derived from fewer partner records than this "
        "(HES/ECDS convention: 8; it may be raised, never lowered).",
    )
    partner_bands: int = Field(
        10,
        ge=3,
        le=20,
        description="Partner layers are cut into this many quantile classes before a z-score "
        "or min-max (and so geometric) normalisation, so no public score is a rate.",
    )

    @field_validator("level_weights")
    @classmethod
    def _levels(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown levels {sorted(unknown)}; levels are {list(LEVELS)}")
        if any(x < 0 for x in v.values()) or sum(v.values()) <= 0:
            raise ValueError("level weights must be non-negative and not all zero")
        return v


#: police.uk's crime types other than violence and sexual offences (its street files' own
#: names): every one is a term of the street-file model's prior by default.
OTHER_CRIME_TYPES = tuple(t for t in CURRENT_CRIME_TYPES if t != "Violence and sexual offences")


class ViolenceRiskSpec(StrictModel):
    """The fitted violence-risk model (docs/scoring-method.md, "Violence risk").

    Where the region has police.uk street files, a regression of the window's recorded
    violence on the region's terms is updated by each LSOA's own counts, with the half-life
    chosen out of time (:mod:`sna.violence.model`). Where it has none, the pooled model of the
    forces in ``pooled_from`` applies to the IoD2025 police recorded crime indicators
    (``iod_columns``, rate per 1,000 x the at-risk population; :mod:`sna.violence.pooled`).
    """

    target: str = Field(
        "Violence and sexual offences", description="police.uk crime type to forecast"
    )
    history: list[str] = Field(
        default_factory=lambda: list(OTHER_CRIME_TYPES),
        description="Other police.uk crime types whose counts over the window are terms of "
        "the regression prior (they mark where people gather)",
    )
    half_lives: list[float] = Field(
        default_factory=lambda: [1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 12.0, 24.0],
        description="Candidate half-lives (months) of the time weights, chosen on training data",
    )
    baseline_half_life: float = Field(
        6.0, gt=0, description="Half-life of the exponentially weighted prior-count baseline"
    )
    response_months: int = Field(
        0,
        ge=0,
        description="Months of the fit's response period (0: a quarter of the training "
        "window, 3 to 12 months); the features use the months before it",
    )
    family: Literal["negative_binomial", "poisson"] = Field(
        "negative_binomial",
        description="The regression's family. With street files, poisson assumes no variation "
        "beyond the terms, so a place's own recorded counts would add nothing to its forecast",
    )
    prior_sd: float = Field(1.0, gt=0, description="Ridge prior sd of standardised terms")
    layers: list[str] | None = Field(
        None,
        description="Layer ids entering the model; default: every non-crime, real-data layer",
    )
    exposure: str = Field(
        "at_risk_pop",
        description="Exposure (offset) column of lsoa21: the estimated at-risk population "
        "(residents plus daytime workers and pupils, sna.needs.at_risk), or pop_total",
    )
    pooled_from: list[str] = Field(
        default_factory=list,
        description="police.uk street-file folders (relative to the source root) of the forces "
        "whose pooled model applies where this region has no street files (sna.violence.pooled)",
    )
    pooled_window: tuple[str, str] = Field(
        ("2022-01", "2022-12"),
        description="Months of the forces' recorded violence the pooled model is fitted on",
    )
    force_lookup: str = Field(
        "lookups/lookup_ltla24_csp24_pfa24.csv.gz",
        description="District (LTLA24) -> police force area lookup, relative to the source root",
    )
    lsoa_ltla24_lookup: str = Field(
        "lookups/lookup_lsoa21_ward24_ltla24.csv.gz",
        description="LSOA21 -> LTLA24 lookup, relative to the source root",
    )
    iod_columns: list[str] = Field(
        default_factory=lambda: [
            "crime_violence_with_injury_rate",
            "crime_violence_without_injury_rate",
            "crime_stalking_harassment_rate",
        ],
        description="IoD2025 crime indicators summed into the prior-violence count",
    )
    draws: int = Field(500, ge=20, description="Monte Carlo draws for the rank intervals")

    @model_validator(mode="before")
    @classmethod
    def _no_carry_over(cls, data: Any) -> Any:
        if isinstance(data, dict) and "carry_over_from" in data:
            raise ValueError(
                "carry_over_from was removed: a region without street files uses the model "
                "pooled over the forces with street files; set pooled_from = [<police.uk "
                "folders of those forces>] instead"
            )
        return data


def manifest_specs(layers: list[dict[str, Any]]) -> list[LayerSpec]:
    """A build manifest's layer records as :class:`LayerSpec` (extra keys such as
    ``effective_weight`` and ``status`` dropped)."""
    fields = set(LayerSpec.model_fields)
    return [LayerSpec.model_validate({k: v for k, v in d.items() if k in fields}) for d in layers]
