"""The ONS "Crime in England and Wales: Police Force Area data tables" workbooks, as tidy rows.

Every edition (one workbook per rolling year) holds one sheet per table. The editions differ in
small ways, so tables are found by their **title** ("Table P4: Knife and sharp instrument
offences ..."), never by sheet name or position; sheet names may carry trailing spaces,
area names footnote digits ("ENGLAND AND WALES8,9,10"), the header rows move, numbers may be
stored as text, and '-', '..', 'NA' mark a value not shown. A workbook that cannot be read
raises a one-line :class:`~geodata.errors.InputFileError` naming the file, sheet and row.

Tables read (a table whose title matches none of these is ignored, so an extra table does not
stop the reader):

- ``recorded_crime`` (P1, required): offences by offence group, homicide included;
- ``knife_offences`` (P4, required): knife or sharp instrument offences by offence, with the
  % of each offence involving a knife;
- ``knife_series`` (P5, optional): the selected offences involving a knife over earlier years;
- ``knife_rates`` (P6 in later editions, optional): knife offences per 100,000 population;
- ``population`` (P9 in some editions, optional): ONS mid-year population estimates.

:func:`read_pfa_tables` returns one row per area, period, measure and offence
(:data:`TIDY_COLUMNS`); :func:`~geodata.outcomes_measures.read_measures_file` reads a VRU's own
measures in that shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputFileError, MissingFileError
from .outcomes_measures import MEASURES_COLUMNS, read_measures_file

__all__ = [
    "TIDY_COLUMNS",
    "MEASURES_COLUMNS",
    "TABLE_KINDS",
    "KNIFE_TOTAL",
    "HOMICIDE",
    "read_pfa_workbook",
    "read_pfa_tables",
    "read_measures_file",
    "display_name",
]

TIDY_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "area_kind",
    "region_code",
    "period_start",
    "period_end",
    "measure",
    "offence",
    "count",
    "pct_knife",
    "rate",
    "edition",
    "edition_end",
    "table",
    "coverage",
    "source_file",
    "sheet",
    "row",
)
"""One row per area x period x measure x offence. ``period_start``/``period_end`` are the
first and last months (``YYYY-MM``) of the 12 months (a population's mid-year: June, both);
``count`` offences (or people, for ``population``), ``pct_knife`` the % of the offence
involving a knife, ``rate`` per 100,000 population; ``coverage`` the table's own subtitle
(e.g. "England and Wales (excluding Greater Manchester Police)"); ``row`` the sheet row."""

KNIFE_TOTAL = "total_of_selected_serious_offences"
"""P4's total: the knife-enabled serious violence measure (homicide included)."""
HOMICIDE = "homicide"


@dataclass(frozen=True)
class TableKind:
    """A table the reader knows, recognised by a pattern on its (normalised) title."""

    key: str
    pattern: str
    required: bool
    layout: str  # "offences": offences across columns; "periods": periods across columns
    measure: str

    def matches(self, title: str) -> bool:
        """Whether a normalised title is this table's."""
        return re.search(self.pattern, title) is not None


TABLE_KINDS: tuple[TableKind, ...] = (
    TableKind(
        "recorded_crime",
        r"police recorded crime by offence group .*number of offences",
        True,
        "offences",
        "recorded_crime",
    ),
    TableKind(
        "knife_series",
        r"knife (and|or) sharp instrument offences .*percentage change",
        False,
        "periods",
        "knife_offences",
    ),
    TableKind(
        "knife_offences",
        r"knife (and|or) sharp instrument offences recorded .*selected offences",
        True,
        "offences",
        "knife_offences",
    ),
    TableKind(
        "knife_rates", r"knife (and|or) sharp instrument rates", False, "periods", "knife_rate"
    ),
    TableKind("population", r"mid-year population estimates", False, "periods", "population"),
)

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_FULL_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_TITLE = re.compile(r"^\s*table\s+(p?\d+)\s*:", re.IGNORECASE)
_CODE = re.compile(r"^[EWK]\d{8}$")
_NOT_SHOWN = {"", "-", ".", "..", "na", "n/a", "+", ":", "*", "x", "[x]", "[c]"}
_PERIOD = re.compile(r"([a-z]{3})[a-z]*\s*'?(\d{2,4})\s*to\s*([a-z]{3})[a-z]*\s*'?(\d{2,4})")
_HEADER_SCAN = 20


def _norm(value: Any) -> str:
    """Lower-case text with whitespace collapsed ('' for an empty cell)."""
    return " ".join(str(value).split()).lower() if value is not None else ""


def _strip_notes(text: str) -> str:
    """Footnote digits off a label: 'Homicide5,6' -> 'Homicide', '(excluding fraud3)' ->
    '(excluding fraud)', 'ENGLAND AND WALES8,9,10' -> 'ENGLAND AND WALES'."""
    text = re.sub(r"(?<=[A-Za-z)])\s?\d+(?:\s*,\s*\d+)*", "", " ".join(str(text).split()))
    return text.strip(" ,")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]+", "_", _strip_notes(text).lower()).strip("_")


