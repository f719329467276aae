"""A view whose force has street files: violence risk, trends and a forward test from the archive.

A small nation (the West Midlands and Bedfordshire districts, as in ``test_views.py``) and a
Bedfordshire view of it with ``street_files = ["bedfordshire"]``. Its street files are a
generated archive (police.uk's CSV schema, eleven months of 2022, a few repeated Crime IDs), so
the count of every LSOA and month is known by construction; the view must take its recorded
counts, monthly trend and forward-fitted model from the archive's counts of those files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TEST_DATA_DIR, file_lock
from pyproj import Transformer
from test_views import BEDS, WM, _configs

from geodata.crime import CURRENT_COLUMNS
from sna.needs.trends import monthly_from_counts

MONTHS = [f"2022-{m:02d}" for m in range(1, 12)]
VIOLENCE = "Violence and sexual offences"
OTHER = {"Public order": 0.4, "Robbery": 0.1, "Anti-social behaviour": 0.6}
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def test_monthly_from_counts_publishes_only_the_months_with_files():
    areas = pd.DataFrame(
        {"lsoa21_code": ["A", "B", "C"], "ward_code": ["W1", "W1", "W2"], "district_code": "D"}
    )
    counts = pd.DataFrame(
        {
            "month": ["2022-01", "2022-01", "2022-04", "2022-04"],
            "crime_type": [VIOLENCE, VIOLENCE, VIOLENCE, "Robbery"],
            "lsoa21_code": ["A", "B", "A", "C"],
            "count": [3, 2, 5, 9],
        }
    )
    got = monthly_from_counts(counts, areas, ["2022-01", "2022-04"])
    wide = got.pivot_table(index="code", columns="month", values="count")
    assert list(wide.columns) == ["2022-01", "2022-04"]  # no zero for the missing months
    assert wide.loc["A"].tolist() == [3, 5] and wide.loc["C"].tolist() == [0, 0]
    assert wide.loc["W1"].tolist() == [5, 5] and wide.loc["D"].tolist() == [5, 5]


def _street_files(
    folder: Path, lsoas: pd.DataFrame, seed: int = 23, force: str = "bedfordshire"
) -> pd.DataFrame:
    """Generated files of ``force`` (Bedfordshire); the count per LSOA, month and crime type."""
    police = f"{force.replace('-', ' ').title()} Police"
    rng = np.random.default_rng(seed)
    rate = pd.Series(np.exp(rng.normal(0.5, 0.9, len(lsoas))), index=lsoas["lsoa21_code"])
    where = shapely.point_on_surface(np.asarray(lsoas.geometry.array))
    lon, lat = TO_WGS84.transform(shapely.get_x(where), shapely.get_y(where))
    expected = []
    folder.mkdir(parents=True, exist_ok=True)
    for k, month in enumerate(MONTHS):
        rows = []
        trend = 1.0 + 0.02 * k
        for crime, share in {VIOLENCE: 1.0, **OTHER}.items():
            n = rng.poisson(rate.to_numpy() * share * trend)
            for i in np.flatnonzero(n):
                for j in range(n[i]):
                    cid = hashlib.sha256(f"{month}|{crime}|{i}|{j}".encode()).hexdigest()
                    rows.append(
                        [
                            "" if crime == "Anti-social behaviour" else cid,
                            month,
                            police,
                            police,
                            f"{lon[i]:.6f}",
                            f"{lat[i]:.6f}",
                            "On or near Test Street",
                            lsoas["lsoa21_code"].iloc[i],
                            lsoas["lsoa21_name"].iloc[i],
                            crime,
                            "",
                            "",
                        ]
                    )
            expected.append(
                pd.DataFrame({"lsoa21_code": rate.index, "month": month, "crime": crime, "n": n})
            )
        violent = [r for r in rows if r[9] == VIOLENCE]
        rows += violent[:25]  # repeated Crime IDs: the archive keeps the first
        frame = pd.DataFrame(rows, columns=list(CURRENT_COLUMNS))
        frame.to_csv(folder / f"{month}-{force}-street.csv", index=False)
    return pd.concat(expected, ignore_index=True)  # ASB has no Crime ID: never a repeat


def _view(national: Path, street: Path) -> Path:
    view = TEST_DATA_DIR / "configs" / "beds-street-view.toml"
    text = (
        "[region]\n"
        'id = "beds-street-view"\nname = "Bedfordshire"\n'
        'police_force = "Bedfordshire Police"\n'
        f'view_of = "{national}"\n'
        f"districts = {BEDS!r}\n".replace("'", '"')
        + 'street_files = ["bedfordshire"]\n'
        + f'\n[violence_risk]\npooled_from = ["{street}"]\n'
    )
    if not view.exists() or view.read_text() != text:
        view.write_text(text)
    return view


@pytest.fixture(scope="module")
def street_view(shared_data):
    """The nation prepared, the generated files written, the view built (cached stores)."""
    from sna.build.pipeline import build_region
    from sna.config.region import load_region
    from sna.prepare.pipeline import prepare_region
    from sna.prepare.store import Store

    national, _ = _configs()
    with file_lock("build-wm-view"):
        prepare_region(load_region(national), data_dir=TEST_DATA_DIR)
    areas = Store("test-nation", TEST_DATA_DIR).read("lsoa21")
    areas = areas[areas["district_code"].isin(BEDS)].sort_values("lsoa21_code")
    street = TEST_DATA_DIR / "street-fixture"
    generated = _street_files(street / "bedfordshire", areas)
    view = _view(national, street)
    with file_lock("build-beds-street-view"):
        result = build_region(load_region(view), data_dir=TEST_DATA_DIR, mc_draws=100)
    manifest = json.loads((result.path / "manifest.json").read_text())
    expected = generated[generated["crime"] == VIOLENCE].drop(columns="crime")
    return result, manifest, expected, areas, int(generated["n"].sum())


def test_the_view_fits_violence_risk_on_its_archive_counts(street_view):
    result, manifest, expected, areas, every_type = street_view
    vm = manifest["violence_model"]
    assert vm["provenance"] == "recorded" and vm["carried_over_from"] is None
    assert vm["window"] == [MONTHS[0], MONTHS[-1]]
    assert vm["street_files"]["forces"] == ["bedfordshire"]
    assert vm["street_files"]["months"] == MONTHS
    assert vm["street_files"]["offences_in_region"] == every_type
    assert vm["source"].startswith("police.uk street-level files of bedfordshire")
    assert vm["n_lsoa"] == len(areas)
    lsoa = pd.read_parquet(result.path / "lsoa.parquet").set_index("lsoa21_code")
    rate = expected.groupby("lsoa21_code")["n"].sum()
    # the model finds the generated rates: its ranking follows the true counts
    rho = lsoa["violence_risk"].rank().corr(rate.reindex(lsoa.index).rank())
    assert rho > 0.8, rho


def test_the_views_trend_is_the_count_of_its_files(street_view):
    result, _, expected, areas, _ = street_view
    monthly = pd.read_parquet(result.path / "trends_monthly.parquet")
    got = monthly[monthly["level"] == "lsoa"].rename(columns={"code": "lsoa21_code"})
    both = got.merge(expected, on=["lsoa21_code", "month"], how="outer")
    assert len(both) == len(areas) * len(MONTHS)
    assert (both["count"] == both["n"]).all()  # repeated Crime IDs dropped, every LSOA-month
    districts = monthly[monthly["level"] == "district"].groupby("code")["count"].sum()
    assert int(districts.sum()) == int(expected["n"].sum())


def test_the_views_forward_test_is_the_evaluations(street_view):
    from sna.config.region import load_region
    from sna.evaluation.forces import FORWARD_TRAIN, forward_rows
    from sna.needs.national_at_risk import national_at_risk
    from sna.prepare.steps import postcode_source_path
    from sna.settings import shared_cache_dir
    from sna.violence.force_panel import force_panel

    _, manifest, _, _, _ = street_view
    test = manifest["forward_test"]
    assert test["train"] == list(FORWARD_TRAIN)
    (row,) = test["rows"]
    assert row["force"] == "bedfordshire" and row["judged"]
    assert row["test_months"] == ",".join(MONTHS[7:])
    config = load_region(TEST_DATA_DIR / "configs" / "beds-street-view.toml")
    shared = shared_cache_dir(TEST_DATA_DIR)
    panel = force_panel(
        config, shared, national_at_risk(config, shared, postcode_source_path(config))
    )
    want = forward_rows(panel, config.violence_risk).iloc[0].to_dict()
    assert row == pytest.approx(want)
    assert row["vr_hit_rate"] > 0.2  # the generated rates persist, so the top 10% find them
    assert row["vr_minus_prior_pei"] == pytest.approx(row["vr_pei"] - row["prior_pei"], abs=2e-4)
    assert 0 < row["noise_sd"] < 0.1 and 0 <= row["redraws_below_prior"] <= 1
    # a force whose files stop inside the training window (Thames Valley: 2022-01..04) is
    # fitted on the months it has: the missing ones are absent, not zeros to fit
    short = dataclasses.replace(
        panel, counts=panel.counts[~panel.counts["month"].isin(MONTHS[4:7])]
    )
    cut = forward_rows(short, config.violence_risk).iloc[0]
    assert cut["train"] == f"{MONTHS[0]}..{MONTHS[3]}"
    assert cut["vr_pei"] > cut["prior_pei"] - 0.1 and cut["vr_hit_rate"] > 0.2, cut.to_dict()


def test_sna_evaluate_on_the_view_runs_its_forward_test(street_view, tmp_path):
    """``sna evaluate --region <view>``: the view's store holds no police.uk points, so the
    command runs the forward test of its forces' files (the one its build stores), not the
    IoD-era evaluation."""
    from typer.testing import CliRunner

    from cli import app
    from sna.evaluation.forces import forward_passes

    _, manifest, _, _, _ = street_view
    config = TEST_DATA_DIR / "configs" / "beds-street-view.toml"
    args = ["evaluate", "--region", str(config), "--data-dir", str(TEST_DATA_DIR)]
    printed = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path)])
    assert printed.exit_code == 0, printed.output
    assert "IoD2019-era" not in printed.output and "Forward test of" in printed.output
    (want,) = manifest["forward_test"]["rows"]
    got = pd.read_csv(tmp_path / "forward.csv").iloc[0].to_dict()
    assert got["force"] == "bedfordshire" and got["vr_pei"] == pytest.approx(want["vr_pei"])
    verdict = "met" if forward_passes(want) else "not met"
    assert "bedfordshire: violence risk at least last period's counts" in printed.output
    assert f"PEI*: {verdict} (tested {MONTHS[7]}, " in printed.output


def test_the_views_report_shows_its_forward_test(street_view, tmp_path):
    from maps.report import write_report

    _, manifest, _, _, _ = street_view
    html = write_report(
        "beds-street-view",
        TEST_DATA_DIR,
        out=tmp_path / "report.html",
        make_maps=False,
        map_images=False,
    ).read_text()
    assert 'id="evaluation"' in html
    row = manifest["forward_test"]["rows"][0]
    assert "bedfordshire: trained 2022-01..2022-07, tested 2022-08..2022-11" in html
    assert f"{row['vr_hit_rate']:.3f}" in html and f"{row['ewc_pei']:.3f}" in html
    assert f"{row['vr_minus_prior_pei']:+.3f}. Redrawing the test months' counts" in html
    assert f"moves that difference by {row['noise_sd']:.3f}" in html
    from sna.evaluation.forces import forward_passes

    verdict = "Met: violence risk" if forward_passes(row) else "Not met: violence risk"
    assert verdict in html


def test_the_views_api_says_recorded_and_answers_a_trend(street_view):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    _, _, expected, areas, _ = street_view
    settings = ApiSettings(region="beds-street-view", data_dir=TEST_DATA_DIR, reload_interval=60)
    code = areas["lsoa21_code"].iloc[0]
    with TestClient(create_app(settings)) as client:
        layers = client.get("/api/v1/layers").json()["result"]
        assert layers["violence_model"]["provenance"] == "recorded"
        trend = client.get(f"/api/v1/areas/{code}/trend").json()["result"]
    want = expected[expected["lsoa21_code"] == code].sort_values("month")
    assert trend["monthly"]["months"] == MONTHS
    assert trend["monthly"]["counts"] == want["n"].tolist()


def test_archive_ingest_reads_the_regions_street_files_by_default(street_view, tmp_path):
    """``sna data archive ingest`` with no path reads ``[violence_risk] pooled_from``."""
    from typer.testing import CliRunner

    from cli import app

    view = TEST_DATA_DIR / "configs" / "beds-street-view.toml"
    res = CliRunner().invoke(
        app, ["data", "archive", "ingest", "--region", str(view), "--archive", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert f"{len(MONTHS)} file(s)" in res.output
    months = sorted(p.name for p in (tmp_path / "force=bedfordshire").iterdir())
    assert months == [f"month={m}" for m in MONTHS]


def test_a_bedfordshire_view_on_the_real_archive_matches_bedfordshires_own_build(beds_build):
    """The real archive's counts (no CSV read by the view) give the trend Bedfordshire's own
    build counts from its prepared police.uk rows, for every LSOA and month."""
    from sna.build.pipeline import build_region
    from sna.config.region import load_region

    national, _ = _configs()
    view = TEST_DATA_DIR / "configs" / "beds-real-view.toml"
    text = (
        f'[region]\nid = "beds-real-view"\nname = "Bedfordshire"\nview_of = "{national}"\n'
        f"districts = {BEDS!r}\n".replace("'", '"')
        + 'street_files = ["bedfordshire"]\n'
    )
    if not view.exists() or view.read_text() != text:
        view.write_text(text)
    with file_lock("build-beds-real-view"):
        result = build_region(load_region(view), data_dir=TEST_DATA_DIR, mc_draws=100)
    manifest = json.loads((result.path / "manifest.json").read_text())
    vm = manifest["violence_model"]
    assert vm["provenance"] == "recorded" and vm["window"] == ["2021-05", "2024-04"]
    (row,) = manifest["forward_test"]["rows"]
    assert row["force"] == "bedfordshire" and row["test_months"].split(",")[-1] == "2023-07"

    def lsoa_trend(folder: Path) -> pd.DataFrame:
        t = pd.read_parquet(folder / "trends_monthly.parquet")
        return t[t["level"] == "lsoa"].sort_values(["code", "month"], ignore_index=True)

    own, viewed = lsoa_trend(beds_build), lsoa_trend(result.path)
    assert len(own) == len(viewed) > 400 * 36
    pd.testing.assert_frame_equal(own, viewed)
    a = pd.read_parquet(beds_build / "lsoa.parquet").set_index("lsoa21_code")["violence_risk"]
    b = pd.read_parquet(result.path / "lsoa.parquet").set_index("lsoa21_code")["violence_risk"]
    rho = a.rank().corr(b.reindex(a.index).rank())
    print(f"Bedfordshire view vs own build: violence risk Spearman {rho:.4f}")
    # not identical by design: the nation's layers are the West Midlands config's, and the
    # own build's model places points by polygon where the archive keeps police.uk's code
    assert rho > 0.9  # 0.938 measured


def test_trend_files_of_part_of_a_view_give_a_trend_there_and_nowhere_else(street_view):
    """``trend_files``: files that cover part of a view (the City of London's in London)
    count the monthly trend of their districts' LSOAs only, and fit nothing: an LSOA they
    do not cover has no trend, not a run of zeros. Bedfordshire's generated files, taken as
    if they covered Luton only; violence risk is then the pooled model (over them and a
    generated West Midlands force)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    from sna import build_region
    from sna.config.region import load_region
    from sna.prepare.store import Store

    _, _, expected, areas, _ = street_view
    national, _ = _configs()
    luton = "E06000032"
    nation = Store("test-nation", TEST_DATA_DIR).read("lsoa21")
    wm = nation[nation["district_code"].isin(WM)].sort_values("lsoa21_code")
    street, other = TEST_DATA_DIR / "street-fixture", TEST_DATA_DIR / "street-trend-fixture"
    with file_lock("build-beds-trend-view"):
        if not (other / "west-midlands" / f"{MONTHS[-1]}-west-midlands-street.csv").exists():
            _street_files(other / "west-midlands", wm, 29, "west-midlands")  # for the pool
        view = TEST_DATA_DIR / "configs" / "beds-trend-view.toml"
        view.write_text(
            '[region]\nid = "beds-trend-view"\nname = "Bedfordshire (trend)"\n'
            f'view_of = "{national}"\n'
            f"districts = {BEDS!r}\n".replace("'", '"')
            + f'trend_files = {{ bedfordshire = ["{luton}"] }}\n'  # as if they covered Luton
            + f'\n[violence_risk]\npooled_from = ["{street}", "{other}"]\n'
        )
        result = build_region(load_region(view), data_dir=TEST_DATA_DIR, mc_draws=50)
    manifest = json.loads((result.path / "manifest.json").read_text())
    model = manifest["violence_model"]
    assert model["street_files"] is None  # violence risk is not fitted on part of the view
    assert model["trend_files"]["forces"] == ["bedfordshire"]
    assert model["trend_files"]["districts"] == [luton]
    monthly = pd.read_parquet(result.path / "trends_monthly.parquet")
    lsoa = monthly[monthly["level"] == "lsoa"].rename(columns={"code": "lsoa21_code"})
    mine = areas.loc[areas["district_code"] == luton, "lsoa21_code"]
    assert set(lsoa["lsoa21_code"]) == set(mine)
    both = lsoa.merge(expected, on=["lsoa21_code", "month"], how="left")
    assert len(both) == len(mine) * len(MONTHS) and (both["count"] == both["n"]).all()
    assert set(monthly.loc[monthly["level"] == "district", "code"]) == {luton}
    inside = mine.iloc[0]
    outside = areas.loc[areas["district_code"] != luton, "lsoa21_code"].iloc[0]
    settings = ApiSettings(region="beds-trend-view", data_dir=TEST_DATA_DIR, reload_interval=60)
    with TestClient(create_app(settings)) as client:
        got = client.get(f"/api/v1/areas/{inside}/trend").json()["result"]
        assert got["monthly"]["months"] == MONTHS and sum(got["monthly"]["counts"]) > 0
        none = client.get(f"/api/v1/areas/{outside}/trend").json()["result"]
        assert not none["monthly"]
