"""Violence risk: the count model, time weights, drivers, intervals and the real builds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sna.config.region import ViolenceRiskSpec
from sna.violence.count_model import EXPOSURE_TERM, fit_count_model
from sna.violence.model import (
    PRIOR_TERM,
    UPDATE_METHOD,
    explain_violence,
    fit_violence,
    predict_violence,
    violence_uncertainty,
    weighted_counts,
)
from sna.violence.posterior import Posterior, weighted_sum


def _simulated(n: int = 4000, alpha: float = 0.3, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    exposure = rng.uniform(500, 3000, n)
    beta = np.array([-5.0, 0.4, -0.25])
    mu = exposure * np.exp(beta[0] + x.to_numpy() @ beta[1:])
    y = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    return x, y, exposure, beta, alpha


def test_fit_recovers_known_coefficients():
    x, y, exposure, beta, alpha = _simulated()
    m = fit_count_model(y, x, exposure, penalised=["a", "b"], prior_sd=1.0)
    se = np.sqrt(np.diag(m.cov))
    # every coefficient within 3 standard errors of the truth, and the errors are small
    assert np.all(np.abs(m.params - beta) < 3 * se)
    assert np.all(se < 0.05)
    assert m.alpha == pytest.approx(alpha, rel=0.25)
    t = m.table()
    assert t.loc[t["term"] == "a", "relative_risk"].iloc[0] == pytest.approx(np.exp(0.4), rel=0.05)


def test_fit_is_the_penalised_optimum_on_large_counts():
    """Counts in the thousands with an unpenalised squared term (a quasi-Newton search from
    zero stopped early on Essex's and Nottinghamshire's real counts): the penalised score is
    zero at the fit, and with no penalty the fit is statsmodels' unpenalised NB2 GLM."""
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    n = 1100
    c = rng.gamma(0.5, 200.0, n)  # a skewed prior count: counts up to thousands
    x = pd.DataFrame({"p": np.log1p(c), "p2": np.log1p(c) ** 2, "z": rng.normal(size=n)})
    exposure = rng.uniform(800, 9000, n)
    mu = exposure * np.exp(-7.5 + 0.9 * x["p"] + 0.02 * x["p2"] + 0.2 * x["z"])
    y = rng.poisson(rng.gamma(20.0, mu / 20.0))
    m = fit_count_model(y, x, exposure, penalised=["z"], prior_sd=0.5)
    design = np.column_stack([np.ones(n), x.to_numpy()])
    fitted = np.exp(design @ m.params) * exposure
    score = (
        design.T @ ((y - fitted) / (1 + m.alpha * fitted))
        - np.array([0, 0, 0, 1 / 0.5**2]) * m.params
    )
    assert np.max(np.abs(score)) < 1e-3
    free = fit_count_model(y, x, exposure, penalised=[])
    ref = sm.GLM(
        y,
        design,
        family=sm.families.NegativeBinomial(alpha=free.alpha),
        offset=np.log(exposure),
    ).fit()
    assert np.allclose(free.params, ref.params, atol=1e-6)


def test_poisson_family_and_bad_input():
    x, y, exposure, _, _ = _simulated(n=500)
    assert fit_count_model(y, x, exposure, family="poisson").alpha == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        fit_count_model(-np.ones(len(y)), x, exposure)
    with pytest.raises(ValueError, match="positive"):
        fit_count_model(y, x, np.zeros(len(y)))
    with pytest.raises(ValueError, match="unknown family"):
        fit_count_model(y, x, exposure, family="gaussian")


def test_drivers_sum_exactly_to_log_ratio():
    x, y, exposure, _, _ = _simulated(n=800)
    m = fit_count_model(y, x, exposure, penalised=["a", "b"])
    mu = m.predict(x, exposure)
    c = m.contributions(x, exposure)
    assert EXPOSURE_TERM in c.columns
    geo = np.exp(np.log(mu).mean())
    assert np.max(np.abs(c.sum(axis=1).to_numpy() - np.log(mu / geo))) < 1e-10


def test_weighted_counts_by_hand():
    units = pd.Index(["A", "B"])
    months = ["2024-03", "2024-02", "2024-02", "2024-01"]
    codes = ["A", "A", "B", "B"]
    c = weighted_counts(months, codes, units, start="2024-01", end="2024-03", half_life=1.0)
    norm = 1 + 0.5 + 0.25
    assert c == pytest.approx([12 * (1 + 0.5) / norm, 12 * (0.5 + 0.25) / norm])
    # a flat average: 12 x events / months of data; a missing month is not counted against
    # the areas (2024-01 missing: 2 events in 2 months of data is 12 a year, not 8)
    flat = weighted_counts(
        months[:3],
        codes[:3],
        units,
        start="2024-01",
        end="2024-03",
        half_life=np.inf,
        months_present=["2024-02", "2024-03"],
    )
    assert flat == pytest.approx([12 * 2 / 2, 12 * 1 / 2])


