"""What drives an area's score: level contributions, top drivers, and drivers in plain words.

Works on the exact contributions of an arithmetic index
(:func:`sna.stats.aggregate.weighted_arithmetic`): because they sum to the index, a level's
contribution (the sum of its layers') and the ordering of layers are honest explanations of
the score, not approximations. A positive contribution pushes the area's score up (above the
average when layers are centred, as Blom scores and z-scores are); a negative one pulls it
down.

Words: :func:`driver_text` is the one wording of a single driver, used by the API's answers,
the map popups, the report and the priority-place exports, so a driver reads the same
everywhere; :func:`explain` is the one-sentence explanation of a whole score.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["level_contributions", "top_drivers", "driver_text", "explain", "SYNTHETIC_SUFFIX"]

SYNTHETIC_SUFFIX = " (illustrative: synthetic stand-in data)"
"""Added to the words of a driver built from synthetic stand-in data."""


def level_contributions(
    contributions: pd.DataFrame,
    levels: Mapping[str, str],
    *,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Sum layer contributions within each level (e.g. the socio-ecological levels).

    .. math::

        C_{u\ell} = \sum_{i \in \ell} c_{ui}, \qquad \sum_\ell C_{u\ell} = \sum_i c_{ui}

    Parameters
    ----------
    contributions : pandas.DataFrame
        One row per unit, one column per layer.
    levels : mapping of str to str
        Layer -> level. Every contribution column must be mapped (extra keys are ignored).
    order : sequence of str, optional
        Column order of the result (levels with no layers become zero columns). Default: the
        order in which levels first appear among the columns.

    Returns
    -------
    pandas.DataFrame
        One column per level. A missing layer contribution makes its level missing.

    Raises
    ------
    ValueError
        Naming the layers that have no level, or levels missing from ``order``.

    Examples
    --------
    >>> c = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0], "c": [-1.0, 1.0]})
    >>> level_contributions(c, {"a": "community", "b": "community", "c": "society"})
       community  society
    0        1.5     -1.0
    1        2.0      1.0
    """
    unmapped = [c for c in contributions.columns if c not in levels]
    if unmapped:
        raise ValueError(f"layer(s) {unmapped} have no level in the mapping")
    present = list(dict.fromkeys(levels[c] for c in contributions.columns))
    if order is None:
        order = present
    else:
        order = list(order)
        absent = [lv for lv in present if lv not in order]
        if absent:
            raise ValueError(f"level(s) {absent} are not in order={order}")
    out = pd.DataFrame(index=contributions.index)
    for level in order:
        cols = [c for c in contributions.columns if levels[c] == level]
        if cols:
            out[level] = contributions[cols].sum(axis=1, skipna=False)
        else:
            out[level] = 0.0
    return out


def top_drivers(
    contributions: pd.DataFrame,
    n: int = 3,
    *,
    direction: Literal["up", "down", "abs"] = "up",
) -> pd.Series:
    """The ``n`` largest layer contributions of each unit, in order.

    Parameters
    ----------
    contributions : pandas.DataFrame
        One row per unit, one column per layer.
    n : int, default 3
        How many drivers per unit.
    direction : {'up', 'down', 'abs'}
        ``'up'``: largest first (what pushes the score up); ``'down'``: most negative first
        (what pulls it down); ``'abs'``: largest magnitude first. Missing contributions are
        skipped. Ties keep column order.

    Returns
    -------
    pandas.Series
        Per unit, a list of ``(layer, contribution)`` tuples.

    Examples
    --------
    >>> c = pd.DataFrame({"a": [1.0, -2.0], "b": [0.5, 0.0], "c": [-1.0, 1.0]})
    >>> top_drivers(c, n=2).tolist()
    [[('a', 1.0), ('b', 0.5)], [('c', 1.0), ('b', 0.0)]]
    """
    if direction not in ("up", "down", "abs"):
        raise ValueError(
            f"direction={direction!r} is not one of the supported options: ('up', 'down', 'abs')"
        )
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    values = contributions.to_numpy(dtype=float, na_value=np.nan)
    key = {"up": -values, "down": values, "abs": -np.abs(values)}[direction]
    key = np.where(np.isnan(key), np.inf, key)
    order = np.argsort(key, axis=1, kind="stable")[:, :n]
    cols = np.asarray(contributions.columns, dtype=object)
    out = []
    for row, idx in enumerate(order):
        out.append([(cols[j], float(values[row, j])) for j in idx if not np.isnan(values[row, j])])
    return pd.Series(out, index=contributions.index, name="drivers", dtype=object)


