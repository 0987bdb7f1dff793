"""The support summary: a year's support per village at every grain the households-support report groups by,
derived from the records and kept in step with them (`SupportSummary`).

Why: a province's report would otherwise re-derive ~20,000 supported households a year (their members, head
and poverty status) six ways on every request. Households lie in exactly one village, so figures counted
per village add up exactly to any larger area: the report sums these rows and re-bases villages as before.

Kept in step, in the same transaction as the change:
- writes through model instances (services, restore from history, the admin of data) — signal handlers
  below refresh the (year, village) slices the changed row touches, before and after the change;
- bulk writes (imports, demo data) call `refresh_households()` or `rebuild()` themselves.
`differences()` recomputes a year and lists what the stored rows get wrong (tests use it after every kind
of change; nothing should ever be listed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from dantoc.core.imports.bulk import id_list

_LOCK = 20180329  # advisory lock class of summary refreshes (the second key is the year)
_NI, _NS, _NQ = "CAST(NULL AS BIGINT)", "CAST(NULL AS VARCHAR(20))", "CAST(NULL AS NUMERIC)"


def _derive_sql(villages: bool) -> str:
    """Every grain of one year's support by village, from the records (parameters: the year, the village list
    when `villages`, the year again). Households are counted once per group (grouped by household first);
    persons are their non-merged members."""
    # the households of the villages first, so that only their support rows are read
    where = (
        "AND s.household_id IN (SELECT hh.id FROM households_household hh "
        "WHERE hh.village_id IN (SELECT * FROM ({ids}) v))"
        if villages
        else ""
    )
    return f"""
WITH xj AS MATERIALIZED (
  SELECT x.household_id AS household_id, x.program_id AS program_id, x.component_id AS component_id,
         x.kind AS kind, x.value AS value, x.quantity AS quantity, h.village_id AS village_id,
         (SELECT COUNT(*) FROM households_person m WHERE m.household_id = x.household_id
            AND m.merged_into_id IS NULL) AS n,
         hd.ethnic_group_id AS eth, hd.sex AS sex, ps.status AS status
  FROM (SELECT s.household_id AS household_id, c.program_id AS program_id, s.component_id AS component_id,
               s.kind AS kind, SUM(s.value_vnd) AS value, SUM(s.quantity) AS quantity
        FROM households_supportrecord s JOIN programs_component c ON c.id = s.component_id
        WHERE s.year = %s {where}
        GROUP BY s.household_id, s.component_id, s.kind, c.program_id) x
  JOIN households_household h ON h.id = x.household_id
  LEFT JOIN households_person hd ON hd.household_id = x.household_id AND hd.merged_into_id IS NULL
    AND hd.relation = 'head'
  LEFT JOIN households_povertystatus ps ON ps.household_id = x.household_id AND ps.year = %s
),
hp AS MATERIALIZED (
  SELECT household_id, program_id, MAX(village_id) AS village_id, MAX(n) AS n, MAX(eth) AS eth,
         MAX(sex) AS sex, MAX(status) AS status, SUM(value) AS value
  FROM xj GROUP BY household_id, program_id
)
SELECT 'p', village_id, program_id, {_NI}, '', eth, COALESCE(sex, ''), COALESCE(status, ''),
       COUNT(*), SUM(n), SUM(value), {_NQ}
FROM hp GROUP BY village_id, program_id, eth, sex, status
UNION ALL
SELECT 't', village_id, {_NI}, {_NI}, '', {_NI}, '', '', COUNT(*), SUM(n), SUM(value), {_NQ}
FROM (SELECT household_id, MAX(village_id) AS village_id, MAX(n) AS n, SUM(value) AS value FROM hp
      GROUP BY household_id) t
GROUP BY village_id
UNION ALL
SELECT 'c', village_id, {_NI}, component_id, '', {_NI}, '', '', COUNT(*), SUM(n), SUM(value), {_NQ}
FROM (SELECT household_id, component_id, MAX(village_id) AS village_id, MAX(n) AS n, SUM(value) AS value
      FROM xj GROUP BY household_id, component_id) t
GROUP BY village_id, component_id
UNION ALL
SELECT 'k', village_id, program_id, {_NI}, kind, {_NI}, '', '', COUNT(*), SUM(n), SUM(value), SUM(quantity)
FROM (SELECT household_id, program_id, kind, MAX(village_id) AS village_id, MAX(n) AS n, SUM(value) AS value,
             SUM(quantity) AS quantity FROM xj GROUP BY household_id, program_id, kind) t
GROUP BY village_id, program_id, kind
UNION ALL
SELECT 'ck', village_id, {_NI}, component_id, kind, {_NI}, '', '', COUNT(*), SUM(n), SUM(value), SUM(quantity)
FROM xj GROUP BY village_id, component_id, kind
"""


_COLUMNS = (
    "grain, village_id, program_id, component_id, kind, ethnic_group_id, sex, status, households, persons, "
    "value_vnd, quantity"
)


def _ids_sql(values: list[int]) -> tuple[str, list[Any]]:
    expr = id_list(values)
    return expr.sql, list(expr.params)


def refresh(year: int, villages: Iterable[int] | None = None) -> None:
    """Recompute a year's rows (of the given villages only, when given) from the records."""
    village_list = sorted(set(villages)) if villages is not None else None
    if village_list is not None and not village_list:
        return
    params: list[Any] = [year]  # the support year, the villages (when given), the poverty year
    delete = "DELETE FROM households_supportsummary WHERE year = %s"
    delete_params: list[Any] = [year]
    sql = _derive_sql(village_list is not None)
    if village_list is not None:
        ids, ids_params = _ids_sql(village_list)
        sql = sql.replace("{ids}", ids)
        params += ids_params
        delete += f" AND village_id IN (SELECT * FROM ({ids}) v)"
        delete_params += ids_params
    params.append(year)
    insert = f"INSERT INTO households_supportsummary (year, {_COLUMNS}) SELECT %s, z.* FROM ({sql}) z"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One refresh of a year at a time: a second one waits, then sees (and replaces) the first one's
            # rows instead of adding its own beside them. SQLite serialises writers anyway.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK, year])
        cursor.execute(delete, delete_params)
        cursor.execute(insert, [year, *params])


