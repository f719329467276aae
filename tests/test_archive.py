"""The police.uk archive: partition layout, counts, DuckDB = Dask, real files, bad input.

Small archives are written here in the police.uk CSV schema with real LSOA codes and points
placed inside real LSOA21 polygons, so the LSOA21 of every row is known by construction.
"""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

# as ``conftest``, not ``tests.conftest``: postcodes-io-api (a test dependency) installs a
# top-level ``tests`` package, which shadows this folder as a package
from conftest import SHARED_DATA
from pyproj import Transformer
from typer.testing import CliRunner

from geodata.archive import RunOptions, get_engine, ingest_archive, load_placement, partitions
from geodata.archive.dask_engine import DaskEngine
from geodata.archive.duckdb_engine import DuckDBEngine
from geodata.crime import CURRENT_COLUMNS, read_police_uk
from geodata.errors import CorruptArchiveError, InvalidValueError, MissingColumnsError
from sna.build.archive_surfaces import force_surfaces
from sna.stats.kde import kde_surface

LOOKUP = SHARED_DATA / "lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz"
POLYGONS = SHARED_DATA / "boundaries/lsoa21_england_wales.geoparquet"
BEDS = SHARED_DATA / "crime/bedfordshire"
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
MONTHS = ["2021-05", "2021-06"]


@pytest.fixture(scope="module")
def placement(shared_data):
    """The LSOA placement of all England and Wales (from the shared bundle: tests are slow)."""
    return load_placement(LOOKUP, POLYGONS)


@pytest.fixture(scope="module")
def cases(placement):
    """Rows of every placement case, each with the LSOA21 it must get."""
    lk = pd.read_csv(LOOKUP)
    geoms = dict(zip(placement.codes21, placement.geoms, strict=True))
    u = lk.loc[lk.change_code == "U"].iloc[100]
    m = lk.loc[lk.change_code == "M"].iloc[0]
    s_parent = lk.loc[lk.change_code == "S", "lsoa11_code"].iloc[0]
    s_child = sorted(lk.loc[lk.lsoa11_code == s_parent, "lsoa21_code"])[1]
    new21 = lk.loc[lk.change_code == "S", "lsoa21_code"].iloc[3]
    nocode = lk.loc[lk.change_code == "U"].iloc[5000].lsoa21_code

    def pt(code):
        p = shapely.point_on_surface(geoms[code])
        return TO_WGS84.transform(p.x, p.y)

    # (file code, point inside this LSOA21 or None, expected LSOA21 or None, method)
    return [
        (u.lsoa11_code, pt(u.lsoa21_code), u.lsoa21_code, "file_lsoa21"),
        (m.lsoa11_code, pt(m.lsoa21_code), m.lsoa21_code, "lookup_merged"),
        (s_parent, pt(s_child), s_child, "pip_split"),
        (new21, pt(new21), new21, "file_lsoa21"),
        (None, pt(nocode), nocode, "pip_all"),
        (None, None, None, "no coordinates and no LSOA code"),
    ]


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(CURRENT_COLUMNS)).to_csv(path, index=False)


def _archive_files(folder, cases, *, seed=0):
    """Two forces x two months; each case repeated; a duplicated Crime ID; ASB rows."""
    rng = np.random.default_rng(seed)
    expected = []
    for force, name in (("bedfordshire", "Bedfordshire Police"), ("kent", "Kent Police")):
        for month in MONTHS:
            rows = []
            for k, (code, lonlat, lsoa21, _method) in enumerate(cases):
                for j in range(int(rng.integers(1, 4))):
                    asb = j == 0 and k % 2 == 0
                    cid = None if asb else f"{force}{month}{k}{j}".ljust(64, "0")
                    ctype = "Anti-social behaviour" if asb else "Burglary"
                    lon, lat = lonlat if lonlat else (None, None)
                    loc = "On or near X" if lonlat else "No Location"
                    rows.append(
                        [cid, month, name, name, lon, lat, loc, code, None, ctype, None, None]
                    )
                    expected.append((force, month, ctype, lsoa21))
            rows.append(rows[1])  # the same Crime ID again: dropped
            _write(folder / month / f"{month}-{force}-street.csv", rows)
    # an outcomes file in the archive is skipped
    _write(folder / MONTHS[0] / f"{MONTHS[0]}-kent-outcomes.csv", [])
    frame = pd.DataFrame(expected, columns=["force", "month", "crime_type", "lsoa21_code"])
    return frame.groupby(["force", "month", "crime_type", "lsoa21_code"], dropna=False).size()


