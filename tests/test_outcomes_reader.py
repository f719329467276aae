"""The ONS police force area reader on small workbooks made here (see outcomes_fixture.py):
tables found by title, the editions' quirks tolerated, broken workbooks refused in one line."""

from __future__ import annotations

import pandas as pd
import pytest
from outcomes_fixture import AREAS, homicides, knife_total, write_workbook

from geodata.errors import InputFileError
from geodata.outcomes import HOMICIDE, KNIFE_TOTAL, read_measures_file, read_pfa_workbook


def _value(df, code, measure, offence, column="count"):
    got = df[(df.area_code == code) & (df.measure == measure) & (df.offence == offence)]
    assert len(got) == 1, (code, measure, offence, len(got))
    return got[column].iloc[0]


def _check_values(df, month="March", year=2019):
    for code, _, _ in AREAS:
        assert _value(df, code, "knife_offences", KNIFE_TOTAL) == knife_total(code, month, year)
        assert _value(df, code, "recorded_crime", HOMICIDE) == homicides(code, month, year)


def test_reads_an_edition_with_the_published_quirks(tmp_path):
    df = read_pfa_workbook(write_workbook(tmp_path / "a.xlsx"))
    _check_values(df)
    wm = df[df.area_code == "E23000014"]
    assert set(wm.area_name) == {"West Midlands"}  # footnote digit '3' gone
    assert set(df.loc[df.area_code == "K04000001", "area_name"]) == {"England and Wales"}
    assert set(wm.period_start) == {"2018-04"} and set(wm.period_end) == {"2019-03"}
    assert set(df.edition) == {"year ending March 2019"}
    assert set(df.sheet) == {"Table P1", "Table P4"}  # trailing spaces stripped
    # '-' (base under 50) is no value; numbers stored as text are read
    assert pd.isna(_value(df, "E23000014", "knife_offences", "attempted_murder", "pct_knife"))
    assert _value(df, "E23000014", "recorded_crime", "robbery") == 2400 // 3
    assert set(wm.region_code) == {"E12000005"}
    assert "British Transport Police" not in set(df.area_name)  # no code: not an area


def test_renamed_sheets_read_the_same(tmp_path):
    base = read_pfa_workbook(write_workbook(tmp_path / "a.xlsx"))
    renamed = write_workbook(tmp_path / "b.xlsx", rename={"P1": "Crime", "P4": "Knives"})
    df = read_pfa_workbook(renamed)
    _check_values(df)
    assert set(df.sheet) == {"Crime", "Knives"}
    assert len(df) == len(base)


def test_shifted_header_rows_read_the_same(tmp_path):
    df = read_pfa_workbook(write_workbook(tmp_path / "a.xlsx", header_offset=3))
    _check_values(df)


def test_an_extra_table_still_reads(tmp_path):
    df = read_pfa_workbook(write_workbook(tmp_path / "a.xlsx", extra=True))
    _check_values(df)
    assert "Table P7" not in set(df.sheet)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"drop": "P4"}, "no table 'knife offences'"),
        ({"drop": "P1"}, "no table 'recorded crime'"),
        ({"misalign": True}, "sheet 'Table P4  ', row 5, column C: no offence name above"),
    ],
    ids=["missing-knife-table", "missing-crime-table", "shifted-offence-header"],
)
def test_a_broken_workbook_is_one_line_naming_what_and_where(tmp_path, kwargs, expected):
    path = write_workbook(tmp_path / "bad.xlsx", **kwargs)
    with pytest.raises(InputFileError) as info:
        read_pfa_workbook(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_a_renamed_sheet_whose_title_is_gone_is_named_missing(tmp_path):
    import openpyxl

    path = write_workbook(tmp_path / "a.xlsx", rename={"P4": "Knives"})
    wb = openpyxl.load_workbook(path)
    wb["Knives"]["A1"] = "Knives"  # the title that said what the table is, gone
    wb.save(path)
    with pytest.raises(InputFileError, match="no table 'knife offences'.*tables found"):
        read_pfa_workbook(path)


def test_a_value_that_is_not_a_number_names_sheet_row_and_column(tmp_path):
    import openpyxl

    path = write_workbook(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Table P4  "]["C8"] = "lots"
    wb.save(path)
    with pytest.raises(InputFileError, match=r"sheet 'Table P4  ', row 8, column C: 'lots' is not"):
        read_pfa_workbook(path)


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("hello")
    with pytest.raises(InputFileError, match="not a readable .xlsx workbook"):
        read_pfa_workbook(path)


def test_the_vru_measures_file_is_checked_line_by_line(tmp_path):
    good = tmp_path / "m.csv"
    good.write_text(
        "area_code,area_name,period_start,period_end,measure,offence,count\n"
        "E23000014,West Midlands,2022-04,2023-03,knife_crime_u25,,120\n"
    )
    df = read_measures_file(good)
    assert df.loc[0, "count"] == 120 and df.loc[0, "offence"] == "knife_crime_u25"
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "E23000014,West Midlands,2023/04,2024-03,x,,3\n")
    with pytest.raises(InputFileError, match=r"bad.csv, line 3, column 'period_start'"):
        read_measures_file(bad)
