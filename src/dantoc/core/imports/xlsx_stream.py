"""Reading a large xlsx sheet row by row, in little memory.

Calamine reads a whole sheet into memory before giving its first row: about 1 GB for a million rows
of a dozen columns. For sheets that large the engine reads the sheet's XML as a stream instead
(`xml.etree.ElementTree.iterparse`, one row element at a time), with the shared strings kept as one
UTF-8 buffer. It is several times slower than calamine per row, so it is used only above
`reading.STREAM_XML_BYTES` of sheet XML.

Rows come out as calamine gives them: `(excel_row_number, cells)` from row 1 (empty rows included),
cells from the sheet's first used column (`col_offset`), numbers as floats, date-formatted numbers
as `datetime.date` (or `datetime.datetime` when they hold a time), booleans, text.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from typing import IO, Any
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_REF = re.compile(r"([A-Z]+)(\d+)")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+\d+):([A-Z]+\d+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
# Built-in number formats that show dates or times (ECMA-376 18.8.30, with the East Asian ones).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def is_date_format(code: str) -> bool:
    text = _FORMAT_NOISE.sub("", code).lower()
    return text != "general" and any(ch in text for ch in "dmyhs")


class SharedStrings:
    """The workbook's shared strings in one UTF-8 buffer (a Python str each would take 2–3× the memory)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("Q")

    def append(self, text: str) -> None:
        self.data += text.encode("utf-8")
        self.ends.append(len(self.data))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index else 0
        return self.data[start : self.ends[index]].decode("utf-8")


