"""The rule applied to any public record (a JSON answer, a tile's attributes, a map feature, a
CSV row) and to any public text (a report, a printed page).

A value is *partner-derived* when its key names a partner layer (``band_<id>``, ``pc_c_<id>``,
``local.<id>.band``) or it sits in an object about one (``{"id": "<id>", ...}``,
``{"layer": "<id>", ...}``); its name, unit, period and the like are not derived from
records (:data:`NOT_DERIVED`). A record keyed by an LSOA, ward or district leaks when:

- it carries a restricted column (``n_``, ``raw_``, ``v_``, ``local_``, ``denom_``,
  ``unit_``) or an exact value (``value``, ``count``, ``raw_rate``, ``region_value``) of the
  layer;
- it lies on a disclosure unit of 1 to threshold - 1 records and carries any partner-derived
  value, or a sentence naming the layer;
- a partner-derived value differs between two records of one disclosure unit (the value
  then tells the unit's records apart).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sna.audit.partner import PartnerLayer, n_records
from sna.audit.result import Finding

__all__ = ["NOT_DERIVED", "scan", "check_records", "check_text", "is_exact_value"]

#: Keys of a partner object that describe the layer rather than derive from its records.
NOT_DERIVED = frozenset(
    {
        "id", "layer", "title", "description", "kind", "level", "partner", "synthetic",
        "unit", "measure", "notice", "period", "vintage", "licence", "attribution",
        "national", "property", "display", "status", "disclosure_level", "weight",
        "effective_weight", "interim_for", "surface", "note", "source", "table",
    }
)  # fmt: skip
_SKIP = frozenset({"periods", "vintages"})  # per-layer provenance, not values
_EXACT = frozenset({"value", "count", "raw_rate", "region_value"})
_RESTRICTED = ("n_", "raw_", "v_", "local_", "denom_", "unit_")
_CODE = re.compile(r"\bE0[1-9]\d{6}\b")


def scan(
    obj: Any, lids: tuple[str, ...], memo: dict[str, str | None] | None = None
) -> tuple[list[tuple[str, str, Any]], list[str]]:
    """``(fields, texts)`` of a decoded record: its partner-derived ``(layer, key path,
    value)`` (list positions dropped from the path) and every other string. ``memo`` caches
    which layer a key names, across the records of one output."""
    fields: list[tuple[str, str, Any]] = []
    texts: list[str] = []
    memo = {} if memo is None else memo

    def names(key: str) -> str | None:
        if key not in memo:
            memo[key] = next((lid for lid in lids if lid in key), None)
        return memo[key]

    def walk(o: Any, path: str, owner: str | None) -> None:
        if isinstance(o, dict):
            inner = owner
            if inner is None:
                for k in ("id", "layer"):
                    if o.get(k) in lids:
                        inner = o[k]
            for k, v in o.items():
                key = str(k)
                if key in _SKIP:
                    continue
                named = names(key)
                lid = named or inner
                here = f"{path}.{key}"
                if isinstance(v, dict | list):
                    walk(v, here, lid)
                elif lid is not None:
                    if key not in NOT_DERIVED:
                        fields.append((lid, here, v))
                elif isinstance(v, str):
                    texts.append(v)
        elif isinstance(o, list):
            for v in o:
                if isinstance(v, dict | list):
                    walk(v, f"{path}[]", owner)
                elif owner is not None:
                    fields.append((owner, f"{path}[]", v))
                elif isinstance(v, str):
                    texts.append(v)

    walk(obj, "", None)
    return fields, texts


def _blank(v: Any) -> bool:
    return v is None or v == "" or v is False or (isinstance(v, float) and v != v)


def _norm(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    return v


def is_exact_value(v: Any) -> bool:
    """A number, or words that start with one ("3.2 per 1,000"): an exact value. Band words
    in a partner layer's ``in_words.value`` ("Highest band (partner data: bands only)") are
    a class, checked like a band."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, str) and _NUMBER_FIRST.match(v) is not None


_NUMBER_FIRST = re.compile(r"^\s*[-+]?[0-9.]")


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1].removesuffix("[]")


