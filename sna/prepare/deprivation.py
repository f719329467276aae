"""Prepare step: IoD2025 with national deciles, and IoD2019 carried from LSOA11 to LSOA21."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata import deprivation, lsoa21
from sna.config.region import RegionConfig
from sna.prepare.steps import TableWriter, source_file


def step_deprivation(ctx: dict, w: TableWriter) -> None:
    """IoD2025, and IoD2019 carried to LSOA21."""
    config: RegionConfig = ctx["config"]
    codes = set(ctx["lsoa21"]["lsoa21_code"])
    s = config.sources
    iod25 = deprivation.read_iod2025(
        source_file(ctx, "iod2025_scores"),
        source_file(ctx, "iod2025_indicators"),
        source_file(ctx, "iod2025_subdomains"),
    )
    full = iod25.data
    national = [c for c in full.columns if c.endswith("_score") or c.startswith("crime_")]
    deciles = {
        f"{c}_national_decile": np.ceil(
            full[c].rank(ascending=False, method="first") / full[c].notna().sum() * 10
        ).clip(1, 10)
        for c in national
        if pd.api.types.is_numeric_dtype(full[c])
    }
    full = pd.concat([full, pd.DataFrame(deciles, index=full.index)], axis=1)
    iod25.report.notes.append(
        "*_national_decile: decile across all of England, 1 = highest value (most deprived)"
    )
    data = full[full["lsoa21_code"].isin(codes)].reset_index(drop=True)
    ctx["iod2025"] = data
    missing = codes - set(data["lsoa21_code"])
    iod25.report.notes.append(f"{len(missing)} region LSOA21s without IoD2025 (e.g. in Wales)")
    w.write(
        "iod2025",
        data,
        ["iod2025_scores", "iod2025_indicators", "iod2025_subdomains"],
        [iod25.report],
        description="English Indices of Deprivation 2025 (LSOA21): scores, domains, indicators",
    )
    names = ["file1", "file2", "file6", "ranks", "indicators", "subdomains"]
    given = {n: source_file(ctx, f"iod2019_{n}") for n in names if getattr(s, f"iod2019_{n}")}
    if not given:
        return
    iod19 = deprivation.read_iod2019(**given)
    lookup = ctx["lsoa11_lookup"]
    region11 = lookup[lookup["lsoa21_code"].isin(codes)]
    frame = iod19.data[iod19.data["lsoa11_code"].isin(region11["lsoa11_code"])]
    weights = None
    if "pop_total_2015" in frame.columns:
        weights = frame.set_index("lsoa11_code")["pop_total_2015"].astype(float)
    value_cols = [c for c in frame.columns if c not in {"lsoa11_code", "lsoa11_name"}]
    value_cols = [c for c in value_cols if pd.api.types.is_numeric_dtype(frame[c])]
    count_cols = [c for c in value_cols if c.startswith("pop_") or c.endswith("_numerator")]
    rate_cols = [c for c in value_cols if c not in count_cols]
    pop21 = ctx["lsoa21"].set_index("lsoa21_code")["pop_total"].astype(float)
    parts = []
    if rate_cols:
        parts.append(
            lsoa21.carry_to_lsoa21(frame, region11, rate_cols, kind="score", weights=weights)
        )
    if count_cols:
        parts.append(
            lsoa21.carry_to_lsoa21(frame, region11, count_cols, kind="count", weights=pop21)
        )
    carried = parts[0]
    for p in parts[1:]:
        carried = carried.merge(p, on="lsoa21_code", how="outer")
    carried = carried[carried["lsoa21_code"].isin(codes)].reset_index(drop=True)
    w.write(
        "iod2019_lsoa21",
        carried,
        [f"iod2019_{n}" for n in given],
        [iod19.report],
        description="IoD2019 carried from LSOA11 to LSOA21 (ONS lookup, population-weighted)",
    )
