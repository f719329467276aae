"""Drivers in plain words: what raises or lowers a place's need, and its violence risk.

One wording per driver (:func:`sna.needs.drivers.driver_text`), used by every public answer
(postcodes, areas), the maps and the report, so the same driver reads the same everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from sna.answers._json import num
from sna.needs.drivers import driver_text

__all__ = ["driver", "drivers_from_json", "drivers_sentence", "violence_drivers"]


def driver(
    lid: str,
    contribution: float,
    meta_by_id: Mapping[str, Mapping[str, Any]],
    synthetic: frozenset[str] | set[str],
) -> dict[str, Any]:
    """One need driver: the layer, its contribution and its words
    (:func:`sna.needs.drivers.driver_text`, the one wording of a driver)."""
    meta = meta_by_id.get(lid, {"title": lid, "kind": "risk", "level": None})
    title = meta.get("title", lid)
    kind = meta.get("kind", "risk")
    text = driver_text(title, contribution, kind=kind, synthetic=lid in synthetic)
    return {
        "layer": lid,
        "title": title,
        "kind": kind,
        "level": meta.get("level"),
        "contribution": num(contribution),
        "effect": "raises need"
        if contribution > 0
        else "lowers need"
        if contribution < 0
        else "no effect",
        "text": text,
        "synthetic": lid in synthetic,
    }


def drivers_from_json(
    text: Any, meta_by_id: Mapping[str, Mapping[str, Any]], synthetic: set[str]
) -> list[dict[str, Any]]:
    """The build's ``drivers`` column (``[[layer_id, contribution], ...]``) as drivers."""
    try:
        pairs = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        pairs = []
    return [driver(str(lid), float(c), meta_by_id, synthetic) for lid, c in pairs]


def drivers_sentence(name: str, band: str | None, drivers: list[dict[str, Any]]) -> str:
    """``"<name>: high need, mainly because of a and b."`` from a list of drivers."""

    def named(d: dict[str, Any]) -> str:
        return d["title"].lower() + (" (illustrative)" if d.get("synthetic") else "")

    raising = [named(d) for d in drivers if d["effect"] == "raises need"]
    lowering = [named(d) for d in drivers if d["effect"] == "lowers need"]
    head = f"{name}: {band.lower()} need" if band else f"{name}"

    def join(items: list[str]) -> str:
        return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

    if raising:
        return f"{head}, mainly because of {join(raising)}."
    if lowering:
        return f"{head}, kept down mainly by {join(lowering)}."
    return f"{head}; no factor stands out from the regional average."


def violence_drivers(text: Any) -> list[dict[str, Any]]:
    """The violence model's drivers (``[[term, log contribution, title], ...]``) as factors:
    ``"Past violence raises it by a factor of 1.80"``."""
    try:
        triples = json.loads(text or "[]")
    except (TypeError, ValueError):
        triples = []
    out = []
    for term, c, title in triples:
        f = float(np.exp(c))
        word = (
            f"raises it by a factor of {f:.2f}"
            if c > 0
            else f"lowers it by a factor of {1 / f:.2f}"
        )
        out.append(
            {
                "term": term,
                "title": title,
                "factor": num(f, 3),
                "contribution": num(c),
                "text": f"{title[:1].upper() + title[1:]} {word}",
            }
        )
    return out
