"""Does the index find the places? A forward test of the index against the next period.

:func:`evaluate_region` builds the index from a *training* window only and measures how well it
anticipates where violence happened in a later *test* window (``methods.md`` section 8):

1. **Training-only index.** The region config is copied; every layer on the police.uk
   ``crime_points`` table gets its month condition replaced by the training window; layers on
   synthetic tables are dropped (the synthetic hospital stand-in is calibrated to IoD2025
   violence rates, whose police data overlap the test period: leakage), and so are IoD crime
   indicator layers. The IoD2025 non-crime domains stay (see ``docs/evaluation.md`` on their
   mild overlap). The layers are computed with :func:`sna.layers.compute_layer` and scored with
   :func:`sna.scoring.score_layers`: the same method as the build, without its publishing.
2. **Two units.** LSOAs (the index itself) and 100 m grid cells: each cell takes its LSOA's
   layer scores with the crime layers (and any other surface layer) replaced by the training
   kernel density at the cell centre, normalised across cells, as the build does for postcodes.
3. **Targets.** Test-period police.uk points of each target type, counted per unit:
   violence and sexual offences, robbery, possession of weapons (each separately).
4. **Baselines, in the same run.** Training-window counts of the target type; a kernel density
   (quartic, 400 m) of the training-window target points; the IMD 2025 score alone (the IMD
   contains a crime domain, measured on 2022/23-2023/24 police data: it overlaps the test year
   and flatters this baseline).
5. **Metrics** (:mod:`sna.metrics`): hit rate, PAI, PEI*, RRI at the top 1, 5, 10 and 20% of
   units, and the Spearman correlation across units.

:func:`evaluate_iod_era` does what is possible for the West Midlands, which has no police.uk
points in the bundle: an index from IoD2019-era domain ranks against the IoD2025 police
recorded crime indicators, a test window some six years later.

The output goes to ``<data_dir>/<region>/evaluation/``: ``evaluation.csv`` (one row per unit
level, target, method and coverage), ``evaluation.json`` (the same plus the set-up) and
``evaluation.png`` (PAI by coverage).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.crime import missing_months

from .config import LayerSpec, RegionConfig, ScoringSpec, load_region
from .errors import EvaluationError
from .layers import compute_layer, layer_points
from .metrics import COVERAGES, coverage_metrics, expected_counts, spearman
from .normalise import normalise
from .scoring import LayerInput, effective_weights, score_layers
from .store import Store, region_dir
from .surfaces import kde_surface, sample_surface
from .violence_risk import (
    fit_violence,
    model_layer_ids,
    predict_violence,
    structural_terms,
    weighted_counts,
)

__all__ = [
    "DEFAULT_TRAIN",
    "DEFAULT_TEST",
    "TARGETS",
    "BASELINE_BANDWIDTH_M",
    "VARIANT_LEVEL_WEIGHTS",
    "METHODS",
    "IOD2019_LAYERS",
    "IOD2025_TARGETS",
    "EvaluationError",
    "EvaluationResult",
    "parse_window",
    "window_filter",
    "training_config",
    "evaluate_tables",
    "evaluate_region",
    "evaluate_iod_era",
    "plot_evaluation",
]

DEFAULT_TRAIN: tuple[str, str] = ("2021-05", "2023-04")
DEFAULT_TEST: tuple[str, str] = ("2023-05", "2024-04")
TARGETS: tuple[str, ...] = ("Violence and sexual offences", "Robbery", "Possession of weapons")
BASELINE_BANDWIDTH_M = 400.0

#: A priori sensitivity variant (fixed before any test-period result was seen): the index with
#: more weight on the community level, where the police recorded crime layers sit. Levels
#: without layers are renormalised away, as in the build.
#: The a priori protective variant when the config does not subtract protective access.
VARIANT_LAMBDA = 0.25

VARIANT_LEVEL_WEIGHTS: dict[str, float] = {
    "individual": 0.15,
    "relationship": 0.15,
    "community": 0.55,
    "society": 0.15,
}

#: Method id -> label. ``index*`` are built from training data by the engine; the rest are
#: baselines.
METHODS: dict[str, str] = {
    "violence_risk": "Violence risk (fitted count model)",
    "index": "Needs index",
    "index_risk": "Risk index only (variant)",
    "index_protective": "Needs index less protective access, lambda 0.25 (variant)",
    "index_crime_weighted": "Needs index, community-weighted (variant)",
    "prior_counts": "Prior-period counts",
    "ewm_counts": "Exponentially weighted prior counts",
    "kde": "KDE of prior-period points (400 m)",
    "imd": "IMD 2025 score alone",
}
#: Count-based measures that decide a verdict; PAI (by area) is reported beside them.
DECIDING_METRICS: tuple[str, ...] = ("hit_rate", "pei_star")
HEADLINE_METRICS: tuple[str, ...] = ("hit_rate", "pei_star", "pai_units", "pai")
#: How close to the exponentially weighted counts "matches" means (hit rate and PEI*).
EWM_TOLERANCE = 0.01
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MONTH_CLAUSE = re.compile(
    r"""\bmonth\s*(?:>=|<=|==|!=|>|<)\s*(?:'[^']*'|"[^"]*")"""
    r"""|(?:'[^']*'|"[^"]*")\s*(?:>=|<=|==|!=|>|<)\s*\bmonth\b"""
)
_IOD_CRIME = re.compile(r"^crime(_|$)")


# --- set-up --------------------------------------------------------------------------------