def test_the_prior_reads_every_other_police_uk_crime_type():
    from geodata.crime import CURRENT_CRIME_TYPES
    from sna.config.scoring import OTHER_CRIME_TYPES

    spec = ViolenceRiskSpec()
    assert set(OTHER_CRIME_TYPES) == set(CURRENT_CRIME_TYPES) - {spec.target}
    assert spec.history == list(OTHER_CRIME_TYPES)
    with pytest.raises(ValueError, match="pooled_from"):  # the removed option says what to use
        ViolenceRiskSpec.model_validate({"carry_over_from": "bedfordshire"})


def test_weighted_sum_by_hand():
    """y^w and t^w over the months with data: an absent month is neither data nor zero."""
    months = ["2024-01", "2024-02", "2024-03", "2024-03", "2024-04"]
    codes = ["A", "A", "B", "A", "B"]
    units = pd.Index(["A", "B", "C"])
    present = ["2024-01", "2024-03", "2024-04"]  # 2024-02 missing: its row is ignored
    y, t = weighted_sum(months, codes, units, end="2024-04", half_life=1.0, months_present=present)
    assert y == pytest.approx([0.125 + 0.5, 0.5 + 1.0, 0.0])
    assert t == pytest.approx(0.125 + 0.5 + 1.0)


def test_poisson_gamma_update_by_hand():
    """E = 12 (1 + a y) / (T / mu + a t): busy places keep their own rate, quiet ones move
    toward what their terms predict, and the draws average to it."""
    mu = np.array([10.0, 10.0, 10.0])  # the terms' expectation over T = 4 months
    post = Posterior(y_w=np.array([40.0, 10.0, 0.0]), t_w=4.0, months=4, alpha=0.5)
    e = post.expected(mu)
    assert e == pytest.approx(12 * (1 + 0.5 * np.array([40, 10, 0])) / (4 / 10 + 0.5 * 4))
    own, terms = 12 * 40 / 4, 12 * 10 / 4
    assert terms < e[0] < own and e[0] > 0.8 * own  # 40 offences: mostly its own rate
    assert e[1] == pytest.approx(terms)  # counts as the terms predict: no change
    assert e[2] < terms  # none recorded: below the terms, not zero
    assert e[2] > 0
    assert post.update_factor(mu) * 12 * mu / 4 == pytest.approx(e)
    # no variation beyond the terms (alpha = 0): the counts add nothing
    flat = Posterior(y_w=np.array([40.0, 0.0]), t_w=4.0, months=4, alpha=0.0)
    assert flat.expected(mu[:2]) == pytest.approx(12 * mu[:2] / 4)
    rng = np.random.default_rng(0)
    draws = np.array([post.draw(rng, mu) for _ in range(4000)])
    assert draws.mean(axis=0) == pytest.approx(e, rel=0.03)


