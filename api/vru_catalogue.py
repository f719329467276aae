"""Which VRU views a national build has, and what data each holds (``/api/v1/vrus``).

A VRU is a view of the national build (``view_of``): one per police force area, generated
by :func:`sna.config.region.force_area_views`, plus the shipped
region files that declare ``view_of`` (a shipped file overrides a generated view with the
same id: that is how an area configures its extracts, directory and contacts) and any view
configs a deployment names (``SNA_API_VIEW_CONFIGS``). The server serves the ones whose
build is published, each under ``/vru/<id>/``.

Read once at start-up, with no pandas: configs are TOML and pydantic, and the street-file
months are file names.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from geodata.force_areas import street_folder
from geodata.force_areas import street_months as street_months_of
from sna.builds.registry import current_target
from sna.config.region import RegionConfig, load_region
from sna.config.regions import REGIONS_DIR
from sna.settings import source_dir

__all__ = [
    "GENERATED_VIEW_OF",
    "PARTNER_SOURCES",
    "ViewInfo",
    "view_catalogue",
    "generated_views",
    "street_months",
]

log = logging.getLogger(__name__)

#: The region the generated force-area views are views of.
GENERATED_VIEW_OF = "england"
#: The partner extracts a view may configure (sna.prepare.view_sources.PARTNER_SOURCES' names).
PARTNER_SOURCES = ("hospital_admissions", "pupil_exclusions")


@dataclass(frozen=True)
class ViewInfo:
    """What the front door needs of one view's config (the config itself is not kept)."""

    id: str
    name: str
    vru: str
    districts: tuple[str, ...]
    street_files: tuple[str, ...] = ()
    trend_files: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (force, its districts)
    pfa_codes: tuple[str, ...] = ()
    partner_extracts: tuple[str, ...] = ()
    directory: bool = False
    generated: bool = False
    config: str = ""  # the id or TOML path load_region takes
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def path(self) -> str:
        """Where the server serves it."""
        return f"/vru/{self.id}/"

    @classmethod
    def of(cls, config: RegionConfig, *, generated: bool = False, ref: str = "") -> ViewInfo:
        """The parts of ``config`` the front door uses."""
        region = config.region
        return cls(
            id=config.id,
            name=region.name,
            vru=str(getattr(region, "vru", "") or ""),
            districts=tuple(region.districts),
            street_files=tuple(getattr(region, "street_files", None) or ()),
            trend_files=tuple(
                (force, tuple(districts))
                for force, districts in (getattr(region, "trend_files", None) or {}).items()
            ),
            pfa_codes=tuple(getattr(region, "pfa_codes", None) or ()),
            partner_extracts=tuple(
                n for n in PARTNER_SOURCES if getattr(config.sources, n, None) is not None
            ),
            directory=config.services is not None,
            generated=generated,
            config=ref or config.id,
        )

    def status(self, data_dir: Path | None) -> dict[str, Any]:
        """This view's entry in ``/api/v1/vrus``: names, path, served or not, data held."""
        target = current_target(self.id, data_dir)
        return {
            "id": self.id,
            "name": self.name,
            "vru": self.vru,
            "path": self.path,
            "build_id": target.name if target is not None else None,
            "data": {
                "street_files": [
                    {"force": slug, **street_months(slug)} for slug in self.street_files
                ],
                "trend_files": [
                    {"force": slug, **street_months(slug), "districts": list(districts)}
                    for slug, districts in self.trend_files
                ],
                "partner_extracts": list(self.partner_extracts),
                "directory": self.directory,
            },
        }


def _view_of_id(view_of: str) -> str:
    """The id of the region a ``view_of`` names (an id, or a TOML path whose id it reads)."""
    if not view_of.endswith(".toml"):
        return view_of
    return _toml_id(str(Path(view_of).resolve()))


@lru_cache(maxsize=64)
def _toml_id(path: str) -> str:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return Path(path).stem
    return str(raw.get("region", {}).get("id") or Path(path).stem)


def _declared_view_of(path: Path) -> str:
    """``region.view_of`` of a TOML file, read without validating it ("" when none)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    return str(raw.get("region", {}).get("view_of", "") or "")


def generated_views(region: str) -> list[RegionConfig]:
    """The force-area views generated for ``region`` (:func:`sna.config.regions.
    force_area_views`; none for another region)."""
    if region != GENERATED_VIEW_OF:
        return []
    from sna.config.region import force_area_views

    return list(force_area_views())


def view_catalogue(
    region: str,
    configs: Iterable[str | Path] = (),
    *,
    others: Iterable[str | Path] = (),
    generated: list[RegionConfig] | None = None,
) -> list[ViewInfo]:
    """Every view of ``region``, in id order: generated, shipped (overriding), then
    ``configs`` (ids or TOML paths of more views; one that is not a view of ``region`` is
    a :class:`~sna.errors.ConfigError` naming it), then those of ``others`` that are views
    of ``region`` (the rest are left out).

    ``generated`` replaces :func:`generated_views` (tests).
    """
    out: dict[str, ViewInfo] = {}
    for cfg in generated_views(region) if generated is None else generated:
        if _view_of_id(str(cfg.region.view_of or "")) == region:
            out[cfg.id] = ViewInfo.of(cfg, generated=True)
    for path in sorted(REGIONS_DIR.glob("*.toml")):
        of = _declared_view_of(path)
        if of and _view_of_id(of) == region:
            cfg = load_region(path.stem)
            out[cfg.id] = ViewInfo.of(cfg, generated=cfg.id in out)
    for ref in configs:
        cfg = load_region(ref)
        of = str(cfg.region.view_of or "")
        if not of or _view_of_id(of) != region:
            from sna.errors import ConfigError

            raise ConfigError(
                f"view {str(ref)!r}: not a view of {region!r} (its view_of is {of or 'unset'!r})"
            )
        out[cfg.id] = ViewInfo.of(cfg, generated=cfg.id in out, ref=str(ref))
    for ref in others:
        cfg = load_region(ref)
        if _view_of_id(str(cfg.region.view_of or "")) == region:
            out[cfg.id] = ViewInfo.of(cfg, generated=cfg.id in out, ref=str(ref))
    return [out[k] for k in sorted(out)]


@lru_cache(maxsize=128)
def street_months(slug: str) -> dict[str, Any]:
    """The police.uk street files the bundle holds for one force: how many months, first
    and last (``{"months": 0, ...}`` when there are none); the folder and the months are
    :mod:`geodata.force_areas`' (file names only)."""
    folder = street_folder(source_dir(), slug)
    ordered = street_months_of(folder) if folder is not None else []
    return {
        "months": len(ordered),
        "first": ordered[0] if ordered else None,
        "last": ordered[-1] if ordered else None,
    }
