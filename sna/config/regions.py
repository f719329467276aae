"""Every region the tool knows: the shipped region files and one generated view per English
police force area (:mod:`geodata.force_areas`), and district codes of either vintage.

:func:`sna.config.region.load_region` asks here for an id that has no shipped file, and for a
shipped
file that extends a generated view (a TOML with ``view_of`` and a generated view's id: its
``[region]`` keys and other tables override the generated ones, so a VRU adds its partner
extracts, service directory and contacts without repeating its districts).

District codes may be LAD 2022 (the LSOA lookup's) or LTLA 2024 (what councils use today):
:func:`resolve_districts` replaces a 2024 code of a council merged in 2023 by its 2022
districts, so Somerset's ``E06000066`` builds the same store as its four 2022 districts.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.district_codes import lad22_districts, ltla24_predecessors
from geodata.errors import GeodataError
from geodata.force_areas import PFA_LOOKUP, force_areas
from sna.errors import ConfigError
from sna.settings import source_dir

if TYPE_CHECKING:
    from sna.config.region import RegionConfig

__all__ = [
    "NATIONAL",
    "REGIONS_DIR",
    "generated_table",
    "generated_ids",
    "region_ids",
    "resolve_districts",
]

#: The national region every generated view is a view of.
NATIONAL = "england"


#: The shipped region files, found through the installed package so that a non-editable
#: install works as well as a checkout.
REGIONS_DIR = Path(str(importlib.resources.files("geodata") / "regions"))


def _regions_dir() -> Path:
    return REGIONS_DIR  # read at call time: a test points it elsewhere


def _shipped() -> dict[str, dict[str, Any]]:
    """Shipped region files: id -> their ``[region]`` table (read raw, not validated)."""
    out = {}
    for path in sorted(_regions_dir().glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # load_region reports it when the region is asked for
        if isinstance(raw.get("region"), dict):
            out[path.stem] = raw["region"]
    return out


@lru_cache(maxsize=4)
def _tables(root: str) -> dict[str, dict[str, Any]]:
    own = [rid for rid, region in _shipped().items() if not region.get("view_of")]
    return {t.id: t.region_table() for t in force_areas(Path(root), taken=own)}


def _root() -> Path:
    """The bundle the generated views are read from: the national config's source root."""
    path = _regions_dir() / f"{NATIONAL}.toml"
    try:
        root = tomllib.loads(path.read_text(encoding="utf-8")).get("sources", {}).get("root")
    except (OSError, tomllib.TOMLDecodeError):
        root = ""
    if not root:
        return source_dir()
    p = Path(root).expanduser()
    return (p if p.is_absolute() else (path.parent / p)).resolve()


def generated_ids(root: Path | None = None) -> list[str]:
    """Ids of the generated force-area views (none when the bundle's lookup is absent)."""
    root = root or _root()
    if not (root / PFA_LOOKUP).exists():
        return []
    return list(_tables(str(root)))


def generated_table(region_id: str, root: Path | None = None) -> dict[str, Any] | None:
    """The region tables of a generated view (a deep-enough copy), or None for other ids."""
    root = root or _root()
    if region_id not in generated_ids(root):
        return None
    table = _tables(str(root))[region_id]
    return {k: dict(v) for k, v in table.items()}


def region_ids() -> list[str]:
    """Every id ``load_region`` resolves: shipped files, then the generated views not
    shipped (a shipped view with a generated id extends it and is listed once)."""
    shipped = sorted(_shipped())
    return shipped + [g for g in generated_ids() if g not in shipped]


def resolve_districts(config: RegionConfig) -> RegionConfig:
    """``config`` with LTLA 2024 district codes replaced by their LAD 2022 districts.

    Codes the LSOA lookup holds are kept; a code of a council made in 2023 becomes its 2022
    districts (``la_names`` repeats its name for each). A code in neither lookup is refused,
    naming both files. Without the LSOA lookup (a test source root) nothing is changed.
    """
    districts = list(config.region.districts)
    lad22_path = config.source_path(config.sources.lsoa21_lookup.paths[0])
    if not lad22_path.exists():
        return config
    try:
        known = lad22_districts(lad22_path)
    except (GeodataError, OSError, EOFError):
        return config  # a broken lookup: the prepare step names it, with what is wrong
    if all(d in known for d in districts):
        return config
    ltla24_path = config.source_path(config.outcomes.lsoa_lookup)
    newer = ltla24_predecessors(lad22_path, ltla24_path) if ltla24_path.exists() else {}
    neither = [d for d in districts if d not in known and d not in newer]
    if neither:
        raise ConfigError(
            f"{config.path or config.id}: region.districts: {neither} are neither LAD 2022 "
            f"district codes ({lad22_path.name}) nor LTLA 2024 codes ({ltla24_path.name})"
        )
    names = list(config.region.la_names)
    out, out_names = [], []
    for i, code in enumerate(districts):
        for d in newer.get(code, [code]):
            if d not in out:
                out.append(d)
                if names:
                    out_names.append(names[i])
    region = config.region.model_copy(update={"districts": out, "la_names": out_names})
    return config.model_copy(update={"region": region})
