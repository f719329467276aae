"""The reader on every real edition: its knife totals and homicide counts equal the
workbooks' cells, read here independently (sheet by its published name, fixed columns)."""

from __future__ import annotations

import re

import openpyxl
import pytest

from geodata.outcomes import HOMICIDE, KNIFE_TOTAL, read_pfa_tables

TABLES = "outcomes/ons_pfa_tables"
# Bedfordshire Police, P4 total and P1 homicides, by edition (typed from the workbooks)
BEDFORDSHIRE = {
    "year ending March 2018": (497, 4),
    "year ending June 2018": (438, 6),
    "year ending September 2018": (415, 7),
    "year ending December 2018": (451, 7),
    "year ending March 2019": (590, 5),
    "year ending June 2019": (688, 5),
    "year ending September 2019": (674, 6),
    "year ending December 2019": (677, 7),
}


@pytest.fixture(scope="module")
def tidy(shared_data):
    return read_pfa_tables(shared_data / TABLES)


def _cells(path, sheet_name: str, column: int) -> dict[str, float]:
    """Force code -> the value in ``column`` of the sheet named ``sheet_name`` (stripped)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = next(ws for ws in wb.worksheets if ws.title.strip() == sheet_name)
    out = {}
    for row in ws.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and re.fullmatch(r"E23\d{6}", row[0].strip()):
            v = row[column]
            out[row[0].strip()] = None if v in ("-", "..", ".", "NA", None) else float(v)
    wb.close()
    return out


def _own(tidy, path, measure, offence):
    rows = tidy[
        (tidy.source_file == path.name)
        & (tidy.measure == measure)
        & (tidy.offence == offence)
        & (tidy.period_end == tidy.edition_end)
        & (tidy.area_kind == "force")
        & tidy.area_code.str.startswith("E23")
        & tidy.table.isin(["P1", "P4"])
    ]
    return dict(zip(rows.area_code, rows["count"], strict=True))


def test_every_edition_and_english_force_equals_the_workbook(tidy, shared_data):
    files = sorted((shared_data / TABLES).glob("*.xlsx"))
    assert len(files) == 8
    for path in files:
        knife = _own(tidy, path, "knife_offences", KNIFE_TOTAL)
        knife_homicide = _own(tidy, path, "knife_offences", HOMICIDE)
        homicide = _own(tidy, path, "recorded_crime", HOMICIDE)
        expected_knife = _cells(path, "Table P4", 2)
        assert len(expected_knife) == 39, path.name  # every English force
        for got, want in (
            (knife, expected_knife),
            (knife_homicide, _cells(path, "Table P4", 14)),
            (homicide, _cells(path, "Table P1", 5)),
        ):
            assert set(got) == set(want), path.name
            for code, value in want.items():
                assert (got[code] == value) or (value is None and got[code] != got[code]), (
                    path.name,
                    code,
                )


def test_west_midlands_and_bedfordshire_in_every_edition(tidy):
    own = tidy[(tidy.period_end == tidy.edition_end) & tidy.table.isin(["P1", "P4"])]

    def value(code, edition, measure, offence):
        got = own[
            (own.area_code == code)
            & (own.edition == edition)
            & (own.measure == measure)
            & (own.offence == offence)
        ]
        assert len(got) == 1
        return got["count"].iloc[0]

    assert value("E23000014", "year ending March 2018", "knife_offences", KNIFE_TOTAL) == 2850
    assert value("E23000014", "year ending December 2019", "knife_offences", KNIFE_TOTAL) == 3624
    assert set(own.edition) == set(BEDFORDSHIRE)
    for edition, (knife, homicides) in BEDFORDSHIRE.items():
        assert value("E23000026", edition, "knife_offences", KNIFE_TOTAL) == knife
        assert value("E23000026", edition, "recorded_crime", HOMICIDE) == homicides


def test_the_west_midlands_series_on_the_real_tables(shared_data):
    from sna.config.region import load_region
    from sna.outcomes.answer import compute_outcomes
    from sna.outcomes.series import overlaps

    answer = compute_outcomes(load_region("west-midlands"))
    knife = answer["measures"][0]["series"]
    wm, region, ew = knife
    assert (wm["code"], region["code"], ew["code"]) == ("E23000014", "E12000005", "K04000001")
    labels = [p["label"] for p in wm["points"]]
    assert labels[0] == "year ending March 2011" and labels[-1] == "year ending March 2019"
    assert len(labels) == 9
    windows = [(p["period_start"], p["period_end"]) for p in wm["points"]]
    assert all(overlaps(a, b) == 0 for i, a in enumerate(windows) for b in windows[i + 1 :])
    # years ending March 2011-2017 have ONS mid-year estimates (P9): recorded rates
    by = {p["label"]: p for p in wm["points"]}
    p17 = by["year ending March 2017"]
    assert p17["rate_provenance"] == "recorded" and "mid-2016" in p17["rate_basis"]
    assert by["year ending March 2019"]["rate_provenance"] == "estimated"
    # the latest rolling year carries ONS's own published rate (Table P6)
    assert wm["latest"]["count"] == 3624 and "Table P6" in wm["latest"]["rate_basis"]
    assert wm["latest"]["rate_per_100k"] == pytest.approx(124.3, abs=0.05)
    # Bedfordshire's force comes from its districts the same way
    beds = compute_outcomes(load_region("bedfordshire"))
    assert beds["subject"]["code"] == "E23000026"
    assert beds["comparators"][0]["code"] == "E12000006"


def test_districts_merged_in_2023_find_their_force(shared_data):
    """LAD 2022 codes (the England build's) are placed in their force through their LSOAs."""
    import pandas as pd

    from geodata.outcomes_areas import forces_of_districts

    lk = pd.read_csv(
        shared_data / "lookups" / "LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz", encoding="utf-8-sig"
    ).rename(columns={"LSOA21CD": "lsoa21_code", "LAD22CD": "district_code"})
    found = forces_of_districts(
        shared_data / "lookups" / "lookup_ltla24_csp24_pfa24.csv.gz",
        ["E07000026", "E07000163", "E07000187", "E08000025"],  # Allerdale, Craven, Mendip, Bham
        lsoa_lookup=shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz",
        lsoas=lk,
    )
    assert found == {
        "E23000002": "Cumbria",
        "E23000009": "North Yorkshire",
        "E23000036": "Avon and Somerset",
        "E23000014": "West Midlands",
    }
