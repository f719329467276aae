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
lookup (in :mod:`geodata.lsoa21_carry`, re-exported here).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._io import require_columns
from ._lsoa21_placement import (
    _first_container,
    _frame,
    _labels,
    _pick_max,
    _polygons,
    _positions,
    _xy,
)
from .errors import InvalidValueError
from .lsoa21_carry import carry_to_lsoa21
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
