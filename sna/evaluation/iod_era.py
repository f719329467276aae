"""West Midlands: an IoD2019-era needs index against the IoD2025 crime indicators."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from sna.config.region import LayerSpec, RegionConfig, load_region
from sna.errors import EvaluationError
from sna.evaluation.forward import (
    index_variants,
    metric_rows,
    output_dir,
    training_inputs,
    write_result,
)
from sna.evaluation.result import EvaluationResult
from sna.evaluation.setup import IOD_METHODS, VARIANT_LEVEL_WEIGHTS
from sna.needs.scoring import effective_weights
from sna.prepare.store import Store
from sna.stats.metrics import COVERAGES

__all__ = [
    "IOD2019_LAYERS",
    "IOD2025_TARGETS",
    "evaluate_iod_era",
]


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
    inputs, _ = training_inputs(specs, tables, areas, None)
    index_scores, _ = index_variants(inputs, sc, None)
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
            rows.append(metric_rows("lsoa", label, m, score, y, area, None))
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
        "methods": IOD_METHODS,
        "targets": counts,
        "notes": [
            "Targets are IoD2025 rates per 1,000 at-risk population x Census 2021 residents.",
            "LSOA11 ranks carried to LSOA21 by the ONS lookup (population-weighted mean for "
            "merged LSOAs, the parent's value for split ones).",
            "RRI is not reported: no prior-period count on the targets' scale exists.",
        ],
    }
    result = EvaluationResult(config.id, None, None, table, setup, {}, time.perf_counter() - t0)
    folder = output_dir(config.id, data_dir, out_dir)
    write_result(
        result,
        folder,
        "evaluation_iod_era",
        plot,
        f"{config.region.name}: IoD2019-era index vs IoD2025 police recorded crime",
    )
    result.seconds = time.perf_counter() - t0
    return result
