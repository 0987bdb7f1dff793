"""Reading tabular files row by row: xlsx, xls, xlsb, ods through calamine; csv in UTF-8 or Windows-1258.

Rows are streamed as `(excel_row_number, cells)`; `cells[j]` is column `col_offset + j` of the sheet.
Calamine returns whole numbers as floats: normalisation happens when a column parses its cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from dantoc.core.imports import legacy

SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
SUPPORTED_EXTENSIONS = SPREADSHEET_EXTENSIONS | CSV_EXTENSIONS
SAMPLE_BYTES = 256 * 1024
# An xlsx sheet whose XML is larger than this is streamed (xlsx_stream) rather than loaded by calamine,
# which holds a whole sheet in memory (about 1 GB for a million rows of a dozen columns).
STREAM_XML_BYTES = 96 * 1024 * 1024

Cell = Any
Merged = tuple[tuple[int, int], tuple[int, int]]


class ImportFileError(Exception):
    """The file cannot be read at all (format, encoding, corruption)."""


class UnsupportedFormat(ImportFileError):
    pass


@dataclass
class Sheet:
    name: str
    rows: Iterator[tuple[int, list[Cell]]]
    col_offset: int = 0
    merged: list[Merged] = field(default_factory=list)  # absolute, 0-based, inclusive
    total_rows: int | None = None
    encoding: str | None = None  # csv only


Source = str | os.PathLike[str] | bytes | IO[bytes]


def _extension(source: Source, filename: str | None) -> str:
    name = filename or (str(source) if isinstance(source, str | os.PathLike) else getattr(source, "name", ""))
    return Path(str(name or "")).suffix.lower()


def _sniff_zip_or_ole(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx"  # calamine tells xlsx from ods by content
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ".xls"
    return None


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    source.seek(0)
    data = source.read()
    source.seek(0)
    return data if isinstance(data, bytes) else bytes(data)


class Workbook:
    """A readable file: one or more sheets (a csv file is one sheet)."""

    def __init__(self, source: Source, filename: str | None = None) -> None:
        self.source = source
        self.filename = filename
        ext = _extension(source, filename)
        if ext not in SUPPORTED_EXTENSIONS:
            head = _peek(source)
            sniffed = _sniff_zip_or_ole(head)
            if sniffed is None:
                raise UnsupportedFormat(
                    _(
                        'Không đọc được tệp loại "%(ext)s": hãy dùng xlsx, xls, ods hoặc csv. / '
                        'Cannot read "%(ext)s" files: use xlsx, xls, ods or csv.'
                    )
                    % {"ext": ext or "?"}
                )
            ext = sniffed
        self.kind = "csv" if ext in CSV_EXTENSIONS else "spreadsheet"
        self._calamine: Any = None
        self._stream: Any = None
        if self.kind == "spreadsheet":
            if ext in (".xlsx", ".xlsm"):
                self._stream = _large_xlsx(source)
            if self._stream is None:
                self._open_calamine()

    def _open_calamine(self) -> None:
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            if isinstance(self.source, str | os.PathLike):
                self._calamine = CalamineWorkbook.from_path(str(self.source))
            else:
                data = self.source if isinstance(self.source, bytes) else _read_bytes(self.source)
                self._calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except (CalamineError, OSError, ValueError) as exc:
            raise ImportFileError(
                _(
                    "Tệp bảng tính bị hỏng hoặc không đúng định dạng. / The spreadsheet is damaged or not in "
                    "a format it claims: %(error)s"
                )
                % {"error": exc}
            ) from exc

    def sheet_names(self) -> list[str]:
        if self.kind == "csv":
            return ["csv"]
        if self._stream is not None:
            return list(self._stream.sheet_names())
        from python_calamine import SheetTypeEnum, SheetVisibleEnum

        names = [
            meta.name
            for meta in self._calamine.sheets_metadata
            if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet
        ]
        return names or list(self._calamine.sheet_names)

    def sheet(self, name: str | None = None) -> Sheet:
        if self.kind == "csv":
            return _csv_sheet(self.source)
        if self._stream is not None:
            return self._streamed_sheet(name)
        names = self.sheet_names()
        target = name if name is not None else names[0]
        try:
            sheet = self._calamine.get_sheet_by_name(target)
        except Exception as exc:
            raise ImportFileError(
                _('Không đọc được trang tính "%(name)s": %(error)s / Cannot read sheet "%(name)s": %(error)s')
                % {"name": target, "error": exc}
            ) from exc
        start = sheet.start
        col_offset = start[1] if start else 0
        end = sheet.end
        merged = list(sheet.merged_cell_ranges or [])
        rows = ((i + 1, row) for i, row in enumerate(sheet.iter_rows()))
        return Sheet(target, rows, col_offset, merged, (end[0] + 1) if end else 0)

    def _streamed_sheet(self, name: str | None) -> Sheet:
        target = name if name is not None else self.sheet_names()[0]
        if target not in self._stream.sheets:
            raise ImportFileError(
                _('Không đọc được trang tính "%(name)s": %(error)s / Cannot read sheet "%(name)s": %(error)s')
                % {"name": target, "error": "?"}
            )
        col_offset, last_row, merged = self._stream.layout(target)
        return Sheet(target, self._stream.rows(target, col_offset), col_offset, merged, last_row or 0)

    def close(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None
        if self._stream is not None:
            self._stream.zip.close()
            self._stream = None


def _large_xlsx(source: Source) -> Any:
    """A streaming reader when the file is an xlsx with a sheet above STREAM_XML_BYTES, else None."""
    import zipfile

    from dantoc.core.imports.xlsx_stream import StreamingXlsx

    try:
        if isinstance(source, str | os.PathLike):
            reader = StreamingXlsx(str(source))
        elif isinstance(source, bytes):
            reader = StreamingXlsx(io.BytesIO(source))
        else:
            source.seek(0)
            reader = StreamingXlsx(source)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, SyntaxError):
        return None  # calamine reports what is wrong with it
    if reader.largest_part() > STREAM_XML_BYTES:
        return reader
    reader.zip.close()
    return None


def _peek(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:8]
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return f.read(8)
    pos = source.tell()
    head = source.read(8)
    source.seek(pos)
    return head if isinstance(head, bytes) else bytes(head)


# --- CSV ------------------------------------------------------------------------------------------
def _syllable_score(text: str) -> int:
    score = 0
    for word in legacy._words(text):
        if not word.isascii():
            score += 1 if legacy.is_vietnamese_syllable(word) else -1
    return score


def detect_csv_encoding(sample: bytes) -> str:
    """utf-8-sig / utf-16 by their BOM, utf-8 when it decodes, else cp1258 or (legacy fonts) cp1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) >= SAMPLE_BYTES:  # cut inside a character
            try:
                sample[: exc.start].decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError:
                pass
    import unicodedata

    as_1258 = unicodedata.normalize("NFC", sample.decode("cp1258", errors="replace"))
    as_1252 = sample.decode("cp1252", errors="replace")
    scores = {"cp1258": _syllable_score(as_1258)}
    for name, convert in legacy.CONVERTERS.items():
        scores[f"cp1252+{name}"] = _syllable_score(convert(as_1252))
    best = max(scores, key=lambda k: (scores[k], k == "cp1258"))
    return "cp1258" if best == "cp1258" else "cp1252"


