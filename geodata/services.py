"""A VRU's own service directory: the services it commissions, as asset points.

The open sources say where places of worship, libraries and schools are; only the VRU knows
which youth clubs, mentoring schemes, safe routes to school and holiday activities it funds.
:func:`read_service_directory` reads that list from a CSV the VRU keeps (schema and example:
docs/service-directory.md), places each service by its postcode (through the region's postcode
table, the one every other source uses) or its own coordinates, and checks every row.

Bad rows are collected, not stopped at: with ``on_error="fail"`` (the default) the load fails
with :class:`ServiceDirectoryError`, which lists every bad row by line and column; with
``on_error="skip"`` the good rows load and each skipped row is a warning in the load report
(printed by ``sna data prepare`` and kept in the store manifest).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ._asset_frame import ASSET_COLUMNS, DETAIL_COLUMNS, SOURCE_SERVICE_DIRECTORY, asset_points
from ._io import BNG, read_csv
from .errors import InvalidValueError, MissingColumnsError
from .postcode_format import InvalidPostcodeError, normalise_postcode
from .report import Loaded, LoadReport

__all__ = [
    "SERVICE_TYPES",
    "SERVICE_COLUMNS",
    "LOCATION_COLUMNS",
    "RowProblem",
    "ServiceDirectoryError",
    "parse_ages",
    "read_service_directory",
]

PathLike_ = str | PathLike[str]

#: The controlled ``type`` vocabulary, with the words the map and answers use for each.
SERVICE_TYPES: dict[str, str] = {
    "youth_club": "Youth club",
    "mentoring": "Mentoring",
    "safe_routes": "Safe routes to school",
    "holiday_activities": "Holiday activities",
    "sport": "Sport",
    "family_support": "Family support",
    "other": "Other service",
}
#: Columns every directory has (values may be blank except ``name`` and ``type``).
SERVICE_COLUMNS = ["name", "type", "ages", "website", "phone", "opening_times"]
#: Where a service is: a postcode, or easting/northing (EPSG:27700), or latitude/longitude.
LOCATION_COLUMNS = ["postcode", "easting", "northing", "latitude", "longitude"]
_ALLOWED = SERVICE_COLUMNS + LOCATION_COLUMNS

# Great Britain and Northern Ireland, generously: British National Grid metres, WGS84 degrees
_UK_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
_UK_LONLAT = (-8.7, 49.8, 1.8, 60.9)
_MAX_NAME = 120
_MAX_TEXT = 300
_AGE_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|–|—|to)\s*(\d{1,3})$")
_AGE_FROM = re.compile(r"^(\d{1,3})\s*\+$")
_ALL_AGES = {"all", "all ages", "any", "any age"}
_PHONE_JUNK = re.compile(r"[\s\-().]")
_TO_BNG = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)


@dataclass(frozen=True)
class RowProblem:
    """One bad value: its file line (line 1 is the header), column and what is wrong."""

    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.problem}"


class ServiceDirectoryError(InvalidValueError):
    """A service directory has bad rows; ``problems`` lists every one (first 20 in the text)."""

    def __init__(self, path: PathLike_, problems: list[RowProblem]) -> None:
        self.problems = list(problems)
        lines = sorted({p.line for p in self.problems})
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f"; and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        text = (
            f"{len(lines)} bad row(s) in the service directory: {shown}{more} "
            '(fix them, or set [services] on_error = "skip" to load the other rows)'
        )
        super().__init__(path, text)


def parse_ages(text: str | None) -> str | None:
    """The ages a service is for, in one form: ``"10-18"``, ``"11+"``, ``"all ages"``.

    Blank means not stated (None). Raises ValueError, worded for the user, for anything else.

    >>> parse_ages("10 to 18"), parse_ages("11+"), parse_ages("All"), parse_ages(None)
    ('10-18', '11+', 'all ages', None)
    """
    if text is None or not str(text).strip():
        return None
    t = " ".join(str(text).strip().lower().split())
    if t in _ALL_AGES:
        return "all ages"
    hint = "expected an age range such as '10-18', '11+' or 'all'"
    m = _AGE_RANGE.match(t)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi > 120:
            raise ValueError(f"{text!r}: {hi} is not an age (0-120)")
        if lo > hi:
            raise ValueError(f"{text!r}: the range runs backwards ({lo} is above {hi})")
        return f"{lo}-{hi}"
    m = _AGE_FROM.match(t)
    if m:
        if int(m.group(1)) > 120:
            raise ValueError(f"{text!r}: {m.group(1)} is not an age (0-120)")
        return f"{int(m.group(1))}+"
    raise ValueError(f"{text!r} is not an age range: {hint}")


def _website(text: str) -> str:
    """A web address as given, if it is an http(s) URL with a host name; else ValueError."""
    t = text.strip()
    if any(c.isspace() for c in t):
        raise ValueError(f"{t!r} is not a web address (it contains a space)")
    parts = urlsplit(t)
    if parts.scheme not in ("http", "https"):
        if not parts.scheme and "." in t.split("/")[0]:
            raise ValueError(f"{t!r} is not a web address: start it with https://")
        raise ValueError(f"{t!r} is not a web address (expected https://...)")
    host = parts.hostname or ""
    if "." not in host or host.startswith(".") or host.endswith("."):
        raise ValueError(f"{t!r} is not a web address (no host name such as example.org)")
    return t


def _phone(text: str) -> str:
    """A UK phone number, trimmed: 10 or 11 digits from 0 (or +44 then 9-10 digits)."""
    t = " ".join(text.strip().split())
    digits = _PHONE_JUNK.sub("", t)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    if not (digits.isdigit() and digits.startswith("0") and 10 <= len(digits) <= 11):
        raise ValueError(
            f"{t!r} is not a UK phone number (expected 10 or 11 digits from 0, e.g. "
            "'0121 303 1111', or +44)"
        )
    return t


def _service_type(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key in SERVICE_TYPES:
        return key
    close = difflib.get_close_matches(key, list(SERVICE_TYPES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"{text!r} is not a service type{hint}; use one of {list(SERVICE_TYPES)}")


def _header(path: Path, columns: list[str]) -> dict[str, str]:
    """Map the file's header to the schema's names (case and spacing ignored); refuse the rest."""
    by_key = {}
    for c in columns:
        key = re.sub(r"[\s\-]+", "_", c.strip().lower())
        if key in by_key.values():
            raise MissingColumnsError(path, f"column {key!r} appears twice in the header")
        by_key[c] = key
    unknown = [c for c, k in by_key.items() if k not in _ALLOWED]
    if unknown:
        hints = {c: difflib.get_close_matches(by_key[c], _ALLOWED, n=1) for c in unknown}
        raise MissingColumnsError(
            path,
            f"unknown column(s) {unknown} (closest: {hints}); a service directory has "
            f"{SERVICE_COLUMNS} and a location: postcode, easting/northing or latitude/longitude",
        )
    have = set(by_key.values())
    missing = [c for c in SERVICE_COLUMNS if c not in have]
    if missing:
        raise MissingColumnsError(path, f"missing column(s) {missing}; found {columns}")
    for a, b in (("easting", "northing"), ("latitude", "longitude")):
        if (a in have) != (b in have):
            raise MissingColumnsError(path, f"column {a!r} needs {b!r} beside it (or neither)")
    if not ({"postcode", "easting", "latitude"} & have):
        raise MissingColumnsError(
            path, "no location column: give postcode, easting/northing or latitude/longitude"
        )
    return by_key


def _text(value: object) -> str | None:
    """A cell as trimmed text, None when blank."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return np.nan
    return value if np.isfinite(value) else np.nan


