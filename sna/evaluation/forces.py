"""Violence risk on every force with street files: the exposure, forward, and as if none existed.

Three tables, one row per force (``sna evaluate --forces``, ``docs/evaluation.md``):

``exposure``
    The at-risk estimate (:mod:`sna.needs.at_risk`) against the *implied* at-risk population of
    each LSOA, recorded violence a year / (IoD2025 violence rate / 1,000): Spearman rank
    correlation and median absolute log error, next to residents alone. Counted over the
    months of the IoD2025 window a force has (2022-04..2022-11 for most; 2022-04..2024-03
    for Bedfordshire), LSOAs with a count and a rate only.
``forward``
    Per force: violence risk fitted out of time on the months of ``train`` (the in-region
    model of :mod:`sna.violence.model`, exposure the at-risk population, the business-address
    term as its layer) against the later months the force has (a missing month is absent,
    not zero), next to last period's counts and exponentially weighted counts. Hit rate and
    PEI* at the top 10% of LSOAs, and how much of violence risk's difference from the prior
    counts the test months' own noise explains (:mod:`sna.stats.redraws`: its standard
    deviation over Poisson redraws of the test counts, and the share of redraws below).
``as_if_no_street_files``
    Per force: violence risk as a region without street files gets it (IoD2025 rates x the
    at-risk estimate, :mod:`sna.violence.pooled`), with the pooled coefficients refitted
    without that force, against the force's recorded violence in ``pooled_window``; next to
    IoD2025 rate x residents. The IoD2025 rates cover April 2022 to March 2024, which overlaps
    2022: this measures the exposure, not forecasting skill. Also the median rank of the ten
    LSOAs with the most recorded violence, as a share of the force's LSOAs.

Judged forces are those with ``JUDGED_MONTHS`` months or more and ``JUDGED_LSOAS`` LSOAs or
more; the others are reported, not judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sna.config.region import RegionConfig, load_region
from sna.errors import ConfigError
from sna.needs.national_at_risk import cache_path, national_at_risk
from sna.settings import data_dir as default_data_dir
from sna.settings import shared_cache_dir
from sna.stats.metrics import coverage_metrics, spearman
from sna.stats.redraws import pei_star_difference_noise
from sna.violence.features import month_number, month_text, weighted_counts
from sna.violence.force_panel import force_panel
from sna.violence.model import IOD2025_WINDOW, fit_violence, predict_violence
from sna.violence.pooled import BUSINESS_TERM, apply_pooled, fit_pooled, pooled_fit, pooled_terms
from sna.violence.region_street import region_forces
from sna.violence.street_counts import counts_as_points

__all__ = [
    "FORWARD_TRAIN",
    "ForcesResult",
    "evaluate_forces",
    "evaluate_street_view",
    "forward_passes",
    "forward_metrics",
    "forward_rows",
    "forward_test",
    "JUDGED_MONTHS",
    "JUDGED_LSOAS",
]

JUDGED_MONTHS = 10
#: The forward test's training months; the later months a force has (12 at most) are its test.
FORWARD_TRAIN: tuple[str, str] = ("2022-01", "2022-07")
#: The force whose forward test is its own (36 months, two splits), not this 7-month one.
FORWARD_SPLITS_ELSEWHERE = "bedfordshire"
JUDGED_LSOAS = 50
COVERAGE = 0.10


@dataclass
class ForcesResult:
    """The three tables of the module docstring, and where they were written."""

    exposure: pd.DataFrame
    forward: pd.DataFrame
    as_if: pd.DataFrame
    folder: Path | None = None

    def summary(self) -> dict:
        """The acceptance figures: counts of forces passing, means, who misses."""
        f = self.forward[self.forward["judged"]]
        fw_ok = forward_passes(f)
        a = self.as_if[self.as_if["judged"]]
        ai_ok = (a["vr_hit_rate"] > a["res_hit_rate"]) & (a["vr_pei"] > a["res_pei"])
        return {
            "forward_judged": int(len(f)),
            "forward_pass": int(fw_ok.sum()),
            "forward_miss": f.loc[~fw_ok, "force"].tolist(),
            "as_if_judged": int(len(a)),
            "as_if_beats_residents": int(ai_ok.sum()),
            "as_if_mean_pei": round(float(a["vr_pei"].mean()), 4),
            "as_if_mean_pei_residents": round(float(a["res_pei"].mean()), 4),
            "as_if_top10_within_2pct": int((a["top10_median_rank_share"] <= 0.02).sum()),
            "as_if_top10_miss": a.loc[a["top10_median_rank_share"] > 0.02, "force"].tolist(),
        }


def forward_passes(rows):
    """The forward test's verdict per row (a frame or one record): violence risk at least last
    period's counts on hit rate and PEI*, and within 0.01 of the weighted counts' PEI*."""
    return (
        (rows["vr_hit_rate"] >= rows["prior_hit_rate"] - 1e-9)
        & (rows["vr_pei"] >= rows["prior_pei"] - 1e-9)
        & (rows["vr_pei"] >= rows["ewc_pei"] - 0.01)
    )


def forward_metrics(score: np.ndarray, observed: np.ndarray) -> tuple[float, float]:
    """Hit rate and PEI* of ``score`` at the top 10% of units: the forces' verdict measures."""
    t = coverage_metrics(score, observed, coverages=[COVERAGE]).iloc[0]
    return float(t["hit_rate"]), float(t["pei_star"])


