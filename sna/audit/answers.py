"""``answers.sqlite``, every row of it: what the API, the map page and the vector tiles send.

Area answers (LSOA, ward, district), the LSOA fragments of the postcode answers, the area
lists, the vector-tile attributes (``tile_shapes``), outcodes, terminated postcodes and the
build-wide ``meta`` answers (layers, tail, labels, the outcomes) go through
:func:`sna.audit.rows.check_records`. Postcode heads are checked for what is their own: a
local band or a local contribution only where the kernel reaches the threshold of records.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from sna.answers.schema import ANSWERS_FILE, NEAREST_MARK
from sna.audit.partner import PartnerLayer, n_records
from sna.audit.result import AuditResult, Finding
from sna.audit.rows import check_records

__all__ = ["audit_answers", "VECTOR_TILES"]

VECTOR_TILES = "vector tiles (answers.sqlite tile_shapes)"
_LABEL = {"lsoa": "LSOA", "ward": "ward", "district": "district"}
_RESTRICTED = ("n_", "raw_", "v_", "local_", "denom_", "unit_")


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def _obj(raw: bytes) -> Any:
    """A stored body: a JSON value, or an object's members without their braces."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return orjson.loads(b"{" + raw + b"}")


def _levels(db: sqlite3.Connection, sql: str) -> dict[str, list[tuple[str, str, Any]]]:
    out: dict[str, list[tuple[str, str, Any]]] = {}
    for code, level, body in db.execute(sql):
        out.setdefault(level, []).append((code, f"{_LABEL.get(level, level)} {code}", _obj(body)))
    return out


def _check_postcodes(
    db: sqlite3.Connection,
    frag_lsoa: dict[int, str],
    layers: list[PartnerLayer],
    lsoa_c: dict[str, dict[str, float]],
    thr: int,
) -> tuple[list[Finding], int]:
    """Postcode heads (what is a postcode's own: the fragment is checked as its LSOA's).

    A head carries a partner layer as ``local.<id>`` (a band, never a value) and as a
    driver of the postcode need (its contribution). A local band, or a contribution
    other than the LSOA's, only where the kernel reaches the threshold of records; neither
    on a unit of 1 to threshold - 1 records; no restricted column anywhere.
    """
    name = "answers.sqlite postcodes"
    restricted = [f'"{p}{x.id}"'.encode() for x in layers for p in _RESTRICTED]
    own, found = [], []
    n = 0
    for code, frag, head in db.execute("SELECT code, frag, head FROM postcodes"):
        n += 1
        for key in restricted:
            if key in head:
                found.append(Finding(name, f"postcode {code}", f"restricted {key.decode()}"))
        d = _obj(head.replace(NEAREST_MARK, b""))
        loc = d.get("location") or {}
        drivers = (d.get("postcode_need") or {}).get("drivers") or []
        own.append((code, frag_lsoa.get(frag, ""), loc.get("easting"), loc.get("northing"),
                    d.get("local") or {}, drivers))  # fmt: skip
    if not own:
        return found, n
    x = np.array([np.nan if r[2] is None else r[2] for r in own], float)
    y = np.array([np.nan if r[3] is None else r[3] for r in own], float)
    for layer in layers:
        lid = layer.id
        sup = layer.support_at(x, y)
        c_own = lsoa_c.get(lid, {})
        for (code, lsoa, _, _, local, drivers), s in zip(own, sup, strict=True):
            unit = f"postcode {code}"
            mine = local.get(lid) or {}
            if mine.get("value") is not None:
                found.append(Finding(name, unit, f"exact local {lid} published", mine["value"]))
            if mine.get("band") is not None and s < thr:
                why = f"local band of {lid} with {int(s)} records in reach"
                found.append(Finding(name, unit, why, mine["band"]))
            small = layer.small(lsoa)
            for dr in drivers:
                c = dr.get("contribution") if isinstance(dr, dict) else None
                if dr.get("layer") != lid or c is None:
                    continue
                if small is not None:
                    why = f"drivers name {lid} ({n_records(small[1])}, unit {small[0]})"
                    found.append(Finding(name, unit, why, c))
                elif s < thr and lsoa in c_own and abs(float(c) - c_own[lsoa]) > 5e-4:
                    why = f"contribution of {lid} uses a local density with {int(s)} in reach"
                    found.append(Finding(name, unit, why, c))
    return found, n


