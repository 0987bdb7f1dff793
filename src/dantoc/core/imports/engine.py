"""The import engine: read a file, find its header, parse and validate every row, then commit all or nothing.

    result = run_import("villages", "thon.xlsx", user=request.user, dry_run=True)
    result.as_dict()  # {"rows", "created", "updated", "unchanged", "errors": [{"row", "column", "message"}]}

Nothing is written when any row has an error; a clean file is written in one transaction.
"""

from __future__ import annotations

import gc
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from dantoc.core.imports import header as hdr
from dantoc.core.imports import parsing, registry
from dantoc.core.imports.base import ImportContext, ImportKind, Row, Status
from dantoc.core.imports.columns import CellContext, CellError, Integer, Money, Number
from dantoc.core.imports.legacy import TextRepairer, read_cell
from dantoc.core.imports.reading import ImportFileError, Sheet, Source, Workbook
from dantoc.core.text import fold

SAMPLE_ROWS = 2000
PROGRESS_EVERY = 2000
MAX_SHEETS = 10
# Kinds that take rows in batches (`ImportKind.batched`) get a file longer than this batch by batch.
BATCH_ROWS = 50_000
MAX_ERRORS = 100_000

Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    committed: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Where things are in the file, for the error workbook: sheet, header rows, column indexes.
    layout: dict[str, Any] = field(default_factory=dict)
    # (Excel row, cell index in the row, message) of each error, for highlighting.
    cells: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    converted_cells: int = 0
    legacy_encoding: str | None = None
    # from the import kind: {"message"} and optionally a link {"route", "query", "label"}
    notices: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int | None, cell: int | None, column: str | None, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})
        self.cells.append((row, cell, message))

    def as_dict(self) -> dict[str, Any]:
        """The documented output: rows, created, updated, unchanged, errors."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }

    def summary(self, max_errors: int | None = None) -> dict[str, Any]:
        """Everything a status page shows (errors capped at `max_errors`)."""
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            **self.as_dict(),
            "errors": errors,
            "errors_total": len(self.errors),
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "kind": self.kind,
            "converted_cells": self.converted_cells,
            "legacy_encoding": self.legacy_encoding,
            "layout": self.layout,
            "notices": self.notices,
        }


class _Rejected(Exception):
    pass


def _option_errors(kind: ImportKind, raw: Mapping[str, Any], result: ImportResult) -> dict[str, Any]:
    options: dict[str, Any] = {}
    known = {o.key for o in kind.options}
    for key in raw:
        if key not in known:
            result.add_error(
                None, None, key, _('Tuỳ chọn không có: "%(key)s". / Unknown option "%(key)s".') % {"key": key}
            )
    for option in kind.options:
        try:
            options[option.key] = option.parse(raw.get(option.key))
        except CellError as exc:
            result.add_error(None, None, option.column.label, str(exc))
    return options


def run_import(
    kind: ImportKind | str,
    source: Source,
    *,
    user: Any,
    filename: str | None = None,
    dry_run: bool = False,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> ImportResult:
    kind = registry.get(kind) if isinstance(kind, str) else kind
    result = ImportResult(kind=kind.slug, dry_run=dry_run)
    ctx = ImportContext(kind, user, dry_run=dry_run, progress=progress)
    try:
        kind.check_permission(user)
    except PermissionDenied as exc:
        result.add_error(None, None, None, str(exc))
        return result
    ctx.options = _option_errors(kind, options or {}, result)
    if result.errors:
        return result
    try:
        workbook = Workbook(source, filename)
    except ImportFileError as exc:
        result.add_error(None, None, None, str(exc))
        return result
    try:
        with _rare_collections():
            _run(kind, ctx, result, workbook, sheet, dry_run)
    finally:
        workbook.close()
    return result


@contextmanager
def _rare_collections() -> Iterator[None]:
    """An import builds hundreds of thousands of small acyclic objects (rows, values, plans) that live
    until it ends; the cyclic garbage collector passing over them again and again costs a fifth of a
    large import. It runs rarely meanwhile (thresholds are restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), max(before[1], 20), max(before[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run(
    kind: ImportKind,
    ctx: ImportContext,
    result: ImportResult,
    workbook: Workbook,
    sheet: str | None,
    dry_run: bool,
) -> None:
    try:
        stream = _read(workbook, kind, ctx, result, sheet)
        if stream is None:
            return
        kind.read_preamble(ctx, ctx.preamble)
        first = list(islice(stream, BATCH_ROWS)) if kind.batched else list(stream)
        more = next(stream, None) if kind.batched else None
        if more is None:
            _run_whole(kind, ctx, result, first, dry_run)
        else:
            _run_batched(kind, ctx, result, chain(_drain(first), [more], stream), dry_run)
    except ImportFileError as exc:
        result.add_error(None, None, None, str(exc))
        result.committed = False


def _drain(rows: list[Row]) -> Iterator[Row]:
    """The rows of a list, emptying it as they go (a batch already read is not kept for the whole import)."""
    rows.reverse()
    while rows:
        yield rows.pop()


def _run_whole(
    kind: ImportKind, ctx: ImportContext, result: ImportResult, rows: list[Row], dry_run: bool
) -> None:
    """All rows at once: prepare outside the transaction, plan and write in it."""
    result.rows = len(rows)
    ctx.report("prepare", 0, len(rows))
    kind.prepare(ctx, rows)
    ctx.report("prepare", len(rows), len(rows))
    if dry_run or any(r.errors for r in rows):
        if kind.plan_after_errors or not any(r.errors for r in rows):
            kind.plan(ctx, rows)  # reads only: reports the errors that need stored records too
        _finish(result, rows, ctx)
        return
    try:
        with transaction.atomic():
            _lock(kind.slug)
            ctx.report("plan", 0, len(rows))
            kind.plan(ctx, rows)
            if any(r.errors for r in rows):
                raise _Rejected
            ctx.report("write", 0, len(rows))
            kind.write(ctx, rows)
    except _Rejected:
        pass
    except (DatabaseError, ValidationError) as exc:
        _write_failed(result, exc)
    _finish(result, rows, ctx)
    result.committed = not dry_run and result.ok


def _run_batched(
    kind: ImportKind, ctx: ImportContext, result: ImportResult, stream: Iterator[Row], dry_run: bool
) -> None:
    """A large file in batches of BATCH_ROWS rows, each prepared, planned and written before the next is read,
    all in one transaction: memory stays flat, and an error in any row still rolls everything back."""
    counts = dict.fromkeys((Status.CREATED, Status.UPDATED, Status.UNCHANGED), 0)
    failed = False
    outer = ctx.progress
    if (
        outer is not None
    ):  # one bar for the whole file: rows read so far (prepare and write follow each batch)
        ctx.progress = lambda phase, done, total: outer("batch", done, total) if phase == "read" else None
    try:
        with transaction.atomic() if not dry_run else nullcontext():  # a dry run holds no write lock
            if not dry_run:
                _lock(kind.slug)
            while True:
                rows = list(islice(stream, BATCH_ROWS))
                if not rows:
                    break
                result.rows += len(rows)
                ctx.cache["batch_number"] = ctx.cache.get("batch_number", 0) + 1
                kind.prepare(ctx, rows)
                if kind.plan_after_errors or not any(r.errors for r in rows):
                    kind.plan(ctx, rows)
                failed = failed or any(r.errors for r in rows)
                if not failed and not dry_run:
                    kind.write(ctx, rows)
                _collect(result, rows, ctx, counts)
                if len(result.errors) >= MAX_ERRORS:
                    result.add_error(
                        None,
                        None,
                        None,
                        _(
                            "Quá nhiều lỗi: dừng kiểm tra sau %(count)s lỗi. / Too many errors: checking stopped "
                            "after %(count)s."
                        )
                        % {"count": len(result.errors)},
                    )
                    break
            if failed and not dry_run:
                raise _Rejected  # roll back the batches already written
    except _Rejected:
        pass
    except (DatabaseError, ValidationError) as exc:
        _write_failed(result, exc)
    result.errors.sort(key=lambda e: e["row"] or 0)
    result.cells.sort(key=lambda c: c[0] or 0)
    if not result.errors:
        result.created, result.updated, result.unchanged = (
            counts[Status.CREATED],
            counts[Status.UPDATED],
            counts[Status.UNCHANGED],
        )
        result.notices = list(ctx.notices)
    result.committed = not dry_run and result.ok


def _collect(result: ImportResult, rows: list[Row], ctx: ImportContext, counts: dict[str, int]) -> None:
    columns = result.layout.get("columns", {})
    for row in rows:
        for key, message in row.errors:
            result.add_error(row.number, columns.get(key) if key else None, ctx.column_name(key) if key else None,
                             message)  # fmt: skip
        if row.status in counts:
            counts[row.status] += 1


def _write_failed(result: ImportResult, exc: DatabaseError | ValidationError) -> None:
    message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    result.add_error(
        None,
        None,
        None,
        _("Không ghi được dữ liệu, không có gì thay đổi: %(error)s / Nothing was written: %(error)s")
        % {"error": message},
    )


def _lock(slug: str) -> None:
    """One import of a kind at a time (PostgreSQL; SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"dantoc-import:{slug}".encode())])


def _finish(result: ImportResult, rows: list[Row], ctx: ImportContext) -> None:
    columns = result.layout.get("columns", {})
    for row in rows:
        for key, message in row.errors:
            cell = columns.get(key) if key else None
            name = ctx.column_name(key) if key else None
            result.add_error(row.number, cell, name, message)
    result.errors.sort(key=lambda e: e["row"] or 0)
    result.cells.sort(key=lambda c: c[0] or 0)
    if result.errors:
        return
    result.notices = list(ctx.notices)
    for row in rows:
        if row.status == Status.CREATED:
            result.created += 1
        elif row.status == Status.UPDATED:
            result.updated += 1
        elif row.status == Status.UNCHANGED:
            result.unchanged += 1


def _choose_sheet(
    workbook: Workbook, kind: ImportKind, sheet: str | None
) -> tuple[Sheet, list[tuple[int, list[Any]]], hdr.HeaderMatch | None]:
    required = {c.key for c in kind.columns if c.required}
    names = [sheet] if sheet else workbook.sheet_names()[:MAX_SHEETS]
    if kind.sheet_hints and len(names) > 1:  # the sheet a kind's name suggests first ("Giải ngân")
        names.sort(key=lambda n: not any(h in fold(n) for h in kind.sheet_hints))
    best: tuple[Sheet, list[tuple[int, list[Any]]], hdr.HeaderMatch | None] | None = None
    for name in names:
        current = workbook.sheet(name)
        head = list(islice(current.rows, hdr.HEADER_SCAN_ROWS + 2))
        match = hdr.find_header(head, kind.columns, current.merged, current.col_offset)
        if match is not None:
            kind.adjust_header(match.columns, match.texts)
        if match is not None and required <= set(match.columns):
            return current, head, match
        if best is None or (match is not None and (best[2] is None or match.score() > best[2].score())):
            best = (current, head, match)
    assert best is not None
    return best


def _repaired_text(value: Any) -> str:
    if not isinstance(value, str):
        return parsing.cell_text(value)
    reading = read_cell(value)
    return reading.converted[reading.strong] if reading.strong else " ".join(value.split())


def _read(
    workbook: Workbook, kind: ImportKind, ctx: ImportContext, result: ImportResult, sheet_name: str | None
) -> Iterator[Row] | None:
    sheet, head, match = _choose_sheet(workbook, kind, sheet_name)
    result.layout = {"sheet": sheet.name, "col_offset": sheet.col_offset, "encoding": sheet.encoding}
    if match is None:
        labels = ", ".join(f'"{c.label}"' for c in kind.columns if c.required)
        result.add_error(
            None,
            None,
            None,
            _(
                "Không tìm thấy dòng tiêu đề của bảng (cần các cột %(columns)s). / "
                "No header row found (the table needs the columns %(columns)s)."
            )
            % {"columns": labels},
        )
        return None
    missing = [c.label for c in kind.columns if c.required and c.key not in match.columns]
    header_numbers = [head[match.row_index + k][0] for k in range(match.rows_used)]
    width = max(_trimmed_len(head[match.row_index + k][1]) for k in range(match.rows_used))
    result.layout.update(
        {
            "header_rows": header_numbers,
            "width": width,
            "columns": dict(match.columns),
            "headers": dict(match.texts),
        }
    )
    if missing:
        result.add_error(
            match.row_number,
            None,
            None,
            _("Thiếu cột bắt buộc: %(columns)s. / Missing required columns: %(columns)s.")
            % {"columns": ", ".join(f'"{m}"' for m in missing)},
        )
        return None
    problem = kind.check_columns(set(match.columns))
    if problem:
        result.add_error(match.row_number, None, None, problem)
        return None
    ctx.headers = dict(match.texts)
    ctx.preamble = [
        " ".join(t for t in (_repaired_text(v) for v in row) if t) for _n, row in head[: match.row_index]
    ]
    ctx.preamble = [line for line in ctx.preamble if line]
    header_rows = [row for _n, row in head[match.row_index : match.row_index + match.rows_used]]
    table_unit = None
    for line in [*ctx.preamble, *(" ".join(_repaired_text(v) for v in r) for r in header_rows)]:
        table_unit = table_unit or parsing.unit_line_multiplier(line)
    multipliers = hdr.money_multipliers(match, kind.columns, header_rows, table_unit)

    data: Iterator[tuple[int, list[Any]]] = chain(head[match.row_index + match.rows_used :], sheet.rows)
    sample = list(islice(data, SAMPLE_ROWS))
    if sample and hdr.is_numbering_row(sample[0][1]):
        result.skipped += 1
        sample = sample[1:]
    repairer = TextRepairer()
    repairer.learn(
        (row for _n, row in sample),
        extra=[v for _n, row in head[: match.row_index + match.rows_used] for v in row if isinstance(v, str)],
    )
    numeric = [
        match.columns[c.key]
        for c in kind.columns
        if isinstance(c, Integer | Number | Money) and c.key in match.columns
    ]
    style = parsing.detect_number_style(
        [row[j] for _n, row in sample for j in numeric if j < len(row) and isinstance(row[j], str)]
    )
    specs = []
    for column in kind.columns:
        j = match.columns.get(column.key)
        if j is None:
            continue
        cctx = CellContext(
            column=j, repairer=repairer, number_style=style, multiplier=multipliers.get(column.key, 1)
        )
        specs.append((column.key, column.parser(cctx), j, column.required))
    last_header_row = header_numbers[-1]
    rows = _parse_rows(
        chain(sample, data),
        specs,
        match,
        sheet,
        last_header_row,
        result,
        ctx,
        repairer if repairer.legacy_seen else None,
        dict.fromkeys(c.key for c in kind.columns),
    )

    def stream() -> Iterator[Row]:
        yield from rows
        result.converted_cells = repairer.converted_cells
        result.legacy_encoding = repairer.encoding_used or match.legacy_encoding

    return stream()


def _trimmed_len(cells: list[Any]) -> int:
    n = len(cells)
    while n and cells[n - 1] in ("", None):
        n -= 1
    return n


def _parse_rows(
    data: Iterator[tuple[int, list[Any]]],
    specs: list[tuple[str, Any, int, bool]],
    match: hdr.HeaderMatch,
    sheet: Sheet,
    last_header_row: int,
    result: ImportResult,
    ctx: ImportContext,
    repairer: TextRepairer | None = None,
    blank: dict[str, None] | None = None,
) -> Iterator[Row]:
    """Rows as `Row`s; `values` holds every column of the kind (None for a column the file lacks)."""
    required_message = _("Thiếu giá trị bắt buộc. / A required value is missing.")
    fills = _data_merges(sheet, last_header_row)
    active: list[tuple[int, int, int, Any]] = []
    stt = match.stt_column
    total = sheet.total_rows or 0
    count = 0
    for number, cells in data:
        if fills or active:
            cells = _apply_merges(number, cells, fills, active)
        filled = len(cells) - cells.count("") - cells.count(None)
        if filled == 0:
            continue
        if filled <= 3 and any(hdr.is_footer_text(v) for v in cells):
            break
        marker = cells[stt] if stt is not None and stt < len(cells) else None
        if marker.__class__ is str and hdr.is_section_marker(marker):
            result.skipped += 1
            continue
        # a row numbered in the STT column is a data row; others may be a "Tổng cộng" row
        if marker.__class__ not in (int, float) and _is_total(cells, stt):
            result.skipped += 1
            continue
        if repairer is not None:
            repairer.start_row(cells)
        values: dict[str, Any] = blank.copy() if blank else {}
        row = Row(number, values)
        n = len(cells)
        for key, parse, j, required in specs:
            raw = cells[j] if j < n else ""
            try:
                value = parse(raw) if raw != "" and raw is not None else None
            except CellError as exc:
                row.error(key, str(exc))
                value = None
            else:
                if value is None and required:
                    row.error(key, required_message)
            values[key] = value
        yield row
        count += 1
        if count % PROGRESS_EVERY == 0:
            ctx.report("read", number, max(total, number))
    ctx.report("read", total, total)


_TOTAL_STARTS = {"tổng", "tong", "cộng", "cong", "tota", "gran"}


def _is_total(cells: list[Any], stt: int | None) -> bool:
    """A "Tổng cộng" / "Cộng" row: its first or second filled cell (after STT) says so."""
    seen = 0
    for j, v in enumerate(cells):
        if j == stt or v == "" or v is None:
            continue
        if v.__class__ is str and v[:4].lower() in _TOTAL_STARTS and hdr.is_total_text(v):
            return True
        seen += 1
        if seen >= 2:
            return False
    return False


def _data_merges(sheet: Sheet, last_header_row: int) -> dict[int, list[tuple[int, int, int]]]:
    """Vertical merges below the header, by their first Excel row: (last row, first cell, last cell)."""
    out: dict[int, list[tuple[int, int, int]]] = {}
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 + 1 > last_header_row and r1 > r0:
            out.setdefault(r0 + 1, []).append((r1 + 1, c0 - sheet.col_offset, c1 - sheet.col_offset))
    return out


def _apply_merges(
    number: int,
    cells: list[Any],
    fills: dict[int, list[tuple[int, int, int]]],
    active: list[tuple[int, int, int, Any]],
) -> list[Any]:
    """Repeat a vertically merged cell's value ("Xã" merged over its villages) on every row it covers."""
    for last, c0, c1 in fills.get(number, ()):
        value = cells[c0] if 0 <= c0 < len(cells) else ""
        active.append((last, c0, c1, value))
    if not active:
        return cells
    cells = list(cells)
    keep = []
    for last, c0, c1, value in active:
        if number <= last:
            for c in range(max(c0, 0), c1 + 1):
                while c >= len(cells):
                    cells.append("")
                if cells[c] == "" or cells[c] is None:
                    cells[c] = value
            if number < last:
                keep.append((last, c0, c1, value))
    active[:] = keep
    return cells
