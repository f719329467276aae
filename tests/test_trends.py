"""Trends: monthly recorded violence per area and IoD decile changes (sna.needs.trends)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna.needs.trends import TREND_OFFENCE, TrendReader, iod_deciles, monthly_counts, write_trends

V = TREND_OFFENCE


def _areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lsoa21_code": ["E01000001", "E01000002", "E01000003"],
            "ward_code": ["E05000001", "E05000001", "E05000002"],
            "district_code": ["E08000001"] * 3,
        }
    )


def _points(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    """(month, crime type, file code, placed code) rows."""
    return pd.DataFrame(rows, columns=["month", "crime_type", "lsoa_code_file", "lsoa21_code"])


def test_monthly_counts_fill_every_month_and_sum_up_the_geography():
    pts = _points(
        [
            ("2023-01", V, "E01000001", "E01000001"),
            ("2023-01", V, "E01000001", "E01000001"),
            ("2023-03", V, "E01000002", "E01000002"),
            ("2023-03", V, "E01000003", "E01000003"),
            ("2023-02", "Burglary", "E01000001", "E01000001"),  # other offence: not counted
        ]
    )
    out = monthly_counts(pts, _areas())
    lsoa = out[out.level == "lsoa"].pivot(index="code", columns="month", values="count")
    # 2023-02 has no violence anywhere but is a month of the window: a real zero
    assert list(lsoa.columns) == ["2023-01", "2023-02", "2023-03"]
    assert lsoa.loc["E01000001"].tolist() == [2, 0, 0]
    assert lsoa.loc["E01000003"].tolist() == [0, 0, 1]
    ward = out[out.level == "ward"].pivot(index="code", columns="month", values="count")
    assert ward.loc["E05000001"].tolist() == [2, 0, 1]
    district = out[out.level == "district"]
    assert district["count"].sum() == 4
    assert set(out.level) == {"lsoa", "ward", "district"}


def test_monthly_counts_prefer_the_police_uk_code_and_fall_back_to_placement():
    pts = _points(
        [
            # snapped point fell in LSOA 2, police.uk says LSOA 1: counted in LSOA 1
            ("2023-01", V, "E01000001", "E01000002"),
            # no code in the file: our placement
            ("2023-01", V, None, "E01000003"),
            # police.uk names an LSOA outside the region: not counted, wherever the point fell
            ("2023-01", V, "E01999999", None),
            ("2023-01", V, "E01999999", "E01000002"),
        ]
    )
    out = monthly_counts(pts, _areas())
    got = out[out.level == "lsoa"].set_index("code")["count"].to_dict()
    assert got == {"E01000001": 1, "E01000002": 0, "E01000003": 1}


def test_monthly_counts_empty_without_street_files():
    assert monthly_counts(pd.DataFrame(), _areas()).empty


def test_iod_deciles_per_lsoa_and_most_deprived_counts_per_area():
    i19 = pd.DataFrame(
        {"lsoa21_code": _areas().lsoa21_code, "imd_decile": [1, 2, 1], "crime_decile": [3, 1, 1]}
    )
    i25 = pd.DataFrame(
        {"lsoa21_code": _areas().lsoa21_code, "imd_decile": [2, 1, 1], "crime_decile": [1, 1, 1]}
    )
    out = iod_deciles(_areas(), i19, i25).set_index("code")
    assert out.loc["E01000001", "imd_decile_2019"] == 1
    assert out.loc["E01000001", "imd_decile_2025"] == 2
    assert out.loc["E05000001", "imd_most_deprived_2019"] == 1
    assert out.loc["E05000001", "crime_most_deprived_2025"] == 2
    assert out.loc["E08000001", "lsoas"] == 3
    assert out.loc["E08000001", "crime_most_deprived_2019"] == 2


def test_trend_reader_answers_from_the_written_tables(tmp_path: Path):
    pts = _points([("2023-01", V, "E01000001", "E01000001"), ("2023-02", V, "E01000003", None)])
    i25 = pd.DataFrame({"lsoa21_code": _areas().lsoa21_code, "imd_decile": [1, 5, 9]})
    write_trends(tmp_path, monthly_counts(pts, _areas()), iod_deciles(_areas(), None, i25))
    reader = TrendReader.open(tmp_path)
    body = reader.answer("E01000001")
    assert body["monthly"]["months"] == ["2023-01", "2023-02"]
    assert body["monthly"]["counts"] == [1, 0]
    assert body["iod"]["imd_decile"] == {"2019": None, "2025": 1}
    ward = reader.answer("E05000002")
    assert ward["monthly"]["counts"] == [0, 1]
    assert ward["iod"]["lsoas"] == 1 and ward["iod"]["imd_most_deprived_lsoas"]["2025"] == 0
    assert reader.answer("E01999999") is None
    assert TrendReader.open(tmp_path / "missing") is None


def _raw_violence_counts(folder: Path) -> pd.Series:
    """Count violence per LSOA code and month straight from the police.uk CSVs.

    The only cleaning is the loader's documented rule that a Crime ID repeated within a
    month is one crime.
    """
    frames = []
    for f in sorted(folder.glob("*-street.csv.gz")):
        with gzip.open(f, "rt") as fh:
            frames.append(pd.read_csv(fh, usecols=["Crime ID", "Month", "LSOA code", "Crime type"]))
    raw = pd.concat(frames, ignore_index=True)
    v = raw[raw["Crime type"] == V]
    v = v[~(v["Crime ID"].notna() & v.duplicated(["Crime ID", "Month"]))]
    return v.groupby(["LSOA code", "Month"]).size()


@pytest.mark.slow
def test_bedfordshire_trend_equals_the_police_uk_files(beds_build: Path, shared_data: Path):
    """Every Bedfordshire LSOA's monthly trend equals a direct count of the 36 CSV files."""
    reader = TrendReader.open(beds_build)
    assert reader is not None and len(reader.months) == 36
    assert reader.months[0] == "2021-05" and reader.months[-1] == "2024-04"
    raw = _raw_violence_counts(shared_data / "crime" / "bedfordshire")
    lsoas = pd.read_parquet(beds_build / "lsoa.parquet", columns=["lsoa21_code"])["lsoa21_code"]
    total = 0
    for code in lsoas:
        got = np.array(reader.answer(code)["monthly"]["counts"])
        want = raw.reindex(pd.MultiIndex.from_product([[code], reader.months]), fill_value=0)
        assert got.tolist() == want.to_numpy().tolist(), code
        total += got.sum()
    assert total > 50_000  # every violent offence in the region's LSOAs is in some trend
    body = reader.answer(lsoas.iloc[0])
    assert body["iod"]["imd_decile"]["2019"] is not None
    assert body["iod"]["imd_decile"]["2025"] is not None

    # the API's trend endpoint serves the same counts, for LSOAs, wards and districts
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    data_dir = beds_build.parents[2]
    app = create_app(ApiSettings(region="bedfordshire", data_dir=data_dir, reload_interval=60))
    with TestClient(app) as client:
        code = lsoas.iloc[5]
        r = client.get(f"/api/v1/areas/{code}/trend")
        assert r.status_code == 200
        got = r.json()["result"]
        assert got["level"] == "lsoa" and got["code"] == code and got["name"]
        want = raw.reindex(pd.MultiIndex.from_product([[code], reader.months]), fill_value=0)
        assert got["monthly"]["counts"] == want.to_numpy().tolist()
        assert got["monthly"]["months"][0] == "2021-05"
        district = client.get("/api/v1/areas/E06000055/trend").json()["result"]
        lsoa = pd.read_parquet(
            beds_build / "lsoa.parquet", columns=["lsoa21_code", "district_code"]
        )
        in_district = lsoa.loc[lsoa["district_code"] == "E06000055", "lsoa21_code"]
        direct = raw[raw.index.get_level_values(0).isin(in_district)].sum()
        assert sum(district["monthly"]["counts"]) == direct
        assert district["iod"]["lsoas"] == len(in_district)
        assert client.get("/api/v1/areas/E01999999/trend").status_code == 404