def _exposure_rows(panel, spec) -> pd.DataFrame:
    rows, pooled = [], []
    for f in panel.forces:
        months = [m for m in panel.months(f) if IOD2025_WINDOW[0] <= m <= IOD2025_WINDOW[1]]
        if not months:
            continue
        u = panel.lsoas[panel.lsoas["force"] == f].set_index("lsoa21_code")
        y = panel.series(f, spec.target, (months[0], months[-1])) * 12.0 / len(months)
        implied = y / (u["iod_rate"] / 1000.0)
        ok = np.isfinite(implied) & (implied > 0)
        g = pd.DataFrame(
            {"implied": implied[ok], "at_risk": u["at_risk_pop"][ok], "res": u["residents"][ok]}
        )
        pooled.append(g)
        rows.append(_exposure_row(f, g, len(months)))
    rows.append(_exposure_row("all forces", pd.concat(pooled), 0))
    return pd.DataFrame(rows)


def _exposure_row(force: str, g: pd.DataFrame, months: int) -> dict:
    def male(x: pd.Series) -> float:
        return float(np.median(np.abs(np.log(x.clip(lower=1) / g["implied"]))))

    return {
        "force": force,
        "months": months,
        "lsoas": len(g),
        "spearman_at_risk": round(spearman(g["at_risk"], g["implied"]), 3),
        "spearman_residents": round(spearman(g["res"], g["implied"]), 3),
        "male_at_risk": round(male(g["at_risk"]), 3),
        "male_residents": round(male(g["res"]), 3),
        "median_ratio_at_risk": round(float(np.median(g["at_risk"] / g["implied"])), 3),
    }


