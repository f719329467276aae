"""Hospital admissions for assault: the partner-extract schema, ICD-10 rules, bad files."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from geodata.errors import EmptyFileError, InvalidValueError, MissingColumnsError
from geodata.hospital import (
    HOSPITAL_COLUMNS,
    MECHANISMS,
    is_assault_code,
    mechanism_from_icd10,
    normalise_icd10,
    read_hospital_admissions,
)

HEADER = ",".join(HOSPITAL_COLUMNS)
GOOD = [
    "H1,b1 1aa,,2022-03-04,17,M,X99.1,",  # knife, mechanism derived
    "H2,,E01009275,2022-03-05,22,F,Y04,bodily force",
    "H3,B11AA,E01009275,2022-03-06,19,1,Y00,blunt",  # postcode without a space, NHS sex code
    "H4,WV1 1AA,,2022-03-07,45,,Y09,",
    "H5,CV1 2AB,,2022-03-08T13:45:00,23,female,x94,",  # lower-case code, datetime
    "H6,B1 1AA,,2022-03-09,16,U,Y04X,teleport",  # filler X; unknown mechanism text
]
BAD = [
    "H7,,,2022-03-09,17,M,Y04,",  # no postcode or LSOA
    "H8,NOT A PC,E0100,2022-03-09,17,M,Y04,",  # both malformed -> no location
    "H9,B1 1AA,,2022-02-30,17,M,Y04,",  # not a calendar day
    "H10,B1 1AA,,09/03/2022,17,M,Y04,",  # not ISO
    "H11,B1 1AA,,2022-03-09,seventeen,M,Y04,",
    "H12,B1 1AA,,2022-03-09,-3,M,Y04,",
    "H13,B1 1AA,,2022-03-09,17,M,banana,",
    "H14,B1 1AA,,2022-03-09,17,M,W19,",  # a fall
    "H15,B1 1AA,,2022-03-09,17,M,X84,",  # just below X85
    "H16,B1 1AA,,2022-03-09,17,M,Y10,",  # just above Y09
    "H1,B1 1AA,,2022-03-09,17,M,Y04,",  # repeated record_id
    ",B1 1AA,,2022-03-09,17,M,Y04,",  # no record_id
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "code, expected",
    [
        ("X85", True),
        ("X99.1", True),
        ("x991", True),
        ("Y00", True),
        ("Y04.0", True),
        ("Y04X", True),
        ("Y09", True),
        ("X84", False),
        ("Y10", False),
        ("W19", False),
        ("X60", False),
        ("", False),
        (None, False),
        ("knife", False),
    ],
)
def test_is_assault_code(code, expected):
    assert is_assault_code(code) is expected


def test_normalise_and_mechanism():
    assert normalise_icd10(" y04.0 ") == "Y04.0"
    assert normalise_icd10("X991") == "X99.1"
    assert normalise_icd10("Y04-") == "Y04"
    assert normalise_icd10("Y4") is None
    assert mechanism_from_icd10("X99.1") == "sharp object"
    assert mechanism_from_icd10("Y00") == "blunt object"
    assert mechanism_from_icd10("Y04") == "bodily force"
    assert {mechanism_from_icd10(c) for c in ("X93", "X94", "X95")} == {"firearm"}
    assert mechanism_from_icd10("Y05") == "sexual assault"
    assert mechanism_from_icd10("Y09") == "unknown"
    assert mechanism_from_icd10("W19") is None
    assert {mechanism_from_icd10(f"X{n}") for n in range(85, 100)} | {
        mechanism_from_icd10(f"Y0{n}") for n in range(10)
    } <= set(MECHANISMS)


def test_reader_keeps_good_rows_and_counts_rejections(tmp_path):
    out = read_hospital_admissions(_write(tmp_path / "adm.csv", [HEADER, *GOOD, *BAD]))
    d, rep = out.data, out.report
    assert d["record_id"].tolist() == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert dict(rep.rejected) == {
        "no record_id": 1,
        "no valid postcode or LSOA": 2,
        "invalid admission date": 2,
        "invalid age": 2,
        "invalid ICD-10 cause code": 1,
        "cause outside X85-Y09": 3,
        "duplicate record_id": 1,
    }
    assert rep.rows_read == len(GOOD) + len(BAD) and rep.rows_kept == len(GOOD)
    assert d.loc[0, "postcode"] == "B1 1AA" and d.loc[2, "postcode"] == "B1 1AA"
    assert pd.isna(d.loc[1, "postcode"]) and d.loc[1, "lsoa_code"] == "E01009275"
    assert d["sex"].tolist() == ["male", "female", "male", "unknown", "female", "unknown"]
    assert d["icd10_cause"].tolist() == ["X99.1", "Y04", "Y00", "Y09", "X94", "Y04"]
    assert d["mechanism"].tolist() == [
        "sharp object",
        "bodily force",
        "blunt object",
        "unknown",
        "firearm",
        "bodily force",
    ]
    assert d["mechanism_derived"].tolist() == [True, False, False, True, True, True]
    assert rep.flagged["mechanism not recognised (derived from ICD-10)"] == 1
    assert rep.flagged["malformed postcode (ignored)"] == 1
    assert str(d["admission_date"].iloc[4].date()) == "2022-03-08"
    assert d["age"].dtype == "Int64" and d["age"].tolist() == [17, 22, 19, 45, 23, 16]
    assert not d["synthetic"].any() and d.attrs["synthetic"] is False


def test_gzip_zip_and_header_spelling(tmp_path):
    text = (HEADER.replace("record_id", "Record ID").upper() + "\n" + GOOD[0] + "\n").encode()
    gz = tmp_path / "adm.csv.gz"
    gz.write_bytes(gzip.compress(text))
    zp = tmp_path / "adm.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr("extract/adm.csv", text)
    for path in (gz, zp):
        out = read_hospital_admissions(path)
        assert out.data["record_id"].tolist() == ["H1"]


def test_lsoa_only_extract_and_extra_columns(tmp_path):
    f = _write(
        tmp_path / "lsoa_only.csv",
        [
            "record_id,lsoa_code,admission_date,age,icd10_cause,ward",
            "A,E01009275,2023-01-01,15,Y04,Ladywood",
        ],
    )
    out = read_hospital_admissions(f)
    assert out.data["lsoa_code"].tolist() == ["E01009275"]
    assert out.data["postcode"].isna().all()
    assert out.data["sex"].tolist() == ["unknown"]
    assert "ignored column(s) outside the hospital admissions schema: ['ward']" in out.report.notes


def test_synthetic_sidecar_marks_the_frame(tmp_path):
    f = _write(tmp_path / "syn.csv", [HEADER, GOOD[0]])
    Path(f"{f}.synthetic.json").write_text(json.dumps({"synthetic": True, "seed": 7}))
    out = read_hospital_admissions(f)
    assert out.data.attrs["synthetic"] is True and out.data["synthetic"].all()
    assert any("SYNTHETIC" in n and "seed 7" in n for n in out.report.notes)


def test_missing_required_column(tmp_path):
    f = _write(tmp_path / "nocause.csv", [HEADER.replace("icd10_cause", "cause"), GOOD[0]])
    with pytest.raises(MissingColumnsError) as exc:
        read_hospital_admissions(f)
    assert "nocause.csv" in str(exc.value) and "['icd10_cause']" in str(exc.value)


def test_no_location_columns(tmp_path):
    f = _write(
        tmp_path / "noplace.csv",
        ["record_id,admission_date,age,icd10_cause", "A,2023-01-01,15,Y04"],
    )
    with pytest.raises(MissingColumnsError) as exc:
        read_hospital_admissions(f)
    msg = str(exc.value)
    assert "noplace.csv" in msg and "['postcode', 'lsoa_code']" in msg


def test_excel_is_refused(tmp_path):
    f = tmp_path / "admissions.xlsx"
    f.write_bytes(b"PK\x03\x04 pretend workbook")
    with pytest.raises(InvalidValueError) as exc:
        read_hospital_admissions(f)
    assert "admissions.xlsx" in str(exc.value) and "save it as CSV" in str(exc.value)


def test_empty_file(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    with pytest.raises(EmptyFileError, match=r"empty\.csv: file is empty"):
        read_hospital_admissions(f)
    _write(f, [HEADER])
    with pytest.raises(EmptyFileError, match="header but no data rows"):
        read_hospital_admissions(f)