@pytest.fixture(scope="module")
def small(tmp_path_factory, cases):
    base = tmp_path_factory.mktemp("archive")
    expected = _archive_files(base / "csv", cases)
    report = ingest_archive(base / "csv", base / "parquet")
    return base, expected, report


def test_partition_layout_is_hive_force_month_with_geoparquet_parts(small):
    base, _, report = small
    root = base / "parquet"
    parts = partitions(root)
    assert [(p.force, p.month) for p in parts] == [
        (f, m) for f in ("bedfordshire", "kent") for m in MONTHS
    ]
    for p in parts:
        assert len(p.files) == 1
        name = p.files[0].rsplit("/", 1)[-1]
        assert name == f"part-{p.month}-{p.force}-street.parquet"
    assert report.files == 4 and len(report.parts) == 4
    meta = json.loads(pq.read_schema(parts[0].files[0]).metadata[b"geo"])
    col = meta["columns"]["geometry"]
    assert meta["primary_column"] == "geometry" and col["encoding"] == "WKB"
    assert col["crs"]["id"]["code"] == 27700
    gdf = gpd.read_parquet(parts[0].files[0])
    assert gdf.crs.to_epsg() == 27700
    located = gdf[gdf["has_coordinates"]]
    assert np.allclose(located.geometry.x, located["easting"])
    assert gdf.loc[~gdf["has_coordinates"], "geometry"].isna().all()
    assert "force" not in gdf.columns and "month" not in gdf.columns  # folder names only


def test_reingesting_a_file_replaces_its_part(small, placement, tmp_path):
    base, _, _ = small
    before = get_engine("duckdb").run(base / "parquet", placement).counts
    ingest_archive(base / "csv" / MONTHS[0], base / "parquet")
    after = get_engine("duckdb").run(base / "parquet", placement).counts
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("engine", [DuckDBEngine(), DaskEngine(scheduler="synchronous")])
def test_counts_equal_a_pandas_count_of_the_same_rows(small, placement, engine):
    base, expected, _ = small
    result = engine.run(base / "parquet", placement)
    got = result.counts.set_index(["force", "month", "crime_type", "lsoa21_code"])["count"]
    exp = expected.rename("count")
    exp.index = exp.index.set_levels(
        [lvl.astype("string") for lvl in exp.index.levels], verify_integrity=False
    )
    assert got.sum() == exp.sum() == result.rows["kept"]
    assert result.rows["duplicate Crime ID"] == 4  # one repeated row per file
    assert result.rows["read"] == result.rows["kept"] + 4
    g = {tuple(None if pd.isna(v) else v for v in k): int(v) for k, v in got.items()}
    e = {tuple(None if pd.isna(v) else v for v in k): int(v) for k, v in exp.items()}
    assert g == e


def test_every_placement_case_gets_its_method(small, placement, cases):
    base, _, _ = small
    result = get_engine("duckdb").run(base / "parquet", placement)
    assert set(result.methods) == {c[3] for c in cases}