def forward_rows(
    panel, spec, train: tuple[str, str] = FORWARD_TRAIN, forces: list[str] | None = None
) -> pd.DataFrame:
    """The forward table (module docstring) of ``forces`` (default: every force of ``panel``).

    A view with street files shows its forces' rows in its report (:mod:`sna.build.violence`).
    """
    rows = []
    for f in panel.forces if forces is None else [f for f in panel.forces if f in forces]:
        months = panel.months(f)
        horizon = month_text(month_number([train[1]])[0] + 12)
        test = [m for m in months if train[1] < m <= horizon]  # the next 12 months at most
        trained = [m for m in months if train[0] <= m <= train[1]]
        if len(trained) < 4 or not test:
            continue
        # the model's response is the window's last months: end it at the last month the
        # force has (Thames Valley's files stop at 2022-04), never fit to absent months as zeros
        window = (trained[0], trained[-1])
        u = panel.lsoas[panel.lsoas["force"] == f]
        units = pd.Index(u["lsoa21_code"], name="lsoa21_code")
        c = panel.counts[panel.counts["force"] == f]
        pts = counts_as_points(c[(c["month"] >= window[0]) & (c["month"] <= window[1])])
        a = u["at_risk_pop"].to_numpy(float).clip(min=1.0)
        lu = u["large_user_postcodes"].to_numpy(float)
        structural = pooled_terms(np.zeros(len(u)), a, lu, index=units)[[BUSINESS_TERM]]
        fit = fit_violence(pts, units, structural, a, spec, window)
        risk = predict_violence(fit, pts, units, structural, a, window)
        tgt = pts[pts["crime_type"] == spec.target]
        prior = tgt.groupby("lsoa21_code").size().reindex(units).fillna(0).to_numpy(float)
        ewc = weighted_counts(
            tgt["month"].to_numpy(),
            tgt["lsoa21_code"].to_numpy(),
            units,
            start=window[0],
            end=window[1],
            half_life=spec.baseline_half_life,
            months_present=trained,
        )
        obs = panel.series(f, spec.target, (test[0], test[-1])).to_numpy(float)
        vr, pr, ew = (forward_metrics(v, obs) for v in (risk.expected, prior, ewc))
        noise_sd, below = pei_star_difference_noise(risk.expected, prior, obs, coverage=COVERAGE)
        rows.append(
            {
                "force": f,
                "lsoas": len(u),
                "train": f"{window[0]}..{window[1]}",
                "test_months": ",".join(test),
                "judged": len(months) >= JUDGED_MONTHS and len(u) >= JUDGED_LSOAS,
                "vr_hit_rate": round(vr[0], 4),
                "vr_pei": round(vr[1], 4),
                "prior_hit_rate": round(pr[0], 4),
                "prior_pei": round(pr[1], 4),
                "ewc_hit_rate": round(ew[0], 4),
                "ewc_pei": round(ew[1], 4),
                # the test period's own noise in vr_pei - prior_pei (sna.stats.redraws)
                "vr_minus_prior_pei": round(vr[1] - pr[1], 4),
                "noise_sd": round(noise_sd, 4),
                "redraws_below_prior": round(below, 2),
                "half_life": fit.half_life,
            }
        )
    return pd.DataFrame(rows)


def _as_if_rows(panel, spec) -> pd.DataFrame:
    window = tuple(spec.pooled_window)
    rows = []
    for f in panel.forces:
        months = [m for m in panel.months(f) if window[0] <= m <= window[1]]
        if not months:
            continue
        held_out = fit_pooled(panel, spec, exclude=[f])
        u = panel.lsoas[panel.lsoas["force"] == f]
        units = pd.Index(u["lsoa21_code"], name="lsoa21_code")
        a = u["at_risk_pop"].to_numpy(float).clip(min=1.0)
        rate = np.nan_to_num(u["iod_rate"].to_numpy(float))
        _, risk = apply_pooled(
            held_out,
            rate * a / 1000,
            units,
            a,
            u["large_user_postcodes"].to_numpy(float),
            target=spec.target,
        )
        obs = panel.series(f, spec.target, (months[0], months[-1])).to_numpy(float)
        vr = forward_metrics(risk.expected, obs)
        res = forward_metrics(rate * u["residents"].to_numpy(float), obs)
        top = pd.Series(obs).rank(ascending=False, method="first").to_numpy() <= 10
        ranks = pd.Series(risk.expected).rank(ascending=False).to_numpy()
        all_months = panel.months(f)
        rows.append(
            {
                "force": f,
                "lsoas": len(u),
                "months": len(months),
                "judged": len(all_months) >= JUDGED_MONTHS and len(u) >= JUDGED_LSOAS,
                "vr_hit_rate": round(vr[0], 4),
                "vr_pei": round(vr[1], 4),
                "res_hit_rate": round(res[0], 4),
                "res_pei": round(res[1], 4),
                "top10_median_rank": float(np.median(ranks[top])),
                "top10_median_rank_share": round(float(np.median(ranks[top])) / len(u), 4),
                "forces_in_fit": len(held_out.forces),
            }
        )
    return pd.DataFrame(rows)