def parse_window(text: str | Sequence[str]) -> tuple[str, str]:
    """``"2021-05:2023-04"`` (or a pair) -> ``("2021-05", "2023-04")``, checked.

    Raises
    ------
    EvaluationError
        When a month is not ``YYYY-MM`` or the window ends before it starts.
    """
    parts = text.split(":") if isinstance(text, str) else list(text)
    if len(parts) != 2:
        raise EvaluationError(f"window {text!r}: expected FROM:TO, e.g. 2021-05:2023-04")
    start, end = (p.strip() for p in parts)
    for m in (start, end):
        if not _MONTH.match(m):
            raise EvaluationError(f"window {text!r}: {m!r} is not a month YYYY-MM")
    if end < start:
        raise EvaluationError(f"window {text!r}: ends ({end}) before it starts ({start})")
    return start, end


def _n_months(window: tuple[str, str]) -> int:
    (y0, m0), (y1, m1) = (map(int, w.split("-")) for w in window)
    return (y1 - y0) * 12 + (m1 - m0) + 1


def window_filter(expr: str, window: tuple[str, str]) -> str:
    """Replace every ``month`` comparison of a pandas query by the window ``[from, to]``.

    ``"crime_type == 'Robbery' and month >= '2023-05'"`` with ``("2021-05", "2023-04")``
    becomes ``"crime_type == 'Robbery' and month >= '2021-05' and month <= '2023-04'"``.

    Raises
    ------
    EvaluationError
        When ``month`` is still named after the comparisons are removed (e.g. ``month.isin``),
        since the rewrite would then be unsafe.

    Examples
    --------
    >>> window_filter("crime_type == 'Violence and sexual offences' and month >= '2023-05'",
    ...               ("2021-05", "2023-04"))
    "crime_type == 'Violence and sexual offences' and month >= '2021-05' and month <= '2023-04'"
    """
    start, end = window
    rest = _MONTH_CLAUSE.sub("", expr)
    # remove the connectives left dangling by the removed clauses
    rest = re.sub(r"\(\s*\)", "", rest)
    rest = re.sub(r"\b(and|&)\s+(?=(and|&)\b)", "", rest)
    rest = re.sub(r"^\s*(and|&)\s+|\s+(and|&)\s*$", "", rest).strip()
    if re.search(r"\bmonth\b", rest):
        raise EvaluationError(
            f"filter {expr!r}: cannot replace its month condition by the training window; "
            "write it as month >= 'YYYY-MM' and/or month <= 'YYYY-MM'"
        )
    clause = f"month >= '{start}' and month <= '{end}'"
    return f"{rest} and {clause}" if rest else clause


def training_config(
    config: RegionConfig,
    train: tuple[str, str],
    *,
    synthetic_tables: Sequence[str] = (),
) -> tuple[RegionConfig, dict[str, str]]:
    """The region config as it would have been built at the end of the training window.

    Returns the new config and ``{dropped layer id: reason}``: layers on synthetic tables
    (leakage: the synthetic hospital stand-in is calibrated to IoD2025 violence rates) and
    IoD crime indicator layers (police data of 2022/23-2023/24, overlapping the test period).
    Every layer on ``crime_points`` gets its month condition replaced by ``train``.
    """
    keep: list[LayerSpec] = []
    dropped: dict[str, str] = {}
    for spec in config.layers:
        if spec.table in synthetic_tables:
            dropped[spec.id] = (
                f"synthetic table {spec.table!r}: a stand-in calibrated to IoD2025 rates "
                "(leakage into the test period)"
            )
        elif spec.table.startswith("iod") and _IOD_CRIME.match(spec.column or ""):
            dropped[spec.id] = (
                f"IoD crime indicator {spec.column!r}: police data overlapping the test period"
            )
        elif spec.table == "crime_points":
            keep.append(
                spec.model_copy(
                    update={
                        "filter": window_filter(spec.filter, train),
                        "months": 0,  # the whole training window, whatever the layer's months
                        "period": f"{train[0]} to {train[1]}",
                    }
                )
            )
        else:
            keep.append(spec)
    if not keep:
        raise EvaluationError(f"{config.id}: no layer left for a training-only index")
    return config.model_copy(update={"layers": keep}), dropped


# --- the result ------------------------------------------------------------------------------


@dataclass
class EvaluationResult:
    """What :func:`evaluate_region` / :func:`evaluate_iod_era` measured.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ``level`` (lsoa | cell), ``target``, ``method`` and ``coverage``, with the
        columns of :func:`sna.metrics.coverage_metrics` and ``spearman`` (of that level,
        target and method, over all units).
    setup : dict
        Windows, layers used and dropped, unit counts, event counts, notes.
    files : dict
        Paths written (``csv``, ``json``, ``png``), empty when nothing was written.
    """

    region: str
    train: tuple[str, str] | None
    test: tuple[str, str] | None
    table: pd.DataFrame
    setup: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    def value(
        self,
        method: str,
        metric: str = "pai",
        *,
        target: str | None = None,
        level: str = "lsoa",
        coverage: float = 0.10,
    ) -> float:
        """One number of the table, e.g. PAI of the index at the top 10% of LSOAs."""
        t = self.table
        target = target or str(t["target"].iloc[0])
        row = t[
            (t["method"] == method)
            & (t["target"] == target)
            & (t["level"] == level)
            & np.isclose(t["coverage"], coverage)
        ]
        if row.empty:
            raise EvaluationError(f"no result for {method=} {target=} {level=} {coverage=}")
        return float(row[metric].iloc[0])

    def headline(self) -> dict[str, Any]:
        """The verdict at the top 10% of LSOAs for the first target, on count-based measures.

        The leading method (violence risk where it was fitted, else the index) is compared
        with each baseline on hit rate and PEI*: it beats prior counts when both are at least
        as high, and matches the exponentially weighted counts when both are within
        ``EWM_TOLERANCE``. Area-based PAI is reported but never decides.
        """
        target = str(self.table["target"].iloc[0])
        methods = [m for m in self.table["method"].unique()]
        sub = self.table[self.table["target"] == target]
        lead = "violence_risk" if "violence_risk" in set(sub["method"]) else "index"
        metrics = {
            m: {k: self.value(m, k, target=target) for k in HEADLINE_METRICS} for m in methods
        }
        baselines = [b for b in ("prior_counts", "ewm_counts") if b in metrics] or [
            b for b in ("crime2019",) if b in metrics
        ]
        verdicts = {}
        for b in baselines:
            tol = EWM_TOLERANCE if b == "ewm_counts" else 0.0
            verdicts[b] = all(
                metrics[lead][k] >= metrics[b][k] - tol - 1e-12 for k in DECIDING_METRICS
            )
        first = baselines[0] if baselines else ""
        return {
            "target": target,
            "coverage": 0.10,
            "level": "lsoa",
            "lead": lead,
            "metrics": metrics,
            "pai": {m: v["pai"] for m, v in metrics.items()},
            "decided_on": list(DECIDING_METRICS),
            "baseline": first,
            "verdicts": verdicts,
            "index_beats_baseline": bool(verdicts.get(first, False)),
        }


