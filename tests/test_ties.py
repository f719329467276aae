"""Deterministic ties: two units with the same value never get different bands or deciles,
at LSOA, ward and district level, on the fixture build and on the real West Midlands build."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna.answers.groups import aggregate
from sna.config.region import LayerSpec, ScoringSpec
from sna.needs.layers import LayerData
from sna.needs.partner_layers import protect_layers
from sna.needs.scoring import score_layers
from sna.stats.ranking import bands, deciles, tie_keys

INDEX_COLUMNS = ("need", "risk", "protective", "violence_risk")


def assert_ties_share_groups(frame: pd.DataFrame, value: str, where: str) -> int:
    """Every group of equal values (up to noise) has one band and one decile; returns the
    number of tied groups seen, so a test can say it met ties."""
    keys = tie_keys(frame[value].to_numpy(float))
    tied = 0
    for col in (f"{value}_band", f"{value}_decile"):
        if col not in frame.columns:
            continue
        per = pd.DataFrame({"k": keys, "g": frame[col].astype(str)}).dropna(subset=["k"])
        n = per.groupby("k")["g"].nunique()
        assert (n == 1).all(), f"{where}: {value} ties with different {col}"
        tied = max(tied, int((per.groupby("k").size() > 1).sum()))
    return tied


def _fixture_lsoa(fixture_build: Path) -> pd.DataFrame:
    return pd.read_parquet(fixture_build / "fixture" / "builds" / "current" / "lsoa.parquet")


def test_fixture_units_with_one_value_share_band_and_decile(fixture_build):
    lsoa = pd.DataFrame(_fixture_lsoa(fixture_build).drop(columns="geometry"))
    # a district-wide value, put through the same weighted means as the answers' rows: the
    # ward means differ by floating-point noise only
    w = lsoa["pop_total"].astype(float)
    dist = (lsoa["need"] * w).groupby(lsoa["district_code"]).transform("sum") / w.groupby(
        lsoa["district_code"]
    ).transform("sum")
    lsoa["need"] = dist + np.where(lsoa.index % 2, 0.1, 0.3) - np.where(lsoa.index % 2, 0.1, 0.3)
    for k in ("need",):
        lsoa[f"{k}_decile"] = deciles(lsoa[k].to_numpy())
        lsoa[f"{k}_band"] = bands(lsoa[k].to_numpy())
    assert assert_ties_share_groups(lsoa, "need", "LSOA") >= 1
    for level in ("ward", "district"):
        rows = aggregate(lsoa, level, ["hospital_assault_u25"])
        assert_ties_share_groups(rows, "need", level)
        for k in ("risk", "protective"):
            assert_ties_share_groups(rows, k, level)
    wards = aggregate(lsoa, "ward", ["hospital_assault_u25"])
    # every ward of a district carries the district's value: one band per district
    assert (wards.groupby("district_code")["need_band"].nunique() == 1).all()
    assert (wards.groupby("district_code")["need_decile"].nunique() == 1).all()


def _areas() -> pd.DataFrame:
    n = 24
    return pd.DataFrame(
        {
            "lsoa21_code": [f"E01{i:06d}" for i in range(n)],
            "msoa21_name": [f"M {i // 2}" for i in range(n)],
            "ward_code": [f"W{i // 4}" for i in range(n)],
            "ward_name": [f"Ward {i // 4}" for i in range(n)],
            "district_code": ["D1"] * 12 + ["D2"] * 12,
            "district_name": ["One"] * 12 + ["Two"] * 12,
            "pop_total": np.linspace(1200, 2000, n),
        }
    )


def _spec(lid: str, **kw) -> LayerSpec:
    return LayerSpec(id=lid, title=lid, kind="risk", table="t", **kw)


def _ward_bands(admissions: np.ndarray) -> pd.Series:
    """Ward need bands of a build with a partner extract of ``admissions`` per LSOA."""
    areas = _areas()
    rng = np.random.default_rng(5)
    codes = areas["lsoa21_code"]
    hosp = _spec("hosp", level="individual", measure="count", denominator="pop", partner=True)
    d = LayerData(
        hosp,
        pd.Series(admissions / 500.0 * 1000, index=codes),
        pd.Series(admissions, index=codes),
        pd.Series(500.0, index=codes),
    )
    (hosp_d,), _, _ = protect_layers([d], areas, threshold=8)
    inputs = [
        hosp_d.to_input(),
        LayerData(
            _spec("a", level="society", measure="column", column="a"),
            pd.Series(rng.normal(size=len(areas)), index=codes),
        ).to_input(),
    ]
    s = score_layers(inputs, ScoringSpec())
    lsoa = areas.assign(need=s.need, risk=s.risk, protective=s.protective)
    return aggregate(lsoa, "ward", []).set_index("code")["need_band"].astype(str)


def test_one_more_admission_changes_no_ward_band_elsewhere_in_its_district():
    # wards and MSOAs hold fewer than 8 admissions: the extract is published by district, so
    # the layer is context (weight 0); one more admission cannot move any ward's band
    admissions = np.array([1.0, 2, 0, 1, 3, 1, 0, 2, 1, 0, 1, 2] * 2)
    before = _ward_bands(admissions)
    after = admissions.copy()
    after[0] += 1
    assert _ward_bands(after).equals(before)


@pytest.mark.slow
def test_real_build_units_with_one_value_share_band_and_decile(wm_build: Path):
    lsoa = pd.DataFrame(pd.read_parquet(wm_build / "lsoa.parquet").drop(columns="geometry"))
    for k in INDEX_COLUMNS:
        assert_ties_share_groups(lsoa, k, "LSOA")
    pcs = pd.read_parquet(wm_build / "postcodes.parquet")
    for k in ("pc_need", "pc_violence_risk"):
        assert_ties_share_groups(pcs, k, "postcode")
    partner: list[str] = []
    tied = 0
    for level in ("ward", "district"):
        rows = aggregate(lsoa, level, partner)
        for k in INDEX_COLUMNS:
            assert_ties_share_groups(rows, k, level)
        # a district-level layer's ward values are one value per district: one band each
        for col in [c for c in rows.columns if c == "s_school_exclusions_district"]:
            banded = rows.assign(x=rows[col], x_band=bands(rows[col].to_numpy()))
            banded["x_decile"] = deciles(rows[col].to_numpy())
            tied += assert_ties_share_groups(banded, "x", level)
            if level == "ward":
                assert (banded.groupby("district_code")["x_band"].nunique() == 1).all()
    assert tied >= 7  # the seven districts' values, each shared by many wards