def _postcode_index(postcodes: pd.DataFrame) -> pd.DataFrame:
    need = ["postcode", "easting", "northing"]
    missing = [c for c in need if c not in postcodes.columns]
    if missing:
        raise MissingColumnsError("postcodes table", f"missing column(s) {missing}")
    cols = need + [c for c in ("status", "date_terminated") if c in postcodes.columns]
    table = pd.DataFrame(postcodes[cols]).drop_duplicates("postcode")
    return table.set_index("postcode")


def read_service_directory(
    path: PathLike_,
    postcodes: pd.DataFrame,
    *,
    region: gpd.GeoDataFrame | None = None,
    region_name: str = "the region",
    on_error: Literal["fail", "skip"] = "fail",
) -> Loaded:
    """Read and check a VRU's service directory; return its services as asset points.

    Parameters
    ----------
    path
        CSV (plain or ``.gz``) with :data:`SERVICE_COLUMNS` and a location (a ``postcode``
        column, or ``easting``/``northing`` in EPSG:27700, or ``latitude``/``longitude`` in
        WGS84; a file may have several, and each row uses one). Header names are matched
        ignoring case and spaces; any other column is refused.
    postcodes
        The region's postcode table (``postcode`` in ``pcds`` form, ``easting``,
        ``northing``, optionally ``status`` and ``date_terminated``), as prepared from
        :mod:`geodata.postcodes`: a postcode of another area is not in it.
    region
        The region's polygons (EPSG:27700); a service placed outside them is a bad row.
    region_name
        Named in messages ("outside the West Midlands").
    on_error
        ``"fail"``: any bad row fails the load with :class:`ServiceDirectoryError` listing
        every one. ``"skip"``: bad rows are left out, each one a warning in the report.

    Returns
    -------
    Loaded
        ``data``: :data:`ASSET_COLUMNS`, ``asset_type`` = the service type, ``subtype``
        None, ``source`` ``"service_directory"``, then :data:`DETAIL_COLUMNS` (``ages``
        normalised as by :func:`parse_ages`) and ``postcode``; ``asset_id`` is
        ``service:`` and a hash of name, type and location, so it is stable across loads.

    Raises
    ------
    MissingColumnsError
        A schema column is absent, an unknown column is present, or there is no location.
    ServiceDirectoryError
        With ``on_error="fail"``: bad rows (every one listed, by line and column): a missing
        name or type, a type outside :data:`SERVICE_TYPES`, a malformed, unknown or
        terminated postcode, coordinates that are not numbers, outside the UK or outside the
        region, no location or two sets of coordinates, bad ages, a web address or phone
        number that is not one, or a row repeating an earlier one.
    """
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    path = Path(path)
    report = LoadReport(source=str(path))
    frame = read_csv(path, dtype=str)
    frame = frame.rename(columns=_header(path, list(frame.columns)))
    cells = {  # plain lists: a pandas string column would turn None back into NaN
        col: [_text(v) for v in frame[col].tolist()]
        if col in frame.columns
        else [None] * len(frame)
        for col in _ALLOWED
    }
    report.rows_read = len(frame)
    pcs = _postcode_index(postcodes)
    tree = None
    if region is not None and len(region):
        tree = shapely.STRtree(np.asarray(region.to_crs(BNG).geometry.to_numpy()))

    problems: list[RowProblem] = []
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for i in range(len(frame)):
        rec = {col: cells[col][i] for col in _ALLOWED}
        line = i + 2
        bad: list[RowProblem] = []

        def fault(column: str, text: str, line: int = line, bad: list = bad) -> None:
            bad.append(RowProblem(line, column, text))

        name = rec["name"]
        if name is None:
            fault("name", "no name")
        elif len(name) > _MAX_NAME:
            fault("name", f"longer than {_MAX_NAME} characters ({len(name)})")
        kind = None
        if rec["type"] is None:
            fault("type", f"no type; use one of {list(SERVICE_TYPES)}")
        else:
            try:
                kind = _service_type(rec["type"])
            except ValueError as exc:
                fault("type", str(exc))
        details: dict[str, str | None] = {}
        for col, check in (("ages", parse_ages), ("website", _website), ("phone", _phone)):
            try:
                details[col] = check(rec[col]) if rec[col] is not None else None
            except ValueError as exc:
                fault(col, str(exc))
        times = rec["opening_times"]
        if times is not None and len(times) > _MAX_TEXT:
            fault("opening_times", f"longer than {_MAX_TEXT} characters ({len(times)})")
        details["opening_times"] = times

        # --- where: coordinates when given, else the postcode
        xy: tuple[float, float] | None = None
        postcode = None
        if rec["postcode"] is not None:
            try:
                postcode = normalise_postcode(rec["postcode"])
            except InvalidPostcodeError as exc:
                fault("postcode", str(exc))
            else:
                if postcode not in pcs.index:
                    fault("postcode", f"{postcode} is not a postcode of {region_name}")
                    postcode = None
                elif "status" in pcs.columns and pcs.at[postcode, "status"] == "terminated":
                    when = pcs.at[postcode, "date_terminated"] if "date_terminated" in pcs else None
                    when = when if isinstance(when, str) else ""
                    fault(
                        "postcode",
                        f"{postcode} was terminated{f' in {when}' if when else ''}; "
                        "give its current postcode or the coordinates",
                    )
                    postcode = None
        pairs = {"easting": ("easting", "northing"), "latitude": ("latitude", "longitude")}
        given = [k for k, (a, b) in pairs.items() if rec[a] is not None or rec[b] is not None]
        if len(given) == 2:
            fault("easting", "two locations: give easting/northing or latitude/longitude, not both")
        elif given:
            a, b = pairs[given[0]]
            va, vb = _number(rec[a]), _number(rec[b])
            if va is None or vb is None:
                missing = b if vb is None else a
                fault(missing, f"{a} and {b} go together; {missing} is blank")
            elif np.isnan(va) or np.isnan(vb):
                col = a if np.isnan(va) else b
                fault(col, f"{rec[col]!r} is not a number")
            elif a == "easting":
                if not (_UK_BNG[0] < va < _UK_BNG[2] and _UK_BNG[1] < vb < _UK_BNG[3]):
                    fault(a, f"{va:g}, {vb:g} is outside the UK (British National Grid metres)")
                else:
                    xy = (va, vb)
            else:  # latitude, longitude
                lat, lon = va, vb
                if not (
                    _UK_LONLAT[0] < lon < _UK_LONLAT[2] and _UK_LONLAT[1] < lat < _UK_LONLAT[3]
                ):
                    swapped = (
                        _UK_LONLAT[0] < lat < _UK_LONLAT[2] and _UK_LONLAT[1] < lon < _UK_LONLAT[3]
                    )
                    hint = " (latitude and longitude swapped?)" if swapped else ""
                    fault(a, f"{lat:g}, {lon:g} is outside the UK{hint}")
                else:
                    e, n = _TO_BNG.transform(lon, lat)
                    xy = (float(e), float(n))
        elif postcode is not None:
            e, n = pcs.at[postcode, "easting"], pcs.at[postcode, "northing"]
            if np.isfinite(e) and np.isfinite(n):
                xy = (float(e), float(n))
            else:
                fault("postcode", f"{postcode} has no grid reference; give the coordinates")
        elif rec["postcode"] is None:
            fault(
                "postcode", "no location: give a postcode, easting/northing or latitude/longitude"
            )
        if xy is not None and tree is not None:
            if not len(tree.query(shapely.Point(*xy), predicate="within")):
                col = given[0] if given else "postcode"
                fault(col, f"{xy[0]:.0f}, {xy[1]:.0f} (EPSG:27700) is outside {region_name}")
                xy = None

        if not bad and xy is not None:
            key = (str(name).lower(), kind, round(xy[0]), round(xy[1]))
            if key in seen:
                fault("name", f"repeats line {seen[key]} (same name, type and location)")
            else:
                seen[key] = line
        if bad:
            problems.extend(bad)
            continue
        rows.append(
            {
                "name": name,
                "asset_type": kind,
                "postcode": postcode,
                "easting": xy[0],
                "northing": xy[1],
                **details,
            }
        )

    if problems and on_error == "fail":
        raise ServiceDirectoryError(path, problems)
    for p in problems:
        report.warn(f"{path.name}: {p} (row skipped)")
    report.reject("bad row (skipped; see warnings)", len({p.line for p in problems}))
    out = pd.DataFrame(
        rows, columns=["name", "asset_type", "postcode", "easting", "northing"] + DETAIL_COLUMNS
    )
    ident = (
        out["name"].str.lower()
        + "|"
        + out["asset_type"]
        + "|"
        + out["easting"].round().astype("int64").astype(str)
        + "|"
        + out["northing"].round().astype("int64").astype(str)
    )
    out.insert(
        0, "asset_id", ident.map(lambda s: "service:" + hashlib.sha1(s.encode()).hexdigest()[:12])
    )
    out["subtype"] = None
    out["source"] = SOURCE_SERVICE_DIRECTORY
    gdf = asset_points(out.pop("easting").to_numpy(), out.pop("northing").to_numpy(), out)
    gdf = gdf[ASSET_COLUMNS + DETAIL_COLUMNS + ["postcode"]]
    gdf = gdf.sort_values("asset_id", ignore_index=True)
    report.rows_kept = len(gdf)
    report.notes.append(
        "the VRU's own service directory; placed at the coordinates given, else the postcode"
    )
    return Loaded(gdf, report)