def test_duckdb_and_dask_agree_on_a_small_archive_with_filters(small, placement):
    base, _, _ = small
    opts = RunOptions.checked(["Burglary"], ("2021-06", "2021-06"), 50.0)
    a = DuckDBEngine(memory_limit="500MB", threads=1).run(base / "parquet", placement, opts)
    b = DaskEngine(scheduler="synchronous").run(base / "parquet", placement, opts)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.grid, b.grid)
    assert a.rows == b.rows and a.methods == b.methods
    assert set(a.counts["month"]) == {"2021-06"} and set(a.counts["crime_type"]) == {"Burglary"}
    assert a.rows["crime type not requested"] > 0


@pytest.fixture(scope="module")
def beds(tmp_path_factory, shared_data):
    """The shared bundle's Bedfordshire street files as an archive."""
    root = tmp_path_factory.mktemp("beds") / "parquet"
    ingest_archive(BEDS, root)
    return root


def test_bedfordshire_counts_match_the_crime_loader(beds, placement):
    files = sorted(BEDS.glob("2022-*-street.csv.gz"))
    loaded = read_police_uk(files)
    pts = loaded.data
    result = get_engine("duckdb").run(
        beds, placement, RunOptions.checked(months=("2022-01", "2022-12"))
    )
    assert result.rows["kept"] == len(pts) == loaded.report.rows_kept
    assert result.rows["duplicate Crime ID"] == loaded.report.rejected["duplicate Crime ID"]
    # every Bedfordshire file carries LSOA21 codes: the archive must give each row its own
    want = pts.groupby(["month", "crime_type", "lsoa_code_file"], dropna=False).size()
    got = result.counts.groupby(["month", "crime_type", "lsoa21_code"], dropna=False)["count"].sum()
    assert {k: int(v) for k, v in got.items()} == {k: int(v) for k, v in want.items()}


def test_bedfordshire_duckdb_equals_dask(beds, placement):
    a = get_engine("duckdb").run(beds, placement)
    b = get_engine("dask", dask_scheduler="synchronous").run(beds, placement)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.grid, b.grid)
    assert a.force_month_counts().equals(b.force_month_counts())
    assert len(a.force_month_counts()) == 36


def test_force_kde_from_engine_grid_equals_kde_of_the_points(beds, placement):
    result = get_engine("duckdb").run(
        beds, placement, RunOptions.checked(months=("2023-01", "2023-12"))
    )
    surface = force_surfaces(result.grid, result.cell, years=1.0)["bedfordshire"]
    pts = read_police_uk(sorted(BEDS.glob("2023-*-street.csv.gz"))).data
    pts = pts[pts["has_coordinates"]]
    direct = kde_surface(pts["easting"], pts["northing"], bounds=surface.bounds, years=1.0)
    assert direct.shape == surface.shape
    np.testing.assert_allclose(surface.values, direct.values, rtol=1e-9, atol=1e-9)
    assert surface.n_points + surface.n_dropped == len(pts)


def _crime_error(path):
    with pytest.raises(Exception) as exc:
        read_police_uk(path)
    return exc.value


def test_wrong_columns_give_the_crime_loaders_error(tmp_path):
    bad = tmp_path / "2021-05-kent-street.csv"
    bad.write_text("Crime ID,Month,Reported by,Falls within,Latitude,Location,Crime type\n")
    with pytest.raises(MissingColumnsError) as exc:
        ingest_archive(bad, tmp_path / "a")
    assert str(exc.value) == str(_crime_error(bad))
    assert str(bad) in str(exc.value) and "Longitude" in str(exc.value)


def test_bad_month_names_file_line_and_column(tmp_path):
    path = tmp_path / "2021-05-kent-street.csv"
    rows = [[None, "2021-05", "K", "K", 1.0, 51.0, "x", None, None, "Burglary", None, None]] * 3
    rows[2] = [None, "May 2021", "K", "K", 1.0, 51.0, "x", None, None, "Burglary", None, None]
    _write(path, rows)
    with pytest.raises(InvalidValueError) as exc:
        ingest_archive(path, tmp_path / "a")
    assert "line 4" in str(exc.value) and "'Month'" in str(exc.value)
    assert str(exc.value) == str(_crime_error(path))
    assert not (tmp_path / "a").exists()


