"""Support nearby: the one place that searches the community-assets table around points.

:class:`AssetIndex` holds a KD-tree of the assets (EPSG:27700 metres); the postcode answers
(:func:`asset_fragments`) and the priority lists (:func:`sna.priority.nearby_assets`) both
ask it, so "within 1 km" means the same everywhere.
"""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
from scipy.spatial import cKDTree

from ._json import dumps, to_str

__all__ = ["AssetIndex", "asset_fragments"]


class AssetIndex:
    """The assets with a grid reference, and a KD-tree over them.

    Attributes: ``table`` (the rows kept, re-indexed from 0), ``types`` and ``names``
    (display names: ``Unnamed <type>`` when the record has none).
    """

    def __init__(self, assets: pd.DataFrame) -> None:
        table = pd.DataFrame(assets.drop(columns="geometry", errors="ignore"))
        keep = np.isfinite(table["easting"].astype(float)) & np.isfinite(
            table["northing"].astype(float)
        )
        self.table = table[keep].reset_index(drop=True)
        self.xy = self.table[["easting", "northing"]].to_numpy(float)
        self.types: list[str] = self.table["asset_type"].astype(str).tolist()
        raw = self.table["name"] if "name" in self.table.columns else [None] * len(self.table)
        self.names: list[str] = [
            to_str(x) or f"Unnamed {t.replace('_', ' ')}"
            for x, t in zip(list(raw), self.types, strict=True)
        ]
        self.tree = cKDTree(self.xy) if len(self.xy) else None

    def __len__(self) -> int:
        return len(self.xy)

    def within(self, pts: np.ndarray, radius: float) -> list[list[int]]:
        """Indices of the assets within ``radius`` metres of each point."""
        if self.tree is None:
            return [[] for _ in range(len(pts))]
        return list(self.tree.query_ball_point(pts, radius))

    def nearest(
        self, pts: np.ndarray, k: int, radius: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(distance, index)`` of the ``k`` nearest assets per point, nearest first
        (distance ``inf`` past ``radius``)."""
        n = len(pts)
        k = min(int(k), len(self))
        if self.tree is None or k == 0:
            return np.empty((n, 0)), np.empty((n, 0), int)
        dist, idx = self.tree.query(pts, k=k, distance_upper_bound=radius)
        return np.asarray(dist).reshape(n, k), np.asarray(idx).reshape(n, k)


def asset_fragments(
    assets: pd.DataFrame | None,
    east: np.ndarray,
    north: np.ndarray,
    ok: np.ndarray,
    *,
    radius: float,
    max_assets: int,
) -> list[orjson.Fragment]:
    """Support nearby, per point, as pre-serialised JSON objects.

    Lists the nearest ``max_assets`` assets within ``radius`` metres (one entry per name and
    type, so an asset recorded by two sources is listed once) and counts all assets within
    the radius by type.
    """
    n = len(east)
    index = AssetIndex(assets) if assets is not None and len(assets) else None
    if index is None or len(index) == 0 or max_assets == 0:
        empty = dumps({"radius_m": radius, "count": 0, "nearest": [], "by_type": {}})
        return [orjson.Fragment(empty)] * n
    sub = index.table["subtype"] if "subtype" in index.table.columns else [None] * len(index)
    prefix = [
        dumps({"name": nm, "type": t, "subtype": to_str(st)})[:-1] + b',"distance_m":'
        for nm, t, st in zip(index.names, index.types, list(sub), strict=True)
    ]
    ident = [(nm.lower(), t) for nm, t in zip(index.names, index.types, strict=True)]
    type_ids = sorted(set(index.types))
    type_index = {t: k for k, t in enumerate(type_ids)}
    asset_type = np.array([type_index[t] for t in index.types], dtype=int)
    pts = np.column_stack([np.where(ok, east, 0.0), np.where(ok, north, 0.0)])
    dist, idx = index.nearest(pts, max_assets * 2, radius)
    within = index.within(pts, radius)
    head = b'{"radius_m":' + dumps(radius) + b',"count":'
    empty_frag = orjson.Fragment(
        head + b'0,"nearest":[],"by_type":' + dumps(dict.fromkeys(type_ids, 0)) + b"}"
    )
    out: list[orjson.Fragment] = []
    for i in range(n):
        if not ok[i]:
            out.append(empty_frag)
            continue
        members = within[i]
        counts = np.bincount(asset_type[members], minlength=len(type_ids)).tolist()
        seen: set[tuple[str, str]] = set()
        items = []
        for d, j in zip(dist[i].tolist(), idx[i].tolist(), strict=True):
            if d == np.inf or len(items) >= max_assets:
                break
            if ident[j] in seen:
                continue
            seen.add(ident[j])
            items.append(prefix[j] + str(int(round(d))).encode() + b"}")
        out.append(
            orjson.Fragment(
                head
                + str(len(members)).encode()
                + b',"nearest":['
                + b",".join(items)
                + b'],"by_type":'
                + dumps(dict(zip(type_ids, counts, strict=True)))
                + b"}"
            )
        )
    return out
