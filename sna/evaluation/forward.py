"""The police.uk forward test: a training-only index and model against the next period."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata.crime import missing_months
from sna.config.region import LayerSpec, RegionConfig, ScoringSpec, load_region
from sna.errors import EvaluationError
from sna.evaluation.cells import (
    cell_counts,
    cell_grid,
    cell_risk,
    choose_cell_method,
    index_on_cells,
    kde_at,
)
from sna.evaluation.plot import plot_evaluation
from sna.evaluation.result import EvaluationResult
from sna.evaluation.setup import (
    BASELINE_BANDWIDTH_M,
    DEFAULT_TEST,
    DEFAULT_TRAIN,
    IOD_METHODS,
    METHODS,
    TARGETS,
    VARIANT_LAMBDA,
    VARIANT_LEVEL_WEIGHTS,
    n_months,
    parse_window,
    training_config,
)
from sna.needs.layers import compute_layer
from sna.needs.scoring import LayerInput, effective_weights, score_layers
from sna.prepare.store import Store, region_dir
from sna.stats.metrics import COVERAGES, coverage_metrics, expected_counts, spearman
from sna.violence.features import exposure_values
from sna.violence.model import (
    fit_violence,
    model_layer_ids,
    predict_violence,
    structural_terms,
    weighted_counts,
)

__all__ = [
    "evaluate_tables",
    "evaluate_region",
]


def training_inputs(
    specs: list[LayerSpec], tables, areas, postcodes, *, crime_years: float = 1.0
) -> tuple[list[LayerInput], list]:
    """Layer inputs as the build makes them; crime counts set against person-years.

    A ``crime_points`` count over a training window of ``crime_years`` years is divided by
    ``population x crime_years`` (person-years), so its rate is annual, on the same scale as
    the build's 12-month layers, while the shrinkage still sees the whole count (a town-centre
    LSOA can record more crimes in two years than it has residents).
    """
    layers = [compute_layer(s, tables, areas, postcodes) for s in specs]
    inputs = [
        d.to_input(crime_years if d.spec.table == "crime_points" and d.count is not None else 1.0)
        for d in layers
    ]
    return inputs, layers


def _parent(areas: pd.DataFrame, scoring: ScoringSpec) -> np.ndarray | None:
    col = "msoa21_name" if scoring.shrink_parent == "msoa" else "district_code"
    return areas[col].astype(str).to_numpy() if col in areas.columns else None


def index_variants(inputs: list[LayerInput], scoring: ScoringSpec, parent) -> tuple[dict, list]:
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


def _lsoa_counts(frame: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    return frame.groupby("lsoa21_code").size().reindex(codes).fillna(0).to_numpy(float)


def metric_rows(
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
    t.insert(0, "method_label", METHODS.get(method, IOD_METHODS.get(method, method)))
    t.insert(0, "method", method)
    t.insert(0, "target", target)
    t.insert(0, "level", level)
    t["spearman"] = spearman(score, observed)
    return t


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
    from sna.needs.partner_layers import plan_layers

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
    tr_m = n_months(train) - len(gaps["train"])
    te_m = n_months(test) - len(gaps["test"])
    scale = te_m / tr_m
    inputs, _ = training_inputs(cfg.layers, tables, areas, live, crime_years=tr_m / 12.0)
    parent = _parent(areas, sc)
    index_scores, models = index_variants(inputs, sc, parent)
    vspec = config.violence_risk
    structural = structural_terms(
        models[0].scores.set_axis(codes), model_layer_ids(cfg.layers, vspec, set())
    )
    residents = exposure_values(areas, vspec)
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
        grid = cell_grid(areas, cell_m)
        pad = max(sc.surface_bandwidth_m, BASELINE_BANDWIDTH_M)
        minx, miny, maxx, maxy = areas.total_bounds
        bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        cell_index = index_on_cells(cfg, tables, models, grid, codes, bounds, tr_m / 12.0)
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
            kde_cells = kde_at(tr_xy, grid, bounds, cell_m, BASELINE_BANDWIDTH_M, tr_m / 12.0)
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
            rows.append(metric_rows("lsoa", target, m, score, y, area, total))
        if cells:
            yc, lost = cell_counts(grid, te_xy, cell_m)
            pc, _ = cell_counts(grid, tr_xy, cell_m)
            info["test_events_cells"] = int(yc.sum())
            info["test_events_outside_cells"] = lost
            cell_methods = {}
            if target == vspec.target:
                tgt_train = train_all[train_all["crime_type"] == target]
                cell_args = (grid, codes, bounds, cell_m, sc.surface_bandwidth_m)
                cell_choice = choose_cell_method(
                    vfit, train_all, codes, structural, residents, tgt_train, cell_args
                )
                cell_methods["violence_risk"] = cell_risk(
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
                rows.append(metric_rows("cell", target, m, score, yc, None, ctotal))
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


def _load_tables(store: Store, config: RegionConfig, extra: Sequence[str]) -> dict:
    names = {layer.table for layer in config.layers} | set(extra)
    return {n: store.read(n) for n in sorted(names) if store.has(n)}


def output_dir(region_id: str, data_dir: Path | None, out_dir: Path | None) -> Path:
    folder = Path(out_dir) if out_dir else region_dir(region_id, data_dir) / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_result(result: EvaluationResult, folder: Path, stem: str, plot: bool, title: str) -> None:
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
    folder = output_dir(config.id, data_dir, out_dir)
    title = (
        f"{config.region.name}: index from {result.train[0]}..{result.train[1]} vs "
        f"{result.test[0]}..{result.test[1]}"
    )
    write_result(result, folder, "evaluation", plot, title)
    return result