# --- helpers -----------------------------------------------------------------------------


def _inputs(
    specs: list[LayerSpec], tables, areas, postcodes, *, crime_years: float = 1.0
) -> tuple[list[LayerInput], list]:
    """Layer inputs as the build makes them; crime counts set against person-years.

    A ``crime_points`` count over a training window of ``crime_years`` years is divided by
    ``population x crime_years`` (person-years), so its rate is annual, on the same scale as
    the build's 12-month layers, while the shrinkage still sees the whole count (a town-centre
    LSOA can record more crimes in two years than it has residents).
    """
    layers = [compute_layer(s, tables, areas, postcodes) for s in specs]
    inputs = []
    for d in layers:
        years = crime_years if d.spec.table == "crime_points" and d.count is not None else 1.0
        inputs.append(
            LayerInput(
                d.spec,
                d.raw.to_numpy(float) / years,
                None if d.count is None else d.count.to_numpy(float),
                None if d.denominator is None else d.denominator.to_numpy(float) * years,
            )
        )
    return inputs, layers


def _parent(areas: pd.DataFrame, scoring: ScoringSpec) -> np.ndarray | None:
    col = "msoa21_name" if scoring.shrink_parent == "msoa" else "district_code"
    return areas[col].astype(str).to_numpy() if col in areas.columns else None


def _variants(inputs: list[LayerInput], scoring: ScoringSpec, parent) -> tuple[dict, list]:
    """The index and its a priori variants on LSOAs, and the scored models behind them.

    With protective layers, one variant changes how they enter: the risk index alone when the
    config subtracts them (``need_lambda > 0``), else the index less ``VARIANT_LAMBDA`` times
    protective access. Without protective layers that variant would repeat the index.
    """
    scored = score_layers(inputs, scoring, parent)
    crime_w = score_layers(inputs, scoring, parent, level_weights=VARIANT_LEVEL_WEIGHTS)
    out = {"index": scored.need, "index_crime_weighted": crime_w.need}
    models: list[Any] = [scored, crime_w, None]
    if any(i.spec.kind == "protective" for i in inputs):
        if scoring.need_lambda > 0:
            out["index_risk"] = scored.risk
        else:
            alt = scoring.model_copy(update={"need_lambda": VARIANT_LAMBDA})
            models[2] = score_layers(inputs, alt, parent)
            out["index_protective"] = models[2].need
    return out, models


def _grid(areas: gpd.GeoDataFrame, cell: float) -> pd.DataFrame:
    """Grid cells (aligned to multiples of ``cell``) whose centre lies in a region LSOA."""
    minx, miny, maxx, maxy = areas.total_bounds
    ix = np.arange(np.floor(minx / cell), np.ceil(maxx / cell)).astype(np.int64)
    iy = np.arange(np.floor(miny / cell), np.ceil(maxy / cell)).astype(np.int64)
    gx, gy = np.meshgrid(ix, iy)
    gx, gy = gx.ravel(), gy.ravel()
    cx, cy = (gx + 0.5) * cell, (gy + 0.5) * cell
    pts = gpd.points_from_xy(cx, cy)
    geoms = areas.geometry.reset_index(drop=True)
    pt_idx, poly_idx = geoms.sindex.query(pts, predicate="within")
    first = pd.Series(poly_idx, index=pt_idx).groupby(level=0).first()
    codes = areas["lsoa21_code"].to_numpy()
    return pd.DataFrame(
        {
            "ix": gx[first.index],
            "iy": gy[first.index],
            "x": cx[first.index],
            "y": cy[first.index],
            "lsoa21_code": codes[first.to_numpy()],
        }
    ).reset_index(drop=True)


def _cell_counts(cells: pd.DataFrame, xy: np.ndarray, cell: float) -> tuple[np.ndarray, int]:
    """Points per grid cell, and how many points fell outside the kept cells."""
    if len(xy) == 0:
        return np.zeros(len(cells)), 0
    key = pd.MultiIndex.from_arrays(
        [np.floor(xy[:, 0] / cell).astype(np.int64), np.floor(xy[:, 1] / cell).astype(np.int64)]
    )
    counts = pd.Series(1, index=key).groupby(level=[0, 1]).sum()
    grid_key = pd.MultiIndex.from_arrays([cells["ix"].to_numpy(), cells["iy"].to_numpy()])
    got = counts.reindex(grid_key).fillna(0).to_numpy(float)
    return got, int(len(xy) - got.sum())


