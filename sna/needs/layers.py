"""Turn each declared layer into one raw value per LSOA21, from the prepared store.

Three measures (see :class:`sna.config.region.LayerSpec`): a published ``column``; a ``count`` of
records (or the sum of a count column) per LSOA21 on a population denominator; and
``access``, the mean number of points within a radius of an area's live postcodes. The raw
values here are unshrunk and unnormalised: :mod:`sna.build.pipeline` does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sna.config.region import LayerSpec
from sna.errors import LayerNotFound, StoreError, ValueOutOfRange
from sna.needs.scoring import LayerInput

__all__ = [
    "LayerData",
    "check_range",
    "check_ranges",
    "compute_layer",
    "layer_points",
    "layer_records",
]


@dataclass(frozen=True)
class LayerData:
    """Raw values of one layer on the region's LSOA21s (index: ``lsoa21_code``).

    ``count`` and ``denominator`` are set for ``count`` layers (so uncertainty can redraw the
    counts); ``raw`` is the published value, the unshrunk rate per ``spec.per``, or the mean
    access count.
    """

    spec: LayerSpec
    raw: pd.Series
    count: pd.Series | None = None
    denominator: pd.Series | None = None
    synthetic: bool = False

    def to_input(self, years: float = 1.0) -> LayerInput:
        """The scoring engine's input (:class:`sna.needs.scoring.LayerInput`) for this layer.

        ``years`` sets a count against person-years: the rate is divided by it and the
        denominator multiplied, so a multi-year window gives an annual rate while the
        shrinkage still sees the whole count.
        """
        return LayerInput(
            self.spec,
            self.raw.to_numpy(float) / years,
            None if self.count is None else self.count.to_numpy(float),
            None if self.denominator is None else self.denominator.to_numpy(float) * years,
        )


def _table(tables: Mapping[str, pd.DataFrame], spec: LayerSpec) -> pd.DataFrame:
    if spec.table not in tables:
        raise LayerNotFound(
            f"layer {spec.id!r}: table {spec.table!r} is not in the store "
            f"(tables: {sorted(tables)}); prepare the store or fix the layer's table"
        )
    frame = tables[spec.table]
    if spec.months and "month" in frame.columns and len(frame):
        # the last ``months`` months of the data itself, never months written in the config
        months = sorted(set(frame["month"].dropna().astype(str)))
        frame = frame[frame["month"].astype(str).isin(months[-spec.months :])]
    if spec.filter:
        try:
            frame = frame.query(spec.filter, engine="python")
        except Exception as exc:  # pandas raises many types for a bad expression
            raise LayerNotFound(
                f"layer {spec.id!r}: filter {spec.filter!r} failed on table {spec.table!r}: {exc}"
            ) from exc
    return frame


def _is_synthetic(frame: pd.DataFrame) -> bool:
    return bool("synthetic" in frame.columns and frame["synthetic"].fillna(False).any())


def layer_records(tables: Mapping[str, pd.DataFrame], spec: LayerSpec) -> pd.DataFrame:
    """The layer's source table after its filter (``LayerNotFound`` for a bad table/filter)."""
    return _table(tables, spec)


def layer_points(
    tables: Mapping[str, pd.DataFrame], spec: LayerSpec, frame: pd.DataFrame | None = None
) -> np.ndarray:
    """The (n, 2) easting/northing of a record table's rows after the layer's filter.

    ``frame`` is the already filtered table (:func:`layer_records`), to avoid filtering twice.
    """
    frame = _table(tables, spec) if frame is None else frame
    if "easting" in frame.columns and "northing" in frame.columns:
        xy = frame[["easting", "northing"]].to_numpy(dtype=float)
    elif "geometry" in frame.columns:
        geom = frame.geometry
        ok = ~(geom.isna() | geom.is_empty)
        xy = np.column_stack([geom[ok].x, geom[ok].y])
    else:
        raise StoreError(f"layer {spec.id!r}: table {spec.table!r} has no coordinates")
    return xy[np.isfinite(xy).all(axis=1)]


def _table_denominator(spec: LayerSpec, frame: pd.DataFrame) -> pd.Series:
    """The denominator per LSOA21 from an expression over the layer's own table."""
    try:
        values = frame.eval(spec.denominator_expr, engine="python")
    except Exception as exc:  # pandas raises many types for a bad expression
        raise LayerNotFound(
            f"layer {spec.id!r}: denominator_expr {spec.denominator_expr!r} failed on table "
            f"{spec.table!r}: {exc}"
        ) from exc
    values = pd.Series(np.asarray(values, dtype=float), index=frame.index)
    values = values.where(np.isfinite(values))
    return values.groupby(frame["lsoa21_code"].to_numpy()).sum(min_count=1)


