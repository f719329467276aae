"""Support nearby in the postcode answers, serialised once per asset.

The search itself (which assets, in what order, under what name) is
:func:`sna.answers.support.nearby`,
which the priority lists (:func:`sna.priority.places.nearby_assets`) also use, so "within 1 km"
means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from sna.answers import support
from sna.answers._json import dumps
from sna.answers.schema import NEAREST_MARK, pack_picks

__all__ = [
    "AssetAnswers",
    "asset_entries",
    "asset_fragments",
]


@dataclass(frozen=True)
class AssetAnswers:
    """Support nearby for each point: ``fragments[i]`` is the JSON object with
    :data:`~sna.answers.schema.NEAREST_MARK` where its entries go, ``picks[i]`` those entries
    packed by :func:`~sna.answers.schema.pack_picks` (empty for none), as ids into
    :func:`asset_entries` of the same points."""

    fragments: list[orjson.Fragment]
    picks: list[bytes]


def asset_fragments(
    points: support.SupportPoints | None,
    east: np.ndarray,
    north: np.ndarray,
    ok: np.ndarray,
    *,
    radius: float,
    max_assets: int,
) -> AssetAnswers:
    """Support nearby, per point: the counts and the picks, with each asset's entry stored
    once for the whole build rather than in every postcode near it (they were two thirds of
    a postcode answer).

    ``points`` is :func:`sna.answers.support.support_points` of the store's assets, reduced once for
    every chunk of postcodes. Lists up to ``max_assets`` assets within ``radius`` metres and
    counts all of them by type. Which assets, in what order and under what name is decided by
    :mod:`sna.answers.support` (the VRU's directory services first, then the rest by distance;
    unnamed
    records by their type), shared with :func:`sna.priority.places.nearby_assets`; this function
    only
    serialises.
    """
    n = len(east)
    if points is None or max_assets == 0:
        empty = dumps({"radius_m": radius, "count": 0, "nearest": [], "by_type": {}})
        return AssetAnswers([orjson.Fragment(empty)] * n, [b""] * n)
    type_ids = sorted(set(points.types))
    type_index = {t: k for k, t in enumerate(type_ids)}
    asset_type = np.array([type_index[t] for t in points.types], dtype=int)
    found = support.nearby(points, east, north, ok, radius=radius, limit=max_assets)
    head = b'{"radius_m":' + dumps(radius) + b',"count":'
    empty_frag = orjson.Fragment(
        head + b'0,"nearest":[],"by_type":' + dumps(dict.fromkeys(type_ids, 0)) + b"}"
    )
    frags: list[orjson.Fragment] = []
    picks: list[bytes] = []
    for i in range(n):
        if not ok[i]:
            frags.append(empty_frag)
            picks.append(b"")
            continue
        members = found.within[i]
        counts = np.bincount(asset_type[members], minlength=len(type_ids)).tolist()
        chosen = [(j, int(round(d))) for j, d in found.picks[i]]
        frags.append(
            orjson.Fragment(
                head
                + str(len(members)).encode()
                + (b',"nearest":[' + NEAREST_MARK + b"]" if chosen else b',"nearest":[]')
                + b',"by_type":'
                + dumps(dict(zip(type_ids, counts, strict=True)))
                + b"}"
            )
        )
        picks.append(pack_picks(chosen))
    return AssetAnswers(frags, picks)


def asset_entries(points: support.SupportPoints | None) -> list[bytes]:
    """Every asset's entry serialised once, open at its distance
    (``b'{"name":...,"distance_m":'``), in the ids the picks refer to."""
    if points is None:
        return []
    return [dumps(e)[:-1] + b',"distance_m":' for e in points.entries]