def _lsoa_counts(frame: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    return frame.groupby("lsoa21_code").size().reindex(codes).fillna(0).to_numpy(float)


def _kde_at(
    xy: np.ndarray,
    cells: pd.DataFrame,
    bounds: tuple[float, float, float, float],
    cell: float,
    bandwidth: float,
    years: float,
) -> np.ndarray:
    """Kernel density (events per km² per year) of ``xy`` at the cell centres."""
    if len(xy) == 0:
        return np.zeros(len(cells))
    surface = kde_surface(
        xy[:, 0], xy[:, 1], bounds=bounds, cell=cell, bandwidth=bandwidth, years=years
    )
    return np.nan_to_num(sample_surface(surface, cells["x"].to_numpy(), cells["y"].to_numpy()))


def _metric_rows(
    level: str,
    target: str,
    method: str,
    score: np.ndarray,
    observed: np.ndarray,
    area: np.ndarray | None,
    predicted_total: float | None,
) -> pd.DataFrame:
    predicted = None if predicted_total is None else expected_counts(score, predicted_total)
    t = coverage_metrics(score, observed, area=area, predicted=predicted, coverages=COVERAGES)
    t.insert(0, "method_label", METHODS.get(method, _IOD_METHODS.get(method, method)))
    t.insert(0, "method", method)
    t.insert(0, "target", target)
    t.insert(0, "level", level)
    t["spearman"] = spearman(score, observed)
    return t


# --- Bedfordshire-style evaluation --------------------------------------------------------


def evaluate_tables(
    config: RegionConfig,
    tables: Mapping[str, pd.DataFrame],
    train: tuple[str, str] = DEFAULT_TRAIN,
    test: tuple[str, str] = DEFAULT_TEST,
    *,
    synthetic_tables: Sequence[str] = (),
    targets: Sequence[str] = TARGETS,
    cells: bool = True,
) -> EvaluationResult:
    """Evaluate a training-only index on store tables already in memory (no files written).

    ``tables`` needs ``lsoa21`` (with ``area_km2`` and populations), ``crime_points``
    (``crime_type``, ``month``, ``easting``, ``northing``, ``lsoa21_code``), ``iod2025`` (for
    ``imd_score``), ``postcodes`` when an ``access`` layer is declared, and every other table
    a kept layer reads. See the module docstring for the method.

    Parameters
    ----------
    config
        The region config as declared; :func:`training_config` derives the training version.
    tables
        Store tables by name.
    train, test
        Month windows ``(from, to)``, inclusive; they must not overlap.
    synthetic_tables
        Tables holding synthetic stand-ins (the store manifest's ``synthetic_tables``): their
        layers are dropped.
    targets
        police.uk crime types to predict, each reported separately.
    cells
        Also evaluate on grid cells (``scoring.surface_cell_m``); LSOAs only when False.
    """
    t0 = time.perf_counter()
    train, test = parse_window(train), parse_window(test)
    if not (train[1] < test[0] or test[1] < train[0]):
        raise EvaluationError(f"training {train} and test {test} windows overlap")
    if "crime_points" not in tables:
        raise EvaluationError(
            f"{config.id}: the store has no crime_points table (police.uk points); "
            "for IoD-only regions use evaluate_iod_era"
        )
    sc = config.scoring
    from .partner_layers import plan_layers

    active, held = plan_layers(config.layers, tables)  # partner layers awaiting data
    config = config.model_copy(update={"layers": active})
    cfg, dropped = training_config(config, train, synthetic_tables=synthetic_tables)
    dropped.update({d["id"]: d["status"] for d in held})
    areas = tables["lsoa21"].reset_index(drop=True)
    codes = pd.Index(areas["lsoa21_code"], name="lsoa21_code")
    postcodes = tables.get("postcodes")
    live = None
    if postcodes is not None:
        live = postcodes[postcodes["status"] == "live"] if "status" in postcodes else postcodes
    pts = tables["crime_points"]
    located = pts[np.isfinite(pts["easting"]) & np.isfinite(pts["northing"])]
    months = set(pts["month"].astype(str))
    for name, w in (("training", train), ("test", test)):
        inside = [m for m in months if w[0] <= m <= w[1]]
        if not inside:
            raise EvaluationError(
                f"{config.id}: no crime_points in the {name} window {w[0]}..{w[1]} "
                f"(data cover {min(months)}..{max(months)})"
            )
    in_train = located["month"].between(*train)
    in_test = located["month"].between(*test)
    # rates count the months with data, not the span: a missing month is not a month of
    # no crime (the gaps are reported in the setup and by the CLI)
    gaps = {
        n: missing_months([m for m in months if w[0] <= m <= w[1]], w)
        for n, w in (("train", train), ("test", test))
    }
    tr_m = _n_months(train) - len(gaps["train"])
    te_m = _n_months(test) - len(gaps["test"])
    scale = te_m / tr_m
    inputs, _ = _inputs(cfg.layers, tables, areas, live, crime_years=tr_m / 12.0)
    parent = _parent(areas, sc)
    index_scores, models = _variants(inputs, sc, parent)
    vspec = config.violence_risk
    structural = structural_terms(
        models[0].scores.set_axis(codes), model_layer_ids(cfg.layers, vspec, set())
    )
    residents = areas[vspec.exposure].to_numpy(float).clip(min=1.0)
    # the model sees training-window rows only: later rows are cut before anything is fitted
    train_all = located[located["month"].astype(str).between(*train)]
    vfit = fit_violence(train_all, codes, structural, residents, vspec, train)
    vrisk = predict_violence(vfit, train_all, codes, structural, residents, train)

    area = areas["area_km2"].to_numpy(float)
    iod = tables.get("iod2025")
    imd = (
        iod.set_index("lsoa21_code")["imd_score"].reindex(codes).to_numpy(float)
        if iod is not None and "imd_score" in iod
        else np.full(len(codes), np.nan)
    )

    cell_m = sc.surface_cell_m
    grid = None
    if cells:
        grid = _grid(areas, cell_m)
        pad = max(sc.surface_bandwidth_m, BASELINE_BANDWIDTH_M)
        minx, miny, maxx, maxy = areas.total_bounds
        bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        cell_index = _cell_index(cfg, tables, models, grid, codes, bounds, tr_m / 12.0)
        lsoa_pos = pd.Series(np.arange(len(codes)), index=codes).reindex(grid["lsoa21_code"])
        grid_rows = lsoa_pos.to_numpy()

    rows: list[pd.DataFrame] = []
    counts: dict[str, Any] = {}
    for target in targets:
        tgt = located[located["crime_type"] == target]
        if tgt.empty:
            raise EvaluationError(f"{config.id}: no crime_points of type {target!r}")
        train_pts, test_pts = tgt[in_train.loc[tgt.index]], tgt[in_test.loc[tgt.index]]
        y = _lsoa_counts(test_pts, codes)
        prior = _lsoa_counts(train_pts, codes)
        info = {
            "train_events": int(len(train_pts)),
            "test_events": int(len(test_pts)),
            "test_events_lsoa": int(y.sum()),
            "test_no_coordinates": int(
                ((pts["crime_type"] == target) & pts["month"].between(*test)).sum() - len(test_pts)
            ),
        }
        ewm = weighted_counts(
            train_pts["month"].to_numpy(),
            train_pts["lsoa21_code"].to_numpy(),
            codes,
            start=train[0],
            end=train[1],
            half_life=vspec.baseline_half_life,
        )
        methods: dict[str, np.ndarray] = {}
        if target == vspec.target:
            methods["violence_risk"] = vrisk.expected
        methods.update({**index_scores, "prior_counts": prior, "ewm_counts": ewm})
        if cells:
            tr_xy = train_pts[["easting", "northing"]].to_numpy(float)
            te_xy = test_pts[["easting", "northing"]].to_numpy(float)
            kde_cells = _kde_at(tr_xy, grid, bounds, cell_m, BASELINE_BANDWIDTH_M, tr_m / 12.0)
            # LSOA KDE: the expected events per year in the LSOA's cells
            kde_lsoa = (
                pd.Series(kde_cells * (cell_m / 1000.0) ** 2)
                .groupby(grid["lsoa21_code"].to_numpy())
                .sum()
                .reindex(codes)
                .fillna(0)
                .to_numpy()
            )
            methods["kde"] = kde_lsoa
        methods["imd"] = imd
        total = prior.sum() * scale
        for m, score in methods.items():
            rows.append(_metric_rows("lsoa", target, m, score, y, area, total))
        if cells:
            yc, lost = _cell_counts(grid, te_xy, cell_m)
            pc, _ = _cell_counts(grid, tr_xy, cell_m)
            info["test_events_cells"] = int(yc.sum())
            info["test_events_outside_cells"] = lost
            cell_methods = {}
            if target == vspec.target:
                tgt_train = train_all[train_all["crime_type"] == target]
                cell_args = (grid, codes, bounds, cell_m, sc.surface_bandwidth_m)
                cell_choice = _choose_cell_method(
                    vfit, train_all, codes, structural, residents, tgt_train, cell_args
                )
                cell_methods["violence_risk"] = _cell_risk(
                    cell_choice["method"], vrisk.expected, tgt_train, train, *cell_args
                )
                info["violence_risk_cells"] = cell_choice
            cell_methods |= {
                **cell_index,
                "prior_counts": pc,
                "kde": kde_cells,
                "imd": imd[grid_rows],
            }
            ctotal = pc.sum() * scale
            for m, score in cell_methods.items():
                rows.append(_metric_rows("cell", target, m, score, yc, None, ctotal))
        counts[target] = info

    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "region", config.id)
    weights = effective_weights(cfg.layers, sc.level_weights)
    setup = {
        "region": config.id,
        "region_name": config.region.name,
        "kind": "police.uk forward test",
        "train": list(train),
        "test": list(test),
        "train_months": tr_m,
        "test_months": te_m,
        "missing_months": gaps,
        "warnings": [
            f"{n} window {w[0]}..{w[1]}: {len(gaps[n])} month(s) with no police.uk rows "
            f"({', '.join(gaps[n][:12])}); rates use the {m} month(s) present"
            for n, w, m in (("train", train, tr_m), ("test", test, te_m))
            if gaps[n]
        ],
        "n_lsoa": int(len(codes)),
        "n_cells": int(len(grid)) if grid is not None else 0,
        "cell_m": cell_m,
        "index_bandwidth_m": sc.surface_bandwidth_m,
        "baseline_bandwidth_m": BASELINE_BANDWIDTH_M,
        "coverages": list(COVERAGES),
        "layers_used": [
            {
                "id": s.id,
                "title": s.title,
                "kind": s.kind,
                "level": s.level,
                "table": s.table,
                "filter": s.filter,
                "effective_weight": round(weights[s.id], 4),
            }
            for s in cfg.layers
        ],
        "layers_dropped": dropped,
        "violence_model": vfit.manifest(),
        "variant_level_weights": VARIANT_LEVEL_WEIGHTS,
        "methods": METHODS,
        "targets": counts,
        "notes": [
            "Units are flagged by count (top k of n units); a/A uses LSOA area_km2, so PAI is "
            "area-based; 100 m cells have equal areas.",
            "Ties at the cut-off are shared fractionally (the expectation under a random "
            "tie-break).",
            "RRI: predicted events = training-window total of the target in the evaluated "
            f"units x {te_m}/{tr_m} months, allocated in proportion to the score (shifted to "
            "be non-negative); comparable across methods only as a calibration check.",
            "The IMD 2025 contains a crime domain built from 2022/23-2023/24 police data, which "
            "overlaps the test year: the IMD baseline is flattered.",
            "IoD2025 non-crime domains (income, employment, education, living environment) "
            "measure mostly 2021-2023 conditions: a mild overlap with the test year, kept.",
            "Test events without coordinates cannot be placed and are left out.",
        ],
    }
    return EvaluationResult(config.id, train, test, table, setup, {}, time.perf_counter() - t0)


