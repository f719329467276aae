"""What an evaluation measured, and the verdict on count-based measures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.errors import EvaluationError

__all__ = [
    "DECIDING_METRICS",
    "HEADLINE_METRICS",
    "EWM_TOLERANCE",
    "EvaluationResult",
]


#: Count-based measures that decide a verdict; PAI (by area) is reported beside them.
DECIDING_METRICS: tuple[str, ...] = ("hit_rate", "pei_star")


HEADLINE_METRICS: tuple[str, ...] = ("hit_rate", "pei_star", "pai_units", "pai")


#: How close to the exponentially weighted counts "matches" means (hit rate and PEI*).
EWM_TOLERANCE = 0.01


@dataclass
class EvaluationResult:
    """What :func:`evaluate_region` / :func:`evaluate_iod_era` measured.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ``level`` (lsoa | cell), ``target``, ``method`` and ``coverage``, with the
        columns of :func:`sna.stats.metrics.coverage_metrics` and ``spearman`` (of that level,
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
