"""Prepare step: GIAS schools, DfE exclusions by authority and their district-level rates."""

from __future__ import annotations

import pandas as pd

from geodata import schools
from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.prepare.steps import TableWriter, source_file


def education_authorities(config: RegionConfig, gias: pd.DataFrame | None) -> list[str]:
    """The DfE (education) authority of each district, in the order of ``districts``.

    ``[region].la_names`` when given (in a two-tier area, the county's name for each of its
    districts); otherwise read from GIAS, where every school carries its authority's name:
    each district's authority is the one its schools belong to (for a district of a
    two-tier county that is the county).
    """
    if config.region.la_names:
        return list(config.region.la_names)
    if gias is None or gias.empty or "district_code" not in gias.columns:
        raise ConfigError(
            f"{config.path or config.id}: region.la_names: needed to find each district's DfE "
            "authority (no GIAS schools source to read it from); give one name per district"
        )
    found, missing = [], []
    for code in config.region.districts:
        names = gias.loc[gias["district_code"] == code, "la_name"].dropna()
        if names.empty:
            missing.append(code)
            continue
        found.append(str(names.value_counts().index[0]))
    if missing:
        raise ConfigError(
            f"{config.path or config.id}: region.la_names: no GIAS school in district(s) "
            f"{missing}, so their DfE authority is unknown; give la_names, one per district"
        )
    return found


def step_schools(ctx: dict, w: TableWriter) -> None:
    """GIAS schools and the DfE exclusions of the region's authorities."""
    config: RegionConfig = ctx["config"]
    s = config.sources
    gias = None
    if s.schools:
        g = schools.read_gias(
            source_file(ctx, "schools"),
            districts=config.region.districts,
            lsoa_lookup=ctx["lsoa21"][["lsoa21_code", "district_code"]],
        )
        gias = g.data
        w.write("schools", g.data, ["schools"], [g.report], description="Schools (GIAS)")
    ctx["gias"] = gias
    la_rates = None
    if s.exclusions_la:
        authorities = education_authorities(config, gias)
        # (DfE authority in the exclusions file, district): a reorganised authority pools
        # its predecessors' counts (geodata.schools.dfe_authority_names)
        pairs = [
            (name, d)
            for a, d in zip(authorities, config.region.districts, strict=True)
            for name in schools.dfe_authority_names(a)
        ]
        where = f"{config.path or config.id}: region.la_names"
        try:
            ex = schools.read_la_exclusions(
                source_file(ctx, "exclusions_la"),
                la_names=sorted({a for a, _ in pairs}),
                reasons_path=source_file(ctx, "exclusions_reasons")
                if s.exclusions_reasons
                else None,
            )
        except ValueError as exc:  # an unknown authority name: a config error
            raise ConfigError(f"{where}: {exc}") from exc
        if not config.region.la_names:
            ex.report.notes.append(
                "DfE authority of each district read from GIAS: "
                + ", ".join(
                    f"{d} {a}" for d, a in zip(config.region.districts, authorities, strict=True)
                )
            )
        w.write(
            "exclusions_la",
            ex.data,
            ["exclusions_la"] + (["exclusions_reasons"] if s.exclusions_reasons else []),
            [ex.report],
            description="DfE exclusions by local authority (published)",
        )
        try:  # the synthetic pupil-exclusions stand-in is calibrated on one year's rates
            la_rates = schools.exclusion_rates(
                ex.data, pairs, year=config.synthetic.exclusions_year
            )
        except ValueError as exc:
            if config.synthetic.partner_data and config.synthetic.pupil_exclusions:
                raise ConfigError(f"{where} / synthetic.exclusions_year: {exc}") from exc
            la_rates = None  # not needed without the stand-in
        interim = _district_exclusions(ex.data, pairs, ctx["lsoa21"])
        w.write(
            "exclusions_district",
            interim,
            ["exclusions_la"],
            [ex.report],
            description="DfE exclusions per 1,000 pupils by district (published, open), "
            f"{interim['years'].iloc[0]}, given to each LSOA21 of the district",
        )
    ctx["la_exclusions"] = la_rates


def _district_exclusions(
    exclusions: pd.DataFrame,
    pairs: list[tuple[str, str]],
    areas: pd.DataFrame,
    n_years: int = 3,
) -> pd.DataFrame:
    """Open DfE exclusion rates at district level, on every LSOA21 of the district.

    Permanent exclusions plus suspensions per 1,000 pupils (all state-funded schools) over
    the latest ``n_years`` academic years in the file: the interim layer used until a
    pupil-level partner extract is configured. ``pairs`` are (DfE authority, district code);
    in a two-tier area the districts of one county share its rate, and ``level`` says so.
    """
    years = sorted(exclusions["year"].dropna().unique())[-n_years:]
    # a suppressed authority-year is left out (its district's rate uses its other years)
    rates = [schools.exclusion_rates(exclusions, pairs, year=y, suppressed="skip") for y in years]
    both = pd.concat(rates, ignore_index=True)
    per = both.groupby("district_code")[["perm_excl", "fixed_excl", "headcount"]].sum()
    rate = (per["perm_excl"] + per["fixed_excl"]) / per["headcount"] * 1000.0
    label = f"{years[0][:4]}/{years[0][4:]}-{years[-1][:4]}/{years[-1][4:]}"
    out = pd.DataFrame(areas[["lsoa21_code", "district_code"]]).copy()
    out["exclusions_per_1000_pupils"] = out["district_code"].map(rate).astype(float)
    out["years"] = label
    shared = len({a for a, _ in pairs}) < len(pairs)
    out["level"] = "education authority (county)" if shared else "district"
    return out.reset_index(drop=True)