def display_name(name: str) -> str:
    """'ENGLAND AND WALES' -> 'England and Wales'; mixed case is kept as published."""
    name = _strip_notes(name)
    if name.isupper():
        name = name.title().replace(" And ", " and ")
    return name


def _area_kind(code: str) -> str:
    return {"K04": "country", "E92": "country", "W92": "country", "E12": "region"}.get(
        code[:3], "force"
    )


def _col(c: int) -> str:
    """0-based column index -> spreadsheet letter."""
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + months
    return k // 12, k % 12 + 1


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _parse_period(label: Any) -> tuple[str, str] | None:
    """ "Apr '17 to Mar '18" -> ('2017-04', '2018-03'); None if the label is not a period."""
    m = _PERIOD.search(_norm(label))
    if not m or m.group(1) not in _MONTHS or m.group(3) not in _MONTHS:
        return None
    return (
        _month(_year(m.group(2)), _MONTHS[m.group(1)]),
        _month(_year(m.group(4)), _MONTHS[m.group(3)]),
    )


def _edition(title: str) -> tuple[str, int, int] | None:
    """'... year ending March 20181,2' -> ('year ending March 2018', 2018, 3)."""
    found = re.findall(r"year ending (" + "|".join(_FULL_MONTHS) + r") (\d{4})", title)
    if not found:
        return None
    month, year = found[-1]
    return f"year ending {month.title()} {year}", int(year), _FULL_MONTHS.index(month) + 1


class _Sheet:
    """One worksheet's cells and where they came from, for the error messages."""

    def __init__(self, path: Path, name: str, rows: list[tuple]) -> None:
        self.path, self.name, self.rows = path, name, rows

    def error(self, problem: str, row: int | None = None, col: int | None = None) -> InputFileError:
        where = f"sheet {self.name!r}" + (f", row {row}" if row else "")
        where += f", column {_col(col)}" if col is not None else ""
        return InputFileError(self.path, f"{where}: {problem}")

    def cell(self, r: int, c: int) -> Any:
        """The value at 0-based row ``r``, column ``c`` (None outside the sheet)."""
        row = self.rows[r] if 0 <= r < len(self.rows) else ()
        return row[c] if c < len(row) else None

    def header_row(self) -> int:
        """0-based index of the 'Area Code' row."""
        for r in range(min(_HEADER_SCAN, len(self.rows))):
            if _norm(self.cell(r, 0)).rstrip("s0123456789") in ("area code", "area code "):
                return r
        raise self.error(f"no header row with 'Area Code' in column A within rows 1-{_HEADER_SCAN}")

    def coverage(self, header: int) -> str | None:
        """The subtitle naming what the table covers ('England and Wales ...'), if any."""
        for r in range(1, header):
            text = self.cell(r, 0)
            if isinstance(text, str) and "england" in text.lower():
                return _strip_notes(text)
        return None

    def number(self, r: int, c: int) -> float | None:
        """A cell as a number; None where the table shows no value ('-', '..', blank)."""
        v = self.cell(r, c)
        if v is None or isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v)
        text = str(v).strip().replace(",", "")
        if text.lower() in _NOT_SHOWN:
            return None
        try:
            return float(text)
        except ValueError:
            raise self.error(f"{str(v)[:40]!r} is not a number", r + 1, c) from None