def check_records(
    output: str,
    records: Iterable[tuple[str, str, Any]],
    layers: list[PartnerLayer],
    *,
    constant: bool = True,
    skip_small: tuple[str, ...] = (),
    categorical: bool = True,
) -> tuple[list[Finding], int]:
    """Check records ``(code, label, decoded record)`` of one output; ``code`` is the LSOA,
    ward or district the record is about (its disclosure unit is looked up), ``label`` how a
    finding names it. With ``constant`` every partner value must be the same across the
    records of a unit. Paths containing one of ``skip_small`` (a postcode's local values,
    checked against the kernel instead) are left out of the unit checks. Without
    ``categorical`` only numbers must be constant: a ward's band of a district-level layer
    is a class among wards, which may split equal values (docs/disclosure-control.md)."""
    lids = tuple(layer.id for layer in layers)
    by_id = {layer.id: layer for layer in layers}
    found: list[Finding] = []
    seen: dict[tuple[str, str, str], dict[Any, str]] = {}
    n = 0
    memo: dict[str, str | None] = {}
    for code, label, doc in records:
        n += 1
        fields, texts = scan(doc, lids, memo)
        flagged: set[str] = set()
        for lid, path, v in fields:
            leaf = _leaf(path)
            if leaf.startswith(_RESTRICTED) and lid in leaf and not _blank(v):
                found.append(Finding(output, label, f"restricted column {leaf} published", v))
            elif leaf in _EXACT and not _blank(v) and is_exact_value(v):
                found.append(Finding(output, label, f"exact {lid} {leaf} published", v))
        for layer in layers:
            small = layer.small(code)
            if small is None:
                continue
            unit, count = small
            for lid, path, v in fields:
                if lid != layer.id or _blank(v) or any(s in path for s in skip_small):
                    continue
                if lid not in flagged:
                    why = f"{path.lstrip('.')} derived from {n_records(count)} (unit {unit})"
                    found.append(Finding(output, label, why, v))
                    flagged.add(lid)
            named = [t for t in texts if layer.title in t.lower() or layer.id in t]
            if named and layer.id not in flagged:
                why = f"a sentence names {layer.id} ({n_records(count)}, unit {unit})"
                found.append(Finding(output, label, why, named[0]))
                flagged.add(layer.id)
        if not constant:
            continue
        for lid, path, v in fields:
            if _blank(v) or any(s in path for s in skip_small):
                continue
            if not categorical and not isinstance(v, int | float):
                continue
            unit = by_id[lid].unit(code)
            if unit is not None:
                seen.setdefault((lid, unit, path), {}).setdefault(_norm(v), label)
    for (lid, unit, path), values in seen.items():
        if len(values) > 1:
            shown = "; ".join(f"{lab}: {val}" for val, lab in list(values.items())[:3])
            why = f"{path.lstrip('.')} varies inside its disclosure unit ({lid})"
            found.append(Finding(output, f"unit {unit}", why, shown))
    return found, n


def check_text(output: str, text: str, layers: list[PartnerLayer], threshold: int) -> list[Finding]:
    """A public text (a report, a printed page, a map's HTML): no restricted column name, no
    count of 1 to threshold - 1 records, and no place on a small unit named beside a
    partner layer."""
    found: list[Finding] = []
    lower = text.lower()
    for layer in layers:
        pat = rf"\b(?:{'|'.join(p.rstrip('_') for p in _RESTRICTED)})_{re.escape(layer.id)}\b"
        for m in re.finditer(pat, text):
            found.append(Finding(output, "text", f"restricted column {m.group(0)} named", ""))
            break
    counts = re.compile(
        r"\b(\d+)\s+(?:partner\s+)?(?:records?|admissions?|exclusions?|patients?|pupils?)\b",
        re.IGNORECASE,
    )
    for m in counts.finditer(text):
        if re.search(r"(?:\bto|-|–)\s*$", text[max(m.start() - 6, 0) : m.start()]):
            continue  # a range ("1 to 7 admissions"), as the suppression notes word it
        if 1 <= int(m.group(1)) < threshold:
            ctx = text[max(m.start() - 40, 0) : m.end() + 20]
            found.append(Finding(output, "text", f"a count below {threshold} published", ctx))
    matches = list(_CODE.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        window = lower[m.start() : min(end, m.start() + 600)]
        for layer in layers:
            small = layer.small(m.group(0))
            if small and (layer.title in window or layer.id in window):
                why = f"named beside {layer.id} ({n_records(small[1])}, unit {small[0]})"
                snippet = text[m.start() : min(end, m.start() + 120)]
                found.append(Finding(output, m.group(0), why, snippet))
    return found