#: How violence risk reaches 100 m cells; chosen per run on training data (see below).
CELL_METHODS: tuple[str, ...] = ("lsoa_share", "kde")


def _cell_risk(
    method: str,
    expected: np.ndarray,
    points: pd.DataFrame,
    window: tuple[str, str],
    grid: pd.DataFrame,
    codes: pd.Index,
    bounds: tuple[float, float, float, float],
    cell: float,
    bandwidth: float,
) -> np.ndarray:
    """Violence risk on cells, by one of ``CELL_METHODS``.

    ``lsoa_share``: each LSOA's expected count times the cell's share of the LSOA's kernel
    density of the window's points (an LSOA with no density shares equally), so cell values
    sum to the LSOA's expected count. ``kde``: the kernel density of the window's points
    alone (the local pattern, without the LSOA model).
    """
    window_pts = points[points["month"].astype(str).between(*window)]
    xy = window_pts[["easting", "northing"]].to_numpy(float)
    dens = np.zeros(len(grid))
    if len(xy):
        surface = kde_surface(xy[:, 0], xy[:, 1], bounds=bounds, cell=cell, bandwidth=bandwidth)
        dens = np.nan_to_num(sample_surface(surface, grid["x"].to_numpy(), grid["y"].to_numpy()))
    if method == "kde":
        return dens
    lsoa = grid["lsoa21_code"].to_numpy()
    total = pd.Series(dens).groupby(lsoa).transform("sum").to_numpy()
    n = pd.Series(1.0, index=grid.index).groupby(lsoa).transform("sum").to_numpy()
    share = np.where(total > 0, dens / np.where(total > 0, total, 1.0), 1.0 / n)
    e = pd.Series(expected, index=codes).reindex(lsoa).to_numpy()
    return e * share