def _offence_columns(sheet: _Sheet, h: int) -> dict[int, tuple[str, int | None]]:
    """Count column -> (offence, its '% involving a knife' column or None), from the header
    row ``h`` and the offence-group row above it."""
    out: dict[int, tuple[str, int | None]] = {}
    width = max(len(sheet.rows[h]), len(sheet.rows[h - 1]) if h else 0)
    last: int | None = None
    for c in range(2, width):
        sub, group = _norm(sheet.cell(h, c)), _norm(sheet.cell(h - 1, c)) if h else ""
        if sub.startswith("%"):
            if last is None or last != c - 1:
                raise sheet.error(f"{sub!r} has no count column to its left", h + 1, c)
            out[last] = (out[last][0], c)
        elif sub.startswith("number"):
            if not group:
                raise sheet.error(
                    f"no offence name above {_strip_notes(sheet.cell(h, c))!r} "
                    f"(row {h} is {[_norm(x) for x in sheet.rows[h - 1] if x][:3]})",
                    h + 1,
                    c,
                )
            out[c], last = (_slug(group), None), c
        elif sub or group:
            out[c], last = (_slug(sub or group), None), c
    return out


def _period_columns(
    sheet: _Sheet, h: int, kind: TableKind
) -> dict[int, tuple[str, str, int | None]]:
    """Value column -> (period start, period end, '% involving' column or None)."""
    out: dict[int, tuple[str, str, int | None]] = {}
    width = max(len(sheet.rows[h]), len(sheet.rows[h - 1]) if h else 0)
    group, last = "", None
    for c in range(2, width):
        above, here = sheet.cell(h - 1, c) if h else None, sheet.cell(h, c)
        if above is not None:
            group = _norm(above)
        if group.startswith("% change"):
            continue  # percentage changes are derived, not read
        sub = _norm(here)
        if kind.key == "population":
            if isinstance(here, int | float) or sub.isdigit():
                y = int(float(here))
                out[c] = (_month(y, 6), _month(y, 6), None)
            continue
        if sub.startswith("%"):
            if last is not None and last == c - 1:
                out[last] = (*out[last][:2], c)
            continue
        period = _parse_period(here) or (_parse_period(above) if sub.startswith("number") else None)
        if period:
            out[c], last = (*period, None), c
    if not out:
        raise sheet.error(f"no period columns found in the header (row {h + 1})", h + 1)
    return out


def _read_table(
    sheet: _Sheet, kind: TableKind, table: str, edition: tuple[str, int, int]
) -> list[dict[str, Any]]:
    h = sheet.header_row()
    coverage = sheet.coverage(h)
    label, ey, em = edition
    start = _month(*_shift(ey, em, -11))
    end = _month(ey, em)
    base = {
        "edition": label,
        "edition_end": end,
        "table": table,
        "coverage": coverage,
        "source_file": sheet.path.name,
        "sheet": sheet.name.strip(),
        "measure": kind.measure,
    }
    if kind.layout == "offences":
        cols = _offence_columns(sheet, h)
        periods = None
    else:
        periods = _period_columns(sheet, h, kind)
    rows: list[dict[str, Any]] = []
    region = None
    for r in range(h + 1, len(sheet.rows)):
        first = sheet.cell(r, 0)
        if isinstance(first, str) and first.strip().lower().startswith("source"):
            break
        code = str(first).strip() if first is not None else ""
        if not _CODE.match(code):
            continue
        name = display_name(str(sheet.cell(r, 1) or code))
        area_kind = _area_kind(code)
        if code[:3] in ("E12", "W92"):
            region = code
        area = {
            "area_code": code,
            "area_name": name,
            "area_kind": area_kind,
            "region_code": region if area_kind == "force" else None,
            "row": r + 1,
        }
        if periods is None:
            for c, (offence, pct) in cols.items():
                rows.append(
                    {
                        **base,
                        **area,
                        "period_start": start,
                        "period_end": end,
                        "offence": offence,
                        "count": sheet.number(r, c),
                        "pct_knife": sheet.number(r, pct) if pct is not None else None,
                        "rate": None,
                    }
                )
        else:
            for c, (p0, p1, pct) in periods.items():
                value = sheet.number(r, c)
                rate = kind.measure == "knife_rate"
                rows.append(
                    {
                        **base,
                        **area,
                        "period_start": p0,
                        "period_end": p1,
                        "offence": KNIFE_TOTAL if kind.measure != "population" else "population",
                        "count": None if rate else value,
                        "pct_knife": sheet.number(r, pct) if pct is not None else None,
                        "rate": value if rate else None,
                    }
                )
    if not rows:
        raise sheet.error(f"no area rows (codes such as E23000014) below the header row {h + 1}")
    return rows


