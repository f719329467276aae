"""The at-risk population and the pooled violence model: conservation, loaders, leave-one-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.errors import InvalidValueError, MissingColumnsError
from geodata.workplace import read_workplace_msoa
from sna.config.region import ViolenceRiskSpec
from sna.needs.at_risk import PUPIL_WEIGHT, at_risk_population
from sna.violence.force_panel import ForcePanel
from sna.violence.pooled import apply_pooled, fit_pooled

TARGET = "Violence and sexual offences"


def _lsoas(seed: int = 1, n_msoa: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n_msoa):
        for k in range(rng.integers(3, 7)):
            rows.append(
                {
                    "lsoa21_code": f"E01{m:04d}{k:02d}",
                    "msoa21_code": f"E02{m:06d}",
                    "residents": int(rng.integers(1000, 3000)),
                    # some MSOAs have no large-user postcode at all
                    "large_user_postcodes": 0 if m % 7 == 0 else int(rng.poisson(5)),
                    "pupils": float(rng.choice([0, 0, 300, 1200])),
                }
            )
    lsoas = pd.DataFrame(rows)
    work = pd.DataFrame(
        {
            "msoa21_code": [f"E02{m:06d}" for m in range(n_msoa)],
            "inflow": rng.integers(0, 30000, n_msoa),
        }
    )
    return lsoas, work


def test_allocation_conserves_each_msoa_inflow():
    lsoas, work = _lsoas()
    out = at_risk_population(lsoas, work)
    per_msoa = out.groupby("msoa21_code")["workday_inflow"].sum()
    expected = work.set_index("msoa21_code")["inflow"].reindex(per_msoa.index)
    np.testing.assert_allclose(per_msoa.to_numpy(), expected.to_numpy(float), rtol=1e-12)
    # and the estimate is residents + allocated inflow + weighted pupils, never below residents
    np.testing.assert_allclose(
        out["at_risk_pop"],
        out["residents"] + out["workday_inflow"] + PUPIL_WEIGHT * out["pupils"],
    )
    assert (out["at_risk_pop"] >= out["residents"]).all()


def test_allocation_follows_large_user_postcodes():
    lsoas = pd.DataFrame(
        {
            "lsoa21_code": ["A", "B", "C"],
            "msoa21_code": ["M"] * 3,
            "residents": [1500, 1500, 1500],
            "large_user_postcodes": [40, 0, 0],
            "pupils": [0, 0, 0],
        }
    )
    out = at_risk_population(lsoas, pd.DataFrame({"msoa21_code": ["M"], "inflow": [30000]}))
    share = out["workday_inflow"] / 30000
    assert share.iloc[0] > 0.7 and share.iloc[1] == pytest.approx(share.iloc[2])
    # an MSOA with no large-user postcode splits its inflow by residents
    none = lsoas.assign(large_user_postcodes=0)
    out = at_risk_population(none, pd.DataFrame({"msoa21_code": ["M"], "inflow": [30000]}))
    np.testing.assert_allclose(out["workday_inflow"], [10000, 10000, 10000])


def test_missing_column_is_named():
    lsoas, work = _lsoas()
    with pytest.raises(ValueError, match="pupils"):
        at_risk_population(lsoas.drop(columns="pupils"), work)


def test_workplace_loader_errors(tmp_path):
    good = "areacd,origin,destination,nomove,within\nE02000001,5356,88928,3871,436\n"
    p = tmp_path / "ok.csv"
    p.write_text(good)
    frame = read_workplace_msoa(p).data
    assert frame["inflow"].tolist() == [88928 - 3871 - 436]
    bad = tmp_path / "cols.csv"
    bad.write_text("areacd,origin,destination\nE02000001,1,2\n")
    with pytest.raises(MissingColumnsError, match="nomove"):
        read_workplace_msoa(bad)
    neg = tmp_path / "neg.csv"
    neg.write_text(good + "E02000002,10,-5,1,1\n")
    with pytest.raises(InvalidValueError, match="destination"):
        read_workplace_msoa(neg)
    small = tmp_path / "small.csv"
    small.write_text(good + "E02000003,10,5,4,4\n")
    with pytest.raises(InvalidValueError, match="smaller than nomove"):
        read_workplace_msoa(small)


def _panel(seed: int = 3, held_out_scale: float = 1.0) -> ForcePanel:
    """Four generated forces; ``held_out_scale`` multiplies force 'd''s counts and rates."""
    rng = np.random.default_rng(seed)
    lsoas, counts = [], []
    for f in ("a", "b", "c", "d"):
        n = 150
        a = rng.lognormal(7.6, 0.5, n)
        rate = rng.gamma(3.0, 10.0, n)
        lu = rng.poisson(4, n)
        codes = [f"{f}{i:04d}" for i in range(n)]
        mult = held_out_scale if f == "d" else 1.0
        lsoas.append(
            pd.DataFrame(
                {
                    "force": f,
                    "lsoa21_code": codes,
                    "lsoa21_name": codes,
                    "residents": a * 0.8,
                    "large_user_postcodes": lu,
                    "at_risk_pop": a,
                    "iod_rate": rate * mult,
                }
            )
        )
        for month in ("2022-01", "2022-02", "2022-03"):
            mu = a * rate / 1000 / 12 * np.exp(0.05 * np.log1p(lu)) * mult
            counts.append(
                pd.DataFrame(
                    {
                        "force": f,
                        "month": month,
                        "crime_type": TARGET,
                        "lsoa21_code": codes,
                        "count": rng.poisson(mu),
                    }
                )
            )
    return ForcePanel(pd.concat(lsoas, ignore_index=True), pd.concat(counts), key="test")


