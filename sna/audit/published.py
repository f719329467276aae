"""Outputs written beside a build by other commands: the static and printed maps (``sna
maps``: ``maps/*.html``, ``*.pdf``, ``*.png``), the priority lists (``sna priority``:
``exports/priority_places.csv``, ``.gpkg``), the report (``sna report``: ``report.html``,
``report.pdf``) and the outcome tables (``sna outcomes``: ``outcomes/outcomes.csv``).

Records (a map feature's properties, a priority row) go through
:func:`sna.audit.rows.check_records`; text (the HTML with its images left out, a PDF's text,
a PNG's metadata) through :func:`sna.audit.rows.check_text`. A PNG's pixels are not read:
no map theme draws a partner layer, and the same page's PDF carries its words.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sna.answers._json import is_na
from sna.audit.partner import PartnerLayer
from sna.audit.result import AuditResult, Finding
from sna.audit.rows import check_records, check_text

__all__ = ["audit_published", "html_text", "pdf_text"]

_CODE = re.compile(r"^E0[1-9]\d{6}$")
_PROPS = re.compile(r'"properties"\s*:\s*\{')
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")


def html_text(raw: str) -> str:
    """The words of an HTML page: embedded images and tags removed, entities decoded."""
    text = _DATA_URI.sub(" ", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF (pypdfium2)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def _code_of(row: dict[str, Any]) -> str:
    for k in ("lsoa21_code", "code", "c"):
        v = row.get(k)
        if isinstance(v, str) and _CODE.match(v):
            return v
    for v in row.values():
        if isinstance(v, str) and _CODE.match(v):
            return v
    return ""


def _features(raw: str) -> list[dict[str, Any]]:
    """Every GeoJSON feature's properties embedded in a page."""
    dec = json.JSONDecoder()
    out = []
    for m in _PROPS.finditer(raw):
        try:
            props, _ = dec.raw_decode(raw, m.end() - 1)
        except json.JSONDecodeError:
            continue
        if isinstance(props, dict):
            out.append(props)
    return out


def _records(rows: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    out = []
    for r in rows:
        code = _code_of(r)
        out.append((code, f"LSOA {code}" if code else "row", r))
    return out


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def _text_output(name: str, text: str, layers, thr: int, result: AuditResult) -> None:
    result.add(check_text(name, text, layers, thr), name, len(text))


def _maps(folder: Path, layers, thr: int, result: AuditResult) -> None:
    maps = folder / "maps"
    files = sorted(maps.glob("*")) if maps.is_dir() else []
    if not any(p.suffix in (".html", ".pdf", ".png") for p in files):
        result.absent.append("maps/")
        return
    for p in files:
        name = f"maps/{p.name}"
        if p.suffix == ".html":
            raw = p.read_text(errors="replace")
            f, n = check_records(name, _records(_features(raw)), layers)
            result.add(f, name, n)
            result.findings += check_text(name, html_text(raw), layers, thr)
        elif p.suffix == ".pdf":
            _text_output(name, pdf_text(p), layers, thr, result)
        elif p.suffix == ".png":
            from PIL import Image

            with Image.open(p) as im:
                meta = " ".join(str(v) for v in getattr(im, "text", {}).values())
            _text_output(name, meta, layers, thr, result)


def _priority(folder: Path, layers, result: AuditResult) -> None:
    """The priority list: its machine-named rows (``_data.csv``, ``.gpkg``) under the record
    rule; the readable CSV a navigator opens (headers in words) must carry nothing else: every
    one of its columns is one of the data file's, value for value."""
    data = None
    for name in ("exports/priority_places_data.csv", "exports/priority_places.gpkg"):
        p = folder / name
        if not p.exists():
            result.absent.append(name)
            continue
        if p.suffix == ".csv":
            frame = pd.read_csv(p, low_memory=False)
            data = frame
        else:
            import pyogrio

            frame = pd.DataFrame(pyogrio.read_dataframe(p, read_geometry=False))
        f, n = check_records(name, _records(_frame_rows(frame)), layers)
        result.add(f, name, n)
    name = "exports/priority_places.csv"
    p = folder / name
    if not p.exists():
        result.absent.append(name)
        return
    shown = pd.read_csv(p, low_memory=False)
    if "lsoa21_code" in shown.columns or data is None:  # machine names: the rule itself
        f, n = check_records(name, _records(_frame_rows(shown)), layers)
        result.add(f, name, n)
        return
    result.add(_readable_findings(name, shown, data), name, len(shown))


def _readable_findings(name: str, shown: pd.DataFrame, data: pd.DataFrame) -> list[Finding]:
    """Columns of the readable list that are none of the audited data file's columns."""

    def norm(col: pd.Series) -> tuple:
        return tuple("" if is_na(v) else str(v).strip() for v in col)

    known = {norm(data[c]) for c in data.columns}
    found = []
    if len(shown) != len(data):
        found.append(Finding(name, "rows", "not the rows of priority_places_data.csv", len(shown)))
        return found
    for c in shown.columns:
        if norm(shown[c]) not in known and not _words_of_known(shown[c], data):
            found.append(Finding(name, f"column {c!r}", "values in no audited column", c))
    return found


def _words_of_known(col: pd.Series, data: pd.DataFrame) -> bool:
    """A column of a few words made from an audited one (e.g. 'Violence risk' for
    'violence_risk' in 'Listed by'): as many distinct values, in the same places. Only for a
    handful of classes: a column of distinct numbers (a rate) never passes this way."""
    if col.nunique(dropna=False) > 12:
        return False
    codes = pd.factorize(col.astype(str))[0]
    return any((pd.factorize(data[c].astype(str))[0] == codes).all() for c in data.columns)


def _report(folder: Path, layers, thr: int, result: AuditResult) -> None:
    for name in ("report.html", "report.pdf"):
        p = folder / name
        if not p.exists():
            result.absent.append(name)
            continue
        text = html_text(p.read_text(errors="replace")) if name.endswith("html") else pdf_text(p)
        _text_output(name, text, layers, thr, result)


def _outcome_tables(folder: Path, thr: int, result: AuditResult) -> None:
    name = "outcomes/outcomes.csv"
    p = folder / name
    if not p.exists():
        result.absent.append(name)
        return
    frame = pd.read_csv(p)
    hosp = frame[frame["measure"].astype(str).str.startswith("hospital")]
    counts = pd.to_numeric(hosp.get("count"), errors="coerce")
    bad = hosp[(counts > 0) & (counts < thr)]
    found = [
        Finding(name, f"{r.measure} {r.label}", f"a hospital count below {thr}", int(r.count))
        for r in bad.itertuples()
    ]
    result.add(found, name, len(frame))


def audit_published(
    folder: Path, layers: list[PartnerLayer], thr: int, result: AuditResult
) -> None:
    """The maps, priority lists, report and outcome tables that exist beside a build."""
    folder = Path(folder)
    _outcome_tables(folder, thr, result)
    if not layers:
        return
    _maps(folder, layers, thr, result)
    _priority(folder, layers, result)
    _report(folder, layers, thr, result)
