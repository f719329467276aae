"""The bundle's 17 forces through the police.uk archive: counts equal a direct count of the CSVs.

The archive (ingest, then DuckDB) runs once and is cached in the shared test directory
(``SNA_SHARED_DIR``, :mod:`sna.violence.street_counts`); the pooled panel and the views read the
same
table. The direct count here is written independently with pandas and geopandas: read each CSV,
drop repeated Crime IDs within a force and month (first by file name, then line), place each
row in LSOA 2021 by the archive's documented rule (``docs/police-archive.md``): the file's
code where it is an LSOA21 code; a merged 2011 code's 2021 LSOA (ONS lookup); for a split or
irregular 2011 code the child whose polygon holds the point, else the nearest child; with no
usable code, the polygon holding the point.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.archive import get_engine
from sna.config.region import load_region
from sna.violence.street_counts import street_counts, street_placement

VIOLENCE = "Violence and sexual offences"
FORCES = 17
KEYS = ["force", "month", "lsoa21_code"]
MERSEYSIDE = ["E08000011", "E08000012", "E08000013", "E08000014", "E08000015"]


@pytest.fixture(scope="session")
def england():
    return load_region("england")


@pytest.fixture(scope="session")
def archive_counts(shared_data, england):
    """The archive's cached counts (ingested and counted once; later sessions reuse them)."""
    from conftest import file_lock

    t0 = time.perf_counter()
    with file_lock("street-counts"):
        cached = street_counts(england, Path(os.environ["SNA_SHARED_DIR"]))
    print(f"archive counts ready in {time.perf_counter() - t0:.1f} s")
    return cached


def _read_force(folder: Path) -> pd.DataFrame:
    usecols = ["Crime ID", "Month", "Longitude", "Latitude", "LSOA code", "Crime type"]
    parts = []
    for f in sorted(folder.glob("*-street.csv*")):
        force = re.sub(r"^\d{4}-\d{2}-|-street\.csv(\.gz)?$", "", f.name)
        d = pd.read_csv(f, usecols=usecols, dtype=str, keep_default_na=False, na_values=[""])
        d["force"], d["file"], d["line"] = force, f.name, np.arange(len(d))
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def _place(rows: pd.DataFrame, lookup: pd.DataFrame, polys: gpd.GeoDataFrame) -> pd.Series:
    """LSOA21 of each row by the documented rule (module docstring), written from scratch."""
    code = rows["LSOA code"]
    known21 = set(lookup["lsoa21_code"]) | set(polys["lsoa21_code"])
    merged = lookup[lookup["change_code"] == "M"].drop_duplicates("lsoa11_code")
    merged = merged.set_index("lsoa11_code")["lsoa21_code"]
    split = lookup[lookup["change_code"].isin(["S", "X"])]
    out = pd.Series(np.where(code.isin(known21), code, None), index=rows.index, dtype=object)
    m = out.isna() & code.isin(merged.index)
    out[m] = code[m].map(merged)
    lon = pd.to_numeric(rows["Longitude"], errors="coerce")
    lat = pd.to_numeric(rows["Latitude"], errors="coerce")
    has_xy = lon.notna() & lat.notna()
    todo = rows.index[out.isna() & has_xy]
    pts = gpd.GeoDataFrame(
        {"code": code[todo]},
        geometry=gpd.points_from_xy(lon[todo], lat[todo]),
        crs="EPSG:4326",
        index=todo,
    ).to_crs("EPSG:27700")
    polys = polys.reset_index(drop=True)
    hit = gpd.sjoin(pts, polys[["lsoa21_code", "geometry"]], predicate="within", how="inner")
    hit = hit.reset_index(names="row")
    is_split = hit["code"].isin(split["lsoa11_code"])
    pairs = set(zip(split["lsoa11_code"], split["lsoa21_code"], strict=True))
    child = [(c, k) in pairs for c, k in zip(hit["code"], hit["lsoa21_code"], strict=True)]
    in_child = hit[is_split & np.array(child, dtype=bool)].sort_values(["row", "lsoa21_code"])
    out[in_child.drop_duplicates("row")["row"].to_numpy()] = in_child.drop_duplicates("row")[
        "lsoa21_code"
    ].to_numpy()
    plain = hit[~hit["code"].isin(split["lsoa11_code"])]
    plain = plain.sort_values(["row", "index_right"]).drop_duplicates("row")
    out[plain["row"].to_numpy()] = plain["lsoa21_code"].to_numpy()
    # a split code whose point lies in none of its children: the nearest child
    split_codes = set(split["lsoa11_code"])
    far = [i for i in todo if out[i] is None and code[i] in split_codes]
    by_code = polys.set_index("lsoa21_code").geometry
    children = split.groupby("lsoa11_code")["lsoa21_code"].apply(sorted)
    for i in far:
        kids = children[code[i]]
        d = by_code.loc[kids].distance(pts.geometry[i])
        out[i] = d.sort_values(kind="stable").index[0]
    return out