def test_corrupt_zip_is_named(tmp_path):
    bad = tmp_path / "2021-05.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(CorruptArchiveError) as exc:
        ingest_archive(bad, tmp_path / "a")
    assert str(bad) in str(exc.value) and "corrupt zip" in str(exc.value)


def test_zip_of_months_is_ingested(tmp_path, small):
    base, _, _ = small
    z = tmp_path / "police.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted((base / "csv").rglob("*.csv")):
            zf.write(f, f.relative_to(base / "csv"))
    report = ingest_archive(z, tmp_path / "a")
    assert report.files == 4
    assert [(p.force, p.month) for p in partitions(tmp_path / "a")] == [
        (p.force, p.month) for p in partitions(base / "parquet")
    ]


def test_engine_is_a_setting(monkeypatch):
    monkeypatch.setenv("SNA_ARCHIVE_ENGINE", "dask")
    monkeypatch.setenv("SNA_ARCHIVE_DASK_SCHEDULER", "synchronous")
    eng = get_engine()
    assert isinstance(eng, DaskEngine) and eng.scheduler == "synchronous"
    assert isinstance(get_engine("duckdb"), DuckDBEngine)
    monkeypatch.setenv("SNA_ARCHIVE_ENGINE", "spark")
    with pytest.raises(ValueError, match="engine"):
        get_engine()


def test_cli_ingest_and_counts_with_either_engine(small, tmp_path):
    from cli import app

    base, expected, _ = small
    runner = CliRunner()
    root = tmp_path / "arch"
    res = runner.invoke(
        app, ["data", "archive", "ingest", str(base / "csv"), "--archive", str(root)]
    )
    assert res.exit_code == 0, res.output
    outs = {}
    for engine in ("duckdb", "dask"):
        out = tmp_path / f"{engine}.csv"
        args = ["data", "archive", "counts", "--archive", str(root), "--engine", engine]
        args += [
            "--scheduler",
            "synchronous",
            "--out",
            str(out),
            "--surfaces",
            str(tmp_path / engine),
        ]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        outs[engine] = pd.read_csv(out)
        assert (tmp_path / engine / "kent.tif").exists()
    pd.testing.assert_frame_equal(outs["duckdb"], outs["dask"])
    assert outs["duckdb"]["count"].sum() == expected.sum()
    bad = runner.invoke(
        app, ["data", "archive", "counts", "--archive", str(root), "--engine", "spark"]
    )
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["data", "archive", "counts", "--archive", str(tmp_path / "none")])
    assert bad.exit_code == 1 and "no archive partitions" in bad.output


# --------------------------------------------------------------------------- results on disk


