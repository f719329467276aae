"""LSOA 2021 for postcodes and LSOA11-keyed tables, exactly where the lookup allows it.

The ONS LSOA11 → LSOA21 lookup marks each 2011 LSOA with a change code:

``U``
    unchanged: the 2021 LSOA has the same code and boundary;
``M``
    merged: several 2011 LSOAs form one 2021 LSOA;
``S``
    split: one 2011 LSOA became several 2021 LSOAs;
``X``
    irregular: boundaries redrawn across 2011 LSOAs (few; a 2011 LSOA may have one or two
    2021 LSOAs, and they may have other 2011 parents).

A postcode's 2011 LSOA comes from the ONS postcode lookup. For ``U`` and ``M`` that fixes its
2021 LSOA with no geometry at all. Only for ``S`` and ``X`` is a point-in-polygon test needed,
and it is restricted to the 2021 children of the postcode's own 2011 parent, so the generalised
boundaries can at worst confuse two children of the same parent, never send a postcode to a
neighbouring area (see :func:`assign_lsoa21` for the fallbacks). :func:`placement_agreement`
measures how much plain point-in-polygon would have got wrong.

:func:`carry_to_lsoa21` carries LSOA11-keyed values (e.g. IoD2019) to LSOA21 with the same
lookup.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ._io import require_columns
from .errors import CRSError, InvalidValueError, MissingColumnsError
from .lsoa_lookup import (  # re-exported: the lookup reader has its own module
    CHANGE_CODES,
    LOOKUP_COLUMNS,
    read_lsoa11_lsoa21_lookup,
)
from .report import Loaded, LoadReport

__all__ = [
    "CHANGE_CODES",
    "METHODS",
    "read_lsoa11_lsoa21_lookup",
    "assign_lsoa21",
    "placement_agreement",
    "carry_to_lsoa21",
]

#: ``lsoa21_method`` labels, in the order the methods are tried.
METHODS = (
    "lookup_unchanged",  # U: LSOA21 = LSOA11
    "lookup_merged",  # M: the single LSOA21 the 2011 LSOA merged into
    "pip_split",  # S/X: the point is inside one of the parent's LSOA21 children
    "nearest_same_parent",  # S/X: inside none of them: the nearest child of the same parent
    "oa11_majority",  # S/X, no coordinates: the commonest child among the OA11's postcodes
    "largest_child",  # S/X, no coordinates, OA11 unhelpful: the child with most postcodes
)


def _frame(obj: pd.DataFrame | Loaded) -> pd.DataFrame:
    return obj.data if isinstance(obj, Loaded) else obj


# --------------------------------------------------------------------------- polygons


def _polygons(lsoa21_polygons: gpd.GeoDataFrame) -> tuple[pd.Index, np.ndarray]:
    """Codes and (prepared) geometries of the LSOA21 polygons, checked for CRS."""
    name = "lsoa21_polygons"
    if not isinstance(lsoa21_polygons, gpd.GeoDataFrame):
        raise TypeError(
            f"lsoa21_polygons must be a GeoDataFrame, got {type(lsoa21_polygons).__name__}"
        )
    require_columns(lsoa21_polygons.columns, ["lsoa21_code"], name)
    crs = lsoa21_polygons.crs
    if crs is None or crs.to_epsg() != 27700:
        raise CRSError(
            name, f"polygons are in {crs.to_string() if crs else 'no CRS'}; expected EPSG:27700"
        )
    codes = pd.Index(lsoa21_polygons["lsoa21_code"].astype(str).to_numpy())
    if codes.has_duplicates:
        dup = codes[codes.duplicated()][0]
        raise InvalidValueError(name, f"{dup} appears more than once", column="lsoa21_code")
    geoms = np.asarray(lsoa21_polygons.geometry.array, dtype=object)
    shapely.prepare(geoms)
    return codes, geoms


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x = pd.to_numeric(frame["easting"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(frame["northing"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return x, y


def _first_container(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Plain point-in-polygon: the first polygon (frame order) containing each point.

    The tree is built on the points and queried with the (prepared) polygons, which is about
    three times faster than querying a polygon tree point by point. Returns the polygon
    position (-1 when none) and the number of polygons containing each point.
    """
    hit = np.full(len(x), -1, dtype=np.int64)
    n_hits = np.zeros(len(x), dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(ok) == 0 or len(geoms) == 0:
        return hit, n_hits
    tree = shapely.STRtree(shapely.points(x[ok], y[ok]))
    g_idx, p_idx = tree.query(geoms, predicate="contains")
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.r_[True, p_idx[1:] != p_idx[:-1]] if len(p_idx) else np.zeros(0, bool)
    hit[ok[p_idx[first]]] = g_idx[first]
    np.add.at(n_hits, ok[p_idx], 1)
    return hit, n_hits


def _positions(lk: pd.DataFrame) -> tuple[pd.Index, np.ndarray, pd.Index, np.ndarray, np.ndarray]:
    """Integer views of the lookup, so millions of postcodes never become Python strings.

    Returns the parent index (LSOA11 codes), each parent's change-code position in
    :data:`CHANGE_CODES`, the sorted child index (LSOA21 codes, so position order is code
    order), each parent's first child position, and the (parent, child) positions of every
    lookup row.
    """
    first = lk.drop_duplicates("lsoa11_code")
    parents = pd.Index(first["lsoa11_code"].astype(str).to_numpy())
    change = pd.Index(CHANGE_CODES).get_indexer(first["change_code"].astype(str).to_numpy())
    children = pd.Index(np.sort(lk["lsoa21_code"].astype(str).unique()))
    first_child = children.get_indexer(first["lsoa21_code"].astype(str).to_numpy())
    pairs = np.column_stack(
        [
            parents.get_indexer(lk["lsoa11_code"].astype(str).to_numpy()),
            children.get_indexer(lk["lsoa21_code"].astype(str).to_numpy()),
        ]
    )
    return parents, change, children, first_child, pairs


def _labels(values: np.ndarray, positions: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[positions]`` as a pandas string array, ``<NA>`` where the position is -1."""
    taken = pa.array(np.asarray(values, dtype=object)).take(pa.array(positions, mask=positions < 0))
    return taken.to_pandas().array


def _pick_max(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """For each ``by`` group, the child ``c`` with the largest ``n`` (ties: lowest code)."""
    ranked = counts.sort_values(by + ["n", "c"], ascending=[True] * len(by) + [False, True])
    return ranked.drop_duplicates(by)[by + ["c"]]


# --------------------------------------------------------------------------- assignment


def assign_lsoa21(
    postcodes: pd.DataFrame | Loaded,
    lookup: pd.DataFrame | Loaded,
    lsoa21_polygons: gpd.GeoDataFrame,
    *,
    measure_agreement: bool = True,
) -> Loaded:
    """Give every postcode its LSOA 2021, exactly from the lookup where the lookup allows.

    For each postcode with 2011 LSOA :math:`p` and change code :math:`c(p)`, and
    :math:`C(p)` the 2021 children of :math:`p` in the lookup:

    - ``U``/``M``: the single child, from the lookup alone (``lookup_unchanged``,
      ``lookup_merged``);
    - ``S``/``X`` with coordinates: the child :math:`j \\in C(p)` whose polygon contains the
      point (``pip_split``); if none does (generalised boundaries), the child at the smallest
      distance :math:`\\min_{j \\in C(p)} d(\\text{point}, P_j)` (``nearest_same_parent``);
    - ``S``/``X`` without coordinates (terminated postcodes): the child most common among the
      placed postcodes of the same OA11 and parent (``oa11_majority``); failing that the child
      of :math:`p` with the most placed postcodes (``largest_child``). Ties go to the lowest
      code.

    Every postcode whose 2011 LSOA is in the lookup ends with an LSOA21. Postcodes whose 2011
    code is not in the lookup (Scotland, Northern Ireland, Channel Islands, Isle of Man, or a
    code unknown to the lookup) keep ``<NA>`` and are flagged in the report.

    Parameters
    ----------
    postcodes
        The table of :func:`geodata.postcodes.read_geocode_wheel` (needs ``lsoa11_code``,
        ``easting``, ``northing``; ``oa11_code`` for the OA11 fallback).
    lookup
        The table of :func:`read_lsoa11_lsoa21_lookup`.
    lsoa21_polygons
        ``lsoa21_code`` and geometry in EPSG:27700. Only the children of split/irregular
        parents are used for the assignment; all of them for the agreement measure.
    measure_agreement
        Also run :func:`placement_agreement` (its result goes in the report notes and in
        ``data.attrs["placement_agreement"]``).

    Returns
    -------
    Loaded
        The postcodes with ``lsoa21_code``, ``lsoa21_method`` and ``change_code`` added;
        ``data.attrs["lsoa21_methods"]`` holds the count per method.
    """
    pcs = _frame(postcodes)
    lk = _frame(lookup)
    require_columns(pcs.columns, ["lsoa11_code", "easting", "northing"], "postcodes")
    require_columns(lk.columns, LOOKUP_COLUMNS, "lookup")
    report = LoadReport(source="assign_lsoa21", rows_read=len(pcs))
    n = len(pcs)
    parents, p_change, children, first_child, lk_pairs = _positions(lk)
    ppos = parents.get_indexer(pcs["lsoa11_code"])
    change = np.where(ppos >= 0, p_change[ppos], -1)
    l21 = np.full(n, -1, dtype=np.int64)  # position in ``children``
    meth = np.full(n, -1, dtype=np.int64)  # position in METHODS

    for code, label in (("U", "lookup_unchanged"), ("M", "lookup_merged")):
        m = change == CHANGE_CODES.index(code)
        l21[m] = first_child[ppos[m]]
        meth[m] = METHODS.index(label)

    sx = np.flatnonzero(np.isin(change, [CHANGE_CODES.index("S"), CHANGE_CODES.index("X")]))
    if len(sx):
        poly_codes, geoms = _polygons(lsoa21_polygons)
        child_poly = poly_codes.get_indexer(children)
        x, y = _xy(pcs)
        pairs = pd.DataFrame({"i": sx, "p": ppos[sx]}).merge(
            pd.DataFrame({"p": lk_pairs[:, 0], "c": lk_pairs[:, 1]}), on="p"
        )
        pairs["g"] = child_poly[pairs["c"].to_numpy()]
        no_poly = pairs["g"] < 0
        if no_poly.any():
            missing = sorted(children[pairs.loc[no_poly, "c"].unique()])
            report.notes.append(
                f"{len(missing)} LSOA21 children of split/irregular LSOA11s have no polygon "
                f"(e.g. {missing[:3]}); their postcodes go to the other children"
            )
            orphan = pairs.groupby("i")["g"].transform("max").lt(0)
            if orphan.any():
                bad = sorted(parents[pairs.loc[orphan, "p"].unique()])
                raise InvalidValueError(
                    "lsoa21_polygons",
                    f"no polygon for any LSOA21 child of LSOA11 {bad[:5]}",
                    column="lsoa21_code",
                )
            pairs = pairs.loc[~no_poly].reset_index(drop=True)
        i = pairs["i"].to_numpy()
        g = pairs["g"].to_numpy()
        has_xy = np.isfinite(x[i]) & np.isfinite(y[i])
        inside = np.zeros(len(pairs), dtype=bool)
        inside[has_xy] = shapely.contains_xy(geoms[g[has_xy]], x[i[has_xy]], y[i[has_xy]])
        hits = pairs.loc[inside].sort_values(["i", "c"])
        multi = int(hits["i"].duplicated().sum())
        if multi:
            report.notes.append(f"{multi} split-LSOA postcodes inside two child polygons")
        hits = hits.drop_duplicates("i")
        l21[hits["i"].to_numpy()] = hits["c"].to_numpy()
        meth[hits["i"].to_numpy()] = METHODS.index("pip_split")

        todo = pairs.loc[has_xy & (l21[i] < 0)].copy()
        if len(todo):
            ti, tg = todo["i"].to_numpy(), todo["g"].to_numpy()
            todo["d"] = shapely.distance(geoms[tg], shapely.points(x[ti], y[ti]))
            near = todo.sort_values(["i", "d", "c"]).drop_duplicates("i")
            l21[near["i"].to_numpy()] = near["c"].to_numpy()
            meth[near["i"].to_numpy()] = METHODS.index("nearest_same_parent")
            report.notes.append(
                "nearest_same_parent: distance to the chosen polygon median "
                f"{float(near['d'].median()):.1f} m, max {float(near['d'].max()):.1f} m"
            )

        oa = (
            pd.factorize(pcs["oa11_code"].iloc[sx])[0]
            if "oa11_code" in pcs.columns
            else np.full(len(sx), -1)
        )
        placed = pd.DataFrame({"i": sx, "p": ppos[sx], "oa": oa, "c": l21[sx]})
        ok = placed.loc[placed["c"] >= 0]
        rest = placed.loc[placed["c"] < 0]
        if len(rest):
            oa_counts = ok.loc[ok["oa"] >= 0].groupby(["p", "oa", "c"]).size().rename("n")
            best = _pick_max(oa_counts.reset_index(), ["p", "oa"])
            got = rest[["i", "p", "oa"]].merge(best, on=["p", "oa"])
            l21[got["i"].to_numpy()] = got["c"].to_numpy()
            meth[got["i"].to_numpy()] = METHODS.index("oa11_majority")
            rest = rest.loc[~rest["i"].isin(got["i"])]
        if len(rest):
            kids = pd.DataFrame({"p": lk_pairs[:, 0], "c": lk_pairs[:, 1]})
            kids = kids.loc[kids["p"].isin(rest["p"])]
            size = ok.groupby(["p", "c"]).size().rename("n").reset_index()
            kid_counts = kids.merge(size, on=["p", "c"], how="left").fillna({"n": 0})
            got = rest[["i", "p"]].merge(_pick_max(kid_counts, ["p"]), on="p")
            l21[got["i"].to_numpy()] = got["c"].to_numpy()
            meth[got["i"].to_numpy()] = METHODS.index("largest_child")

    out = pcs.assign(
        change_code=_labels(np.array(CHANGE_CODES), change),
        lsoa21_code=_labels(children.to_numpy(), l21),
        lsoa21_method=_labels(np.array(METHODS), meth),
    )
    counts = np.bincount(meth[meth >= 0], minlength=len(METHODS))
    methods = {m: int(k) for m, k in zip(METHODS, counts, strict=True)}
    out.attrs["lsoa21_methods"] = methods
    report.notes.append("lsoa21_method: " + ", ".join(f"{k} {v}" for k, v in methods.items()))
    for m in ("nearest_same_parent", "oa11_majority", "largest_child"):
        report.flag(f"LSOA21 by fallback {m}", methods[m])

    unplaced = l21 < 0
    no_code = pcs["lsoa11_code"].isna().to_numpy(dtype=bool)
    ew = pcs["lsoa11_code"].str.match(r"^[EW]01").fillna(False).to_numpy(dtype=bool)
    report.flag("no LSOA 2011 code, so no LSOA21", int((unplaced & no_code).sum()))
    report.flag(
        "LSOA 2011 code (England/Wales) not in the LSOA11→LSOA21 lookup", int((unplaced & ew).sum())
    )
    report.flag("outside England and Wales (no LSOA21)", int((unplaced & ~ew & ~no_code).sum()))
    report.rows_kept = len(out)
    if measure_agreement:
        agreement = placement_agreement(out, lk, lsoa21_polygons)
        out.attrs["placement_agreement"] = agreement
        report.notes.append(
            "placement agreement on unchanged (U) LSOAs: plain point-in-polygon "
            f"{agreement['pip_agreement']:.2%} of {agreement['n_unchanged_with_coordinates']} "
            f"postcodes with coordinates; assigned {agreement['assigned_agreement']:.2%} of "
            f"{agreement['n_unchanged']}"
        )
    return Loaded(out, report)


def placement_agreement(
    postcodes: pd.DataFrame | Loaded,
    lookup: pd.DataFrame | Loaded,
    lsoa21_polygons: gpd.GeoDataFrame,
) -> dict[str, Any]:
    """Measure how well plain point-in-polygon and our assignment agree with the lookup.

    Only postcodes whose 2011 LSOA is ``U`` (unchanged) are used, because for them the true
    2021 LSOA is known without geometry: it is the same code.

    - ``pip_agreement``: among ``U`` postcodes with coordinates, the share whose point falls,
      by plain point-in-polygon against **all** the given LSOA21 polygons, in the polygon of
      that same code. Below 100% because the boundaries are generalised (a point near an edge
      lands in the neighbour, or in no polygon at all near the coast).
    - ``assigned_agreement``: among all ``U`` postcodes, the share whose ``lsoa21_code`` (from
      :func:`assign_lsoa21`) equals the ``U`` code. 100% by construction; measured, not assumed.

    .. math:: a_{\\text{pip}} = \\frac{\\#\\{k \\in U_{xy} : \\text{pip}(k) = l_k\\}}{|U_{xy}|},
              \\qquad
              a_{\\text{assigned}} = \\frac{\\#\\{k \\in U : \\hat l_k = l_k\\}}{|U|}

    Returns
    -------
    dict
        JSON-ready: ``n_unchanged``, ``n_unchanged_with_coordinates``, ``pip_same``,
        ``pip_other`` (inside another polygon), ``pip_none`` (inside none), ``pip_multiple``
        (inside more than one: the first in frame order is taken), ``pip_agreement``,
        ``assigned_same``, ``assigned_agreement`` (``None`` without ``lsoa21_code``).
    """
    pcs = _frame(postcodes)
    lk = _frame(lookup)
    require_columns(pcs.columns, ["lsoa11_code", "easting", "northing"], "postcodes")
    require_columns(lk.columns, LOOKUP_COLUMNS, "lookup")
    parents, p_change, *_ = _positions(lk)
    ppos = parents.get_indexer(pcs["lsoa11_code"])
    is_u = (ppos >= 0) & (np.where(ppos >= 0, p_change[ppos], -1) == CHANGE_CODES.index("U"))
    cols = ["lsoa11_code", "easting", "northing"]
    cols += ["lsoa21_code"] if "lsoa21_code" in pcs.columns else []
    u = pcs[cols].loc[is_u]
    codes, geoms = _polygons(lsoa21_polygons)
    own = codes.get_indexer(u["lsoa11_code"])  # the U code's polygon (-1 if not given)
    x, y = _xy(u)
    has_xy = np.isfinite(x) & np.isfinite(y)
    hit, n_hits = _first_container(geoms, x, y)
    same = has_xy & (hit >= 0) & (hit == own)
    n_xy = int(has_xy.sum())
    out: dict[str, Any] = {
        "n_unchanged": int(len(u)),
        "n_unchanged_with_coordinates": n_xy,
        "pip_same": int(same.sum()),
        "pip_other": int((has_xy & (hit >= 0) & ~same).sum()),
        "pip_none": int((has_xy & (hit < 0)).sum()),
        "pip_multiple": int((n_hits > 1).sum()),
        "pip_agreement": float(same.sum() / n_xy) if n_xy else float("nan"),
        "assigned_same": None,
        "assigned_agreement": None,
    }
    if "lsoa21_code" in u.columns:
        agree = int((u["lsoa21_code"] == u["lsoa11_code"]).fillna(False).sum())
        out["assigned_same"] = agree
        out["assigned_agreement"] = float(agree / len(u)) if len(u) else float("nan")
    return out


# --------------------------------------------------------------------------- tables


def carry_to_lsoa21(
    frame: pd.DataFrame,
    lookup: pd.DataFrame | Loaded,
    value_cols: list[str],
    kind: Literal["rate", "score", "count"],
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Carry an LSOA11-keyed table to LSOA21 with the ONS change codes.

    Each lookup pair :math:`(i, j)` (2011 LSOA :math:`i`, 2021 LSOA :math:`j`) gets a share
    :math:`a_{ij}`, the part of :math:`i` that went into :math:`j`:

    - ``U`` and ``M``: :math:`a_{ij} = 1`;
    - ``S``: :math:`a_{ij} = w_j / \\sum_{k \\in C(i)} w_k` with the LSOA21 population weights
      :math:`w` (``kind="count"`` with ``weights``), else :math:`1 / |C(i)|`;
    - ``X``: :math:`a_{ij} = 1 / |C(i)|` (equal shares: the bundle has no areal or postcode
      split for the six irregular LSOAs).

    Then, for counts, :math:`V_j = \\sum_i a_{ij} V_i` (so ``U`` copies, ``M`` sums, ``S``
    apportions); for rates and scores the weighted mean
    :math:`V_j = \\sum_i a_{ij} p_i V_i / \\sum_i a_{ij} p_i` with :math:`p_i` the LSOA11
    population (``weights``) or 1 (so ``U`` copies, ``M`` is the population-weighted mean,
    ``S`` keeps the parent's value).

    Parameters
    ----------
    frame
        ``lsoa11_code`` (column or index) and the ``value_cols``.
    lookup
        The table of :func:`read_lsoa11_lsoa21_lookup` (or a subset of its rows).
    value_cols
        Numeric columns to carry.
    kind
        ``"rate"``/``"score"`` (weighted mean) or ``"count"`` (shares summed).
    weights
        Populations: indexed by ``lsoa11_code`` for rates/scores, by ``lsoa21_code`` for
        counts. Missing for a needed code raises ``InvalidValueError``.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code`` and the ``value_cols``, one row per LSOA21 with at least one parent in
        ``frame``, sorted by code. Missing values are skipped in means; a count is ``NaN``
        when a contributing parent's value is missing or the parent is absent from ``frame``.
    """
    if kind not in {"rate", "score", "count"}:
        raise ValueError(f"kind must be 'rate', 'score' or 'count', got {kind!r}")
    lk = _frame(lookup)
    require_columns(lk.columns, LOOKUP_COLUMNS, "lookup")
    data = frame.reset_index() if "lsoa11_code" not in frame.columns else frame
    if "lsoa11_code" not in data.columns:
        raise MissingColumnsError("frame", "no 'lsoa11_code' column or index")
    require_columns(data.columns, value_cols, "frame")
    values = data.drop_duplicates("lsoa11_code").set_index("lsoa11_code")[list(value_cols)]
    values = values.apply(pd.to_numeric, errors="coerce").astype(float)

    pairs = lk[LOOKUP_COLUMNS].drop_duplicates(["lsoa11_code", "lsoa21_code"]).copy()
    touched = pairs.loc[pairs["lsoa11_code"].isin(values.index), "lsoa21_code"].unique()
    pairs = pairs.loc[pairs["lsoa21_code"].isin(touched)].reset_index(drop=True)
    n_children = pairs.groupby("lsoa11_code")["lsoa21_code"].transform("size").to_numpy(float)
    code = pairs["change_code"].to_numpy()
    share = np.ones(len(pairs))
    split = code == "S"
    irregular = code == "X"
    share[irregular] = 1.0 / n_children[irregular]
    share[split] = 1.0 / n_children[split]

    def need(w: pd.Series, keys: pd.Series, what: str) -> np.ndarray:
        got = pd.to_numeric(w, errors="coerce").astype(float).reindex(keys.to_numpy())
        if got.isna().any():
            first = got.index[got.isna().to_numpy()][0]
            raise InvalidValueError(
                "weights", f"no population weight for {what} {first}", column=what
            )
        if (got < 0).any():
            raise InvalidValueError("weights", "negative population weight", column=what)
        return got.to_numpy()

    v = values.reindex(pairs["lsoa11_code"].to_numpy()).to_numpy()
    present = pairs["lsoa11_code"].isin(values.index).to_numpy()
    if kind == "count":
        if weights is not None and split.any():
            w21 = need(weights, pairs.loc[split, "lsoa21_code"], "lsoa21_code")
            tmp = pd.Series(w21, index=pairs.index[split])
            tot = tmp.groupby(pairs.loc[split, "lsoa11_code"]).transform("sum").to_numpy()
            share[split] = np.where(tot > 0, w21 / np.where(tot > 0, tot, 1), share[split])
        contrib = v * share[:, None]
        contrib[~present] = np.nan
        out = pd.DataFrame(contrib, columns=list(value_cols))
        out["lsoa21_code"] = pairs["lsoa21_code"].to_numpy()
        result = out.groupby("lsoa21_code", sort=True)[list(value_cols)].sum(min_count=1)
        incomplete = (
            pd.DataFrame(np.isnan(contrib), columns=list(value_cols))
            .groupby(out["lsoa21_code"].to_numpy())
            .any()
        )
        result = result.mask(incomplete.reindex(result.index))
    else:
        p = np.ones(len(pairs))
        if weights is not None:
            p = need(weights, pairs.loc[present, "lsoa11_code"], "lsoa11_code")
            p_full = np.zeros(len(pairs))
            p_full[present] = p
            p = p_full
        wt = share * p
        wv = np.where(np.isnan(v), 0.0, v) * wt[:, None]
        wsum = np.where(np.isnan(v), 0.0, 1.0) * wt[:, None]
        keys = pairs["lsoa21_code"].to_numpy()
        num = pd.DataFrame(wv, columns=list(value_cols)).groupby(keys).sum()
        den = pd.DataFrame(wsum, columns=list(value_cols)).groupby(keys).sum()
        result = num / den.where(den > 0)
    result.index.name = "lsoa21_code"
    return result.reset_index()
