"""What ``sna regions`` shows: every region and generated view, and what data each has.

Read cheaply, without preparing anything: district names from the LSOA lookup (cached), the
months of police.uk street files from their file names, partner extracts and the service
directory from the config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geodata.district_codes import lad22_districts
from geodata.force_areas import street_folder, street_months
from sna.config.region import RegionConfig, load_region
from sna.config.regions import generated_ids, region_ids

__all__ = ["region_rows", "region_summary", "month_span"]

PARTNER = ("hospital_admissions", "pupil_exclusions")


def month_span(months: list[str]) -> str:
    """``2022-01..2022-11 (11 months)``; ``2022-03 (1 month)``; ``""`` for none."""
    if not months:
        return ""
    span = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
    return f"{span} ({len(months)} month{'s' if len(months) != 1 else ''})"


def _street(config: RegionConfig) -> list[dict[str, Any]]:
    """The street files a region uses: a view's force folders, or a region's own police.uk
    source folders; ``trend_only`` lists the districts of files that cover part of a view."""
    root = config.sources.root_dir(config.path.parent if config.path else None)
    folders: list[tuple[str, Path | None]] = [
        (s, street_folder(root, s)) for s in config.region.street_files
    ]
    if not config.region.view_of and config.sources.police_uk is not None:
        folders += [(Path(p).name, config.source_path(p)) for p in config.sources.police_uk.paths]
    partial = dict(getattr(config.region, "trend_files", None) or {})
    folders += [(s, street_folder(root, s)) for s in partial]
    out = []
    for name, folder in folders:
        months = street_months(folder) if folder is not None and folder.is_dir() else []
        row = {"force": name, "months": months, "span": month_span(months)}
        if name in partial:  # files of part of the view: its trend there, no model
            row["trend_only"] = list(partial[name])
        out.append(row)
    return out


def region_summary(config: RegionConfig, generated: bool = False) -> dict[str, Any]:
    """One region's row: who, where, and what data it has (JSON-ready)."""
    lookup = config.source_path(config.sources.lsoa21_lookup.paths[0])
    names = lad22_districts(lookup) if lookup.exists() else {}
    extracts = [n for n in PARTNER if getattr(config.sources, n) is not None]
    if config.path is None:
        kind = "generated view"
    elif config.region.view_of:
        kind = "generated view + TOML" if generated else "view"
    else:
        kind = "region"
    return {
        "id": config.id,
        "name": config.region.name,
        "kind": kind,
        "view_of": config.region.view_of,
        "vru": config.region.vru,
        "pfa_codes": list(config.region.pfa_codes),
        "districts": list(config.region.districts),
        "district_names": [names.get(d, d) for d in config.region.districts],
        "street_files": _street(config),
        "partner_extracts": extracts,
        "service_directory": str(config.services_path()) if config.services else "",
        "config": str(config.path) if config.path else "",
    }


def region_rows() -> list[dict[str, Any]]:
    """Every region ``load_region`` resolves, shipped first, then the generated views."""
    generated = set(generated_ids())
    return [region_summary(load_region(rid), rid in generated) for rid in region_ids()]