class StreamingXlsx:
    """The sheets of an xlsx file, each readable once as a stream of rows."""

    def __init__(self, source: str | IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(source)
        self.sheets = self._sheets()  # name → (part path, visible)
        self._strings: SharedStrings | None = None
        self._date_styles: set[int] | None = None

    # -- workbook parts ----------------------------------------------------------------------
    # ElementTree never fetches external entities and Python's expat refuses entity expansion bombs; an
    # xlsx part has no document type at all, so one that declares a DTD or an entity is refused outright.
    def _part(self, name: str) -> bytes | None:
        try:
            data = self.zip.read(name)
        except KeyError:
            return None
        _refuse_dtd(data[:4096])
        return data

    def _open(self, name: str) -> IO[bytes]:
        with self.zip.open(name) as f:
            _refuse_dtd(f.read(4096))
        return self.zip.open(name)

    def _sheets(self) -> dict[str, tuple[str, bool]]:
        rels: dict[str, str] = {}
        raw = self._part("xl/_rels/workbook.xml.rels")
        if raw:
            for el in ET.fromstring(raw):  # noqa: S314 (see _part)
                target = el.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                rels[el.get("Id") or ""] = path
        out: dict[str, tuple[str, bool]] = {}
        workbook = self._part("xl/workbook.xml")
        if workbook is None:
            raise zipfile.BadZipFile("no xl/workbook.xml")
        for el in ET.fromstring(workbook).iter():  # noqa: S314
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            part = rels.get(rid)
            if part and part in self.zip.namelist():
                out[el.get("name") or part] = (part, (el.get("state") or "visible") == "visible")
        return out

    def sheet_names(self) -> list[str]:
        return [name for name, (_p, visible) in self.sheets.items() if visible] or list(self.sheets)

    def largest_part(self) -> int:
        return max((self.zip.getinfo(p).file_size for p, _v in self.sheets.values()), default=0)

    @property
    def strings(self) -> SharedStrings:
        if self._strings is None:
            strings = SharedStrings()
            name = next((n for n in self.zip.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
            if name:
                with self._open(name) as f:
                    root = None
                    for event, el in ET.iterparse(f, events=("start", "end")):  # noqa: S314
                        if root is None:
                            root = el
                        elif event == "end" and _local(el.tag) == "si":
                            strings.append(_text(el))
                            root.clear()
            self._strings = strings
        return self._strings

    @property
    def date_styles(self) -> set[int]:
        """Indexes of the cell formats (the `s` of a cell) that show numbers as dates."""
        if self._date_styles is None:
            styles: set[int] = set()
            raw = self._part("xl/styles.xml")
            if raw:
                root = ET.fromstring(raw)  # noqa: S314
                custom = {
                    int(el.get("numFmtId") or -1): el.get("formatCode") or ""
                    for el in root.iter()
                    if _local(el.tag) == "numFmt"
                }
                xfs = next((el for el in root if _local(el.tag) == "cellXfs"), None)
                for i, xf in enumerate(xfs if xfs is not None else ()):
                    fmt = int(xf.get("numFmtId") or 0)
                    if fmt in _DATE_FORMAT_IDS or (fmt in custom and is_date_format(custom[fmt])):
                        styles.add(i)
            self._date_styles = styles
        return self._date_styles

    # -- one sheet ---------------------------------------------------------------------------
    def layout(self, name: str) -> tuple[int, int | None, list[tuple[tuple[int, int], tuple[int, int]]]]:
        """(first used column, last row or None, merged ranges as calamine gives them), by one raw pass."""
        path = self.sheets[name][0]
        merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
        first_col, last_row = 0, None
        tail = b""
        with self._open(path) as f:
            head = f.read(4096)
            m = _DIMENSION.search(head)
            if m:
                first_col = column_index(m.group(1).decode())
                last_row = int(m.group(4) or m.group(2))
            chunk = head
            while chunk:
                data = tail + chunk
                for a, b in _MERGE.findall(data) if b"mergeCell" in data else ():
                    merged.append((_cell(a.decode()), _cell(b.decode())))
                cut = data.rfind(b"<")
                tail = data[cut:] if cut >= 0 else b""
                if tail and _MERGE.match(tail):
                    tail = b""
                chunk = f.read(1 << 20)
        return first_col, last_row, sorted(set(merged))

    def rows(self, name: str, col_offset: int) -> Iterator[tuple[int, list[Any]]]:
        from dantoc.core.imports.reading import ImportFileError

        try:
            yield from self._rows(name, col_offset)
        except (ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise ImportFileError(
                _("Tệp bảng tính bị hỏng: %(error)s / The spreadsheet is damaged: %(error)s") % {"error": exc}
            ) from exc

    def _rows(self, name: str, col_offset: int) -> Iterator[tuple[int, list[Any]]]:
        path = self.sheets[name][0]
        strings, date_styles = self.strings, self.date_styles
        expected = 1
        with self._open(path) as f:
            parent: ET.Element | None = None
            for event, el in ET.iterparse(f, events=("start", "end")):  # noqa: S314
                if event == "start":
                    if parent is None and _local(el.tag) == "sheetData":
                        parent = el
                    continue
                if _local(el.tag) != "row":
                    continue
                r = el.get("r")
                number = int(r) if r else expected
                while expected < number:  # rows the file leaves out are empty rows
                    yield expected, []
                    expected += 1
                expected = number + 1
                cells: list[Any] = []
                col = -1
                for c in el:
                    ref = c.get("r")
                    col = column_index(_REF.match(ref).group(1)) if ref else col + 1  # type: ignore[union-attr]
                    j = col - col_offset
                    if j < 0:
                        continue
                    while len(cells) < j:
                        cells.append("")
                    cells.append(_value(c, strings, date_styles))
                yield number, cells
                (parent if parent is not None else el).clear()  # keep no parsed row in memory


def _refuse_dtd(head: bytes) -> None:
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ValueError("an xlsx part declares a DTD")


def _cell(ref: str) -> tuple[int, int]:
    m = _REF.match(ref)
    assert m is not None
    return int(m.group(2)) - 1, column_index(m.group(1))


def _text(node: ET.Element) -> str:
    """The text of a string item (`si`, `is`): its `t`, or the `t` of its rich-text runs; no phonetic runs."""
    parts = []
    for child in node:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _value(c: ET.Element, strings: SharedStrings, date_styles: set[int]) -> Any:
    kind = c.get("t") or "n"
    if kind == "inlineStr":
        node = next((child for child in c if _local(child.tag) == "is"), None)
        return _text(node) if node is not None else ""
    v = None
    for child in c:
        if _local(child.tag) == "v":
            v = child.text
            break
    if v is None:
        return ""
    if kind == "s":
        return strings[int(v)]
    if kind in ("str", "e"):
        return v
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind == "d":
        try:
            moment = dt.datetime.fromisoformat(v)
        except ValueError:
            return v
        return moment.date() if moment.time() == dt.time() else moment
    try:
        number = float(v)
    except ValueError:
        return v
    style = c.get("s")
    if style is not None and int(style) in date_styles and 0 <= number < 2958466:
        moment = EXCEL_EPOCH + dt.timedelta(days=number)
        if number.is_integer():
            return moment.date()
        return moment.replace(microsecond=0)
    return number
