"""How the street-file violence model was chosen: development cases that exclude the test months.

Run from the project root after a build has cached the forces' counts (``make demo`` or
``sna evaluate --forces``)::

    .venv/bin/python notebooks/violence_model_development.py

The cases (docs/evaluation.md, "Violence risk: the fitted model"):

- Bedfordshire's rolling origins: 7 training months and the next 5 as test, every second
  month from 2021-05 (13 cases); and 12 training months with the next 12 (7 cases);
- every other force with ten or more months: train 2022-01..04, validate 2022-05..07.

None of them is a test month of the forward test (2022-08 onwards, trained on 2022-01..07)
except Bedfordshire's, whose own forward test is its two splits. Each candidate is scored as
the forward test scores: PEI* at the top 10% of LSOAs, passing where it is at least the prior
counts' and within 0.01 of the exponentially weighted counts'. The previous model (a
regression of the response months on the months before, forecast from the last 4) is the
code at commit 8776091; the others are below.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sna.config.region import load_region
from sna.evaluation.forces import JUDGED_MONTHS, forward_metrics
from sna.needs.national_at_risk import cache_path, national_at_risk
from sna.prepare.steps import postcode_source_path
from sna.settings import shared_cache_dir
from sna.violence.count_model import fit_count_model
from sna.violence.features import slug
from sna.violence.model import fit_violence, predict_violence
from sna.violence.pooled import BUSINESS_TERM, pooled_fit, pooled_terms
from sna.violence.posterior import Posterior
from sna.violence.street_counts import counts_as_points

warnings.filterwarnings("ignore")
CONFIG = load_region("west-midlands")
SPEC = CONFIG.violence_risk
FOUR_TYPES = ["Robbery", "Possession of weapons", "Public order", "Anti-social behaviour"]


def load_panel(data_dir: Path = Path("data")):
    """The forces' panel, from the caches a build made."""
    shared = shared_cache_dir(data_dir)
    pc = postcode_source_path(CONFIG)
    table = national_at_risk(CONFIG, shared, pc)
    return pooled_fit(CONFIG, shared, table, cache_path(CONFIG, shared, pc).name)[1]


def cases(panel) -> list[tuple[str, list[str], list[str], str]]:
    """(force, training months, test months, kind) of every development case."""
    out = []
    for f in panel.forces:
        months = panel.months(f)
        if len(months) < JUDGED_MONTHS or (panel.lsoas["force"] == f).sum() < 50:
            continue
        if f == "bedfordshire":
            out += [
                (f, months[i : i + 7], months[i + 7 : i + 12], "7 months")
                for i in range(0, len(months) - 11, 2)
            ]
            out += [
                (f, months[i : i + 12], months[i + 12 : i + 24], "12 months")
                for i in range(0, len(months) - 23, 2)
            ]
        else:
            train = [m for m in months if "2022-01" <= m <= "2022-04"]
            valid = [m for m in months if "2022-05" <= m <= "2022-07"]
            out.append((f, train, valid, "7 months"))
    return out


def case_data(panel, force: str, months: list[str]) -> dict:
    """Monthly counts by type, exposure and the business term of one case."""
    u = panel.lsoas[panel.lsoas["force"] == force]
    units = pd.Index(u["lsoa21_code"], name="lsoa21_code")
    c = panel.counts[(panel.counts["force"] == force) & panel.counts["month"].isin(months)]
    by_type = {
        t: g.groupby(["month", "lsoa21_code"])["count"]
        .sum()
        .unstack(fill_value=0)
        .reindex(index=months, columns=units, fill_value=0)
        .to_numpy(float)
        for t, g in c.groupby("crime_type")
    }
    a = u["at_risk_pop"].to_numpy(float).clip(min=1.0)
    lu = u["large_user_postcodes"].to_numpy(float)
    st = pooled_terms(np.zeros(len(u)), a, lu, index=units)[[BUSINESS_TERM]]
    return {
        "units": units,
        "M": by_type,
        "a": a,
        "st": st,
        "pts": counts_as_points(c),
        "months": months,
    }


def prior_counts(d):
    """The training window's counts (the baseline)."""
    return d["M"][SPEC.target].sum(0)


def weighted(d, h: float | None = None):
    """Exponentially weighted counts (the other baseline)."""
    age = np.arange(len(d["months"]))[::-1]
    return 2.0 ** (-age / (h or SPEC.baseline_half_life)) @ d["M"][SPEC.target]


def shipped(d):
    """The model as built: sna.violence.model."""
    w = (d["months"][0], d["months"][-1])
    fit = fit_violence(d["pts"], d["units"], d["st"], d["a"], SPEC, w)
    return predict_violence(fit, d["pts"], d["units"], d["st"], d["a"], w).expected