def check_range(spec: LayerSpec, values: pd.Series | np.ndarray, codes, what: str = "") -> None:
    """Refuse a value outside the layer's possible range (:attr:`LayerSpec.bounds`).

    Raises :class:`~sna.errors.ValueOutOfRange` naming the layer, its unit, the worst value
    and its LSOA, and how many LSOAs are outside, e.g. "layer 'child_poverty' (per 1,000
    children aged 0-15): 1,985 at LSOA E01009331 is outside its possible range 0 to 1,000
    (12 LSOAs); fix its numerator or denominator". NaN (no value) is not checked.
    """
    lo, hi = spec.bounds
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (v < lo) | (v > hi) | np.isinf(v)
    if not bad.any():
        return
    excess = np.where(bad, np.maximum(lo - v, v - hi), -np.inf)
    i = int(np.nanargmax(np.where(np.isnan(excess), -np.inf, excess)))
    code = np.asarray(codes)[i]

    def fmt(x: float) -> str:
        return "no bound" if np.isinf(x) else f"{x:,.6g}"

    raise ValueOutOfRange(
        f"layer {spec.id!r} ({spec.display_unit}){' ' + what if what else ''}: {v[i]:,.6g} at "
        f"LSOA {code} is outside its possible range {fmt(lo)} to {fmt(hi)} "
        f"({int(bad.sum())} LSOA{'s' if bad.sum() != 1 else ''}); fix the layer's source, "
        "denominator or value_range"
    )


def check_ranges(layers: list[LayerData], values: pd.DataFrame, codes) -> None:
    """Check every layer's published values, raw and after shrinkage, against its range
    (:func:`check_range`); ``values`` holds the scored values (columns: layer ids)."""
    for d in layers:
        check_range(d.spec, d.raw.to_numpy(float), codes)
        if d.spec.id in values.columns:
            check_range(d.spec, values[d.spec.id].to_numpy(float), codes, "after shrinkage")


def compute_layer(
    spec: LayerSpec,
    tables: Mapping[str, pd.DataFrame],
    areas: pd.DataFrame,
    postcodes: pd.DataFrame | None = None,
) -> LayerData:
    """Compute one layer's raw values on ``areas`` (which has ``lsoa21_code`` and populations).

    Parameters
    ----------
    spec
        The layer declaration.
    tables
        Store tables by name (``iod2025``, ``hospital_admissions``, ``assets``...).
    areas
        The region's LSOA21 table: ``lsoa21_code`` plus the population columns.
    postcodes
        Live postcodes with ``lsoa21_code``, ``easting``, ``northing`` (``access`` layers).
    """
    index = pd.Index(areas["lsoa21_code"], name="lsoa21_code")
    frame = _table(tables, spec)
    synthetic = _is_synthetic(tables[spec.table])
    if spec.measure == "column":
        if spec.column not in frame.columns:
            raise LayerNotFound(
                f"layer {spec.id!r}: column {spec.column!r} not in table {spec.table!r}"
            )
        raw = frame.set_index("lsoa21_code")[spec.column].astype(float).reindex(index)
        return LayerData(spec, raw.rename(spec.id), synthetic=synthetic)

    if spec.measure == "count":
        if not spec.denominator_expr and spec.denominator not in areas.columns:
            raise LayerNotFound(
                f"layer {spec.id!r}: denominator {spec.denominator!r} is not a column of the "
                f"LSOA table (columns: {[c for c in areas.columns if c.startswith('pop')]})"
            )
        if spec.column:
            counts = frame.groupby("lsoa21_code")[spec.column].sum()
        else:
            counts = frame.groupby("lsoa21_code").size()
        counts = counts.reindex(index).fillna(0).astype(float)
        if spec.denominator_expr:
            denom = _table_denominator(spec, frame).reindex(index)
        else:
            denom = areas.set_index("lsoa21_code")[spec.denominator].astype(float).reindex(index)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(denom > 0, counts / denom * spec.per, np.nan)
        return LayerData(
            spec,
            pd.Series(rate, index=index, name=spec.id),
            count=counts.rename(spec.id),
            denominator=denom.rename(spec.id),
            synthetic=synthetic,
        )

    # access: mean number of points within radius of the area's live postcodes
    if postcodes is None:
        raise StoreError(f"layer {spec.id!r}: access layers need the postcode table")
    pts = layer_points(tables, spec, frame)
    homes = postcodes.dropna(subset=["easting", "northing"])
    if len(pts) == 0:
        reach = np.zeros(len(homes))
    else:
        tree = cKDTree(pts)
        reach = tree.query_ball_point(
            homes[["easting", "northing"]].to_numpy(float), r=spec.radius_m, return_length=True
        )
    by_area = pd.Series(reach, index=homes["lsoa21_code"].to_numpy()).groupby(level=0).mean()
    raw = by_area.reindex(index)
    if raw.isna().any():  # an area with no live postcode: use its centroid
        missing = raw.index[raw.isna()]
        cent = areas.set_index("lsoa21_code").loc[missing].geometry.centroid
        xy = np.column_stack([cent.x, cent.y])
        n = (
            cKDTree(pts).query_ball_point(xy, r=spec.radius_m, return_length=True)
            if len(pts)
            else np.zeros(len(xy))
        )
        raw.loc[missing] = n
    return LayerData(spec, raw.astype(float).rename(spec.id), synthetic=synthetic)
