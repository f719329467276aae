"""Support nearby in the postcode answers, serialised once per asset.

The search itself (which assets, in what order, under what name) is :func:`sna.support.nearby`,
which the priority lists (:func:`sna.priority.nearby_assets`) also use, so "within 1 km"
means the same everywhere.
"""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd

from .. import support
from ._json import dumps

__all__ = ["asset_fragments"]


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

    Lists up to ``max_assets`` assets within ``radius`` metres and counts all of them by
    type. Which assets, in what order and under what name is decided by :mod:`sna.support`
    (the VRU's directory services first, then the rest by distance; unnamed records by their
    type), shared with :func:`sna.priority.nearby_assets`; this function only serialises,
    each asset's entry once.
    """
    n = len(east)
    points = support.support_points(assets)
    if points is None or max_assets == 0:
        empty = dumps({"radius_m": radius, "count": 0, "nearest": [], "by_type": {}})
        return [orjson.Fragment(empty)] * n
    # each entry serialised once, distance left open: b'{"name":...,"distance_m":'
    prefix = [dumps(e)[:-1] + b',"distance_m":' for e in points.entries]
    type_ids = sorted(set(points.types))
    type_index = {t: k for k, t in enumerate(type_ids)}
    asset_type = np.array([type_index[t] for t in points.types], dtype=int)
    found = support.nearby(points, east, north, ok, radius=radius, limit=max_assets)
    head = b'{"radius_m":' + dumps(radius) + b',"count":'
    empty_frag = orjson.Fragment(
        head + b'0,"nearest":[],"by_type":' + dumps(dict.fromkeys(type_ids, 0)) + b"}"
    )
    out: list[orjson.Fragment] = []
    for i in range(n):
        if not ok[i]:
            out.append(empty_frag)
            continue
        members = found.within[i]
        counts = np.bincount(asset_type[members], minlength=len(type_ids)).tolist()
        items = [prefix[j] + str(int(round(d))).encode() + b"}" for j, d in found.picks[i]]
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