def driver_text(
    title: str, contribution: float, *, kind: str = "risk", synthetic: bool = False
) -> str:
    """One driver of a place's need in plain words: the layer and which way it pulls.

    A risk layer raises need when the place is *above* the regional average; a protective
    layer raises it when access is *below* it (less protection). Every output that words a
    driver calls this: the API's ``drivers[].text``, the map popups and the priority places
    of the report and the exports.

    Parameters
    ----------
    title : str
        The layer's title, as the build's manifest gives it.
    contribution : float
        The layer's contribution to the need index (> 0: it raises need; 0: neither).
    kind : {'risk', 'protective'}
        The layer's kind.
    synthetic : bool
        The layer is built from synthetic stand-in data (:data:`SYNTHETIC_SUFFIX` is added).

    Returns
    -------
    str

    Examples
    --------
    >>> driver_text("Violence with injury", 0.4)
    'Violence with injury: above the regional average'
    >>> driver_text("Libraries within 1.5 km", 0.2, kind="protective")
    'Libraries within 1.5 km: below the regional average, so less protection'
    >>> driver_text("Libraries within 1.5 km", 0.0, kind="protective")
    'Libraries within 1.5 km: at the regional average'
    >>> driver_text("Hospital admissions for assault", -0.1, synthetic=True)
    'Hospital admissions for assault: below the regional average (illustrative: synthetic stand-in data)'
    """  # noqa: E501
    if contribution == 0:  # exactly average: it pulls neither way
        side = "at the regional average"
    elif kind == "protective":
        side = "below the regional average, so less protection" if contribution > 0 else ""
        side = side or "above the regional average, adding protection"
    else:
        side = "above the regional average" if contribution > 0 else "below the regional average"
    return f"{title}: {side}" + (SYNTHETIC_SUFFIX if synthetic else "")


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _phrase(layers: Sequence[str], adjectives: Sequence[str], titles: Mapping[str, str]) -> str:
    names = [titles.get(layer, layer.replace("_", " ")) for layer in layers]
    if len(set(adjectives)) == 1 and adjectives[0]:
        return f"{adjectives[0]} {_join(names)}"
    return _join([f"{a} {t}".strip() for a, t in zip(adjectives, names, strict=True)])


def explain(
    row: pd.Series | Mapping[str, float],
    titles: Mapping[str, str],
    *,
    band: str | None = None,
    protective: Collection[str] = (),
    n_up: int = 2,
    n_down: int = 1,
    tol: float = 1e-12,
) -> str:
    """A one-sentence plain-English explanation of one unit's score.

    Contributions are centred on the regional average, so their sum says whether the area
    is above or below it. For an area above average the ``n_up`` largest positive
    contributions are named as the reasons ("high violence with injury and income
    deprivation") and the ``n_down`` most negative as what lowers it ("good access to
    community assets lowers it"); for an area below average, the other way round. A risk
    layer reads "high <title>" / "low <title>"; a protective layer (named in ``protective``,
    its direction already flipped) reads "little <title>" / "good <title>".

    Parameters
    ----------
    row : pandas.Series or mapping
        Layer -> contribution for one unit (a row of the contributions).
    titles : mapping of str to str
        Layer -> plain title in lower case, e.g. ``{"vwi": "violence with injury"}``; layers
        without a title use their id with underscores as spaces.
    band : str, optional
        The unit's band label (e.g. ``'Highest'``); starts the sentence "Ranked in the highest
        band ...".
    protective : collection of str
        Protective layers.
    n_up, n_down : int
        How many raising and lowering layers to name.
    tol : float
        Contributions within ``tol`` of zero are ignored.

    Returns
    -------
    str

    Examples
    --------
    >>> row = {"vwi": 0.9, "income": 0.6, "assets": -0.3, "noise": 0.01}
    >>> titles = {"vwi": "violence with injury", "income": "income deprivation",
    ...           "assets": "access to community assets"}
    >>> explain(row, titles, band="Highest", protective={"assets"})
    'Ranked in the highest band mainly because of high violence with injury and income deprivation; good access to community assets lowers it.'
    >>> explain({"vwi": -0.9, "assets": 0.2}, titles, band="Lowest", protective={"assets"})
    'Ranked in the lowest band mainly because of low violence with injury; little access to community assets raises it.'
    """  # noqa: E501
    s = pd.Series(row, dtype=float).dropna()
    ups = s[s > tol].sort_values(ascending=False, kind="stable").index
    downs = s[s < -tol].sort_values(ascending=True, kind="stable").index
    above = s.sum() >= 0
    # Name what puts the area where it is: for an area above the regional average the
    # layers that raise it, for one below average the layers that lower it.
    main, other = (ups, downs) if above else (downs, ups)
    main, other = list(main[: max(n_up, 0)]), list(other[: max(n_down, 0)])

    def adjective(layer: str, raises: bool) -> str:
        if layer in protective:
            return "little" if raises else "good"
        return "high" if raises else "low"

    if main:
        reasons = _phrase(main, [adjective(x, above) for x in main], titles)
        if band:
            text = f"Ranked in the {band.lower()} band mainly because of {reasons}"
        else:
            text = f"The score is driven mainly by {reasons}"
    elif band:
        text = f"Ranked in the {band.lower()} band, close to the regional average"
    else:
        text = "The score is close to the regional average"
    if other:
        verb_one, verb_many = ("lowers", "lower") if above else ("raises", "raise")
        verb = verb_one if len(other) == 1 else verb_many
        text += f"; {_phrase(other, [adjective(x, not above) for x in other], titles)} {verb} it"
    return text + "."
