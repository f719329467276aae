"""Shared pieces of the two IoD readers: the column vocabulary, reading, checks, merging.

The output names (:data:`DOMAINS`, :data:`SUBDOMAINS`, :data:`CRIME_RATE_COLUMNS`) and the
mappings from each release's headers to them; :func:`_check_measures` enforces the IoD
convention (ranks 1..N and deciles 1..10 whole numbers, decile never falling as rank rises,
rank 1 = most deprived); :func:`_merge_parts` joins the files of one release on the LSOA
code, refusing values that disagree between files.
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
from .errors import InvalidValueError
from .report import LoadReport

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
