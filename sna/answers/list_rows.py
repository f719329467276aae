"""The area list's words and rows as stored: what each sort orders by (``sorted_by``), the
columns kept for sorting only, and each row's JSON bytes.

The list rows themselves are made with the area answers (:func:`sna.answers.areas.area_answers`);
this module says, once and at build time, what a list sorted one way measures and which of a
row's columns explain that order, so the list answer never explains violence risk with the
needs index's drivers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sna.answers._json import dumps, is_na
from sna.answers.areas import (
    INDEX_TITLES,
    INDEX_UNIT,
    VIOLENCE_MEASURES,
    VIOLENCE_TITLE,
    VIOLENCE_UNIT,
)

if TYPE_CHECKING:
    from sna.answers.context import BuildContext

__all__ = ["need_is_risk", "list_hidden", "list_sorts", "list_records"]

NEED_MEASURES = (
    "Where residents, young people especially, carry the risk factors of violence "
    "(individual, relationship, community, society): the weighted sum of the layers' "
    "standardised scores, higher is more need"
)
PROTECTIVE_MEASURES = (
    "Residents' access to protective places (schools, libraries, places of worship, services) "
    "nearby: higher is more access"
)


def need_is_risk(ctx: BuildContext) -> bool:
    """True when the build subtracts no protective access (``need_lambda`` 0): the risk
    index is then the needs index, value for value."""
    scoring = (ctx.manifest.get("config") or {}).get("scoring") or {}
    return float(scoring.get("need_lambda", 0.0)) == 0.0


def list_hidden(ctx: BuildContext) -> tuple[str, ...]:
    """List columns kept for sorting but not published: the risk index where it equals
    the needs index (two columns of the same numbers read as two measures)."""
    return tuple(f"risk{s}" for s in ("", "_rank", "_decile", "_band")) if need_is_risk(ctx) else ()


def list_sorts(ctx: BuildContext) -> dict[str, dict[str, Any]]:
    """What each ``sort`` of the area list orders by, in words: the list answer's
    ``sorted_by`` (title, what it measures, unit, and the row columns that explain it)."""
    same = need_is_risk(ctx)
    violence = {
        "title": VIOLENCE_TITLE,
        "measures": VIOLENCE_MEASURES,
        "unit": VIOLENCE_UNIT,
        "provenance": "forecast",
        "columns": ["violence_risk", "violence_risk_rank", "violence_risk_band"],
        "explained_by": ["violence_risk_drivers", "violence_risk_explanation"],
    }
    need = {
        "title": INDEX_TITLES["need"],
        "measures": NEED_MEASURES
        + (
            "; protective access is shown beside it, not subtracted"
            if same
            else "; protective access is subtracted"
        ),
        "unit": INDEX_UNIT,
        "provenance": None,
        "columns": ["need", "need_rank", "need_decile", "need_band"],
        "explained_by": ["need_drivers", "need_explanation"],
    }
    risk = {
        **need,
        "title": INDEX_TITLES["risk"],
        "measures": (
            "The residents' risk factors; in this build the same as the needs index (no "
            "protective access is subtracted), so the list shows the needs columns"
            if same
            else "The residents' risk factors, before protective access is subtracted"
        ),
        "columns": need["columns"] if same else ["risk", "risk_rank", "risk_decile", "risk_band"],
    }
    protective = {
        "title": INDEX_TITLES["protective"],
        "measures": PROTECTIVE_MEASURES,
        "unit": INDEX_UNIT,
        "provenance": None,
        "columns": ["protective", "protective_rank", "protective_decile", "protective_band"],
        "explained_by": [],
    }
    name = {
        "title": "Name",
        "measures": "The areas in the order of their names",
        "unit": None,
        "provenance": None,
        "columns": ["name"],
        "explained_by": [],
    }
    out = {"need": need, "risk": risk, "protective": protective, "name": name}
    if ctx.violence_means:
        out = {"violence_risk": violence, **out}
    return {k: {"id": k, **v} for k, v in out.items()}


def list_records(
    rows: list[dict[str, Any]], hidden: tuple[str, ...] = ()
) -> list[tuple[dict[str, Any], bytes]]:
    """List rows as the list answer serialises them: typed as one table (so a rank column
    with a gap is float, as before), missing values None; with each row's JSON bytes, which
    leave out the ``hidden`` columns (:func:`list_hidden`: kept for sorting only)."""
    frame = pd.DataFrame(rows)
    out = []
    for r in frame.to_dict("records"):
        clean = {k: (None if is_na(v) else v) for k, v in r.items()}
        out.append((clean, dumps({k: v for k, v in clean.items() if k not in hidden})))
    return out
