"""Walk every answer of a build's ``answers.sqlite`` and check what a person reads.

One function per check, each ``check(answer, facts) -> list[str]`` (problems, each naming the
answer and the path in it), listed in :data:`CHECKS`, so a check is added by writing one
function and appending it. :func:`walk` yields every answer a reader can get: each LSOA part
of the postcode answers (shared by the LSOA's postcodes), each postcode's own part, every
area (LSOA, ward, district), every list row and every trend.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sna.wording import band_of_share, standing

__all__ = ["Answer", "Facts", "CHECKS", "walk", "problems", "strings", "ranked"]


@dataclass(frozen=True)
class Answer:
    """One answer: what it is (``area``, ``postcode-area``, ...), its key and its JSON."""

    kind: str
    key: str
    body: Any


@dataclass(frozen=True)
class Facts:
    """What the build says about itself: whether violence's past count was estimated, each
    layer's possible range, and the layers coarser than the LSOA (context, never a driver)."""

    estimated: bool
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)  # id -> title

    @classmethod
    def of(cls, build: Path) -> Facts:
        from sna.config.scoring import manifest_specs

        manifest = json.loads((Path(build) / "manifest.json").read_text())
        specs = manifest_specs(manifest.get("layers", []))
        return cls(
            estimated=bool((manifest.get("violence_model") or {}).get("carried_over_from")),
            ranges={s.id: s.bounds for s in specs},
            context={s.id: s.title for s in specs if s.context_only},
        )


def walk(build: Path) -> Iterator[Answer]:
    """Every answer of ``build/answers.sqlite`` (read-only)."""
    con = sqlite3.connect(f"file:{Path(build) / 'answers.sqlite'}?mode=ro", uri=True)
    try:
        for fid, body in con.execute("SELECT id, body FROM fragments"):
            yield Answer("postcode-area", str(fid), json.loads(b"{" + body + b"}"))
        for code, head in con.execute("SELECT code, head FROM postcodes"):
            yield Answer("postcode", code, json.loads(b"{" + head.replace(b"\x00", b"") + b"}"))
        for code, body in con.execute("SELECT code, body FROM areas"):
            yield Answer("area", code, json.loads(body))
        for level, pos, row in con.execute("SELECT level, pos, row FROM area_list"):
            yield Answer("list-row", f"{level}:{pos}", json.loads(row))
        for code, body in con.execute("SELECT code, body FROM trends"):
            yield Answer("trend", code, json.loads(body))
    finally:
        con.close()


