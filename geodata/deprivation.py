"""English Indices of Deprivation: IoD2025 (LSOA 2021) and IoD2019 (LSOA 2011).

Each loader turns the published tables into one wide table per LSOA with snake_case names
that are the same for both releases (``imd_rank``, ``income_decile``, ``crime_score``,
``housing_and_services_rank`` ...). The IoD convention is kept as published: scores rise with
deprivation, while rank 1 and decile 1 are the *most* deprived; :func:`iod_column_catalogue`
records the direction of every main column so the scoring layer never has to guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_rows
from ._io import check_codes, read_csv
from .errors import InvalidValueError, MissingColumnsError
from .report import Loaded, LoadReport

__all__ = [
    "DOMAINS",
    "CRIME_RATE_COLUMNS",
    "SUBDOMAINS",
    "ENGLAND_LSOA11",
    "ENGLAND_LSOA21",
    "read_iod2025",
    "read_iod2019",
    "iod_column_catalogue",
]

PathLike_ = str | PathLike[str]

#: Number of LSOAs in England ranked by IoD2019 (2011 LSOAs) and IoD2025 (2021 LSOAs).
ENGLAND_LSOA11 = 32_844
ENGLAND_LSOA21 = 33_755

#: Output key of each index/domain → its official title.
DOMAINS: dict[str, str] = {
    "imd": "Index of Multiple Deprivation (IMD)",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing_and_services": "Barriers to Housing and Services",
    "environment": "Living Environment",
}

#: Sub-domain key → official title (both releases).
SUBDOMAINS: dict[str, str] = {
    "children_and_young_people": "Children and Young People (Education sub-domain)",
    "adult_skills": "Adult Skills (Education sub-domain)",
    "geographical_barriers": "Geographical Barriers (Barriers sub-domain)",
    "wider_barriers": "Wider Barriers (Barriers sub-domain)",
    "indoors": "Indoors Living Environment (Living Environment sub-domain)",
    "outdoors": "Outdoors Living Environment (Living Environment sub-domain)",
}

#: IoD2025 indicators file: police recorded crime rates, source column → short name.
CRIME_RATE_COLUMNS: dict[str, str] = {
    "violence_with_injury_rate_per_1_000_at_risk_population": "crime_violence_with_injury_rate",
    "violence_without_injury_rate_per_1_000_at_risk_population": (
        "crime_violence_without_injury_rate"
    ),
    "stalking_and_harassment_rate_per_1_000_at_risk_population": ("crime_stalking_harassment_rate"),
    "burglary_rate_per_1_000_at_risk_properties": "crime_burglary_rate",
    "theft_rate_per_1_000_at_risk_population": "crime_theft_rate",
    "criminal_damage_rate_per_1_000_at_risk_population": "crime_criminal_damage_rate",
    "public_order_and_possession_of_weapons_rate_per_1_000_at_risk_population": (
        "crime_public_order_weapons_rate"
    ),
    "anti_social_behaviour_rate_per_1_000_at_risk_population": "crime_asb_rate",
}

_CRIME_TITLES = {
    "crime_violence_with_injury_rate": "Violence with injury",
    "crime_violence_without_injury_rate": "Violence without injury",
    "crime_stalking_harassment_rate": "Stalking and harassment",
    "crime_burglary_rate": "Burglary",
    "crime_theft_rate": "Theft",
    "crime_criminal_damage_rate": "Criminal damage",
    "crime_public_order_weapons_rate": "Public order and possession of weapons",
    "crime_asb_rate": "Anti-social behaviour",
}

# Domain prefixes of the snake_case exports (R package ``IMD``) → output keys.
_SNAKE_DOMAINS = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Services": "housing_and_services",  # IoD2025
    "Housing_and_Access": "housing_and_services",  # IoD2019 export's name for the same
    "Environment": "environment",
}
_SNAKE_SUBDOMAINS = {
    **{k.capitalize(): k for k in SUBDOMAINS},
    "Education": "education",
    "Housing_and_Access": "housing_and_services",
    "Environment": "environment",
}

# Official IoD2019 File 1/2 headers: "<title> Rank|Decile|Score [(where 1 is most ...)]".
_OFFICIAL_MEASURE = re.compile(r"^(?P<title>.+?) (?P<kind>Rank|Decile|Score)(?: \(where .*\))?$")
_OFFICIAL_TITLES = {v: k for k, v in DOMAINS.items()}
_OFFICIAL_IDS = {
    "LSOA code (2011)": "lsoa11_code",
    "LSOA name (2011)": "lsoa11_name",
    "Local Authority District code (2019)": "lad19_code",
    "Local Authority District name (2019)": "lad19_name",
}
_FILE6 = {
    "Total population: mid 2015 (excluding prisoners)": "pop_total_2015",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "pop_0_15_2015",
    "Population aged 16-59: mid 2015 (excluding prisoners)": "pop_16_59_2015",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)": "pop_60_plus_2015",
    "Working age population 18-59/64: for use with Employment Deprivation Domain "
    "(excluding prisoners)": "pop_working_age_2015",
}

_LSOA21 = re.compile(r"^E01\d{6}$")
_LSOA11 = re.compile(r"^E01\d{6}$")
_TEXT = {"lsoa21_code", "lsoa11_code", "lsoa11_name", "lad19_code", "lad19_name"}


# --- small helpers -------------------------------------------------------------------------


def _snake(name: str) -> str:
    """``"Income Rank (x)"`` → ``"income_rank_x"``: lower case, runs of other chars → ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _numeric(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> pd.DataFrame:
    """Convert text columns to numbers, accepting thousands separators ("29,199").

    Empty cells become NaN; anything else that is not a number raises
    :class:`InvalidValueError` naming the first bad row and the column.
    """
    out = frame.copy()
    for col in columns:
        if pd.api.types.is_numeric_dtype(out[col]):  # parsed as numbers by the CSV reader
            out[col] = out[col].astype("float64")
            continue
        fast = pd.to_numeric(out[col], errors="coerce")
        if (fast.notna() | out[col].isna()).all():  # clean column: no string work needed
            out[col] = fast.astype("float64")
            continue
        text = out[col].astype("str").str.strip()
        text = text.where(out[col].notna())
        cleaned = text.str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce")
        bad = (text.notna() & values.isna()).to_numpy()
        check_rows(
            bad, path, lambda row, text=text: f"{text.iloc[row]!r} is not a number", column=col
        )
        out[col] = values.astype("float64")
    return out


def _read(path: Path, required: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV letting the parser type numeric columns (much faster than text → number).

    Columns holding anything else ("29,199", "n/a") stay text and go through
    :func:`_numeric`, which names the offending row.
    """
    return read_csv(path, required=required, dtype=None)


def _isin(values: pd.Series, others: pd.Series) -> np.ndarray:
    """Fast ``values.isin(others)`` for string keys (Arrow-backed ``isin`` is slow)."""
    return pd.Index(pd.unique(others.to_numpy())).get_indexer(values.to_numpy()) >= 0


def _check_key(frame: pd.DataFrame, path: Path, column: str, pattern: re.Pattern[str]) -> None:
    """LSOA codes must be valid and unique."""
    codes = frame[column]
    frame[column] = codes.where(codes.isna(), codes.astype("str").str.strip())
    check_codes(frame[column], path, column, pattern=pattern)
    dup = frame[column].duplicated().to_numpy()
    check_rows(
        dup,
        path,
        lambda row: f"LSOA {frame[column].iloc[row]!r} appears more than once",
        column=column,
    )


def _check_measures(
    frame: pd.DataFrame, path: Path, src: dict[str, str], n_ranked: int, *, complete: bool
) -> None:
    """Check ranks, deciles and their direction for every ``<key>_rank`` column.

    * ranks are whole numbers in ``1..n_ranked`` (the number of LSOAs in England);
    * deciles are whole numbers in ``1..10`` and never fall as the rank rises;
    * where a score exists, rank 1 must go with the highest score (negative correlation),
      so a file ranked the other way round is refused rather than silently inverted.

    ``src`` maps output names to the file's own column names, for messages.
    """
    for col in [c for c in frame.columns if c.endswith(("_rank", "_decile"))]:
        values = frame[col]
        name = src.get(col, col)
        missing = values.isna().to_numpy()
        if complete:
            check_rows(missing, path, "missing value", column=name)
        hi = n_ranked if col.endswith("_rank") else 10
        bad = (~missing) & ((values % 1 != 0) | (values < 1) | (values > hi)).to_numpy()
        check_rows(
            bad,
            path,
            lambda row, v=values, hi=hi: f"{v.iloc[row]:g} is not a whole number in 1..{hi:,}",
            column=name,
        )
    for rank in [c for c in frame.columns if c.endswith("_rank")]:
        key = rank[: -len("_rank")]
        decile, score = f"{key}_decile", f"{key}_score"
        if decile in frame.columns:
            pair = frame[[rank, decile]].dropna()
            r, d = pair[rank].to_numpy(), pair[decile].to_numpy()
            order = np.lexsort((d, r))
            falls = np.r_[False, np.diff(d[order]) < 0]  # at the row after the fall
            check_rows(
                falls,
                path,
                f"decile falls while rank rises ({src.get(rank, rank)!r}); ranks and "
                "deciles must both count from 1 = most deprived",
                column=src.get(decile, decile),
                rows=pair.index.to_numpy()[order] + 1,
            )
        if score in frame.columns:
            pair = frame[[rank, score]].dropna()
            if len(pair) >= 3 and pair[rank].nunique() > 1 and pair[score].nunique() > 1:
                r = pair[rank].to_numpy(dtype="float64")
                rho = float(np.corrcoef(r, pair[score].to_numpy(dtype="float64"))[0, 1])
                if rho > 0:
                    raise InvalidValueError(
                        path,
                        f"ranks rise with scores (correlation {rho:.2f}); the IoD ranks 1 = "
                        "most deprived = highest score",
                        column=src.get(rank, rank),
                    )


def _finish_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Ranks and deciles as int64 when complete (float64 with NaN otherwise)."""
    for col in frame.columns:
        if col.endswith(("_rank", "_decile")) or (col.startswith("pop_")):
            if frame[col].notna().all():
                frame[col] = frame[col].astype("int64")
    return frame


def _merge_parts(
    parts: list[tuple[pd.DataFrame, Path]], key: str, report: LoadReport, *, base_first: bool
) -> pd.DataFrame:
    """Join the per-file tables on ``key``; a column in two files must agree.

    With ``base_first`` the first table sets the LSOAs (rows of other files not in it are
    counted as rejected); otherwise the union of LSOAs is kept. LSOAs missing from a file
    are kept with NaN and counted in ``report.flagged``.
    """
    merged, first_path = parts[0]
    origin = {c: first_path for c in merged.columns}
    for frame, path in parts[1:]:
        if base_first:
            extra = ~_isin(frame[key], merged[key])
            report.reject(f"LSOA not in {Path(first_path).name}", int(extra.sum()))
            frame = frame[~extra]
        shared = [c for c in frame.columns if c in merged.columns and c != key]
        if shared:
            both = merged[[key, *shared]].merge(frame[[key, *shared]], on=key, how="inner")
            for col in shared:
                a, b = both[f"{col}_x"], both[f"{col}_y"]
                if pd.api.types.is_numeric_dtype(a):
                    differ = a.notna() & b.notna() & ~np.isclose(a, b, rtol=0, atol=1e-9)
                else:
                    differ = a.notna() & b.notna() & (a != b)
                differ = differ.to_numpy()
                if differ.any():
                    i = int(np.flatnonzero(differ)[0])
                    raise InvalidValueError(
                        path,
                        f"disagrees with {Path(origin[col]).name} for LSOA "
                        f"{both[key].iloc[i]}: {b.iloc[i]!r} here, {a.iloc[i]!r} there",
                        column=col,
                    )
            fill = frame[[key, *shared]].set_index(key)
            merged = merged.set_index(key)
            merged = merged.combine_first(fill)[merged.columns.tolist()].reset_index()
            frame = frame.drop(columns=shared)
        merged = merged.merge(frame, on=key, how="left" if base_first else "outer")
        origin.update({c: path for c in frame.columns if c not in origin})
    for frame, path in parts:
        missing = ~_isin(merged[key], frame[key])
        report.flag(f"LSOA missing from {Path(path).name}", int(missing.sum()))
    return merged.sort_values(key, ignore_index=True)


# --- IoD2025 -------------------------------------------------------------------------------


def _read_scores_2025(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The IoD2025 scores/ranks/deciles file → ``imd_score, imd_rank, imd_decile, ...``."""
    mapping = {"lsoa21_code": "lsoa21_code"}
    for prefix, key in _SNAKE_DOMAINS.items():
        if key == "housing_and_services" and prefix != "Housing_and_Services":
            continue
        for kind in ("score", "rank", "decile"):
            mapping[f"{prefix}_{kind}"] = f"{key}_{kind}"
    frame = _read(path, required=list(mapping))
    return _rename_numeric(frame, mapping, path, "lsoa21_code", _LSOA21)


def _rename_numeric(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    path: Path,
    key: str,
    pattern: re.Pattern[str],
    *,
    keep_others: bool = False,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Select/rename columns, check the LSOA key, convert the rest to numbers.

    Returns the frame and the map output name → source column (for messages).
    """
    if keep_others:
        mapping = {c: mapping.get(c, _snake(c)) for c in frame.columns}
    clash = pd.Series(list(mapping.values()))
    clash = clash[clash.duplicated()]
    if len(clash):
        raise InvalidValueError(path, f"two columns map to the name {clash.iloc[0]!r}")
    frame = frame[list(mapping)].copy()
    src_key = next(s for s, o in mapping.items() if o == key)
    _check_key(frame, path, src_key, pattern)
    numeric = [s for s, o in mapping.items() if o not in _TEXT]
    frame = _numeric(frame, numeric, path).rename(columns=mapping)
    return frame, {o: s for s, o in mapping.items()}


def read_iod2025(
    scores_path: PathLike_,
    indicators_path: PathLike_ | None = None,
    subdomains_path: PathLike_ | None = None,
) -> Loaded:
    """Read the English Indices of Deprivation 2025 into one wide LSOA21 table.

    Parameters
    ----------
    scores_path
        Scores, ranks and deciles of the IMD and its seven domains (``lsoa21_code,
        IMD_score, IMD_rank, IMD_decile, Income_score, ...``).
    indicators_path
        Optional indicators file. Every indicator is kept (snake_case); the police recorded
        crime rates per 1,000 at-risk population (properties for burglary) get short names,
        see :data:`CRIME_RATE_COLUMNS` (``crime_violence_with_injury_rate`` ...).
    subdomains_path
        Optional sub-domains file (``children_and_young_people_score`` ...).

    Returns
    -------
    Loaded
        ``data``: one row per LSOA21 of the scores file with ``lsoa21_code``, then
        ``<domain>_score``, ``<domain>_rank``, ``<domain>_decile`` for each key of
        :data:`DOMAINS`, then the indicators and sub-domains. Scores rise with deprivation;
        rank 1 and decile 1 are the most deprived (:func:`iod_column_catalogue`).

    Raises
    ------
    MissingColumnsError
        A required column is absent (the 24 scores/ranks/deciles; the eight crime rates;
        the 18 sub-domain columns).
    InvalidValueError
        A bad or duplicate LSOA code; a value that is not a number (row and column named);
        a rank outside ``1..33,755`` or a decile outside ``1..10``; ranks that run the wrong
        way; a negative crime rate.
    """
    scores_path = Path(scores_path)
    report = LoadReport(source=str(scores_path))
    scores, src = _read_scores_2025(scores_path)
    _check_measures(scores, scores_path, src, ENGLAND_LSOA21, complete=True)
    report.rows_read = len(scores)
    parts = [(scores, scores_path)]
    if indicators_path is not None:
        path = Path(indicators_path)
        frame = _read(path, required=["lsoa21_code", *CRIME_RATE_COLUMNS])
        mapping = {"lsoa21_code": "lsoa21_code", **CRIME_RATE_COLUMNS}
        frame, isrc = _rename_numeric(
            frame, mapping, path, "lsoa21_code", _LSOA21, keep_others=True
        )
        for col in CRIME_RATE_COLUMNS.values():
            neg = (frame[col] < 0).to_numpy()
            check_rows(neg, path, "a crime rate cannot be negative", column=isrc[col])
        parts.append((frame, path))
        report.notes.append(f"indicators from {path.name}")
    if subdomains_path is not None:
        path = Path(subdomains_path)
        mapping = {"lsoa21_code": "lsoa21_code"}
        for key in SUBDOMAINS:
            for kind in ("score", "rank", "decile"):
                mapping[f"{key}_{kind}"] = f"{key}_{kind}"
        frame = _read(path, required=list(mapping))
        frame, ssrc = _rename_numeric(
            frame, mapping, path, "lsoa21_code", _LSOA21, keep_others=True
        )
        _check_measures(frame, path, ssrc, ENGLAND_LSOA21, complete=True)
        parts.append((frame, path))
        report.notes.append(f"sub-domains from {path.name}")
    data = _finish_types(_merge_parts(parts, "lsoa21_code", report, base_first=True))
    report.rows_kept = len(data)
    return Loaded(data, report)


# --- IoD2019 -------------------------------------------------------------------------------


def _official_mapping(columns: list[str]) -> dict[str, str]:
    """Map the long headers of the published IoD2019 files to output names."""
    mapping: dict[str, str] = {}
    for col in columns:
        norm = re.sub(r"\s+", " ", col.strip())
        if norm in _OFFICIAL_IDS:
            mapping[col] = _OFFICIAL_IDS[norm]
        elif norm in _FILE6:
            mapping[col] = _FILE6[norm]
        elif (m := _OFFICIAL_MEASURE.match(norm)) and m["title"] in _OFFICIAL_TITLES:
            mapping[col] = f"{_OFFICIAL_TITLES[m['title']]}_{m['kind'].lower()}"
        else:
            mapping[col] = _snake(norm)
    return mapping


def _read_official(
    path: Path, required: list[str], example: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read one of the published IoD2019 Files (1, 2, 6) and check its output columns."""
    frame = _read(path)
    mapping = _official_mapping(list(frame.columns))
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise MissingColumnsError(
            path,
            f"missing column(s) for {missing} (official headers such as {example!r}); "
            f"found {list(frame.columns)[:12]}",
        )
    return _rename_numeric(frame, mapping, path, "lsoa11_code", _LSOA11)


def _snake_domain_mapping(columns: list[str], table: dict[str, str]) -> dict[str, str]:
    """``Income_rank`` → ``income_rank`` (and ``Housing_and_Access`` → ``housing_and_services``)."""
    mapping = {}
    for col in columns:
        m = re.match(r"^(?P<prefix>.+)_(?P<kind>rank|decile|score)$", col)
        if m and m["prefix"] in table:
            mapping[col] = f"{table[m['prefix']]}_{m['kind']}"
    return mapping


def read_iod2019(
    file1: PathLike_ | None = None,
    file2: PathLike_ | None = None,
    file6: PathLike_ | None = None,
    ranks: PathLike_ | None = None,
    indicators: PathLike_ | None = None,
    subdomains: PathLike_ | None = None,
) -> Loaded:
    """Read the English Indices of Deprivation 2019 (2011 LSOAs) into one wide table.

    Any combination of the files may be given; they are joined on ``lsoa11_code`` (union of
    LSOAs) and a column found in several files must hold the same values in each.

    Parameters
    ----------
    file1
        Published File 1 (``LSOA code (2011)``, ``Index of Multiple Deprivation (IMD) Rank``,
        ``... Decile``; ranks may carry thousands separators such as ``"29,199"``).
    file2
        Published File 2: ranks and deciles of the IMD and its seven domains.
    file6
        Published File 6: mid-2015 population denominators → ``pop_total_2015``,
        ``pop_0_15_2015``, ``pop_16_59_2015``, ``pop_60_plus_2015``, ``pop_working_age_2015``.
    ranks
        snake_case export of the ranks and deciles (``IMD_rank``, ``Housing_and_Access_rank``).
    indicators
        snake_case indicators export (kept as they are; no crime indicators in IoD2019).
    subdomains
        snake_case sub-domain ranks and deciles (``Children_and_young_people_rank`` ...).

    Returns
    -------
    Loaded
        ``data``: ``lsoa11_code`` (plus ``lsoa11_name``, ``lad19_code``, ``lad19_name`` from
        the published files), ``<domain>_rank``/``<domain>_decile`` for each key of
        :data:`DOMAINS`, population, indicators and sub-domains. Rank 1 and decile 1 are the
        most deprived, as published. IoD2019's "Barriers to Housing and Services" is named
        ``housing_and_services`` (the export calls it ``Housing_and_Access``).

    Raises
    ------
    MissingColumnsError
        A file lacks the columns that make it what it claims to be.
    InvalidValueError
        No file given; a bad or duplicate LSOA code; a value that is not a number; a rank
        outside ``1..32,844`` or decile outside ``1..10``; two files that disagree.
    """
    domain_rd = [f"{k}_{kind}" for k in DOMAINS for kind in ("rank", "decile")]
    parts: list[tuple[pd.DataFrame, Path]] = []
    sources: list[Path] = []

    def add(frame: pd.DataFrame, src: dict[str, str], path: Path) -> None:
        _check_measures(frame, path, src, ENGLAND_LSOA11, complete=True)
        parts.append((frame, path))
        sources.append(path)

    if file1 is not None:
        p = Path(file1)
        add(*_read_official(p, ["lsoa11_code", "imd_rank", "imd_decile"], "LSOA code (2011)"), p)
    if file2 is not None:
        p = Path(file2)
        add(
            *_read_official(
                p, ["lsoa11_code", *domain_rd], "Income Rank (where 1 is most deprived)"
            ),
            p,
        )
    if file6 is not None:
        p = Path(file6)
        frame, src = _read_official(p, ["lsoa11_code", *_FILE6.values()], next(iter(_FILE6)))
        pops = list(_FILE6.values())
        for col in pops:
            values = frame[col]
            bad = (values.isna() | (values < 0) | (values % 1 != 0)).to_numpy()
            check_rows(bad, p, "population must be a whole number >= 0", column=src[col])
        add(frame, src, p)
    if ranks is not None:
        p = Path(ranks)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        mapping.update(_snake_domain_mapping(list(frame.columns), _SNAKE_DOMAINS))
        missing = [c for c in domain_rd if c not in mapping.values()]
        if missing:
            raise MissingColumnsError(
                p,
                f"missing column(s) for {missing} (e.g. 'IMD_rank', 'Housing_and_Access_"
                f"decile'); found {list(frame.columns)[:20]}",
            )
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if indicators is not None:
        p = Path(indicators)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if subdomains is not None:
        p = Path(subdomains)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        mapping.update(_snake_domain_mapping(list(frame.columns), _SNAKE_SUBDOMAINS))
        wanted = [f"{k}_{kind}" for k in SUBDOMAINS for kind in ("rank", "decile")]
        missing = [c for c in wanted if c not in mapping.values()]
        if missing:
            raise MissingColumnsError(
                p,
                f"missing column(s) for {missing} (e.g. 'Children_and_young_people_rank'); "
                f"found {list(frame.columns)[:20]}",
            )
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if not parts:
        raise InvalidValueError("IoD2019", "no IoD2019 file given")
    report = LoadReport(source=", ".join(str(s) for s in sources))
    report.rows_read = sum(len(f) for f, _ in parts)
    data = _finish_types(_merge_parts(parts, "lsoa11_code", report, base_first=False))
    order = [c for c in ("lsoa11_code", "lsoa11_name", "lad19_code", "lad19_name") if c in data]
    data = data[order + [c for c in data.columns if c not in order]]
    report.rows_kept = len(data)
    report.notes.append("rank 1 and decile 1 = most deprived (as published)")
    return Loaded(data, report)


# --- catalogue -----------------------------------------------------------------------------

_MORE = "higher = more deprived"
_LESS = "higher = less deprived"


def iod_column_catalogue() -> pd.DataFrame:
    """Describe the main IoD columns for the scoring layer's configuration.

    Returns
    -------
    pandas.DataFrame
        One row per column with ``column``, ``title``, ``kind`` (``score``, ``rank``,
        ``decile``, ``rate``, ``count``), ``group`` (domain or ``crime`` / ``population``),
        ``direction`` (plain words), ``higher_is_more_deprived`` (True, False, or None
        for counts) and ``vintages`` (``"2019"``, ``"2025"`` or ``"2019, 2025"``).

    Notes
    -----
    IoD scores rise with deprivation; ranks and deciles count from 1 = most deprived, so a
    higher rank or decile is *less* deprived. A scoring layer that wants "higher = worse"
    must therefore reverse ranks and deciles (e.g. use :math:`N + 1 - r`) but not scores.
    """
    rows = []

    def add(column, title, kind, group, more, vintages):
        direction = {True: _MORE, False: _LESS, None: "neutral (a count)"}[more]
        rows.append((column, title, kind, group, direction, more, vintages))

    for key, title in {**DOMAINS, **SUBDOMAINS}.items():
        add(f"{key}_score", f"{title} score", "score", key, True, "2025")
        add(f"{key}_rank", f"{title} rank (1 = most deprived)", "rank", key, False, "2019, 2025")
        add(
            f"{key}_decile",
            f"{title} decile (1 = most deprived 10%)",
            "decile",
            key,
            False,
            "2019, 2025",
        )
    for col, title in _CRIME_TITLES.items():
        unit = (
            "per 1,000 at-risk properties"
            if "burglary" in col
            else ("per 1,000 at-risk population")
        )
        add(col, f"{title}: police recorded rate {unit}", "rate", "crime", True, "2025")
    for title, col in _FILE6.items():
        add(col, title, "count", "population", None, "2019")
    return pd.DataFrame(
        rows,
        columns=[
            "column",
            "title",
            "kind",
            "group",
            "direction",
            "higher_is_more_deprived",
            "vintages",
        ],
    )
