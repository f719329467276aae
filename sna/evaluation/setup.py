"""Evaluation set-up: month windows and the training-only config (no test data enters)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sna.config.region import LayerSpec, RegionConfig
from sna.errors import EvaluationError

__all__ = [
    "DEFAULT_TRAIN",
    "DEFAULT_TEST",
    "TARGETS",
    "BASELINE_BANDWIDTH_M",
    "VARIANT_LAMBDA",
    "VARIANT_LEVEL_WEIGHTS",
    "METHODS",
    "parse_window",
    "window_filter",
    "training_config",
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


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


_MONTH_CLAUSE = re.compile(
    r"""\bmonth\s*(?:>=|<=|==|!=|>|<)\s*(?:'[^']*'|"[^"]*")"""
    r"""|(?:'[^']*'|"[^"]*")\s*(?:>=|<=|==|!=|>|<)\s*\bmonth\b"""
)


_IOD_CRIME = re.compile(r"^crime(_|$)")


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


def n_months(window: tuple[str, str]) -> int:
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


#: Method labels of the West Midlands IoD-era evaluation.
IOD_METHODS: dict[str, str] = {
    "index": "Needs index from IoD2019 domains",
    "index_risk": "Risk index only (variant)",
    "index_crime_weighted": "Index, community-weighted (variant)",
    "crime2019": "IoD2019 crime domain alone",
    "imd2019": "IMD 2019 alone",
}