def evaluate_forces(
    region: str | Path | RegionConfig = "west-midlands",
    *,
    data_dir: Path | None = None,
    train: tuple[str, str] = FORWARD_TRAIN,
    out_dir: Path | None = None,
) -> ForcesResult:
    """Run the three evaluations on the forces of ``region``'s ``pooled_from`` (module doc)."""
    from sna.prepare.steps import postcode_source_path

    config = region if isinstance(region, RegionConfig) else load_region(region)
    spec = config.violence_risk
    if not spec.pooled_from:
        raise ConfigError(
            f"{config.id}: [violence_risk] pooled_from names no police.uk folders to evaluate"
        )
    root = Path(data_dir) if data_dir else default_data_dir()
    shared = shared_cache_dir(root)
    pc = postcode_source_path(config)
    table = national_at_risk(config, shared, pc)
    _, panel = pooled_fit(config, shared, table, cache_path(config, shared, pc).name)
    result = ForcesResult(
        exposure=_exposure_rows(panel, spec),
        forward=forward_rows(panel, spec, train),
        as_if=_as_if_rows(panel, spec),
    )
    folder = out_dir or root / "evaluation" / "forces"
    folder.mkdir(parents=True, exist_ok=True)
    result.exposure.to_csv(folder / "exposure.csv", index=False)
    result.forward.to_csv(folder / "forward.csv", index=False)
    result.as_if.to_csv(folder / "as_if_no_street_files.csv", index=False)
    (folder / "summary.json").write_text(json.dumps(result.summary(), indent=2))
    result.folder = folder
    return result


def forward_test(config: RegionConfig, forces: list[str], shared_dir: Path) -> dict:
    """The forward test of ``forces`` exactly as ``sna evaluate --forces`` makes it: the
    in-region model trained on ``FORWARD_TRAIN`` against the later months, next to last
    period's counts and exponentially weighted counts (:func:`forward_rows`, on the same panel
    of cached counts). A view with street files stores it in its manifest and report."""
    from sna.prepare.steps import postcode_source_path

    table = national_at_risk(config, shared_dir, postcode_source_path(config))
    panel = force_panel(config, shared_dir, table)
    rows = forward_rows(panel, config.violence_risk, FORWARD_TRAIN, forces=forces)
    return {
        "train": list(FORWARD_TRAIN),
        "coverage": COVERAGE,
        "computed_by": "sna.evaluation.forces.forward_rows",
        "rows": rows.to_dict(orient="records"),
    }


def evaluate_street_view(
    region: str | Path | RegionConfig,
    *,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
) -> pd.DataFrame:
    """The forward test of a view that reads its forces' street files (``[region]
    street_files``, e.g. ``merseyside``): one row per force with its verdict
    (:func:`forward_passes`), written to ``<out_dir>/forward.csv`` (default
    ``<data_dir>/<region>/evaluation``). Its store holds no police.uk points, so
    :func:`sna.evaluation.forward.evaluate_region` cannot test it; this is the test its build
    and report show."""
    config = region if isinstance(region, RegionConfig) else load_region(region)
    forces = region_forces(config)
    if not forces:
        raise ConfigError(f"{config.id}: no [region] street_files, so no forward test of them")
    root = Path(data_dir) if data_dir else default_data_dir()
    rows = pd.DataFrame(forward_test(config, forces, shared_cache_dir(root))["rows"])
    if rows.empty:
        raise ConfigError(
            f"{config.id}: its forces ({', '.join(forces)}) have too few months for a forward "
            f"test (4 or more in {FORWARD_TRAIN[0]}..{FORWARD_TRAIN[1]} and one after)"
        )
    rows["passes"] = forward_passes(rows)
    folder = Path(out_dir) if out_dir else root / config.id / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "forward.csv", index=False)
    return rows
