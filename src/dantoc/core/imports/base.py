"""Import kinds: what a kind declares and the generic set-based path for kinds that write one model.

A kind reads rows that the engine has already parsed by column, then works on all rows at once:
`prepare` resolves references with a few bulk queries and reports row errors, `plan` compares the
rows with what is stored and marks each row created / updated / unchanged, `write` writes them with
bulk statements and bulk audit entries. The engine calls `plan` and `write` in one transaction.
"""

from __future__ import annotations

import datetime as dt
import operator
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.imports import bulk
from dantoc.core.imports.columns import Column, Option
from dantoc.core.models import AuditEntry, TrackedModel
from dantoc.core.scoping import unit_in_scope, user_scope_prefix

CHUNK = 5000


class SystemActor:
    """The acting "user" of a command run without --user: every area, no audit actor."""

    pk = None
    id = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_system_admin = True
    can_write = True
    scope_id = None
    scope = None

    def __str__(self) -> str:
        return "system"


class Status:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Row:
    """One data row: Excel row number, parsed values by column key, errors as (column key, message)."""

    __slots__ = ("data", "errors", "number", "status", "values")

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values
        self.errors: list[tuple[str | None, str]] = []
        self.status: str = ""
        self.data: dict[str, Any] = {}

    def error(self, column: str | None, message: str) -> None:
        self.errors.append((column, message))

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.values!r}, errors={self.errors!r})"


@dataclass
class ImportContext:
    kind: ImportKind
    user: Any
    options: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written in the file
    preamble: list[str] = field(default_factory=list)  # text of the rows above the header
    today: dt.date = field(default_factory=dt.date.today)
    cache: dict[Any, Any] = field(default_factory=dict)  # kinds keep per-import lookups here
    # What the person importing should look at next (message, and a link): shown with the result.
    notices: list[dict[str, str]] = field(default_factory=list)
    progress: Callable[[str, int, int], None] | None = None

    @property
    def scope_prefix(self) -> str | None:
        return user_scope_prefix(self.user)

    def in_scope(self, unit: Any) -> bool:
        return unit_in_scope(self.user, unit)

    @property
    def actor_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def column_name(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        return self.kind.column(key).label if self.kind.has_column(key) else key

    def report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)