def _run(result: AuditResult, name: str, rows, layers, **kw: Any) -> None:
    f, n = check_records(name, rows, layers, **kw)
    result.add(f, name, n)


def audit_answers(
    folder: Path,
    layers: list[PartnerLayer],
    lsoa: pd.DataFrame,
    thr: int,
    result: AuditResult,
) -> None:
    """Every row of the build's ``answers.sqlite`` (absent: recorded as such)."""
    path = Path(folder) / ANSWERS_FILE
    if not path.exists():
        result.absent.append(ANSWERS_FILE)
        return
    from sna.outcomes.answer import audit_outcomes

    db = _connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("outcomes"):  # the outcomes answer, as /api/v1/outcomes sends it
            problems = audit_outcomes(orjson.loads(meta["outcomes"]), thr)
            result.add(
                [Finding("answers.sqlite outcomes", "hospital admissions", p) for p in problems],
                "answers.sqlite outcomes",
                1,
            )
        if not layers:
            result.checked["answers.sqlite (no partner layer)"] = 0
            return
        docs = []
        for key, raw in meta.items():
            if key == "outcomes":
                continue
            try:
                docs.append(
                    ("", f"meta {key}", _obj(raw if isinstance(raw, bytes) else raw.encode()))
                )
            except (orjson.JSONDecodeError, AttributeError):
                continue
        _run(result, "answers.sqlite meta", docs, layers, constant=False)
        for level, rows in _levels(db, "SELECT code, level, body FROM areas").items():
            name = f"answers.sqlite areas ({level})"
            _run(result, name, rows, layers, categorical=level == "lsoa")
        frag_lsoa: dict[int, str] = {}
        frags = []
        for fid, body in db.execute("SELECT id, body FROM fragments"):
            d = _obj(body)
            code = str((d.get("codes") or {}).get("lsoa") or "")
            frag_lsoa[fid] = code
            frags.append((code, f"LSOA {code}", d))
        _run(result, "answers.sqlite fragments", frags, layers)
        lsoa_c = {
            layer.id: dict(
                zip(lsoa["lsoa21_code"].astype(str), lsoa[f"c_{layer.id}"].round(4), strict=True)
            )
            for layer in layers
            if f"c_{layer.id}" in lsoa.columns
        }
        f, n = _check_postcodes(db, frag_lsoa, layers, lsoa_c, thr)
        result.add(f, "answers.sqlite postcodes", n)
        for level, rows in _levels(db, "SELECT code, level, row FROM area_list").items():
            name = f"answers.sqlite area_list ({level})"
            _run(result, name, rows, layers, categorical=level == "lsoa")
        tiles = []
        for (props,) in db.execute("SELECT props FROM tile_shapes"):
            d = _obj(props)
            code = str(d.get("code") or d.get("lsoa21_code") or "")
            tiles.append((code, f"LSOA {code}", d))
        _run(result, VECTOR_TILES, tiles, layers)
        marks = [x for layer in layers for x in (layer.id.encode(), layer.title.encode())]
        for table in ("outcodes", "terminated", "trends"):
            if table not in tables:
                continue
            every = db.execute(f"SELECT code, body FROM {table}").fetchall()
            rows = [  # a row that names no partner layer has no partner value to check
                (c, f"{table} {c}", _obj(b)) for c, b in every if any(k in b.lower() for k in marks)
            ]
            f, _ = check_records(f"answers.sqlite {table}", rows, layers, constant=False)
            result.add(f, f"answers.sqlite {table}", len(every))
    finally:
        db.close()