def test_results_are_written_per_force_month_and_per_force(small, placement, tmp_path):
    base, expected, _ = small
    out = tmp_path / "results"
    (out / "counts" / "force=stale" / "month=1999-01").mkdir(parents=True)
    (out / "counts" / "force=stale" / "month=1999-01" / "part-0.parquet").write_text("x")
    (out / "keep.txt").write_text("not ours")
    result = get_engine("duckdb").run(base / "parquet", placement, out=out)
    assert result.out == out and (out / "keep.txt").exists()
    counts = partitions(out / "counts")
    assert [(p.force, p.month) for p in counts] == [
        (f, m) for f in ("bedfordshire", "kent") for m in MONTHS
    ]
    assert all(
        p.files == (str(out / "counts" / f"force={p.force}/month={p.month}/part-0.parquet"),)
        for p in counts
    )
    schema = pq.read_schema(counts[0].files[0])
    assert schema.names == ["crime_type", "lsoa21_code", "count"]  # force, month: folders
    grids = sorted(p.name for p in (out / "grid").iterdir())
    assert grids == ["force=bedfordshire", "force=kent"]
    assert pq.read_schema(out / "grid/force=kent/part-0.parquet").names == ["cx", "cy", "count"]
    # each part holds exactly the pandas count of its force-month
    exp = expected.rename("count").reset_index()
    for p in counts:
        got = pq.read_table(p.files[0]).to_pandas()
        want = exp[(exp.force == p.force) & (exp.month == p.month)]
        assert got["count"].sum() == want["count"].sum()
        assert {
            (r.crime_type, None if pd.isna(r.lsoa21_code) else r.lsoa21_code): r.count
            for r in got.itertuples()
        } == {
            (r.crime_type, None if pd.isna(r.lsoa21_code) else r.lsoa21_code): r.count
            for r in want.itertuples()
        }
    fm = result.force_month_counts()
    assert fm.to_dict() == exp.groupby(["force", "month"])["count"].sum().to_dict()
    assert result.summary()["count_rows"] == len(result.counts) == len(exp)


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_duckdb_and_dask_write_the_same_files(small, placement, tmp_path, scheduler):
    base, _, _ = small
    a = DuckDBEngine().run(base / "parquet", placement, out=tmp_path / "duck")
    b = DaskEngine(scheduler=scheduler).run(base / "parquet", placement, out=tmp_path / "dask")
    pa_, pb = partitions(a.out / "counts"), partitions(b.out / "counts")
    assert [(p.force, p.month) for p in pa_] == [(p.force, p.month) for p in pb]
    for x, y in zip(pa_, pb, strict=True):  # every force-month, part by part
        assert pq.read_table(x.files[0]).equals(pq.read_table(y.files[0]))
    for force in a.forces():
        assert pq.read_table(a.out / f"grid/force={force}/part-0.parquet").equals(
            pq.read_table(b.out / f"grid/force={force}/part-0.parquet")
        )
    assert a.forces() == b.forces()
    pd.testing.assert_frame_equal(a.force_months, b.force_months)
    assert a.rows == b.rows and a.methods == b.methods


def test_duckdb_grid_is_the_same_when_compacted_every_month(small, placement, monkeypatch):
    import geodata.archive.duckdb_engine as duck

    base, _, _ = small
    plain = DuckDBEngine().run(base / "parquet", placement).grid
    monkeypatch.setattr(duck, "COMPACT_EVERY", 1)
    pd.testing.assert_frame_equal(DuckDBEngine().run(base / "parquet", placement).grid, plain)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_counts_streams_every_count_to_one_file(small, placement, tmp_path, suffix):
    base, _, _ = small
    result = get_engine("duckdb").run(base / "parquet", placement, out=tmp_path / "r")
    path = result.export_counts(tmp_path / f"all{suffix}")
    got = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    want = result.counts
    assert list(got.columns) == list(want.columns)
    assert got["count"].tolist() == want["count"].tolist()
    assert got["lsoa21_code"].isna().tolist() == want["lsoa21_code"].isna().tolist()


def test_force_surfaces_one_force_at_a_time_equal_all_at_once(small, placement):
    from sna.build.archive_surfaces import iter_force_surfaces

    base, _, _ = small
    result = get_engine("duckdb").run(base / "parquet", placement)
    together = force_surfaces(result.grid, result.cell, years=len(result.months_read) / 12)
    one_by_one = dict(iter_force_surfaces(result))
    assert sorted(one_by_one) == sorted(together) == ["bedfordshire", "kent"]
    for force, s in together.items():
        np.testing.assert_array_equal(one_by_one[force].values, s.values)


def test_dask_localcluster_writes_what_duckdb_writes(small, placement, tmp_path):
    base, _, _ = small
    a = DuckDBEngine().run(base / "parquet", placement, out=tmp_path / "duck")
    b = DaskEngine(scheduler="local", workers=1, memory_limit="2GiB").run(
        base / "parquet", placement, out=tmp_path / "dask"
    )
    pd.testing.assert_frame_equal(a.force_months, b.force_months)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.grid, b.grid)
    assert a.rows == b.rows and a.methods == b.methods
