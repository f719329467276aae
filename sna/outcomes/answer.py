"""One region's outcomes answer: what ``sna build`` stores and ``/api/v1/outcomes`` sends.

:func:`compute_outcomes` reads the ONS tables and lookups named by the region's
``[outcomes]`` table, places the region in its police force area(s) from its districts, and
assembles the series of :mod:`sna.outcomes.series` and :mod:`sna.outcomes.partner` with units,
sources and sentences. :func:`write_outcomes` writes it into a build folder as
``outcomes.json`` (the answers writer copies it into ``answers.sqlite``);
:func:`audit_outcomes` checks it against the disclosure rule before the build publishes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from geodata.outcomes import read_measures_file, read_pfa_tables
from geodata.outcomes_areas import census_population_by_pfa, forces_of_districts
from sna.config.region import OGL, RegionConfig
from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.outcomes.partner import AWAITING, hospital_years, own_measures, police_monthly
from sna.outcomes.series import populations, series
from sna.outcomes.words import CANNOT_GIVE, ROLLING_YEARS, sentences

__all__ = [
    "OUTCOMES_FILE",
    "MEASURES",
    "compute_outcomes",
    "write_outcomes",
    "build_outcomes",
    "audit_outcomes",
    "outcomes_table",
    "read_outcomes",
]

OUTCOMES_FILE = "outcomes.json"

MEASURES: dict[str, dict[str, str]] = {
    "knife_enabled_serious_violence": {
        "title": "Knife-enabled serious violence",
        "home_office_measure": "Less knife-enabled serious violence, especially among victims "
        "under 25, from police recorded crime.",
        "definition": "Selected serious offences involving a knife or sharp instrument "
        "recorded by the police: attempted murder, threats to kill, assault with injury and "
        "with intent to cause serious harm, robbery, rape and sexual assault, and homicide "
        "(ONS Table P4 'Total of selected serious offences'; P5 for earlier years).",
        "noun": "knife-enabled serious offences",
        "unit": "offences a year",
    },
    "homicide": {
        "title": "Homicide",
        "home_office_measure": "Fewer non-domestic homicides, especially among victims under "
        "25 involving knives.",
        "definition": "Homicides recorded by the police (ONS Table P1), all of them: the "
        "tables do not split off domestic homicide. 'Of which involving a knife' is Table "
        "P4's count of homicides involving a knife or sharp instrument.",
        "noun": "homicides",
        "unit": "homicides a year",
    },
    "hospital_sharp_object_assault": {
        "title": "Hospital admissions for assault with a sharp object",
        "home_office_measure": "Fewer hospital admissions for assault with a knife or sharp "
        "object, especially among victims under 25.",
        "definition": "Admissions in the partner extract with ICD-10 cause X99 (assault by "
        "sharp object), counted per year ending March, all ages and under 25. Counts of 1 to "
        "7 are not published.",
        "noun": "admissions",
        "unit": "admissions a year",
    },
}


def _areas(config: RegionConfig, tidy: pd.DataFrame, forces: dict[str, str]) -> tuple:
    """The subject (the VRU's force area(s)) and the series areas: subject, each force of
    several, their English region(s), England and Wales."""
    names = tidy.drop_duplicates("area_code").set_index("area_code")
    codes = list(forces)
    unknown = [c for c in codes if c not in names.index]
    if unknown:
        from sna.errors import ConfigError

        raise ConfigError(
            f"{config.path}: outcomes: force area(s) {unknown} are not in the ONS tables"
        )
    force_names = [str(names.at[c, "area_name"]) for c in codes]
    if len(codes) == 1:
        subject = {"code": codes[0], "name": f"{force_names[0]} Police", "kind": "force"}
    else:
        subject = {"code": f"vru:{config.id}", "name": config.region.name, "kind": "vru"}
    subject["forces"] = [{"code": c, "name": n} for c, n in zip(codes, force_names, strict=True)]
    areas = [{**subject, "codes": codes}]
    if len(codes) > 1:
        areas += [
            {"code": c, "name": n, "kind": "force", "codes": [c]}
            for c, n in zip(codes, force_names, strict=True)
        ]
    comparators = []
    for region in dict.fromkeys(names.loc[codes, "region_code"].dropna()):
        if region in names.index and str(region).startswith("E12"):
            comparators.append(
                {
                    "code": region,
                    "name": str(names.at[region, "area_name"]),
                    "kind": "english_region",
                }
            )
    comparators.append({"code": "K04000001", "name": "England and Wales", "kind": "country"})
    areas += [{**c, "codes": [c["code"]]} for c in comparators]
    return subject, comparators, areas


def _sources(config: RegionConfig, tidy: pd.DataFrame, hospital: dict, police: list) -> list:
    editions = list(dict.fromkeys(tidy.sort_values("edition_end")["edition"]))
    out = [
        {
            "name": "ONS, Crime in England and Wales: Police Force Area data tables",
            "vintage": f"{len(editions)} editions: {editions[0]} to {editions[-1]}"
            if editions
            else "",
            "licence": "OGL v3.0",
            "attribution": OGL,
        },
        {
            "name": "ONS mid-year population estimates (Table P9) and Census 2021 usual "
            "residents (TS007A), for rates per 100,000",
            "vintage": config.sources.population.vintage,
            "licence": "OGL v3.0",
            "attribution": OGL,
        },
    ]
    hs = config.sources.hospital_admissions
    if hospital["status"] != AWAITING:
        out.append(
            {
                "name": "Hospital admissions partner extract"
                + (" (synthetic stand-in)" if hospital["synthetic"] else ""),
                "vintage": hs.vintage if hs else "synthetic",
                "licence": hs.licence if hs else "synthetic",
                "attribution": hs.attribution if hs else "",
            }
        )
    if police and config.sources.police_uk:
        out.append(
            {
                "name": "police.uk street-level crime",
                "vintage": config.sources.police_uk.vintage,
                "licence": "OGL v3.0",
                "attribution": OGL,
            }
        )
    return out


def compute_outcomes(
    config: RegionConfig,
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    areas: pd.DataFrame | None = None,
    synthetic: bool = False,
) -> dict[str, Any]:
    """The region's outcomes answer (JSON-ready).

    ``tables`` are the build's store tables (``hospital_admissions``, ``crime_points``),
    ``areas`` its LSOAs (for the police.uk counts); ``synthetic`` marks a hospital table that
    is a synthetic stand-in.
    """
    spec = config.outcomes
    tidy = read_pfa_tables(config.source_path(spec.tables))
    forces = (
        {c: c for c in spec.forces}
        if spec.forces
        else forces_of_districts(
            config.source_path(spec.pfa_lookup),
            config.region.districts,
            lsoa_lookup=config.source_path(spec.lsoa_lookup),
            lsoas=areas,
        )
    )
    census = census_population_by_pfa(
        config.source_path(config.sources.population.paths[0]),
        config.source_path(spec.lsoa_lookup),
        config.source_path(spec.pfa_lookup),
    )
    pops = populations(tidy, census)
    subject, comparators, series_areas = _areas(config, tidy, forces)
    tables = tables or {}
    hospital = hospital_years(
        tables.get("hospital_admissions"), config.scoring.disclosure_threshold, synthetic
    )
    measures = []
    for mid, meta in MEASURES.items():
        m: dict[str, Any] = {"id": mid, **meta, "rate_unit": "per 100,000 residents"}
        if mid == "hospital_sharp_object_assault":
            m.update(
                status=hospital["status"],
                synthetic=hospital["synthetic"],
                provenance="recorded" if hospital["status"] != AWAITING else None,
                source="the configured hospital partner extract",
                series=[],
                years=hospital["years"],
                rate_unit=None,
            )
        else:
            m.update(
                status="published",
                synthetic=False,
                provenance="recorded",
                source="ONS police force area data tables",
                series=series(tidy, pops, mid, series_areas),
                years=[],
            )
        measures.append(m)
    police = police_monthly(tables.get("crime_points"), areas) if areas is not None else []
    measures_file = None
    if spec.measures:
        base = config.path.parent if config.path else Path.cwd()
        measures_file = read_measures_file((base / spec.measures).resolve())
    answer: dict[str, Any] = {
        "region": config.id,
        "region_name": config.region.name,
        "vru": config.region.vru or None,
        "subject": subject,
        "comparators": comparators,
        "measures": measures,
        "police_uk": {
            "available": bool(police),
            "note": "The police.uk street-level records closest to the measures, each what it "
            "says and not the Home Office measure (no knife flag, no victim age)."
            if police
            else "No police.uk street-level files for this region.",
            "series": police,
        },
        "own_measures": own_measures(measures_file, spec.measures_source),
        "cannot_give": list(CANNOT_GIVE),
        "rolling_years": ROLLING_YEARS,
        "sources": _sources(config, tidy, hospital, police),
        "synthetic": bool(hospital["synthetic"]),
    }
    answer["sentences"] = sentences(answer)
    return answer


def write_outcomes(folder: Path, answer: dict[str, Any]) -> Path:
    """``outcomes.json`` in a build folder."""
    path = Path(folder) / OUTCOMES_FILE
    path.write_text(json.dumps(answer, indent=1, ensure_ascii=False))
    return path


#: Said beside a yearly count held back by the disclosure rule.
SMALL_NOTE = f" (fewer than {DISCLOSURE_THRESHOLD}: not published)"


def audit_outcomes(answer: dict[str, Any], threshold: int = DISCLOSURE_THRESHOLD) -> list[str]:
    """Every hospital (partner) count of 1 to ``threshold - 1`` in an answer, as
    ``'<measure> <year>: <field> = n'`` (empty: safe)."""
    threshold = max(int(threshold), DISCLOSURE_THRESHOLD)
    found = []
    for m in answer.get("measures", []):
        for y in m.get("years", []):
            for key in ("all_ages", "under_25"):
                n = y.get(key)
                if n is not None and 0 < n < threshold:
                    found.append(f"{m['id']} {y.get('label')}: {key} = {n}")
            a, u = y.get("all_ages"), y.get("under_25")
            if a is not None and u is not None and 0 < a - u < threshold:
                found.append(f"{m['id']} {y.get('label')}: all ages - under 25 = {a - u}")
    return found


def build_outcomes(
    folder: Path,
    config: RegionConfig,
    tables: dict[str, pd.DataFrame],
    areas: pd.DataFrame,
    synthetic: bool,
) -> list[str]:
    """``sna build``'s step: write the outcomes answer into the build folder.

    A region whose source root has no ONS tables (or lookups) builds without outcomes and
    the returned warning says so; a workbook that is there but unreadable stops the build.
    """
    from geodata.errors import MissingFileError

    try:
        answer = compute_outcomes(config, tables=tables, areas=areas, synthetic=synthetic)
    except MissingFileError as exc:
        return [f"outcomes not built: {exc}"]
    write_outcomes(folder, answer)
    return []


def read_outcomes(folder: Path) -> dict[str, Any] | None:
    """A build's outcomes answer, or None for a build made without it."""
    path = Path(folder) / OUTCOMES_FILE
    return json.loads(path.read_text()) if path.exists() else None


def outcomes_table(answer: dict[str, Any]) -> pd.DataFrame:
    """Every point of every series as one tidy table (what ``sna outcomes`` writes as CSV):
    the non-overlapping points, the latest rolling years (``point = False``) and the
    hospital years."""
    rows = []
    for m in answer["measures"]:
        for s in m["series"]:
            for p, is_point in [(p, True) for p in s["points"]] + (
                [(s["latest"], False)] if s["latest"] else []
            ):
                rows.append(
                    {
                        "measure": m["id"],
                        "area_code": s["code"],
                        "area_name": s["name"],
                        "area_kind": s["kind"],
                        "point": is_point,
                        **{k: p.get(k) for k in (
                            "period_start", "period_end", "label", "count", "rate_per_100k",
                            "rate_basis", "rate_provenance", "pct_involving_knife",
                            "involving_knife", "edition", "table",
                        )},
                        "unit": m["unit"],
                        "overlaps": p.get("overlaps"),
                    }
                )  # fmt: skip
        for y in m["years"]:
            for key in ("all_ages", "under_25"):
                rows.append(
                    {
                        "measure": f"{m['id']}_{key}",
                        "area_code": answer["subject"]["code"],
                        "area_name": answer["region_name"],
                        "area_kind": "vru",
                        "point": True,
                        "period_start": y["period_start"],
                        "period_end": y["period_end"],
                        "label": y["label"],
                        "count": y[key],
                        "unit": m["unit"] + (SMALL_NOTE if y[key] is None else ""),
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)