@pytest.fixture(scope="session")
def direct_counts(shared_data, england):
    """Violence per force, month and LSOA21 counted straight from the CSVs (module docstring)."""
    t0 = time.perf_counter()
    folders = [england.source_path(p) for p in england.violence_risk.pooled_from]
    force_dirs = sorted(
        d for f in folders for d in ([f] if any(f.glob("*-street.csv*")) else f.iterdir())
    )
    n_rows = repeated = 0
    kept = []
    for d in force_dirs:  # one force at a time: Crime IDs repeat within a force and month
        rows = _read_force(d)
        n_rows += len(rows)
        rows = rows.sort_values(["Month", "file", "line"], kind="stable")
        again = rows["Crime ID"].notna() & rows.duplicated(["Month", "Crime ID"], keep="first")
        repeated += int(again.sum())
        kept.append(rows[~again & (rows["Crime type"] == VIOLENCE)])
    rows = pd.concat(kept, ignore_index=True)
    lookup = pd.read_csv(england.source_path(england.sources.lsoa11_lsoa21_lookup.paths[0]))
    polys = gpd.read_parquet(england.source_path(england.sources.lsoa21_boundaries.paths[0]))
    polys = polys.to_crs("EPSG:27700")  # the archive places points in British National Grid
    rows["lsoa21_code"] = _place(rows, lookup, polys)
    placed = rows.dropna(subset=["lsoa21_code"])
    no_location = int((rows["Longitude"].isna() & rows["LSOA code"].isna()).sum())
    outside = int((rows["lsoa21_code"].isna() & rows["Longitude"].notna()).sum())
    counts = (
        placed.groupby(["force", "Month", "lsoa21_code"])
        .size()
        .rename("count")
        .reset_index()
        .rename(columns={"Month": "month"})
    )
    print(
        f"direct count: {n_rows:,} rows read, {repeated:,} repeated Crime IDs, "
        f"{len(rows):,} violence rows, {len(placed):,} placed ({no_location:,} with no location, "
        f"{outside} outside every LSOA21), "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return counts, n_rows, repeated, (len(rows) - len(placed), no_location, outside)


def test_archive_counts_equal_a_direct_count_of_the_csvs(archive_counts, direct_counts):
    direct, n_rows, repeated, unplaced = direct_counts
    mine = archive_counts.counts
    mine = mine[mine["crime_type"] == VIOLENCE][[*KEYS, "count"]]
    assert archive_counts.forces == sorted(direct["force"].unique())
    assert len(archive_counts.forces) == FORCES
    assert n_rows > 1_851_862  # the 16 forces' rows, and Bedfordshire's
    assert repeated > 0
    # unplaced: police.uk's "no location" rows, and a few points in no LSOA21 (three Sussex
    # rows carry coordinates in Northern Ireland)
    assert unplaced[0] == unplaced[1] + unplaced[2] and unplaced[1] > 0 and unplaced[2] <= 10
    both = mine.merge(direct, on=KEYS, how="outer", suffixes=("_archive", "_direct"))
    both = both.fillna({"count_archive": 0, "count_direct": 0})
    differ = both[both["count_archive"] != both["count_direct"]]
    assert differ.empty, differ.head(20).to_string()
    assert len(both) == len(direct) > 100_000
    assert direct["force"].nunique() == FORCES
    print(
        f"equal on {len(both):,} force-month-LSOA rows, {direct['lsoa21_code'].nunique():,} "
        f"LSOAs, {int(direct['count'].sum()):,} offences"
    )


def test_duckdb_and_dask_count_the_bundle_alike(archive_counts, england, tmp_path):
    """Dask (threaded) on the same archive gives the counts DuckDB cached, row for row."""
    t0 = time.perf_counter()
    result = get_engine("dask", dask_scheduler="threads").run(
        archive_counts.archive, street_placement(england), out=tmp_path / "dask"
    )
    dask = result.counts
    print(f"dask: {len(dask):,} count rows in {time.perf_counter() - t0:.1f} s")
    dask["force"], dask["month"] = dask["force"].astype(str), dask["month"].astype(str)
    cols = ["force", "month", "crime_type", "lsoa21_code", "count"]
    dask = dask[dask["lsoa21_code"].notna()][cols].sort_values(cols[:4], ignore_index=True)
    duck = archive_counts.counts[cols].sort_values(cols[:4], ignore_index=True)
    assert len(duck) > 500_000
    pd.testing.assert_frame_equal(
        dask.astype({"count": "int64"}), duck.astype({"count": "int64"}), check_dtype=False
    )


def test_a_merseyside_view_reads_its_counts_and_forward_test_from_the_cache(
    archive_counts, direct_counts, england
):
    """A view with ``street_files = ["merseyside"]`` gets Merseyside's counts in its LSOAs from
    the cached table (no CSV read), and the forward test ``sna evaluate --forces`` reports."""
    from sna.evaluation.forces import forward_test
    from sna.settings import shared_cache_dir
    from sna.violence.region_street import region_street

    lookup = england.source_path(england.violence_risk.lsoa_ltla24_lookup)
    lsoas = pd.read_csv(lookup, dtype=str)
    codes = pd.Index(lsoas.loc[lsoas["ltla24_code"].isin(MERSEYSIDE), "lsoa21_code"].unique())
    assert len(codes) == 923
    config = england.model_copy(
        update={"region": england.region.model_copy(update={"street_files": ["merseyside"]})}
    )
    shared = shared_cache_dir()
    street = region_street(config, codes, shared)
    assert street.forces == ["merseyside"] and street.months == [
        f"2022-{m:02d}" for m in range(1, 12)
    ]
    got = street.counts[street.counts["crime_type"] == VIOLENCE]
    direct = direct_counts[0]
    want = direct[(direct["force"] == "merseyside") & direct["lsoa21_code"].isin(codes)]
    merged = got.merge(want, on=KEYS, how="outer", suffixes=("", "_direct")).fillna(0)
    assert len(merged) == len(want) and (merged["count"] == merged["count_direct"]).all()
    (row,) = forward_test(config, ["merseyside"], shared)["rows"]
    # docs/evaluation.md, "Forward, with street files": merseyside
    assert (row["lsoas"], row["judged"], row["test_months"]) == (
        923,
        True,
        "2022-08,2022-09,2022-10,2022-11",
    )
    assert row["vr_pei"] == pytest.approx(0.9343, abs=1e-4)
    assert row["prior_pei"] == pytest.approx(0.9318, abs=1e-4)