def years() -> list[int]:
    from dantoc.households.models import SupportRecord

    return sorted(SupportRecord.objects.order_by().values_list("year", flat=True).distinct())


def rebuild() -> None:
    """Every year, from scratch."""
    from dantoc.households.models import SupportSummary

    with transaction.atomic():
        SupportSummary.objects.all().delete()
        for year in years():
            refresh(year)
    with connection.cursor() as cursor:  # fresh statistics for the planner after a bulk rewrite
        cursor.execute("ANALYZE households_supportsummary")


def refresh_households(household_ids: Iterable[int], extra: Iterable[tuple[int, int]] = ()) -> None:
    """Refresh every (year, village) slice holding support of these households (in their current village),
    plus the `extra` (year, village) slices (where a moved record or household was before)."""
    slices: dict[int, set[int]] = defaultdict(set)
    for year, village in extra:
        slices[year].add(village)
    for year, village in slices_of_households(household_ids):
        slices[year].add(village)
    for year, villages in sorted(slices.items()):
        refresh(year, villages)


def refresh_records(pairs: Iterable[tuple[int, int]]) -> None:
    """Refresh the slices of (year, household) pairs just written in bulk."""
    from dantoc.households.models import Household

    by_household: dict[int, set[int]] = defaultdict(set)
    for year, household in pairs:
        by_household[household].add(year)
    villages = dict(Household.objects.filter(pk__in=id_list(by_household)).values_list("pk", "village_id"))
    slices: dict[int, set[int]] = defaultdict(set)
    for household, years_ in by_household.items():
        for year in years_:
            slices[year].add(villages[household])
    for year, village_ids in sorted(slices.items()):
        refresh(year, village_ids)


def slices_of_households(household_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(year, village) slices holding support of these households now (take them before moving them)."""
    from dantoc.households.models import SupportRecord

    ids = sorted({int(h) for h in household_ids if h is not None})
    if not ids:
        return set()
    return set(
        SupportRecord.objects.filter(household_id__in=id_list(ids))
        .order_by()
        .values_list("year", "household__village_id")
        .distinct()
    )


def differences(year: int) -> list[tuple[Any, ...]]:
    """Rows where the stored summary of `year` differs from a fresh derivation (should be none)."""
    with connection.cursor() as cursor:
        cursor.execute(_derive_sql(False), [year, year])
        fresh = Counter(_key(r) for r in cursor.fetchall())
        cursor.execute(
            f"SELECT {_COLUMNS} FROM households_supportsummary WHERE year = %s",
            [year],
        )
        stored = Counter(_key(r) for r in cursor.fetchall())  # a row stored twice counts as a difference
    return sorted((fresh - stored) + (stored - fresh), key=str)


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    *head, households, persons, value, quantity = row
    q = None if quantity is None else round(float(quantity), 2)
    return (*head, int(households), int(persons), int(value), q)


# --- kept in step with writes through model instances ------------------------------------------------------


def _slices_of(household_id: int | None, year: int | None = None) -> set[tuple[int, int]]:
    """(year, village) slices a household's support lies in now (for one year, when given)."""
    from dantoc.households.models import SupportRecord

    if household_id is None:
        return set()
    qs = SupportRecord.objects.filter(household_id=household_id)
    if year is not None:
        qs = qs.filter(year=year)
    return set(qs.order_by().values_list("year", "household__village_id").distinct())


def _before(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Remember where the row's support was before the change (a move must refresh both places)."""
    if kwargs.get("raw") or instance.pk is None:
        return
    instance._summary_before = _touched(sender, sender._default_manager.filter(pk=instance.pk).first())


def _touched(sender: Any, instance: Any) -> set[tuple[int, int]]:
    from dantoc.households.models import Household, Person, PovertyStatus, SupportRecord

    if instance is None:
        return set()
    if sender is SupportRecord:
        village = (
            Household.objects.filter(pk=instance.household_id).values_list("village_id", flat=True).first()
        )
        return {(instance.year, village)} if village is not None else set()
    if sender is PovertyStatus:
        return _slices_of(instance.household_id, instance.year)
    if sender is Person:
        return _slices_of(instance.household_id)
    if sender is Household:
        return _slices_of(instance.pk)
    return set()


def _after(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    slices = set(getattr(instance, "_summary_before", set())) | _touched(sender, instance)
    by_year: dict[int, set[int]] = defaultdict(set)
    for year, village in slices:
        by_year[year].add(village)
    for year, villages in sorted(by_year.items()):
        refresh(year, villages)


def _after_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    from dantoc.households.models import Household, SupportRecord

    if sender is SupportRecord:
        village = (
            Household.objects.filter(pk=instance.household_id).values_list("village_id", flat=True).first()
        )
        if village is not None:
            refresh(instance.year, [village])
        return
    _after(sender, instance, **kwargs)


def connect() -> None:
    from dantoc.households.models import Household, Person, PovertyStatus, SupportRecord

    for model in (SupportRecord, PovertyStatus, Person, Household):
        uid = f"support_summary_{model.__name__}"
        pre_save.connect(_before, sender=model, dispatch_uid=f"{uid}_before")
        post_save.connect(_after, sender=model, dispatch_uid=f"{uid}_after")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}_delete")