def strings(obj: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with its path (``violence_risk.in_words.summary``)."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from strings(v, f"{path}[{i}]")


def ranked(obj: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ranked value (a dict with ``rank``, ``of``, ``band`` and ``in_words``)."""
    if isinstance(obj, dict):
        if {"rank", "of", "band", "in_words"} <= obj.keys():
            yield path, obj
        for k, v in obj.items():
            yield from ranked(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from ranked(v, f"{path}[{i}]")


_SHARE = re.compile(r"among the (top|lowest) (\d+)%|in the lower half")
_BAND = re.compile(r"^(Highest|High|Medium|Low|Lowest) of five bands")
_RANGE = re.compile(r"(top|lowest) (\d+)(?:-(\d+))?%|the lower half")


def _shares(text: str) -> list[tuple[str, int]]:
    return [
        ("lower half", 50) if m.group(0) == "in the lower half" else (m.group(1), int(m.group(2)))
        for m in _SHARE.finditer(text)
    ]


def check_share_and_band(answer: Answer, facts: Facts) -> list[str]:
    """A share or band in a sentence agrees with the badge (band) and the rank: the standing
    sentence names the band and the share of the rank, and that share lies in that band."""
    out = []
    for path, x in ranked(answer.body):
        words = x.get("in_words") or {}
        where = standing(x["rank"], x["of"]) if x.get("rank") is not None else None
        for key in ("summary", "standing"):
            text = words.get(key) or ""
            for share in _shares(text):
                if share != where:
                    out.append(
                        f"{answer.kind} {answer.key} {path}.in_words.{key}: {text!r} "
                        f"says {share}, the rank {x['rank']} of {x['of']} is {where}"
                    )
            m = _BAND.match(text)
            if m and m.group(1) != x["band"]:
                out.append(
                    f"{answer.kind} {answer.key} {path}.in_words.{key}: {text!r} "
                    f"names band {m.group(1)}, the badge is {x['band']}"
                )
        if where is not None and x["band"] and band_of_share(where) != x["band"]:
            out.append(
                f"{answer.kind} {answer.key} {path}: rank {x['rank']} of {x['of']} "
                f"({where}) is not in the badge's band {x['band']}"
            )
        ri = x.get("rank_interval") or {}
        text = words.get("uncertainty") or ""
        if ri.get("lo") is not None and text:
            ends = {standing(ri["lo"], x["of"]), standing(ri["hi"], x["of"])}
            said = set()
            for m in _RANGE.finditer(text):
                if m.group(0) == "the lower half":
                    said.add(("lower half", 50))
                    continue
                said.update((m.group(1), int(g)) for g in m.group(2, 3) if g)
            if said != ends:
                out.append(
                    f"{answer.kind} {answer.key} {path}.in_words.uncertainty: {text!r} "
                    f"says {sorted(said)}, the interval {ri['lo']}-{ri['hi']} is "
                    f"{sorted(ends)}"
                )
    return out


_RECORDED = re.compile(r"\brecorded\b", re.I)
#: "recorded" that is not a claim about a counted number: a forecast of what will be recorded
_NOT_A_CLAIM = re.compile(r"expected to be recorded|estimated|not counted", re.I)


def check_recorded_is_counted(answer: Answer, facts: Facts) -> list[str]:
    """Where violence's past count was estimated (no street files), no sentence calls a
    number "recorded" unless it says it is estimated; and the provenance fields agree."""
    if not facts.estimated:
        return []
    out = []
    for path, text in strings(answer.body):
        for sentence in re.split(r"(?<=[.;])\s+", text):
            if _RECORDED.search(sentence) and not _NOT_A_CLAIM.search(sentence):
                out.append(
                    f"{answer.kind} {answer.key} {path}: {sentence!r} says recorded, "
                    "but nothing was counted in street files"
                )
    for path, x in ranked(answer.body):
        if "recorded_provenance" in x and x["recorded_provenance"] != "estimated":
            out.append(
                f"{answer.kind} {answer.key} {path}.recorded_provenance: "
                f"{x['recorded_provenance']!r} on an estimate"
            )
    return out


def _layer_values(obj: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, dict]]:
    """Every ``{"value": ..., ...}`` that belongs to a layer: ``(path, layer id, dict)``."""
    if isinstance(obj, dict):
        lid = obj.get("id") or obj.get("layer") or key
        if "value" in obj and isinstance(lid, str):
            yield path, lid, obj
        for k, v in obj.items():
            yield from _layer_values(v, f"{path}.{k}" if path else str(k), k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _layer_values(v, f"{path}[{i}]", key)


def check_units_and_ranges(answer: Answer, facts: Facts) -> list[str]:
    """Every layer value a reader gets has a unit and lies within the layer's possible range."""
    out = []
    for path, lid, x in _layer_values(answer.body):
        if lid not in facts.ranges or x.get("value") is None:
            continue
        if not str(x.get("unit") or "").strip():
            out.append(f"{answer.kind} {answer.key} {path}: {lid} has a value but no unit")
        lo, hi = facts.ranges[lid]
        v = x["value"]
        if isinstance(v, int | float) and not lo <= v <= hi:
            out.append(f"{answer.kind} {answer.key} {path}: {lid} = {v} outside [{lo}, {hi}]")
    return out


def check_no_coarse_driver(answer: Answer, facts: Facts) -> list[str]:
    """No driver or explanation cites a layer coarser than the LSOA (a district figure)."""
    out = []
    for path, lid, _x in _drivers(answer.body):
        if lid in facts.context:
            out.append(f"{answer.kind} {answer.key} {path}: driver {lid} is a district figure")
    for path, text in strings(answer.body):
        if path.endswith(("explanation", "drivers")) or ".drivers[" in path:
            for lid, title in facts.context.items():
                if title.lower() in text.lower():
                    out.append(f"{answer.kind} {answer.key} {path}: cites {lid} ({text!r})")
    return out


def _drivers(obj: Any, path: str = "") -> Iterator[tuple[str, str, dict]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}" if path else str(k)
            if k == "drivers" and isinstance(v, list):
                for i, d in enumerate(v):
                    if isinstance(d, dict):
                        yield f"{p}[{i}]", str(d.get("layer") or d.get("term") or ""), d
            else:
                yield from _drivers(v, p)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _drivers(v, f"{path}[{i}]")


class SameValueSameBand:
    """Across answers: two units of one level whose index has the same value (as published)
    never carry different bands. Stateful: call it on every answer, then :meth:`finish`."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, float], tuple[str, str]] = {}
        self.found: list[str] = []

    def __call__(self, answer: Answer, facts: Facts) -> list[str]:
        body = answer.body
        if answer.kind != "area" or not isinstance(body, dict):
            return []
        level = str(body.get("level"))
        for path, x in ranked(body):
            value = x.get("value")
            if not isinstance(value, int | float) or not x.get("band"):
                continue
            key = (level, path, float(value))
            first = self.seen.setdefault(key, (answer.key, x["band"]))
            if first[1] != x["band"]:
                self.found.append(
                    f"{level} {answer.key} {path}: value {value} is band {x['band']}, "
                    f"but {first[0]} with the same value is band {first[1]}"
                )
        return []

    def finish(self) -> list[str]:
        return self.found


#: Every check the walker runs; add one by appending a ``check(answer, facts)`` function
#: (a stateful one, comparing answers, has a ``finish()`` that returns its problems).
CHECKS: list[Callable[[Answer, Facts], list[str]]] = [
    check_share_and_band,
    check_recorded_is_counted,
    check_units_and_ranges,
    check_no_coarse_driver,
    SameValueSameBand,
]


def problems(build: Path, checks=None, limit: int = 50) -> tuple[int, list[str]]:
    """``(answers walked, the first ``limit`` problems)`` of every answer of ``build``."""
    facts = Facts.of(build)
    found: list[str] = []
    n = 0
    # a class among the checks is a stateful check: one instance per walk
    run = [c() if isinstance(c, type) else c for c in (checks or CHECKS)]
    for answer in walk(build):
        n += 1
        for check in run:
            found.extend(check(answer, facts))
    for check in run:
        if hasattr(check, "finish"):
            found.extend(check.finish())
    return n, found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])