def _choose_cell_method(
    fit: Any,
    points: pd.DataFrame,
    codes: pd.Index,
    structural: pd.DataFrame,
    residents: np.ndarray,
    target_points: pd.DataFrame,
    cell_args: tuple,
) -> dict[str, Any]:
    """Pick the cell method on the fit's own inner split: training data only.

    Each candidate is built from the fit's feature months and scored by its hit rate at the
    top 10% of cells on the response months (the same split the coefficients were fitted on);
    ties go to ``lsoa_share``.
    """
    grid = cell_args[0]
    inner = predict_violence(fit, points, codes, structural, residents, fit.feature_window)
    resp = target_points[target_points["month"].astype(str).between(*fit.response_window)]
    observed, _ = _cell_counts(grid, resp[["easting", "northing"]].to_numpy(float), cell_args[3])
    scores = {}
    for method in CELL_METHODS:
        score = _cell_risk(method, inner.expected, target_points, fit.feature_window, *cell_args)
        t = coverage_metrics(score, observed, coverages=(0.10,))
        scores[method] = round(float(t["hit_rate"].iloc[0]), 4)
    best = max(CELL_METHODS, key=lambda m: (scores[m], m == "lsoa_share"))
    return {"method": best, "inner_hit_rate_10pct": scores}


def _cell_index(
    cfg: RegionConfig,
    tables: Mapping[str, pd.DataFrame],
    models: list[Any],
    grid: pd.DataFrame,
    codes: pd.Index,
    bounds: tuple[float, float, float, float],
    train_years: float,
) -> dict[str, np.ndarray]:
    """The index variants on grid cells, as the build computes the postcode index.

    Each cell takes its LSOA's normalised layer scores; every layer on ``crime_points`` (and
    any other layer declared with ``surface = true``) is replaced by its kernel density at the
    cell centre, normalised across cells with the layer's method and direction. The
    contributions use the LSOA-level weights, centres and scales
    (:meth:`sna.scoring.Scored.contributions_for`), so the cell index is on the LSOA scale.
    """
    sc = cfg.scoring
    scored, crime_w, with_protective = models
    pos = pd.Series(np.arange(len(codes)), index=codes).reindex(grid["lsoa21_code"]).to_numpy()
    frame = pd.DataFrame(scored.scores.to_numpy()[pos], columns=scored.scores.columns)
    method = "minmax" if scored.geometric else sc.normalisation
    for spec in cfg.layers:
        if not (spec.table == "crime_points" or spec.surface) or spec.table not in tables:
            continue
        xy = layer_points(tables, spec)
        years = train_years if spec.table == "crime_points" else 1.0
        dens = _kde_at(xy, grid, bounds, sc.surface_cell_m, sc.surface_bandwidth_m, years)
        z = np.asarray(normalise(dens, method, direction=spec.direction), dtype=float)
        frame[spec.id] = np.where(np.isfinite(z), z, frame[spec.id])
    base = scored.contributions_for(frame)
    risk_ids = [s.id for s in cfg.layers if s.kind == "risk"]
    out = {
        "index": base.sum(axis=1).to_numpy(),
        "index_crime_weighted": crime_w.contributions_for(frame).sum(axis=1).to_numpy(),
    }
    if len(risk_ids) < len(cfg.layers):  # protective layers present
        if with_protective is not None:
            out["index_protective"] = with_protective.contributions_for(frame).sum(axis=1)
            out["index_protective"] = out["index_protective"].to_numpy()
        else:
            out["index_risk"] = base[risk_ids].sum(axis=1).to_numpy()
    return out


def _load_tables(store: Store, config: RegionConfig, extra: Sequence[str]) -> dict:
    names = {layer.table for layer in config.layers} | set(extra)
    return {n: store.read(n) for n in sorted(names) if store.has(n)}