def _points(seed: int, months: list[str], rates: np.ndarray, codes: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for m in months:
        for code, lam in zip(codes, rates, strict=True):
            rows += [(m, "Violence and sexual offences", code)] * int(rng.poisson(lam))
            rows += [(m, "Robbery", code)] * int(rng.poisson(lam / 20))
    return pd.DataFrame(rows, columns=["month", "crime_type", "lsoa21_code"])


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    n = 300
    codes = [f"E01{i:06d}" for i in range(n)]
    units = pd.Index(codes)
    rates = rng.gamma(1.2, 1.5, n)  # monthly violence per LSOA: stable over time
    months = [f"{2021 + (k + 4) // 12}-{(k + 4) % 12 + 1:02d}" for k in range(24)]
    pts = _points(1, months, rates, codes)
    structural = pd.DataFrame({"income": rng.normal(size=n)}, index=units)
    residents = rng.uniform(1200, 2500, n)
    spec = ViolenceRiskSpec(history=["Robbery"])
    window = (months[0], months[-1])
    fit = fit_violence(pts, units, structural, residents, spec, window)
    risk = predict_violence(fit, pts, units, structural, residents, window)
    return fit, risk, rates, pts, units, structural, residents, window


def test_out_of_time_fit_finds_stable_violence(fitted):
    fit, risk, rates, pts, *_, window = fitted
    assert fit.response_window == ("2022-11", "2023-04")  # a quarter of 24 months
    assert fit.window == window and fit.method == UPDATE_METHOD
    coef = dict(zip(fit.model.terms, fit.model.params, strict=True))
    assert PRIOR_TERM not in coef  # the prior never sees the counts it is updated by
    assert coef["prior_robbery"] > 0.2  # robbery marks the busy places: the prior knows it
    assert risk.posterior is not None and risk.posterior.months == 24
    # every month enters: the forecast follows the window's own counts closely
    own = pts[pts["crime_type"] == "Violence and sexual offences"].groupby("lsoa21_code").size()
    own = own.reindex(risk.design.index).fillna(0)
    assert pd.Series(risk.expected, index=own.index).corr(own, method="spearman") > 0.95
    # one driver for crime recorded here (other types and the update), rising with it
    assert [c for c in risk.contributions if c.startswith("prior_")] == [PRIOR_TERM]
    recorded = pd.Series(risk.contributions[PRIOR_TERM].to_numpy(), index=own.index)
    assert recorded.corr(own, method="spearman") > 0.9
    # drivers: the terms, the people here and the place's own counts sum to log(E / gm)
    e = risk.expected
    np.testing.assert_allclose(
        risk.contributions.sum(axis=1), np.log(e) - np.log(e).mean(), atol=1e-9
    )
    rho = pd.Series(risk.expected).corr(pd.Series(rates), method="spearman")
    assert rho > 0.9
    assert risk.expected.sum() == pytest.approx(12 * rates.sum(), rel=0.15)
    m = fit.manifest()
    assert m["half_life_months"] in ViolenceRiskSpec().half_lives
    assert {"term", "coef", "se", "relative_risk"} <= set(m["coefficients"][0])


def test_no_leakage_from_later_months(fitted):
    fit, risk, _, pts, units, structural, residents, window = fitted
    later = _points(99, ["2023-05", "2023-06"], np.full(len(units), 50.0), list(units))
    both = pd.concat([pts, later], ignore_index=True)
    fit2 = fit_violence(
        both, units, structural, residents, ViolenceRiskSpec(history=["Robbery"]), window
    )
    risk2 = predict_violence(fit2, both, units, structural, residents, window)
    assert np.array_equal(fit.model.params, fit2.model.params)
    assert np.array_equal(risk.expected, risk2.expected)


def test_uncertainty_and_sentence(fitted):
    fit, risk, *_ = fitted
    mc, lo, hi = violence_uncertainty(risk, fit.model, draws=100, seed=1)
    assert np.all(mc.rank_lo <= mc.rank) and np.all(mc.rank <= mc.rank_hi)
    assert np.all((0 <= mc.p_top_decile) & (mc.p_top_decile <= 1))
    assert np.mean((lo <= risk.expected) & (risk.expected <= hi)) > 0.95
    i = int(np.argmax(risk.expected))
    text = explain_violence(
        risk.contributions.iloc[i],
        {"income": "income deprivation"},
        expected=float(risk.expected[i]),
        regional_mean=float(risk.expected.mean()),
        prior_ratio=float(risk.prior[i] / risk.prior.mean()),
        region="Testshire",
    )
    assert text.startswith("About ") and "violent or sexual offences expected here" in text
    # one comparison, per area: the same phrase as the answer's lead sentence
    assert "times the average Testshire neighbourhood" in text
    assert "violence recorded here over the last year" in text


# --- the real builds -------------------------------------------------------------------------


@pytest.mark.slow
def test_west_midlands_most_recorded_violence_is_top_decile(wm_build, wm_store):
    lsoa = pd.read_parquet(wm_build / "lsoa.parquet")
    iod = wm_store.read("iod2025").set_index("lsoa21_code")
    cols = ViolenceRiskSpec().iod_columns
    # the IoD2025 rates are per 1,000 at-risk population: x the at-risk estimate, a count
    counts = iod.reindex(lsoa["lsoa21_code"])[cols].sum(axis=1).to_numpy() * lsoa["at_risk_pop"]
    top = np.argsort(-counts.to_numpy())[:50]
    assert (lsoa["violence_risk_decile"].to_numpy()[top] == 1).all()
    m = json.loads((wm_build / "manifest.json").read_text())
    vm = m["violence_model"]
    assert vm["carried_over_from"] == "pooled" and "IoD2025" in vm["source"]
    assert {c["term"] for c in vm["coefficients"]} >= {"intercept", PRIOR_TERM}
    assert all(c["se"] > 0 for c in vm["coefficients"])
    assert m["checks"]["violence_driver_sum_error"] < 1e-9
    assert m["checks"]["violence_intervals_contain_rank"] is True
    # the expected total equals the recorded annual total the intercept was set to
    assert lsoa["violence_risk"].sum() == pytest.approx(lsoa["violence_prior"].sum(), rel=1e-6)


@pytest.mark.slow
def test_bedfordshire_build_fits_on_its_street_files(beds_build):
    lsoa = pd.read_parquet(beds_build / "lsoa.parquet")
    vm = json.loads((beds_build / "manifest.json").read_text())["violence_model"]
    assert vm["window"] == ["2021-05", "2024-04"] and vm["carried_over_from"] is None
    assert vm["response_window"] == ["2023-08", "2024-04"]
    # the busiest LSOAs of the last year lead violence risk
    top_prior = lsoa.nlargest(10, "violence_prior")
    assert (top_prior["violence_risk_decile"] == 1).all()
    pcs = pd.read_parquet(beds_build / "postcodes.parquet")
    assert pcs["pc_violence_risk"].notna().all()
    factor = pcs.groupby("lsoa21_code")["pc_violence_local_factor"].mean()
    assert factor.between(0.5, 1.5).mean() > 0.95  # about 1 on average within an LSOA
