"""The shared row check and archive opener of geodata."""

from __future__ import annotations

import gzip
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geodata._archive import read_bytes
from geodata._checks import check_rows, first_bad_row
from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    GeodataError,
    InvalidValueError,
    MissingFileError,
)


@pytest.mark.parametrize(
    "mask",
    [
        np.array([False, False, True, True]),
        pd.Series([False, pd.NA, True, True], dtype="boolean"),
        pa.array([False, None, True, True]),
        pa.chunked_array([[False, None], [True, True]]),
    ],
    ids=["numpy", "pandas-nullable", "arrow", "arrow-chunked"],
)
def test_first_bad_row_any_mask(mask):
    assert first_bad_row(mask) == 2


def test_no_bad_row_passes():
    assert first_bad_row(np.zeros(3, bool)) is None
    check_rows(np.zeros(3, bool), "a.csv", "never raised")


def test_text_file_reports_line_value_and_column():
    values = pd.Series(["1", "2", "x"])
    with pytest.raises(InvalidValueError) as info:
        check_rows(
            values == "x", "a.csv", lambda i: f"{values.iloc[i]!r} is not a number", column="n"
        )
    assert str(info.value) == "a.csv, line 4, column 'n': 'x' is not a number"
    assert info.value.row == 3


def test_rows_map_positions_after_filtering():
    with pytest.raises(InvalidValueError, match=r"b\.csv\.gz, line 11: bad"):
        check_rows(pa.array([False, True]), "b.csv.gz", "bad", rows=pa.array([7, 10]))
    with pytest.raises(InvalidValueError, match=r"c\.gpkg, row 5: bad"):
        check_rows([False, True], "c.gpkg", "bad", rows=pd.Series([2, 5], index=[8, 9]))


def test_every_error_is_a_geodata_error():
    import geodata.errors as errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), GeodataError)


def test_read_bytes_plain_gzip_and_zip(tmp_path):
    text = b"a,b\n1,2\n"
    (tmp_path / "p.csv").write_bytes(text)
    (tmp_path / "g.csv.gz").write_bytes(gzip.compress(text))
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("inner/one.csv", text)
        zf.writestr("readme.txt", b"not a csv")
    assert read_bytes(tmp_path / "p.csv") == text
    assert read_bytes(tmp_path / "g.csv.gz") == text
    assert read_bytes(tmp_path / "z.zip") == text
    assert read_bytes(tmp_path / "z.zip", "readme.txt") == b"not a csv"
    with pytest.raises(MissingFileError, match="no member 'nope.csv'"):
        read_bytes(tmp_path / "z.zip", "nope.csv")


def test_read_bytes_clear_errors(tmp_path):
    with pytest.raises(MissingFileError, match="file not found"):
        read_bytes(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(EmptyFileError, match="file is empty"):
        read_bytes(tmp_path / "empty.csv")
    (tmp_path / "bad.csv.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CorruptArchiveError, match=r"bad\.csv\.gz: corrupt gzip file"):
        read_bytes(tmp_path / "bad.csv.gz")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(CorruptArchiveError, match=r"bad\.zip: corrupt zip archive"):
        read_bytes(tmp_path / "bad.zip")