class ImportKind:
    """An import kind. Subclasses declare `slug`, `label`, `columns` and implement prepare/plan/write."""

    slug: ClassVar[str]
    label: ClassVar[Any]
    description: ClassVar[Any] = ""
    columns: ClassVar[Sequence[Column]] = ()
    options: ClassVar[Sequence[Option]] = ()
    admin_only: ClassVar[bool] = False
    order: ClassVar[int] = 100
    # Rows shown on the notes sheet of the template (values in column order).
    examples: ClassVar[Sequence[Sequence[Any]]] = ()
    # Folded words of sheet names to try first in a workbook of several sheets ("giai ngan").
    sheet_hints: ClassVar[Sequence[str]] = ()
    # True when prepare/plan/write may be called once per batch of rows (state kept in `ctx.cache`),
    # so that a large file is read, checked and written in batches instead of all at once.
    batched: ClassVar[bool] = False
    # True when `plan` copes with rows that `prepare` rejected (it skips them), so that one run reports
    # the errors found against stored records too, not only those of the first stage.
    plan_after_errors: ClassVar[bool] = False

    def check_permission(self, user: Any) -> None:
        if user is None or not getattr(user, "can_write", False):
            raise PermissionDenied(_("Vai trò của bạn chỉ được xem. / Your role is read-only."))
        if self.admin_only and not getattr(user, "is_system_admin", False):
            raise PermissionDenied(
                _(
                    "Chỉ quản trị hệ thống được nhập loại dữ liệu này. / Only system administrators may import this."
                )
            )
        if user_scope_prefix(user) is None:
            raise PermissionDenied(_("Bạn chưa được giao phạm vi. / You have no area assigned."))

    def has_column(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def adjust_header(self, columns: dict[str, int], texts: dict[str, str]) -> None:
        """Re-map found columns in place (e.g. a lone "Huyện" column names the unit itself)."""

    def check_columns(self, columns: set[str]) -> str | None:
        """A message when the columns found cannot work together (beyond the required ones), else None."""
        return None

    def read_preamble(self, ctx: ImportContext, lines: list[str]) -> None:
        """Take defaults from the title rows (a decision number, a date…). Nothing by default."""

    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        """Resolve references for all rows at once; report row errors."""

    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        """Mark each valid row created / updated / unchanged (may add errors)."""
        raise NotImplementedError

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        """Write the planned rows (inside the engine's transaction)."""
        raise NotImplementedError


class SeenKeys:
    """The first row of each key over a whole import, for duplicates between rows of different batches.

    The current batch's keys are kept in a dict; at `end_batch` they are folded into sorted arrays of
    64-bit hashes and row numbers (16 bytes a key instead of a few hundred for a dict of tuples), so a
    million-row file does not keep a million keys alive. Two different keys would have to share a 64-bit
    hash to be taken for duplicates.
    """

    def __init__(self) -> None:
        self.current: dict[Any, int] = {}
        self.batches: list[tuple[array[int], array[int]]] = []

    def first(self, key: Any) -> int | None:
        """The row that first had `key`, if any."""
        found = self.current.get(key)
        if found is not None or not self.batches:
            return found
        h = hash(key)
        for hashes, rows in self.batches:
            i = bisect_left(hashes, h)
            if i < len(hashes) and hashes[i] == h:
                return rows[i]
        return None

    def add(self, key: Any, row: int) -> int | None:
        """Record `key` at `row` unless it was seen; returns the first row when it was."""
        first = self.first(key)
        if first is None:
            self.current[key] = row
        return first

    def end_batch(self) -> None:
        if self.current:
            pairs = sorted((hash(k), r) for k, r in self.current.items())
            self.batches.append((array("q", (h for h, _r in pairs)), array("q", (r for _h, r in pairs))))
            self.current = {}


def seen_keys(ctx: ImportContext, name: str) -> SeenKeys:
    """The import's `SeenKeys` called `name` (its previous batch folded away when a new batch starts)."""
    batch: int = ctx.cache.get("batch_number", 0)
    found: tuple[SeenKeys, int] | None = ctx.cache.get(("seen", name))
    if found is None:
        found = ctx.cache[("seen", name)] = (SeenKeys(), batch)
    keys, at = found
    if at != batch:
        keys.end_batch()
        ctx.cache[("seen", name)] = (keys, batch)
    return keys


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def duplicate_message(first_row: int) -> str:
    return _("Trùng với dòng %(row)s. / Duplicates row %(row)s.") % {"row": first_row}


class ModelImportKind(ImportKind):
    """A kind whose rows each upsert one record of `model`, identified by `key_fields`.

    Subclasses implement `resolve` (bulk lookups) and `build` (a row's field values, by attribute
    name: "unit_id", not "unit"). Everything else — duplicates in the file, comparison with what is
    stored, multi-row inserts and updates, audit entries — is done here, on plain dicts.

    `build` returns only the fields the file determines: a column missing from the file leaves the
    stored value alone. Values needed only when creating go in `row.data["defaults"]`.
    """

    model: ClassVar[type[models.Model]]
    key_fields: ClassVar[tuple[str, ...]]
    value_fields: ClassVar[tuple[str, ...]]
    lookup_field: ClassVar[str | None] = None  # pre-filters stored records; default: the first key field

    def resolve(self, ctx: ImportContext, rows: list[Row]) -> None:
        """Bulk lookups shared by all rows (units, groups…), reporting row errors."""

    def build(self, ctx: ImportContext, row: Row) -> dict[str, Any] | None:
        raise NotImplementedError

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        getter = self.__dict__.get("_key_getter")
        if getter is None:
            fields = self.key_fields
            getter = operator.itemgetter(*fields) if len(fields) > 1 else (lambda v, f=fields[0]: (v[f],))
            self.__dict__["_key_getter"] = getter
        return getter(values)

    def stored_fields(self) -> list[str]:
        """Attribute names fetched for stored records (enough for the key, comparison and audit)."""
        return [
            self.model._meta.pk.attname,
            *dict.fromkeys((*self.key_fields, *self.value_fields, *bulk.snapshot_fields(self.model))),
        ]

    def existing(self, ctx: ImportContext, keys: list[tuple[Any, ...]]) -> Iterable[dict[str, Any]]:
        """Stored records that may match `keys`, as dicts of `stored_fields()`."""
        field_name = self.lookup_field or self.key_fields[0]
        index = self.key_fields.index(field_name)
        values = sorted({k[index] for k in keys}, key=str)
        for part in chunks(values):
            yield from self.model._default_manager.filter(**{f"{field_name}__in": part}).values(
                *self.stored_fields()
            )

    def pick(self, candidates: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
        """Which of several stored records with the same key a row updates (default: the first)."""
        return candidates[0]

    def complete(self, ctx: ImportContext, values: dict[str, Any]) -> dict[str, Any]:
        """A new record's full values (derived fields filled in) before insertion."""
        return values

    def describe(self, values: dict[str, Any]) -> str:
        """The text of a record in the audit trail."""
        return str(self.model(**{k: v for k, v in values.items() if k in self._attnames()}))

    def _attnames(self) -> set[str]:
        return {f.attname for f in self.model._meta.concrete_fields}

    def before_insert(self, ctx: ImportContext, rows: list[dict[str, Any]]) -> None:
        """Fill fields derived from the primary keys (reserved before the insert), e.g. a materialised path."""

    def after_create(self, ctx: ImportContext, ids: list[int], rows: list[dict[str, Any]]) -> None:
        """Fix up, after the insert, what needs the new primary keys when they could not be reserved."""

    # --- generic steps ---------------------------------------------------------------------
    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        self.resolve(ctx, rows)
        seen: dict[tuple[Any, ...], int] = {}
        for row in rows:
            if row.errors:
                continue
            values = self.build(ctx, row)
            if values is None or row.errors:
                continue
            key = self.key_of(values)
            first = seen.get(key)
            if first is not None:
                row.error(None, duplicate_message(first))
                continue
            seen[key] = row.number
            row.data["values"] = values

    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        valid = [r for r in rows if r.ok and "values" in r.data]
        keys = [self.key_of(r.data["values"]) for r in valid]
        stored: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for record in self.existing(ctx, keys):
            stored.setdefault(self.key_of(record), []).append(record)
        fields = self.value_fields
        for row in valid:
            values = row.data["values"]
            candidates = stored.get(self.key_of(values))
            if not candidates:
                row.status = Status.CREATED
                continue
            record = self.pick(candidates, values)
            changes = {f: values[f] for f in fields if f in values and record[f] != values[f]}
            row.data["stored"] = record
            if changes:
                row.status = Status.UPDATED
                row.data["changes"] = changes
            else:
                row.status = Status.UNCHANGED

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        writer = bulk.AuditWriter(ctx.actor_id)
        created = [r for r in rows if r.status == Status.CREATED]
        if created:
            records = [
                self.complete(ctx, {**r.data.get("defaults", {}), **r.data["values"]}) for r in created
            ]
            pk_name = self.model._meta.pk.attname
            # Reserved keys let the rows go in without RETURNING: COPY on PostgreSQL, executemany on SQLite.
            reserved = bulk.reserve_ids(self.model, len(records))
            if reserved is not None:
                for record, pk in zip(records, reserved, strict=True):
                    record[pk_name] = pk
                self.before_insert(ctx, records)
            ids: list[int] = []
            for part in chunks(records, 5000):
                ids.extend(bulk.insert(self.model, part, with_pk=reserved is not None))
                ctx.report("write", len(ids), len(records))
            if reserved is None:
                self.after_create(ctx, ids, records)
            for row, pk, record in zip(created, ids, records, strict=True):
                record[pk_name] = pk
                row.data["stored"] = record
            writer.add_many(
                AuditEntry.Action.CREATE,
                self.model,
                (
                    (pk, self.describe(rec), None, bulk.snapshot(self.model, rec))
                    for pk, rec in zip(ids, records, strict=True)
                ),
            )
        self.write_updates(ctx, [r for r in rows if r.status == Status.UPDATED], writer)
        writer.flush()

    def write_updates(self, ctx: ImportContext, rows: list[Row], writer: bulk.AuditWriter) -> None:
        if not rows:
            return
        now = timezone.now()
        tracked = issubclass(self.model, TrackedModel)
        pk_name = self.model._meta.pk.attname
        changes: list[tuple[int, dict[str, Any]]] = []
        for row in rows:
            record = row.data["stored"]
            before = bulk.snapshot(self.model, record)
            new = dict(row.data["changes"])
            if tracked:
                new["version"] = record.get("version", 1) + 1
                new["updated_at"] = now
            changes.append((record[pk_name], new))
            record.update(row.data["changes"])
            writer.add(
                AuditEntry.Action.UPDATE,
                self.model,
                record[pk_name],
                self.describe(record),
                before,
                bulk.snapshot(self.model, record),
            )
        bulk.update(self.model, changes)