def _binary_stream(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")
    source.seek(0)
    return source


def _csv_sheet(source: Source) -> Sheet:
    stream = _binary_stream(source)
    sample_bytes = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    encoding = detect_csv_encoding(sample_bytes)
    sample = sample_bytes.decode(encoding, errors="ignore")
    delimiter = _sniff_delimiter(sample)
    size = _size(stream)
    lines_in_sample = max(sample_bytes.count(b"\n"), 1)
    total = (
        lines_in_sample
        if len(sample_bytes) < SAMPLE_BYTES
        else int(size / len(sample_bytes) * lines_in_sample)
    )

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        text_stream = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        try:
            for i, row in enumerate(csv.reader(text_stream, delimiter=delimiter)):
                yield i + 1, row
        finally:
            text_stream.detach()
            if isinstance(source, str | os.PathLike):
                stream.close()

    return Sheet("csv", rows(), 0, [], total, encoding)


def _size(stream: IO[bytes]) -> int:
    pos = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(pos)
    return size


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t", "|"):
        counts = [line.count(delimiter) for line in lines]
        if not counts or max(counts) == 0:
            continue
        # Prefer the delimiter that splits most lines into the same, largest number of fields.
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * 100 + common
        if score > best_score:
            best, best_score = delimiter, score
    return best
