"""Lean set-based writes for large imports: multi-row INSERT … RETURNING and executemany UPDATE.

Django's `bulk_create` spends most of its time compiling each value (about 100 µs per row for a
dozen fields); here rows are plain dicts keyed by attribute name, converted once per field type,
and sent as multi-row statements. Audit entries are written the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from json.encoder import JSONEncoder, encode_basestring_ascii
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from dantoc.core.audit import _json_value
from dantoc.core.models import AuditEntry

Converter = Callable[[Any], Any]
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BigIntegerField,
)


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_ENCODE = (
    _c_make_encoder(
        None, JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    if _c_make_encoder is not None
    else None
)


def json_dumps(value: Any) -> str:
    """`json.dumps(value)` with the C encoder built once (json.dumps builds one per call)."""
    if _ENCODE is None:
        return json.dumps(value)
    return "".join(_ENCODE(value, 0))


def id_list(ids: Iterable[int]) -> Any:
    """The right side of an `__in` lookup on integer ids as a single parameter.

    `filter(work_id__in=id_list(ids))` skips Django's per-value preparation and the parameter limit
    (no chunks): `IN (SELECT unnest(%s::bigint[]))` on PostgreSQL, `IN (SELECT value FROM json_each(%s))`
    on SQLite; a plain list elsewhere.
    """
    from django.db.models.expressions import RawSQL

    values = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        # an array literal in one string: Django binds on the client, which would quote each element
        return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"])
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json_dumps(values)])
    return values


_SEPARATOR = "\x1f"  # the unit separator, which text from a cell does not hold (else: a plain array)


def text_list(texts: Iterable[str]) -> Any:
    """As `id_list`, for text values."""
    from django.db.models.expressions import RawSQL

    values = [str(t) for t in texts]
    if connection.vendor == "postgresql":
        if all(values) and not any(_SEPARATOR in v for v in values):
            # one string split by the server: Django binds on the client, which would quote each element
            return RawSQL("SELECT unnest(string_to_array(%s, chr(31)))", [_SEPARATOR.join(values)])
        return RawSQL("SELECT unnest(%s::text[])", [values])
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json_dumps(values)])
    return values


def _converter(field: models.Field[Any, Any]) -> Converter | None:
    """The database conversion of a field's values (None: as is); repeated values convert once."""
    if isinstance(field, models.ForeignKey) or (
        isinstance(field, _PLAIN) and not isinstance(field, models.JSONField)
    ):
        return None
    if isinstance(field, models.JSONField):
        if field.encoder is None and connection.vendor == "sqlite":
            return json_dumps
        if field.encoder is None and connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda value: Jsonb(value, dumps=json_dumps)
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda value: adapt(value, encoder)
    memo: dict[Any, Any] = {}

    def convert(value: Any, f: models.Field[Any, Any] = field) -> Any:
        found = memo.get(value, memo)
        if found is memo:
            found = memo[value] = f.get_db_prep_save(value, connection)
        return found

    return convert