def test_leave_one_force_out_never_sees_the_held_out_force():
    spec = ViolenceRiskSpec(pooled_window=("2022-01", "2022-12"))
    fit = fit_pooled(_panel(), spec, exclude=["d"])
    assert "d" not in fit.forces and fit.excluded == ["d"]
    changed = fit_pooled(_panel(held_out_scale=3.0), spec, exclude=["d"])
    np.testing.assert_array_equal(fit.model.params, changed.model.params)
    assert fit.scale == changed.scale
    # the held-out force's prediction depends only on its own inputs and the others' fit
    p = _panel()
    u = p.lsoas[p.lsoas["force"] == "d"]
    units = pd.Index(u["lsoa21_code"])
    args = (u["iod_rate"] * u["at_risk_pop"] / 1000, units, u["at_risk_pop"])
    _, r1 = apply_pooled(fit, *args, u["large_user_postcodes"], target=TARGET)
    _, r2 = apply_pooled(changed, *args, u["large_user_postcodes"], target=TARGET)
    np.testing.assert_allclose(r1.expected, r2.expected)
    # while the fit that includes the force does change
    full = fit_pooled(p, spec)
    full3 = fit_pooled(_panel(held_out_scale=3.0), spec)
    assert not np.allclose(full.model.params, full3.model.params)


def test_pooled_fit_recovers_the_exposure():
    spec = ViolenceRiskSpec(pooled_window=("2022-01", "2022-12"))
    fit = fit_pooled(_panel(), spec)
    assert 0.9 < fit.scale < 1.1  # the generated counts are the rates x at-risk
    terms = dict(zip(fit.model.terms, fit.model.params, strict=True))
    assert terms["prior_violence"] > 0.3
    assert set(fit.force_effects) == {"a", "b", "c", "d"}


def test_estimated_violence_is_one_driver_with_the_people_behind_it():
    """The estimated count is rate x at-risk population: the number of people is part of that
    driver, not a second one pulling the other way; the drivers still sum to log(mu / gm)."""
    spec = ViolenceRiskSpec(pooled_window=("2022-01", "2022-12"))
    p = _panel()
    fit = fit_pooled(p, spec)
    u = p.lsoas[p.lsoas["force"] == "a"]
    iod = u["iod_rate"] * u["at_risk_pop"] / 1000
    _, risk = apply_pooled(
        fit,
        iod,
        pd.Index(u["lsoa21_code"]),
        u["at_risk_pop"],
        u["large_user_postcodes"],
        target=TARGET,
    )
    assert "exposure" not in risk.contributions and "prior_violence" in risk.contributions
    mu = risk.expected
    np.testing.assert_allclose(
        risk.contributions.sum(axis=1), np.log(mu) - np.log(mu).mean(), atol=1e-9
    )


@pytest.mark.slow
def test_national_at_risk_conserves_census_inflow(shared_data, tmp_path):
    from geodata.workplace import read_workplace_msoa
    from sna.config.region import load_region
    from sna.needs.national_at_risk import national_at_risk
    from sna.prepare.steps import postcode_source_path

    config = load_region("west-midlands")
    table = national_at_risk(config, tmp_path, postcode_source_path(config))
    assert len(table) == 33755 and table["at_risk_pop"].notna().all()
    wp = read_workplace_msoa(
        shared_data / "population/census21_odwp01ew_msoa21_workplace_counts.csv.gz"
    )
    inflow = wp.data.set_index("msoa21_code")["inflow"]
    per_msoa = table.groupby("msoa21_code")["workday_inflow"].sum()
    np.testing.assert_allclose(per_msoa, inflow.reindex(per_msoa.index), rtol=1e-9)
    b = table.set_index("lsoa21_name").loc["Birmingham 138A"]
    assert b["at_risk_pop"] > 5 * b["residents"]  # the city centre's daytime population