def _prior_mu(d, rows, types):
    """The regression prior on the months ``rows`` (log counts of ``types``), and alpha."""
    x = d["st"].reset_index(drop=True).copy()
    le = np.log(d["a"])
    x["log_residents"] = le - le.mean()
    for t in types:
        if t in d["M"] and d["M"][t][rows].sum() > 0:
            x["h_" + slug(t)] = np.log1p(d["M"][t][rows].sum(0))
    x = x.loc[:, x.std(ddof=0) > 1e-12]
    e = d["a"] * len(rows) / 12.0
    m = fit_count_model(
        d["M"][SPEC.target][rows].sum(0),
        x,
        e,
        penalised=[k for k in x.columns if k != "log_residents"],
    )
    return m.predict(x, e), m.alpha


def _update(d, rows, types, h):
    mu, al = _prior_mu(d, rows, types)
    w = 2.0 ** (-(rows[-1] - np.asarray(rows)) / h)
    post = Posterior(w @ d["M"][SPEC.target][rows], w.sum(), len(rows), al)
    return post.expected(mu, horizon=1)  # the monthly rate: ranks as the 12-month count


def update_flat(types):
    """The update with every month weighted alike."""
    return lambda d: _update(d, list(range(len(d["months"]))), types, np.inf)


def update_half_life_out_of_time(d):
    """All other types; the half-life whose forecast of the last months deviates least."""
    types = [t for t in d["M"] if t != SPEC.target]
    n = len(d["months"])
    resp_n = min(12, max(3, n // 4)) if n > 4 else 1
    feat = list(range(n - resp_n))
    y = d["M"][SPEC.target][n - resp_n :].sum(0)

    def deviance(h):
        r = _update(d, feat, types, h) * resp_n
        return 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / r), 0) - (y - r))

    best = min([*SPEC.half_lives, np.inf], key=deviance)
    return _update(d, list(range(n)), types, best)


def leave_one_month_out(d):
    """A regression of each month on the other months' counts (4 types), applied to all."""
    n, types = len(d["months"]), [SPEC.target, *FOUR_TYPES]

    def design(sums, scale):
        x = pd.DataFrame({"v": np.log1p(sums[SPEC.target] * scale)})
        x["v2"] = x["v"] ** 2
        for t in FOUR_TYPES:
            if sums[t].sum() > 0:
                x[slug(t)] = np.log1p(sums[t] * scale)
        x = pd.concat([x, d["st"].reset_index(drop=True)], axis=1)
        le = np.log(d["a"])
        x["log_residents"] = le - le.mean()
        return x

    xs = [
        design({t: d["M"][t].sum(0) - d["M"][t][k] for t in types}, 12 / (n - 1)) for k in range(n)
    ]
    x = pd.concat(xs, ignore_index=True)
    keep = [c for c in x.columns if x[c].std(ddof=0) > 1e-12]
    m = fit_count_model(
        np.concatenate([d["M"][SPEC.target][k] for k in range(n)]),
        x[keep],
        np.tile(d["a"] / 12.0, n),
        penalised=[k for k in keep if k not in ("v", "v2", "log_residents")],
    )
    return m.predict(design({t: d["M"][t].sum(0) for t in types}, 12 / n)[keep], d["a"])


CANDIDATES: dict[str, Callable] = {
    "leave-one-month-out stacked regression, 4 other types": leave_one_month_out,
    "Poisson-gamma update, 4 other types, flat": update_flat(FOUR_TYPES),
    "Poisson-gamma update, all other types, flat": lambda d: update_flat(
        [t for t in d["M"] if t != SPEC.target]
    )(d),
    "Poisson-gamma update, all other types, half-life out of time": update_half_life_out_of_time,
    "as shipped (sna.violence.model)": shipped,
}


def main() -> None:
    """Print each candidate's cases passing and mean PEI* difference by kind."""
    panel = load_panel()
    rows = []
    for force, train, test, kind in cases(panel):
        d = case_data(panel, force, train)
        obs = panel.series(force, SPEC.target, (test[0], test[-1])).to_numpy(float)
        base = {
            k: forward_metrics(f(d), obs)[1]
            for k, f in (("prior", prior_counts), ("weighted", weighted))
        }
        for name, f in CANDIDATES.items():
            pei = forward_metrics(f(d), obs)[1]
            rows.append(
                {
                    "kind": kind,
                    "candidate": name,
                    "diff": pei - base["prior"],
                    "pass": pei >= base["prior"] - 1e-9 and pei >= base["weighted"] - 0.01,
                }
            )
    t = pd.DataFrame(rows)
    out = t.groupby(["kind", "candidate"], sort=False).agg(
        cases=("pass", "size"), passing=("pass", "sum"), mean_pei_minus_prior=("diff", "mean")
    )
    print(out.round(4).to_string())


if __name__ == "__main__":
    main()