@cache
def _insert_fields(model: type[models.Model], with_pk: bool = False) -> tuple[models.Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` new primary keys taken ahead of the insert, or None when the database cannot.

    PostgreSQL draws them from the column's sequence; SQLite takes the next ones above both the
    highest id and the AUTOINCREMENT counter, which is safe because an import's transaction holds
    SQLite's write lock from its start (transaction_mode IMMEDIATE).
    """
    if count == 0:
        return []
    table, column = model._meta.db_table, str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence is looked up once: pg_get_serial_sequence() per row costs ten times nextval()
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), column]
            )
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return [r[0] for r in cursor.fetchall()]
        if connection.vendor == "sqlite" and connection.in_atomic_block:
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(top, row[0] if row else 0) + 1
            return list(range(start, start + count))
    return None


def insert_new(
    model: type[models.Model],
    records: list[dict[str, Any]],
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 5000,
    extra: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
) -> list[int]:
    """Insert new rows in chunks; their primary keys, also set on each record.

    Keys are reserved ahead (`reserve_ids`) wherever the database allows, so the rows go in without
    RETURNING: COPY on PostgreSQL, one prepared statement on SQLite. `extra` as for `insert`."""
    pk_name = model._meta.pk.attname
    reserved = reserve_ids(model, len(records))
    if reserved is not None:
        for record, pk in zip(records, reserved, strict=True):
            record[pk_name] = pk
    ids: list[int] = []
    for start in range(0, len(records), chunk):
        ids.extend(insert(model, records[start : start + chunk], with_pk=reserved is not None, extra=extra))
        if progress is not None:
            progress(len(ids), len(records))
    if reserved is None:
        for record, pk in zip(records, ids, strict=True):
            record[pk_name] = pk
    return ids


def _max_params() -> int:
    limit = connection.features.max_query_params
    return min(limit or 30000, 30000)


def insert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    returning: bool = True,
    with_pk: bool = False,
    extra: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
) -> list[int]:
    """Insert `rows` (attribute name → value; missing fields take their default); the new primary keys.

    `auto_now`/`auto_now_add` fields get the current time. Values are not validated: the caller has.
    With `with_pk` the rows carry their primary keys (from `reserve_ids`). `extra` maps columns that are
    not model fields to the function giving each row's value (in the database's own text form).
    """
    if not rows:
        return []
    fields = _insert_fields(model, with_pk)
    extra = extra or {}
    add = list(extra.values())
    now = timezone.now()
    template: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            template[f.attname] = now
        else:
            template[f.attname] = f.get_default()  # "" for text that is not nullable, None otherwise
    pick = operator.itemgetter(*(f.attname for f in fields))
    converters = [
        (i, f.attname, c) for i, (f, c) in enumerate((f, _converter(f)) for f in fields) if c is not None
    ]
    for _i, name, convert in converters:  # defaults and timestamps convert once, not once per row
        if template[name] is not None:
            template[name] = convert(template[name])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join([*(quote(str(f.column)) for f in fields), *map(quote, extra)])
    pk = quote(str(model._meta.pk.column))
    per_row = "(" + ", ".join(["%s"] * (len(fields) + len(add))) + ")"
    batch = max(1, min(1000, _max_params() // (len(fields) + len(add))))
    ids: list[int] = []
    if connection.vendor == "postgresql" and (with_pk or not returning):
        # COPY is about ten times faster than INSERT on PostgreSQL. Timestamps shared by every row are
        # written in their text form once: formatting them row by row costs more than the rest of a row.
        for name, value in template.items():
            if isinstance(value, dt.datetime):
                template[name] = value.isoformat()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                values = list(pick({**template, **row}))
                for i, name, convert in converters:
                    if name in row and values[i] is not None:
                        values[i] = convert(values[i])
                values.extend(f(row) for f in add)
                copy.write_row(values)
        pk_name = model._meta.pk.attname
        return [row[pk_name] for row in rows] if with_pk else []
    if connection.vendor == "sqlite" and (with_pk or not returning):
        # One prepared statement run per row: SQLite's executemany loops in C and the query is
        # converted once (a 1,000-row VALUES list costs more to convert than to run).
        with connection.cursor() as cursor:
            params_list = []
            for row in rows:
                values = list(pick({**template, **row}))
                for i, name, convert in converters:
                    if name in row and values[i] is not None:
                        values[i] = convert(values[i])
                values.extend(f(row) for f in add)
                params_list.append(values)
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {per_row}", params_list)
        pk_name = model._meta.pk.attname
        return [row[pk_name] for row in rows] if with_pk else []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            params: list[Any] = []
            for row in part:
                values = list(pick({**template, **row}))
                for i, name, convert in converters:
                    if name in row and values[i] is not None:
                        values[i] = convert(values[i])
                values.extend(f(row) for f in add)
                params.extend(values)
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([per_row] * len(part))}"
            if returning and not with_pk:
                cursor.execute(sql + f" RETURNING {pk}", params)
                ids.extend(r[0] for r in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    if with_pk:
        pk_name = model._meta.pk.attname
        return [row[pk_name] for row in rows]
    return ids


def update(model: type[models.Model], changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """`UPDATE … SET … WHERE pk = %s` with executemany, one statement per set of changed fields."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for pk, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append((pk, values))
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        for names, items in groups.items():
            fields = [cast("models.Field[Any, Any]", meta.get_field(n)) for n in names]
            converters = [_converter(f) for f in fields]
            assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
            sql = f"UPDATE {table} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"
            params = []
            for pk, values in items:
                row = [values[n] for n in names]
                row = [
                    c(v) if c is not None and v is not None else v
                    for c, v in zip(converters, row, strict=True)
                ]
                params.append((*row, pk))
            cursor.executemany(sql, params)


@cache
def snapshot_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The attribute names `dantoc.core.audit.snapshot` records for `model`, in the same order."""
    exclude = set(getattr(model, "audit_exclude", ()))
    names = []
    for field in model._meta.concrete_fields:
        if field.name in exclude or field.primary_key or (not field.editable and field.name != "path"):
            continue
        if field.name == "path":
            continue
        names.append(field.attname)
    return tuple(names)


@cache
def _snapshotter(model: type[models.Model]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    names = snapshot_fields(model)
    template = {n: cast("models.Field[Any, Any]", model._meta.get_field(n)).get_default() for n in names}
    pick = operator.itemgetter(*names)
    plain = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.BooleanField,
        models.ForeignKey,
        models.FloatField,
    )
    special = [n for n in names if not isinstance(model._meta.get_field(n), plain)]

    def snap(values: dict[str, Any]) -> dict[str, Any]:
        merged = {**template, **values}
        out = dict(zip(names, pick(merged) if len(names) > 1 else (pick(merged),), strict=True))
        for name in special:
            value = out[name]
            if value is not None:
                out[name] = (
                    value.isoformat() if value.__class__ in (dt.date, dt.datetime) else _json_value(value)
                )
        return out

    return snap


def snapshot(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """What `audit.snapshot` gives for a record with these values (missing fields: their default)."""
    return _snapshotter(model)(values)


class AuditWriter:
    """Audit entries of one import, inserted in bulk batches within the import's transaction."""

    BATCH = 5000

    def __init__(self, actor_id: int | None) -> None:
        self.actor_id = actor_id
        self.rows: list[dict[str, Any]] = []
        self._types: dict[type[models.Model], int] = {}

    def content_type(self, model: type[models.Model]) -> int:
        ct = self._types.get(model)
        if ct is None:
            ct = self._types[model] = ContentType.objects.get_for_model(model).pk
        return ct

    def add(
        self,
        action: str,
        model: type[models.Model],
        pk: Any,
        text: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self.rows.append(
            {
                "actor_id": self.actor_id,
                "action": action,
                "content_type_id": self.content_type(model),
                "object_id": str(pk),
                "object_repr": text[:255],
                "before": before,
                "after": after,
            }
        )
        if len(self.rows) >= self.BATCH:
            self.flush()

    def add_many(
        self, action: str, model: type[models.Model], items: Iterable[tuple[Any, str, Any, Any]]
    ) -> None:
        ct = self.content_type(model)
        actor = self.actor_id
        for pk, text, before, after in items:
            self.rows.append(
                {
                    "actor_id": actor,
                    "action": action,
                    "content_type_id": ct,
                    "object_id": str(pk),
                    "object_repr": text[:255],
                    "before": before,
                    "after": after,
                }
            )
            if len(self.rows) >= self.BATCH:
                self.flush()

    def flush(self) -> None:
        if self.rows:
            insert(AuditEntry, self.rows, returning=False)
            self.rows = []

    def add_created(self, model: type[models.Model], ids: Sequence[int], text: Sequence[str]) -> None:
        """Create entries for rows just inserted, built by the database from the rows themselves.

        One INSERT … SELECT per batch: the snapshot is `json_object(…)` / `jsonb_build_object(…)` of the
        same fields `audit.snapshot` records, the text is the `text` columns joined by spaces (as the
        model's `__str__`). Models whose snapshot holds values the database would render differently
        (booleans on SQLite, decimals, date-times, files) take the row-by-row path instead.
        """
        sql = _created_sql(model, tuple(text))
        if sql is None:
            for part in _chunks(sorted(ids), 5000):
                for obj in model._default_manager.filter(pk__in=part):
                    self.add(AuditEntry.Action.CREATE, model, obj.pk, str(obj), None, _instance_snapshot(obj))
            return
        self.flush()
        at = AuditEntry._meta.get_field("at").get_db_prep_save(timezone.now(), connection)
        ct = self.content_type(model)
        with connection.cursor() as cursor:
            for first, last in _runs(sorted(ids)):
                cursor.execute(sql, [self.actor_id, ct, at, first, last])


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ids: [1, 2, 3, 7, 8] → [(1, 3), (7, 8)] (reserved ids come in one run)."""
    runs: list[tuple[int, int]] = []
    for pk in ids:
        if runs and pk == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], pk)
        else:
            runs.append((pk, pk))
    return runs


def _instance_snapshot(obj: models.Model) -> dict[str, Any]:
    from dantoc.core.audit import snapshot as audit_snapshot

    return audit_snapshot(obj)


_SQL_TYPES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.ForeignKey,
    models.DateField,
)


@cache
def _created_sql(model: type[models.Model], text: tuple[str, ...]) -> str | None:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return None
    meta = model._meta
    quote = connection.ops.quote_name
    pairs = []
    for name in snapshot_fields(model):
        field = next(f for f in meta.concrete_fields if f.attname == name)
        if isinstance(field, models.DateTimeField | models.BooleanField) or not isinstance(field, _SQL_TYPES):
            return None
        pairs.append(f"'{name}', {quote(str(field.column))}")
    build = "json_object" if vendor == "sqlite" else "jsonb_build_object"
    columns = [quote(str(cast("models.Field[Any, Any]", meta.get_field(n)).column)) for n in text]
    as_text = [f"CAST({c} AS TEXT)" for c in columns]
    label = " || ' ' || ".join(as_text) if as_text else "''"
    table = quote(meta.db_table)
    pk = quote(str(meta.pk.column))
    audit = quote(AuditEntry._meta.db_table)
    names = ", ".join(
        quote(c)
        for c in (
            "actor_id",
            "action",
            "content_type_id",
            "at",
            "object_id",
            "object_repr",
            "before",
            "after",
        )
    )
    return (
        f"INSERT INTO {audit} ({names}) "
        f"SELECT %s, 'create', %s, %s, CAST({pk} AS TEXT), SUBSTR({label}, 1, 255), NULL, {build}({', '.join(pairs)}) "
        f"FROM {table} WHERE {pk} BETWEEN %s AND %s"
    )