def _out_dir(region_id: str, data_dir: Path | None, out_dir: Path | None) -> Path:
    folder = Path(out_dir) if out_dir else region_dir(region_id, data_dir) / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(result: EvaluationResult, folder: Path, stem: str, plot: bool, title: str) -> None:
    csv = folder / f"{stem}.csv"
    result.table.to_csv(csv, index=False, float_format="%.6g")
    payload = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **result.setup,
        "headline": result.headline(),
        "seconds": round(result.seconds, 2),
        "rows": json.loads(result.table.to_json(orient="records")),
    }
    js = folder / f"{stem}.json"
    js.write_text(json.dumps(payload, indent=2, default=str))
    result.files = {"csv": csv, "json": js}
    if plot:
        png = folder / f"{stem}.png"
        plot_evaluation(result.table, png, title=title)
        result.files["png"] = png


def evaluate_region(
    region: str | Path | RegionConfig,
    train: tuple[str, str] | str = DEFAULT_TRAIN,
    test: tuple[str, str] | str = DEFAULT_TEST,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    targets: Sequence[str] = TARGETS,
    plot: bool = True,
) -> EvaluationResult:
    """Build a training-only index from the region's prepared store and test it (see module).

    Parameters
    ----------
    region
        Region id (``bedfordshire``), TOML path or loaded config. Its store must hold the
        police.uk ``crime_points`` table covering both windows.
    train, test
        Month windows ``(from, to)`` inclusive, or ``"YYYY-MM:YYYY-MM"``; they must not overlap.
    data_dir
        Data directory of the store (default ``$SNA_DATA_DIR`` or ``./data``).
    out_dir
        Where to write; default ``<data_dir>/<region>/evaluation``.
    targets
        police.uk crime types to predict, each reported separately.
    plot
        Also draw ``evaluation.png``.

    Returns
    -------
    EvaluationResult
        The table, set-up and written files. ``result.headline()`` gives the PAI at the top 10%
        of LSOAs of the index and the baselines for the first target.

    Raises
    ------
    StoreNotPrepared
        No prepared store (run ``sna data prepare --region ...``).
    EvaluationError
        Bad or overlapping windows, no crime points in a window, an unknown target.
    """
    t0 = time.perf_counter()
    config = region if isinstance(region, RegionConfig) else load_region(region)
    store = Store(config.id, data_dir)
    manifest = store.manifest()
    tables = _load_tables(store, config, ["lsoa21", "postcodes", "crime_points", "iod2025"])
    result = evaluate_tables(
        config,
        tables,
        parse_window(train),
        parse_window(test),
        synthetic_tables=manifest.get("synthetic_tables", []),
        targets=targets,
    )
    result.seconds = time.perf_counter() - t0
    folder = _out_dir(config.id, data_dir, out_dir)
    title = (
        f"{config.region.name}: index from {result.train[0]}..{result.train[1]} vs "
        f"{result.test[0]}..{result.test[1]}"
    )
    _write(result, folder, "evaluation", plot, title)
    return result


# --- West Midlands: IoD2019-era index vs IoD2025 crime -------------------------------------

_IOD_METHODS: dict[str, str] = {
    "index": "Needs index from IoD2019 domains",
    "index_risk": "Risk index only (variant)",
    "index_crime_weighted": "Index, community-weighted (variant)",
    "crime2019": "IoD2019 crime domain alone",
    "imd2019": "IMD 2019 alone",
}

#: The IoD2019-era layers: domain ranks carried to LSOA21 (rank 1 = most deprived, so the
#: direction is -1), and the IoD2019 crime domain as the prior-crime layer.
IOD2019_LAYERS: tuple[LayerSpec, ...] = tuple(
    LayerSpec(
        id=f"{key}_2019",
        title=title,
        kind="risk",
        level=level,
        table="iod2019_lsoa21",
        measure="column",
        column=f"{key}_rank",
        direction=-1,
        weight=weight,
        period="IoD2019",
    )
    for key, title, level, weight in (
        ("income", "Income deprivation (IoD2019)", "society", 1.0),
        ("employment", "Employment deprivation (IoD2019)", "society", 1.0),
        ("education", "Education, skills and training (IoD2019)", "relationship", 1.0),
        ("health", "Health deprivation and disability (IoD2019)", "individual", 1.0),
        ("environment", "Living environment (IoD2019)", "community", 0.5),
        ("crime", "Crime domain (IoD2019): the prior-crime layer", "community", 1.0),
    )
)

#: IoD2025 police recorded crime indicators used as the West Midlands targets.
IOD2025_TARGETS: dict[str, str] = {
    "crime_violence_with_injury_rate": "Violence with injury (IoD2025)",
    "crime_violence_without_injury_rate": "Violence without injury (IoD2025)",
    "crime_public_order_weapons_rate": "Public order and possession of weapons (IoD2025)",
}


