"""England's police force areas as VRU views of the national build, made from the ONS lookup.

A Violence Reduction Unit covers a police force area. The ONS district -> community safety
partnership -> force area lookup (2024, ``lookups/lookup_ltla24_csp24_pfa24.csv.gz``) says
which districts each force area holds, so every force area's view is generated from it
rather than written by hand. ``regions/vrus.toml`` adds what the lookup does not hold: the
name police.uk gives each force, the VRU where there is one, and that London's view is the
Metropolitan Police and City of London areas together (38 views of the 39 English PFAs).

This module returns plain region tables (the ``[region]`` and ``[contacts]`` of a TOML):
``geodata`` may not import ``sna`` (tests/test_architecture.py), so
:func:`sna.config.region.force_area_views` turns them into validated configs. The districts
are the lookup's LTLA 2024 codes, which the config loader resolves to the LSOA lookup's LAD
2022 codes (:mod:`geodata.district_codes`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .district_codes import csv_rows
from .errors import InputFileError, MissingFileError

__all__ = [
    "PFA_LOOKUP",
    "VRUS_FILE",
    "STREET_FOLDERS",
    "ForceArea",
    "force_areas",
    "force_area_tables",
    "force_slug",
    "slug",
    "street_folder",
    "street_months",
]

#: The district -> force area lookup, relative to the bundle.
PFA_LOOKUP = "lookups/lookup_ltla24_csp24_pfa24.csv.gz"
#: Force names, VRUs and London's merge (documented in the file itself).
VRUS_FILE = Path(__file__).parent / "regions" / "vrus.toml"
#: Where police.uk street files are kept in the bundle, one folder per force slug.
STREET_FOLDERS = ("crime/police-uk-2022", "crime")
_MONTH = re.compile(r"^(\d{4}-\d{2})-.+-street\.csv(\.gz)?$")


@dataclass(frozen=True)
class ForceArea:
    """One generated view: a force area (or London's two) and what the bundle holds for it."""

    id: str
    name: str
    pfa_codes: list[str]
    districts: list[str]  # LTLA 2024 codes, in the lookup's order
    district_names: list[str]
    police_force: str
    vru: str = ""
    website: str = ""
    street_files: list[str] = field(default_factory=list)
    #: forces with files where not every force of the view has them: force -> its districts
    trend_files: dict[str, list[str]] = field(default_factory=dict)

    def region_table(self) -> dict[str, Any]:
        """The view as a region file's tables (``[region]``, and ``[contacts]`` when known)."""
        out: dict[str, Any] = {
            "region": {
                "id": self.id,
                "name": self.name,
                "vru": self.vru,
                "police_force": self.police_force,
                "view_of": "england",
                "districts": list(self.districts),
                "pfa_codes": list(self.pfa_codes),
                "street_files": list(self.street_files),
            }
        }
        if self.trend_files:
            out["region"]["trend_files"] = {k: list(v) for k, v in self.trend_files.items()}
        if self.website:
            out["contacts"] = {"vru_website": self.website}
        return out


def slug(name: str) -> str:
    """``Devon & Cornwall`` -> ``devon-and-cornwall`` (ids, and police.uk's folder names)."""
    text = name.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def force_slug(police_force: str) -> str:
    """police.uk's id of a force, the name of its street files' folder:
    ``Avon and Somerset Constabulary`` -> ``avon-and-somerset``, ``Metropolitan Police
    Service`` -> ``metropolitan``."""
    name = re.sub(r"\s+(Police Service|Police|Constabulary)$", "", police_force.strip())
    return slug(name)


def street_folder(root: Path, force_slug: str) -> Path | None:
    """The bundle's folder of this force's police.uk street files, if it holds one."""
    for parent in STREET_FOLDERS:
        folder = root / parent / force_slug
        if folder.is_dir() and any(_MONTH.match(p.name) for p in folder.iterdir()):
            return folder
    return None


def street_months(folder: Path) -> list[str]:
    """The months (``YYYY-MM``) of a folder's street files, read from their names only."""
    found = (_MONTH.match(p.name) for p in folder.iterdir())
    return sorted({m.group(1) for m in found if m})


def _vrus(path: Path) -> dict[str, dict[str, str]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(path, f"cannot read the force areas table ({exc})") from exc


_LOOKUP_COLUMNS = ("ltla24_code", "ltla24_name", "pfa24_code", "pfa24_name")


def _lookup(path: Path) -> list[tuple[str, ...]]:
    """England's rows of the district -> force area lookup, each district once (a district
    in several community safety partnerships appears once per CSP)."""
    if not path.exists():
        raise MissingFileError(path, "the district -> police force area lookup")
    seen: set[str] = set()
    out = []
    for row in csv_rows(path, _LOOKUP_COLUMNS):
        if row[2].startswith("E23") and row[0] not in seen:  # England's force areas
            seen.add(row[0])
            out.append(row)
    return out


def force_areas(root: Path, taken: Iterable[str] = (), vrus: Path = VRUS_FILE) -> list[ForceArea]:
    """Every English force area's view, in PFA code order (London once, for both forces).

    ``root`` is the bundle. ``taken`` are ids of shipped regions of their own (not views):
    a force area whose slug is one of them gets ``<slug>-view`` (West Midlands, Bedfordshire).
    A view uses a force's street files only when every force of the view has them, so that
    its recorded counts cover all of it (London: the City's files alone would cover one of
    its 33 districts, so London's ``street_files`` are empty). Those forces are the view's
    ``trend_files`` instead, with their districts: they count the monthly trend of their own
    LSOAs only.
    """
    lookup = _lookup(root / PFA_LOOKUP)
    table = _vrus(vrus)
    unknown = sorted({r[2] for r in lookup} - set(table))
    if unknown:
        raise InputFileError(vrus, f"no entry for the force area(s) {unknown} of {PFA_LOOKUP}")
    groups: dict[str, list[str]] = {}
    for code in sorted({r[2] for r in lookup}):
        groups.setdefault(table[code].get("joins", code), []).append(code)
    taken = set(taken)
    out = []
    for lead, codes in groups.items():
        info = table[lead]
        rows = [r for r in lookup if r[2] in codes]
        name = info.get("name") or next(r[3] for r in rows if r[2] == lead)
        view_id = slug(name) + ("-view" if slug(name) in taken else "")
        forces = [force_slug(table[c]["police_force"]) for c in codes]
        folders = [f for f in forces if street_folder(root, f) is not None]
        partial = {
            force: [r[0] for r in rows if r[2] == code]
            for code, force in zip(codes, forces, strict=True)
            if force in folders and len(folders) < len(forces)
        }
        out.append(
            ForceArea(
                id=view_id,
                name=name,
                pfa_codes=codes,
                districts=[r[0] for r in rows],
                district_names=[r[1] for r in rows],
                police_force=info["police_force"],
                vru=info.get("vru", ""),
                website=info.get("website", ""),
                street_files=folders if len(folders) == len(forces) else [],
                trend_files=partial,
            )
        )
    return out


def force_area_tables(root: Path, taken: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The generated views as region tables (see :meth:`ForceArea.region_table`)."""
    return [area.region_table() for area in force_areas(root, taken)]
