"""Region configuration: one TOML file per VRU area, validated with pydantic.

A new VRU area needs a new TOML file under ``geodata/regions/`` (or any path passed to
``--region``), not new code. Unknown keys are refused so a typo cannot silently fall back to a
default.

This module reads and validates a file; the models of its tables are in
:mod:`sna.config.sources` (what the store is prepared from) and :mod:`sna.config.scoring`
(how the build scores), both re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from sna.config import regions
from sna.config.base import ATTRIBUTION, OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION, StrictModel
from sna.config.contacts import ContactsSpec
from sna.config.outcomes import OutcomesSpec
from sna.config.scoring import LEVELS, LayerSpec, ScoringSpec, ViolenceRiskSpec, manifest_specs
from sna.config.sources import (
    PostcodeSource,
    RegionInfo,
    ServicesSpec,
    Sources,
    SourceSpec,
    SyntheticSpec,
)
from sna.errors import ConfigError
from sna.settings import PROJECT_ROOT

__all__ = [
    "ATTRIBUTION",
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
    "OutcomesSpec",
    "RegionConfig",
    "available_regions",
    "force_area_views",
    "load_region",
]


class BuildsSpec(StrictModel):
    """Keeping builds: how many ``sna builds prune`` keeps by default (current always stays)."""

    keep: int = Field(5, ge=1, description="Builds kept by `sna builds prune`.")


class RegionConfig(StrictModel):
    """A whole region file. ``path`` is where it was read from (not part of the TOML)."""

    region: RegionInfo
    sources: Sources
    synthetic: SyntheticSpec = SyntheticSpec()
    scoring: ScoringSpec = ScoringSpec()
    violence_risk: ViolenceRiskSpec = ViolenceRiskSpec()
    builds: BuildsSpec = BuildsSpec()
    services: ServicesSpec | None = None
    contacts: ContactsSpec = ContactsSpec()
    outcomes: OutcomesSpec = OutcomesSpec()
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
        from sna.errors import LayerNotFound

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

        Scoring, layers, violence risk, outcomes and ``[builds]`` change the build, not the
        store, so a change to them reuses the prepared store.
        """
        keep = self.model_dump(
            mode="json", exclude={"builds", "scoring", "layers", "violence_risk", "outcomes"}
        )
        # which forces' street files a view reads is the build's business (the counts are a
        # shared cache, not a store table), and its force area codes are informative: a
        # store made before these keys existed stays valid
        for key in ("street_files", "trend_files", "pfa_codes"):
            keep["region"].pop(key, None)
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
    """Ids of the regions shipped under ``geodata/regions`` (``vrus.toml`` is data, not a
    region). :func:`sna.config.regions.region_ids` adds the generated force-area views."""
    return sorted(p.stem for p in regions.REGIONS_DIR.glob("*.toml") if p.stem != "vrus")


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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({' '.join(str(exc).split())})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from exc


def _over_generated(raw: dict[str, Any], generated: dict[str, Any]) -> dict[str, Any]:
    """A shipped view's TOML over the generated view of the same id: per key in ``[region]``
    and ``[contacts]``, whole tables elsewhere."""
    out = {**generated, **raw}
    for key in ("region", "contacts"):
        if key in generated or key in raw:
            out[key] = {**generated.get(key, {}), **raw.get(key, {})}
    return out


def load_region(region: str | Path) -> RegionConfig:
    """Load a region by id (``west-midlands``, or a generated force-area view such as
    ``merseyside``) or by path to a TOML file.

    A TOML with ``view_of`` whose id is a generated view's extends that view
    (:mod:`sna.config.regions`). District codes may be LAD 2022 or LTLA 2024
    (:func:`sna.config.regions.resolve_districts`).

    Raises
    ------
    ConfigError
        If the file is missing, not valid TOML, or fails validation; the message names the
        file and the offending fields.
    """
    from sna.config.regions import generated_table, region_ids, resolve_districts

    candidate: Path | None = Path(region)
    raw: dict[str, Any]
    if candidate.suffix != ".toml":
        candidate = regions.REGIONS_DIR / f"{region}.toml"
        if str(region) == "vrus" or not candidate.exists():
            generated = generated_table(str(region))
            if generated is None:
                raise ConfigError(
                    f"{candidate}: region config not found; regions: {', '.join(region_ids())}"
                )
            raw, candidate = generated, None
    if candidate is not None:
        if not candidate.exists():
            raise ConfigError(
                f"{candidate}: region config not found; regions: {', '.join(region_ids())}"
            )
        raw = _read_toml(candidate)
        rid = str(raw.get("region", {}).get("id", ""))
        generated = generated_table(rid) if raw.get("region", {}).get("view_of") else None
        if generated is not None:
            raw = _over_generated(raw, generated)
    where = candidate or f"generated view {region!r}"
    base_of = str(raw.get("region", {}).get("view_of", "") or "")
    if base_of:
        raw = _inherit(load_region(base_of), raw, Path(str(where)))
    try:
        config = RegionConfig.model_validate(
            {**raw, "path": candidate.resolve() if candidate else None}
        )
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_format_validation(exc, raw)}") from exc
    return resolve_districts(config)


def force_area_views(root: Path | None = None) -> list[RegionConfig]:
    """Every generated view, validated, with its shipped extension where there is one."""
    from sna.config.regions import generated_ids

    return [load_region(rid) for rid in generated_ids(root)]
