"""The West Midlands violence risk, on the at-risk exposure and the pooled model (real bundle)."""

from __future__ import annotations

import json

import pandas as pd


def _lsoa(wm_build) -> pd.DataFrame:
    return pd.read_parquet(wm_build / "lsoa.parquet").set_index("lsoa21_code")


def test_city_centre_is_near_the_top(wm_build):
    lsoa = _lsoa(wm_build)
    row = lsoa[lsoa["lsoa21_name"] == "Birmingham 138A"].iloc[0]
    assert row["violence_risk_rank"] <= 5, row["violence_risk_rank"]
    assert row["at_risk_pop"] > 5 * row["pop_total"]


def test_legacy_2011_hotspots_rank_high(wm_build, wm_store):
    """The ten LSOAs with the most violent crime in the February 2011 file (placed in LSOA21)."""
    lsoa = _lsoa(wm_build)
    legacy = wm_store.read("crime_points_legacy")
    violent = legacy[legacy["crime_type"] == "Violent crime"]
    top = violent.groupby("lsoa21_code").size().sort_values(ascending=False).head(10)
    ranks = lsoa.loc[top.index, "violence_risk_rank"]
    n = len(lsoa)
    assert ranks.median() <= round(0.03 * n), ranks.tolist()
    assert ranks.max() <= round(0.15 * n), ranks.tolist()


def test_exposure_provenance_in_manifest_and_words(wm_build):
    manifest = json.loads((wm_build / "manifest.json").read_text())
    model = manifest["violence_model"]
    assert model["exposure"]["provenance"] == "estimated"
    assert "large-user postcodes" in model["exposure"]["method"]
    assert model["carried_over_from"] == "pooled"
    assert "pooled over 17 forces" in model["source"]
    lsoa = _lsoa(wm_build)
    # the prior count is an estimate from rates, and every sentence and driver says so
    explained = lsoa["violence_risk_explanation"]
    assert explained.str.contains("estimated (not counted) from IoD2025 rates", regex=False).all()
    assert not explained.str.contains("recorded", case=False).any()
    drivers = lsoa["violence_risk_drivers"].map(json.loads)
    prior = [t for d in drivers for term, _, t in d if term.startswith("prior_violence")]
    assert prior and all("estimated" in t and "not counted" in t for t in prior)


def test_exposure_provenance_in_the_api(wm_build, test_data_dir):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    app = create_app(ApiSettings(region="west-midlands", data_dir=test_data_dir))
    with TestClient(app) as c:
        model = c.get("/api/v1/layers").json()["result"]["violence_model"]
        assert model["exposure"]["provenance"] == "estimated"
        assert model["exposure"]["id"] == "at_risk_pop"
        body = c.get("/api/v1/postcodes/B1 1BB").json()["result"]
        v = body["violence_risk"]
        assert v["recorded_provenance"] == "estimated"
        assert v["provenance"]["recorded_last_year"] == "estimated"
        assert v["provenance"]["value"] == "forecast"
        assert v["in_words"]["recorded"].startswith("Estimated, not counted")
        assert "published IoD2025 crime rates" in v["in_words"]["recorded"]
        assert "(forecast" in v["in_words"]["summary"]


def test_seventeen_forces_evaluation(test_data_dir, tmp_path, shared_data):
    """Violence risk as if there were no street files, leaving each force out of the fit."""
    from sna.evaluation.forces import evaluate_forces

    result = evaluate_forces("bedfordshire", data_dir=test_data_dir, out_dir=tmp_path)
    s = result.summary()
    assert len(result.as_if) == 17 and s["as_if_judged"] == 15
    assert s["as_if_beats_residents"] == 15, result.as_if
    assert s["as_if_mean_pei"] >= 0.92
    assert (result.as_if["forces_in_fit"] == 16).all()  # every fit leaves its force out
    # the estimate ranks LSOAs closer to the implied at-risk population than residents do
    e = result.exposure.set_index("force")
    assert (e["spearman_at_risk"] > e["spearman_residents"]).all()
    assert (tmp_path / "forward.csv").exists() and (tmp_path / "summary.json").exists()
