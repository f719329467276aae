"""Does the index find the places? A forward test of the index against the next period.

:func:`evaluate_region` builds the index from a *training* window only and measures how well it
anticipates where violence happened in a later *test* window (``methods.md`` section 8):

1. **Training-only index.** The region config is copied; every layer on the police.uk
   ``crime_points`` table gets its month condition replaced by the training window; layers on
   synthetic tables are dropped (the synthetic hospital stand-in is calibrated to IoD2025
   violence rates, whose police data overlap the test period: leakage), and so are IoD crime
   indicator layers. The IoD2025 non-crime domains stay (see ``docs/evaluation.md`` on their
   mild overlap). The layers are computed with :func:`sna.needs.layers.compute_layer` and scored
   with
   :func:`sna.needs.scoring.score_layers`: the same method as the build, without its publishing.
2. **Two units.** LSOAs (the index itself) and 100 m grid cells: each cell takes its LSOA's
   layer scores with the crime layers (and any other surface layer) replaced by the training
   kernel density at the cell centre, normalised across cells, as the build does for postcodes.
3. **Targets.** Test-period police.uk points of each target type, counted per unit:
   violence and sexual offences, robbery, possession of weapons (each separately).
4. **Baselines, in the same run.** Training-window counts of the target type; a kernel density
   (quartic, 400 m) of the training-window target points; the IMD 2025 score alone (the IMD
   contains a crime domain, measured on 2022/23-2023/24 police data: it overlaps the test year
   and flatters this baseline).
5. **Metrics** (:mod:`sna.stats.metrics`): hit rate, PAI, PEI*, RRI at the top 1, 5, 10 and 20% of
   units, and the Spearman correlation across units.

:func:`evaluate_iod_era` does what is possible for the West Midlands, which has no police.uk
points in the bundle: an index from IoD2019-era domain ranks against the IoD2025 police
recorded crime indicators, a test window some six years later.

The output goes to ``<data_dir>/<region>/evaluation/``: ``evaluation.csv`` (one row per unit
level, target, method and coverage), ``evaluation.json`` (the same plus the set-up) and
``evaluation.png`` (PAI by coverage).
"""

from __future__ import annotations

from sna.errors import EvaluationError
from sna.evaluation.forward import evaluate_region, evaluate_tables
from sna.evaluation.iod_era import IOD2019_LAYERS, IOD2025_TARGETS, evaluate_iod_era
from sna.evaluation.plot import plot_evaluation
from sna.evaluation.result import EvaluationResult
from sna.evaluation.setup import (
    BASELINE_BANDWIDTH_M,
    DEFAULT_TEST,
    DEFAULT_TRAIN,
    METHODS,
    TARGETS,
    VARIANT_LEVEL_WEIGHTS,
    parse_window,
    training_config,
    window_filter,
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
