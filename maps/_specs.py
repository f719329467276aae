"""Which static maps a build has: one list shared by the HTML maps and the printed maps.

Each :class:`MapSpec` names a map (its file stem), its title and subtitle, the themes it draws
(first one shown, and printed, by default), the LSOAs it covers and which boundaries outline
them. :mod:`maps.static` turns the specs into Folium maps and :mod:`maps.print` into A4 pages,
so the two outputs cannot drift apart in what they show or how they band and colour it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sna import PublicBuild

from ._themes import Theme, gap_themes, hotspot_themes, overview_themes

__all__ = ["MapSpec", "map_specs", "district_stem", "shown_title"]


def district_stem(name: str) -> str:
    """``district-<slug>`` for a district name (``Birmingham`` -> ``district-birmingham``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "district"
    return f"district-{slug}"


@dataclass(frozen=True)
class MapSpec:
    """One static map: what it shows and where.

    ``stem`` is the file name without its suffix (``overview``, ``district-luton``);
    ``mask`` selects the build's LSOAs (build order) the map draws; ``outline_by`` is the
    column whose areas are outlined (``district_name`` or ``ward_name``), or None.
    """

    stem: str
    title: str
    subtitle: str
    themes: list[Theme]
    mask: np.ndarray
    area: str
    outline_by: str | None
    kind: str  # "overview", "hotspots", "protective-gap" or "district"

    @property
    def n(self) -> int:
        """Number of LSOAs on the map."""
        return int(self.mask.sum())


def shown_title(spec: MapSpec, theme: Theme) -> str:
    """The title of ``spec`` when it shows one ``theme`` (a printed page, a report figure):
    it names that theme only (``Birmingham: violence risk by neighbourhood``), where the
    HTML map's title names every theme of its layer control."""
    if spec.kind not in ("overview", "district"):
        return spec.title  # hotspots and the protective gap: one theme, named in the title
    what = theme.title[:1].lower() + theme.title[1:]
    return f"{spec.area}: {what} by neighbourhood"


def map_specs(build: PublicBuild, *, districts: bool = True) -> list[MapSpec]:
    """The static maps of ``build``: overview, hotspots, protective gap, then each district."""
    lsoa = build.lsoa
    n = len(lsoa)
    region = build.region_name
    everything = np.ones(n, bool)
    sub = f"{n:,} LSOAs, build {build.build_id}"
    specs = [
        MapSpec(
            "overview",
            f"{region}: violence risk and needs by neighbourhood",
            f"Expected offences next year, needs, risk and protective by LSOA; {sub}",
            overview_themes(build),
            everything,
            region,
            "district_name",
            "overview",
        ),
        MapSpec(
            "hotspots",
            f"{region}: hotspots of need",
            f"Significant spatial clusters of the need index; {sub}",
            hotspot_themes(build),
            everything,
            region,
            "district_name",
            "hotspots",
        ),
        MapSpec(
            "protective-gap",
            f"{region}: protective gap",
            f"High risk with little protective access nearby; {sub}",
            gap_themes(build),
            everything,
            region,
            "district_name",
            "protective-gap",
        ),
    ]
    if districts:
        codes = lsoa["district_code"].astype(str).to_numpy()
        for code, name in build.districts.itertuples(index=False):
            mask = codes == str(code)
            specs.append(
                MapSpec(
                    district_stem(str(name)),
                    f"{name}: violence risk and needs by neighbourhood",
                    f"{int(mask.sum()):,} LSOAs; colours are bands across {region}",
                    overview_themes(build),
                    mask,
                    str(name),
                    "ward_name" if "ward_name" in lsoa.columns else None,
                    "district",
                )
            )
    return specs