_KNIFE = {True: "knife_series", False: "knife_offences"}


def _has_period_header(sheet: _Sheet) -> bool:
    """Whether the two rows above the 'Area Code' row hold periods ("Apr '10 to Mar '11")."""
    try:
        h = sheet.header_row()
    except InputFileError:
        return False
    return any(
        _parse_period(v) for r in (h - 1, h - 2) if r >= 0 for v in sheet.rows[r] if v is not None
    )


def _load(path: Path) -> list[_Sheet]:
    import openpyxl

    if not path.exists():
        raise MissingFileError(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputFileError(path, f"not a readable .xlsx workbook ({type(exc).__name__})") from exc
    try:
        return [_Sheet(path, ws.title, list(ws.iter_rows(values_only=True))) for ws in wb]
    finally:
        wb.close()


def read_pfa_workbook(path: str | Path) -> pd.DataFrame:
    """One edition's tables as tidy rows (:data:`TIDY_COLUMNS`).

    Raises
    ------
    MissingFileError
        The file does not exist.
    InputFileError
        Not a workbook; a required table (P1, P4) is missing or appears twice; no edition
        ("year ending <month> <year>") in its titles; a header or value that cannot be read
        (the message names the sheet, row and column).
    """
    path = Path(path)
    found: dict[str, tuple[_Sheet, str, str]] = {}
    for sheet in _load(path):
        for r in range(min(3, len(sheet.rows))):
            text = sheet.cell(r, 0)
            m = _TITLE.match(str(text)) if isinstance(text, str) else None
            if m is None:
                continue
            title = _norm(text)
            kind = next((k for k in TABLE_KINDS if k.matches(title)), None)
            if kind is not None and kind.key in ("knife_offences", "knife_series"):
                # one edition titles its P5 as its P4: the header says which it is
                series = _has_period_header(sheet)
                kind = next(k for k in TABLE_KINDS if k.key == _KNIFE[series])
            if kind is not None:
                if kind.key in found:
                    other = found[kind.key][0].name
                    raise sheet.error(
                        f"a second {kind.key.replace('_', ' ')} table (the first is in sheet "
                        f"{other!r}); keep one",
                        r + 1,
                    )
                found[kind.key] = (sheet, m.group(1).upper(), title)
            break
    missing = [k for k in TABLE_KINDS if k.required and k.key not in found]
    if missing:
        names = ", ".join(
            f"'{k.key.replace('_', ' ')}' (title matching {k.pattern!r})" for k in missing
        )
        seen = [s.name.strip() for s, *_ in found.values()]
        raise InputFileError(path, f"no table {names}; tables found: {seen or 'none'}")
    edition = None
    for key in ("knife_offences", "recorded_crime"):
        edition = _edition(found[key][2])
        if edition:
            break
    if edition is None:
        sheet = found["knife_offences"][0]
        raise sheet.error("no 'year ending <month> <year>' in the table title", 1)
    rows: list[dict[str, Any]] = []
    for kind in TABLE_KINDS:
        if kind.key in found:
            sheet, table, _ = found[kind.key]
            rows += _read_table(sheet, kind, table, edition)
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def read_pfa_tables(folder: str | Path) -> pd.DataFrame:
    """Every ``*.xlsx`` edition in ``folder`` (or one workbook), tidy rows in edition order."""
    folder = Path(folder)
    if not folder.exists():
        raise MissingFileError(folder)
    files = [folder] if folder.is_file() else sorted(folder.glob("*.xlsx"))
    files = [f for f in files if not f.name.startswith("~$")]  # Excel's lock files
    if not files:
        raise InputFileError(folder, "no .xlsx workbooks (ONS police force area tables) here")
    frame = pd.concat([read_pfa_workbook(f) for f in files], ignore_index=True)
    return frame.sort_values(["edition_end", "table", "row"], kind="stable").reset_index(drop=True)