def evaluate_iod_era(
    region: str | Path | RegionConfig = "west-midlands",
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    plot: bool = True,
) -> EvaluationResult:
    """An index from IoD2019-era data against the IoD2025 crime indicators (LSOA level).

    For regions without police.uk points in the bundle (the West Midlands). The index uses the
    region's scoring choices on the IoD2019 domain ranks carried to LSOA21 (store table
    ``iod2019_lsoa21``): income and employment (society), education (relationship), health
    (individual), living environment and the IoD2019 crime domain (community). The IoD2019
    crime domain covers police recorded crime of about 2016/17-2017/18; the targets are the
    IoD2025 rates (2022/23-2023/24) times the Census 2021 population, as pseudo-counts:

    .. math::  y_i = r_i \\, P_i / 1000

    where :math:`r_i` is the published rate per 1,000 at-risk population and :math:`P_i` the
    resident population (the at-risk population also counts workers, so :math:`y_i`
    understates city-centre counts; the ranking of LSOAs is what matters). Baselines: the
    IoD2019 crime domain alone and the IMD 2019 alone. RRI is not reported: no prior-period
    count on the targets' scale exists.
    """
    t0 = time.perf_counter()
    config = region if isinstance(region, RegionConfig) else load_region(region)
    store = Store(config.id, data_dir)
    for name in ("lsoa21", "iod2019_lsoa21", "iod2025"):
        if not store.has(name):
            raise EvaluationError(
                f"{config.id}: the store has no {name!r} table (configure the IoD2019 sources "
                "and run sna data prepare)"
            )
    areas = store.read("lsoa21").reset_index(drop=True)
    tables = {"iod2019_lsoa21": store.read("iod2019_lsoa21"), "iod2025": store.read("iod2025")}
    codes = pd.Index(areas["lsoa21_code"], name="lsoa21_code")
    sc = config.scoring
    specs = list(IOD2019_LAYERS)
    inputs, _ = _inputs(specs, tables, areas, None)
    index_scores, _ = _variants(inputs, sc, None)
    iod19 = tables["iod2019_lsoa21"].set_index("lsoa21_code").reindex(codes)
    iod25 = tables["iod2025"].set_index("lsoa21_code").reindex(codes)
    pop = areas["pop_total"].to_numpy(float)
    area = areas["area_km2"].to_numpy(float)
    methods = {
        **index_scores,
        "crime2019": -iod19["crime_rank"].to_numpy(float),
        "imd2019": -iod19["imd_rank"].to_numpy(float),
    }
    rows, counts = [], {}
    for col, label in IOD2025_TARGETS.items():
        y = np.nan_to_num(iod25[col].to_numpy(float) * pop / 1000.0)
        counts[label] = {"pseudo_events": round(float(y.sum()), 1), "column": col}
        for m, score in methods.items():
            rows.append(_metric_rows("lsoa", label, m, score, y, area, None))
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "region", config.id)
    weights = effective_weights(specs, sc.level_weights)
    setup = {
        "region": config.id,
        "region_name": config.region.name,
        "kind": "IoD2019-era index vs IoD2025 crime indicators",
        "train": "IoD2019 (crime domain: police recorded crime about 2016/17-2017/18)",
        "test": "IoD2025 crime indicators (2022/23-2023/24)",
        "n_lsoa": int(len(codes)),
        "n_missing_iod2019": int(iod19["crime_rank"].isna().sum()),
        "n_missing_iod2025": int(iod25[next(iter(IOD2025_TARGETS))].isna().sum()),
        "coverages": list(COVERAGES),
        "layers_used": [
            {"id": s.id, "column": s.column, "level": s.level, "effective_weight": weights[s.id]}
            for s in specs
        ],
        "variant_level_weights": VARIANT_LEVEL_WEIGHTS,
        "methods": _IOD_METHODS,
        "targets": counts,
        "notes": [
            "Targets are IoD2025 rates per 1,000 at-risk population x Census 2021 residents.",
            "LSOA11 ranks carried to LSOA21 by the ONS lookup (population-weighted mean for "
            "merged LSOAs, the parent's value for split ones).",
            "RRI is not reported: no prior-period count on the targets' scale exists.",
        ],
    }
    result = EvaluationResult(config.id, None, None, table, setup, {}, time.perf_counter() - t0)
    folder = _out_dir(config.id, data_dir, out_dir)
    _write(
        result,
        folder,
        "evaluation_iod_era",
        plot,
        f"{config.region.name}: IoD2019-era index vs IoD2025 police recorded crime",
    )
    result.seconds = time.perf_counter() - t0
    return result


# --- chart -----------------------------------------------------------------------------------

_STYLE = {
    "index": dict(color="#b2182b", lw=2.4, marker="o"),
    "index_risk": dict(color="#ef8a62", lw=1.2, ls="--", marker="."),
    "index_protective": dict(color="#ef8a62", lw=1.2, ls="--", marker="."),
    "violence_risk": dict(color="#000000", lw=2.6, marker="D"),
    "ewm_counts": dict(color="#053061", lw=1.6, ls="--", marker="s"),
    "index_crime_weighted": dict(color="#67001f", lw=1.2, ls=":", marker="."),
    "prior_counts": dict(color="#2166ac", lw=2.0, marker="s"),
    "kde": dict(color="#4393c3", lw=1.6, marker="^"),
    "imd": dict(color="#777777", lw=1.6, marker="v"),
    "crime2019": dict(color="#2166ac", lw=2.0, marker="s"),
    "imd2019": dict(color="#777777", lw=1.6, marker="v"),
}


def plot_evaluation(table: pd.DataFrame, path: Path, *, title: str = "") -> Path:
    """PAI by coverage, one panel per target and unit level, index vs baselines (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = list(dict.fromkeys(table["target"]))
    levels = list(dict.fromkeys(table["level"]))
    fig, axes = plt.subplots(
        len(targets),
        len(levels),
        figsize=(3.6 * len(levels) + 1.6, 2.5 * len(targets) + 0.8),
        squeeze=False,
        sharex=True,
    )
    for i, target in enumerate(targets):
        for j, level in enumerate(levels):
            ax = axes[i][j]
            sub = table[(table["target"] == target) & (table["level"] == level)]
            for method, g in sub.groupby("method", sort=False):
                ax.plot(
                    100 * g["coverage"],
                    g["pai"],
                    label=str(g["method_label"].iloc[0]),
                    **_STYLE.get(str(method), {}),
                )
            ax.axhline(1.0, color="black", lw=0.6)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks([100 * c for c in COVERAGES], [f"{100 * c:g}%" for c in COVERAGES])
            ax.minorticks_off()
            unit = "LSOAs" if level == "lsoa" else "100 m cells"
            ax.set_title(f"{target}\n{unit}", fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("PAI (log scale)", fontsize=8)
            if i == len(targets) - 1:
                ax.set_xlabel("share of units flagged", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, dpi=72)
    plt.close(fig)
    # a palette PNG is a third of the size of the RGBA one, with no visible difference
    from PIL import Image

    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path
