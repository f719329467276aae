"""The tidy postcode table both postcode readers produce, from an Arrow table of strings.

:func:`tidy` turns the source's columns (renamed to internal names, plus ``_row``, the 1-based
data row) into the columns documented in :mod:`geodata.postcodes`: postcodes normalised to the
``pcds`` form, malformed or LSOA-less rows rejected and counted, duplicates dropped (first
kept), district codes, user types and ``YYYYMM`` dates checked (the first bad row is named),
grid references of 0,0 or quality 90 set missing. The other helpers read and filter the Arrow
table before it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ._checks import check_rows
from .codes import GSS_PATTERN
from .errors import EmptyFileError, InvalidValueError
from .postcode_format import POSTCODE_PATTERN, POSTCODE_SHAPE
from .report import LoadReport

__all__ = [
    "header_of",
    "read_csv_arrow",
    "districts_array",
    "filter_districts",
    "with_rows",
    "tidy",
]

_NO_COORDINATES_QUALITY = 90


def header_of(first_line: bytes) -> list[str]:
    text = first_line.decode("utf-8-sig", errors="replace").strip("\r\n")
    return [c.strip() for c in next(csv.reader([text]))]


def read_csv_arrow(source: pa.Buffer | io.IOBase, label: str, columns: list[str]) -> pa.Table:
    """Read ``columns`` of a CSV as strings ("" = missing), with the file named in errors."""
    convert = pcsv.ConvertOptions(
        include_columns=columns,
        column_types={c: pa.string() for c in columns},
        null_values=[""],
        strings_can_be_null=True,
    )
    try:
        return pcsv.read_csv(
            source, read_options=pcsv.ReadOptions(block_size=1 << 24), convert_options=convert
        )
    except pa.ArrowException as exc:
        raise InvalidValueError(label, f"not a readable CSV ({exc})") from exc


def districts_array(districts: Iterable[str] | None) -> pa.Array | None:
    if districts is None:
        return None
    if isinstance(districts, str):
        districts = [districts]
    codes = sorted({str(d).strip().upper() for d in districts})
    bad = [c for c in codes if not GSS_PATTERN.match(c)]
    if bad or not codes:
        raise ValueError(f"districts must be GSS district codes (e.g. 'E08000025'), got {bad}")
    return pa.array(codes)


def _check_dates(table: pa.Table, column: str, label: str, source_column: str) -> pa.Array:
    """Validate ``YYYYMM`` dates and return them as ``YYYY-MM`` (nulls kept)."""
    values = pc.utf8_trim_whitespace(table[column])
    ok = pc.match_substring_regex(values, r"^[0-9]{4}(0[1-9]|1[0-2])$")
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False)))
    check_rows(
        bad,
        label,
        lambda i: f"{values[i].as_py()!r} is not a date in YYYYMM form",
        column=source_column,
        rows=table["_row"],
    )
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(values, 0, 4), pc.utf8_slice_codeunits(values, 4, 6), "-"
    )


def tidy(
    table: pa.Table,
    label: str,
    report: LoadReport,
    names: dict[str, str],
) -> pd.DataFrame:
    """Turn the filtered Arrow table (internal names + ``_row``) into the tidy frame.

    ``names`` maps internal names back to the source's column names for error messages.
    """
    # postcode: upper case, spaces removed, one space before the inward code
    compact = pc.utf8_upper(pc.replace_substring_regex(table["postcode"], r"\s+", ""))
    outward = pc.utf8_slice_codeunits(compact, 0, -3)
    inward = pc.utf8_slice_codeunits(compact, -3, 1 << 30)
    pcds = pc.binary_join_element_wise(outward, inward, " ")
    shape_ok = pc.fill_null(pc.match_substring_regex(pcds, POSTCODE_SHAPE.pattern), False)
    keep = shape_ok
    report.reject("missing or malformed postcode", int(pc.sum(pc.invert(shape_ok)).as_py() or 0))
    lsoa_ok = pc.is_valid(table["lsoa11"])
    report.reject(
        "no LSOA 2011 code (e.g. non-geographic, or not yet allocated)",
        int(pc.sum(pc.and_(shape_ok, pc.invert(lsoa_ok))).as_py() or 0),
    )
    keep = pc.and_(keep, lsoa_ok)
    table = table.filter(keep)
    pcds = pcds.filter(keep)
    outward = outward.filter(keep)
    inward = inward.filter(keep)
    if table.num_rows == 0:
        raise EmptyFileError(label, "no postcodes with an LSOA 2011 code")
    strict_ok = pc.match_substring_regex(pcds, POSTCODE_PATTERN.pattern)
    report.flag(
        "postcode outside the current format (retired districts such as NPT or W1M)",
        int(pc.sum(pc.invert(strict_ok)).as_py() or 0),
    )
    if pc.count_distinct(pcds).as_py() < len(pcds):
        dup = pd.Series(pcds.to_numpy(zero_copy_only=False)).duplicated(keep="first").to_numpy()
        report.reject("duplicate postcode (first row kept)", int(dup.sum()))
        keep2 = pa.array(~dup)
        table, pcds = table.filter(keep2), pcds.filter(keep2)
        outward, inward = outward.filter(keep2), inward.filter(keep2)

    district = table["district"]
    dist_ok = pc.fill_null(pc.match_substring_regex(district, GSS_PATTERN.pattern), True)
    check_rows(
        pc.invert(dist_ok),
        label,
        lambda i: f"{district[i].as_py()!r} is not a GSS district code",
        column=names["district"],
        rows=table["_row"],
    )
    usertype = pc.utf8_trim_whitespace(table["usertype"])
    ut_ok = pc.fill_null(pc.is_in(usertype, pa.array(["0", "1"])), True)
    check_rows(
        pc.invert(ut_ok),
        label,
        lambda i: f"{usertype[i].as_py()!r} is not a user type (0 small, 1 large)",
        column=names["usertype"],
        rows=table["_row"],
    )
    introduced = _check_dates(table, "dointr", label, names["dointr"])
    terminated = _check_dates(table, "doterm", label, names["doterm"])
    status = pc.if_else(pc.is_valid(terminated), "terminated", "live")

    east = pc.cast(table["easting"], pa.float64())
    north = pc.cast(table["northing"], pa.float64())
    quality = table["positional_quality"]
    no_xy = pc.or_(
        pc.or_(pc.is_null(east), pc.is_null(north)),
        pc.fill_null(pc.equal(quality, _NO_COORDINATES_QUALITY), False),
    )
    zero = pc.fill_null(pc.and_(pc.equal(east, 0.0), pc.equal(north, 0.0)), False)
    no_xy = pc.or_(no_xy, zero)
    east = pc.if_else(no_xy, pa.scalar(None, pa.float64()), east)
    north = pc.if_else(no_xy, pa.scalar(None, pa.float64()), north)

    n_term = int(pc.sum(pc.is_valid(terminated)).as_py() or 0)
    no_xy_np = no_xy.to_numpy(zero_copy_only=False)
    live_np = pc.is_null(terminated).to_numpy(zero_copy_only=False)
    report.flag(
        "terminated postcode without coordinates",
        int((no_xy_np & ~live_np).sum()),
    )
    report.flag(
        "live postcode without coordinates (not in Code-Point Open, or quality 90)",
        int((no_xy_np & live_np).sum()),
    )
    report.notes.append(
        f"{table.num_rows} postcodes kept: {table.num_rows - n_term} live, {n_term} terminated; "
        f"{int(no_xy_np.sum())} without coordinates"
    )

    out = pa.table(
        {
            "postcode": pcds,
            "pcd7": pc.binary_join_element_wise(pc.utf8_rpad(outward, 4, " "), inward, ""),
            "status": status,
            "date_introduced": introduced,
            "date_terminated": terminated,
            "usertype": pc.cast(usertype, pa.int8()),
            "oa11_code": table["oa11"],
            "lsoa11_code": table["lsoa11"],
            "msoa11_code": table["msoa11"],
            "district_code": district,
            "easting": east,
            "northing": north,
            "positional_quality": pc.cast(quality, pa.int16()),
        }
    )
    for extra, name in (("lsoa21", "lsoa21_code_onspd"),):
        if extra in table.column_names:
            out = out.append_column(name, table[extra])
    frame = out.to_pandas(
        types_mapper={pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype()}.get,
        split_blocks=True,
        self_destruct=True,
    )
    report.rows_kept = len(frame)
    return frame


def filter_districts(
    table: pa.Table, districts: pa.Array | None, report: LoadReport, total: int
) -> pa.Table:
    if districts is None:
        return table
    mask = pc.fill_null(pc.is_in(table["district"], value_set=districts), False)
    kept = table.filter(mask)
    found = set(pc.unique(kept["district"]).to_pylist())
    absent = [d for d in districts.to_pylist() if d not in found]
    report.notes.append(
        f"district filter {districts.to_pylist()}: {kept.num_rows} of {total} rows in the file"
    )
    if absent:
        report.notes.append(f"no postcodes for requested district(s) {absent}")
    return kept


def with_rows(table: pa.Table, start: int = 1) -> pa.Table:
    return table.append_column("_row", pa.array(np.arange(start, start + table.num_rows)))
