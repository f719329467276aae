"""The answers store and its reader: read-only serving, errors, and the fixed defects."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import threading
from pathlib import Path

import orjson
import pytest
from build_fixture import REGION, make_fixture_build
from fastapi.testclient import TestClient

import sna.answers.writer as writer
from api.app import _export_settings, create_app
from api.settings import ApiSettings
from geodata.errors import MissingFileError
from geodata.postcodes import InvalidPostcodeError
from sna.answers import ANSWERS_FILE, write_answers
from sna.answers.areas import difference
from sna.answers.national import write_national
from sna.builds.registry import open_build
from sna.errors import BuildLoadError, BuildNotFound, InvalidParameter, InvalidPostcode
from sna.stats.uncertainty import INTERVAL_LEVEL, INTERVAL_PERCENTILES


@pytest.fixture(scope="module")
def build(fixture_build):
    return open_build(fixture_build / REGION / "builds" / "current")


def test_the_server_opens_the_answers_read_only(build):
    with build.reading() as con:
        assert con.execute("SELECT count(*) FROM postcodes").fetchone()[0] == build.n_postcodes
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            con.execute("DELETE FROM postcodes")


def test_many_threads_share_a_small_pool_of_unmapped_connections(fixture_build):
    """40 threads answering at once hold at most ``POOL_SIZE`` connections to the answers
    file, and none maps it: the process's memory is what it holds, not one map per thread
    (issue 25: RSS 2.7 GB against a PSS of 502 MB)."""
    from concurrent.futures import ThreadPoolExecutor

    from sna.answers.files import POOL_SIZE

    reader = open_build(REGION, fixture_build)
    with reader.reading() as con:
        codes = [c for (c,) in con.execute("SELECT code FROM postcodes WHERE live = 1")][:400]
    expected = {c: reader.postcode_json(c) for c in codes}
    barrier = threading.Barrier(40)

    def answer(i: int) -> bool:
        barrier.wait()
        return all(reader.postcode_json(c) == expected[c] for c in codes[i % 4 :: 4])

    with ThreadPoolExecutor(40) as pool:
        assert all(pool.map(answer, range(40)))
    assert 1 <= len(reader._pool) <= POOL_SIZE
    answers = str(reader.path / "answers.sqlite")
    maps = Path("/proc/self/maps")
    if maps.exists():
        assert answers not in maps.read_text()


def test_a_server_bounds_sqlites_heap_for_every_file_together():
    """``limit_heap`` sets SQLite's process-wide soft heap limit (what ``api.app.serve`` and
    each worker call before serving); it was unbounded before."""
    from sna.answers.files import SERVER_HEAP_MIB, limit_heap

    con = sqlite3.connect(":memory:")
    before = con.execute("PRAGMA soft_heap_limit").fetchone()[0]
    try:
        limit_heap()
        assert con.execute("PRAGMA soft_heap_limit").fetchone()[0] == SERVER_HEAP_MIB << 20
    finally:
        con.execute(f"PRAGMA soft_heap_limit = {before}")
        con.close()


def test_open_build_by_region_id_matches_the_folder(fixture_build, build):
    by_id = open_build(REGION, fixture_build)
    assert by_id.path == build.path
    assert by_id.postcode_json("B1 1AB") == build.postcode_json("B1 1AB")
    with pytest.raises(BuildNotFound, match="not a build folder"):
        open_build(REGION, fixture_build, "19990101T000000Z")


def test_a_build_without_answers_is_a_build_load_error(tmp_path):
    folder = make_fixture_build(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / ANSWERS_FILE).unlink()
    with pytest.raises(BuildLoadError, match=f"no {ANSWERS_FILE}; rebuild") as info:
        open_build(copy)
    assert isinstance(info.value, BuildNotFound)  # the API answers 503, as for no build


@pytest.mark.parametrize("name", ["lsoa.parquet", "postcodes.parquet"])
def test_a_truncated_table_is_a_build_load_error(tmp_path, name):
    folder = make_fixture_build(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    data = (copy / name).read_bytes()
    (copy / name).write_bytes(data[: len(data) // 2])  # a copy cut off half way
    with pytest.raises(BuildLoadError, match=f"{name}: not a complete Parquet file"):
        open_build(copy)
    (copy / name).write_bytes(b"PAR1")
    with pytest.raises(BuildLoadError, match="not a Parquet file"):
        open_build(copy)


def test_a_dropped_reader_closes_its_connections_at_once(fixture_build):
    """After a swap the old build's connections (and their page caches) go with the old
    reader, without waiting for a full garbage collection."""
    import gc
    import sqlite3
    import threading

    reader = open_build(REGION, fixture_build)
    reader.postcode_json("B1 1AB")
    other = threading.Thread(target=reader.postcode_json, args=("B1 1AB",))
    other.start()
    other.join()
    connections = list(reader._pool._all)
    assert len(connections) == 1  # the pool's, not one per thread: reads did not overlap
    gc.disable()
    try:
        del reader
        for con in connections:
            with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                con.execute("SELECT 1")
    finally:
        gc.enable()


def test_zero_is_a_value_not_a_missing_one():
    # the old `row.get(k) or np.nan` turned an index of exactly 0.0 into a missing value
    assert difference(0.0, 0.25) == -0.25
    assert difference(None, 0.25) is None
    assert difference(float("nan"), 0.25) is None


def test_interval_level_comes_from_the_percentiles(build):
    assert INTERVAL_LEVEL == pytest.approx(
        (INTERVAL_PERCENTILES[2] - INTERVAL_PERCENTILES[0]) / 100
    )
    body = orjson.loads(build.area_json("E01000000"))
    assert body["indices"]["need"]["rank_interval"]["level"] == INTERVAL_LEVEL
    if body["violence_risk"] and body["violence_risk"]["interval"]:
        assert body["violence_risk"]["interval"]["level"] == INTERVAL_LEVEL


@pytest.mark.parametrize(("param", "value"), [("sort", "crime"), ("level", "county")])
def test_bad_sort_or_level_is_an_invalid_parameter(build, param, value):
    with pytest.raises(InvalidParameter, match=f"{param} must be one of"):
        build.area_rows(**{param: value})


def test_one_invalid_postcode_error(build):
    with pytest.raises(InvalidPostcode) as info:
        build.postcode_json("12345")
    assert isinstance(info.value, InvalidPostcodeError)  # geodata's name catches it too


def test_national_index_on_disk_words_the_404(tmp_path):
    folder = make_fixture_build(tmp_path)
    national = write_national(["B60 3AA", "b1 1ab"], tmp_path / "_shared" / "n.sqlite")
    assert sqlite3.connect(national).execute("SELECT count(*) FROM postcodes").fetchone() == (2,)
    original = writer.national_index
    writer.national_index = lambda wheel, shared: national
    try:
        write_answers(folder)
    finally:
        writer.national_index = original
    build = open_build(folder)
    assert build._national_keys is None  # read by key from the file, not held in memory
    with pytest.raises(Exception, match=r"^B60 3AA is outside the Fixture Region$"):
        build.postcode_json("b603aa")
    with pytest.raises(Exception, match=r"^Postcode not found$"):
        build.postcode_json("B99 9ZZ")


@pytest.fixture()
def app_client(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build, reload_interval=60))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_geodata_error_is_a_json_500(app_client, monkeypatch):
    build = app_client.app.state.watcher.get()

    def broken(code: str) -> bytes:
        raise MissingFileError("/secret/path/to/wards.parquet: missing")

    monkeypatch.setattr(build, "area_json", broken)
    r = app_client.get("/api/v1/areas/E01000000")
    assert r.status_code == 500
    assert r.json() == {"status": 500, "error": "internal server error"}


def test_invalid_parameter_is_a_json_400(app_client, monkeypatch):
    build = app_client.app.state.watcher.get()

    def bad(**params) -> bytes:
        raise InvalidParameter("sort must be one of [...], got 'crime'")

    monkeypatch.setattr(build, "areas_json", bad)
    r = app_client.get("/api/v1/areas")
    assert r.status_code == 400 and "sort must be one of" in r.json()["error"]


def test_dead_json_headers_are_gone():
    import api.dependencies

    assert not hasattr(api.dependencies, "JSON_HEADERS")


def test_worker_settings_round_trip_through_the_environment(tmp_path, monkeypatch):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SNA_API_")}
    monkeypatch.setattr(os, "environ", clean)  # _export_settings writes here, then dropped
    given = ApiSettings(
        region="fixture",
        data_dir=tmp_path,
        api_key="k3y",
        trusted_hosts=["a.example", "b.example"],
        reload_interval=7.0,
    )
    _export_settings(given)
    assert clean["SNA_API_KEY"] == "k3y"
    read = ApiSettings()  # what each worker process builds its app from
    assert read.region == "fixture" and read.data_dir == tmp_path
    assert read.api_key.get_secret_value() == "k3y"
    assert read.trusted_hosts == ["a.example", "b.example"] and read.reload_interval == 7.0


def test_two_worker_processes_serve_the_build(fixture_build):
    """``--workers 2`` really starts (uvicorn's supervisor API changes between versions)."""
    import httpx
    from serving import served

    with served(REGION, fixture_build, timeout=60, args=("--workers", "2")) as base:
        r = httpx.get(f"{base}/api/v1/areas/E01000003", timeout=5)
        assert r.status_code == 200 and r.json()["result"]["code"] == "E01000003"


def test_support_nearby_is_put_back_from_entries_stored_once(fixture_build):
    """Each asset's entry is stored once (``asset_entries``); a postcode keeps only its
    picks, and its answer has them back in place, in order, with their distances."""
    reader = open_build(REGION, fixture_build)
    n_entries = reader._one("SELECT count(*) FROM asset_entries", ())
    rows = reader._rows("SELECT code, near FROM postcodes WHERE near IS NOT NULL")
    assert n_entries > 0 and rows
    for code, near in rows:
        body = reader.postcode_json(code)
        assert b"\x00" not in body
        nearest = orjson.loads(body)["assets"]["nearest"]
        flat = struct.unpack(f"<{len(near) // 4}I", near)
        pairs = list(zip(flat[::2], flat[1::2], strict=True))
        assert [a["distance_m"] for a in nearest] == [d for _, d in pairs]
        for a, (j, _) in zip(nearest, pairs, strict=True):
            entry = reader._asset_entries[j]
            assert entry.startswith(orjson.dumps({"name": a["name"]})[:-1])
    empty = reader._row("SELECT code FROM postcodes WHERE near IS NULL LIMIT 1")
    if empty is not None:
        assert orjson.loads(reader.postcode_json(empty[0]))["assets"]["nearest"] == []


def test_an_answers_file_of_another_format_asks_for_a_rebuild(tmp_path):
    from sna.answers.schema import FORMAT_VERSION

    folder = make_fixture_build(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    con = sqlite3.connect(copy / ANSWERS_FILE)
    con.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (b"2",))
    con.commit()
    con.close()
    want = f"format version 2, this version reads {FORMAT_VERSION}: rebuild it with sna build"
    with pytest.raises(BuildLoadError, match=want):
        open_build(copy)
