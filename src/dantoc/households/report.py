"""Report `households-support`: households and persons supported in a year, by programme, component, kind,
ethnic group and sex of the head, poverty status of that year, with value — rolled up by unit level.

Set-based: one SQL statement sums the year's support summary (`households.summary`: per village, at every
grain, kept in step with the records) by each dimension (households are counted once per group, persons are
the non-merged members of the households counted); Python then only re-bases the few thousand
(village × dimension) rows onto the requested structure and rolls them up along the unit paths.

Structures: `historical` — the units valid at the end of the year (or today for the current year),
`current` — today's units. A household recorded on a village row of the other structure is moved to
it through the lineage edges of the reform (one query per hop for all villages at once).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.imports.bulk import id_list
from dantoc.core.scoping import user_scope_prefix
from dantoc.geo.models import AdminUnit, EthnicGroup, Level, UnitLineage, valid_on
from dantoc.geo.selectors import rebase_map
from dantoc.households.models import SupportKind
from dantoc.programs.models import Component, Program

KIND = "households-support"
STRUCTURES = ("historical", "current")
FORMATS = ("json", "xlsx", "html")
UNKNOWN = "unknown"
MAX_HOPS = 12


@dataclass
class Figures:
    households: int = 0
    persons: int = 0
    value_vnd: int = 0
    quantity: float = 0.0

    def add(self, households: Any, persons: Any, value: Any, quantity: Any = 0) -> None:
        self.households += int(households or 0)
        self.persons += int(persons or 0)
        self.value_vnd += int(value or 0)
        self.quantity += float(quantity or 0)

    def out(self, quantity: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "households": self.households,
            "persons": self.persons,
            "value_vnd": self.value_vnd,
        }
        if quantity:
            d["quantity"] = round(self.quantity, 2)
        return d


def _sql(where: str) -> str:
    """The report's groupings, summed from the support summary (per-village rows at every grain: a household
    lies in one village, so sums over villages count it once). `where` filters the summary rows."""
    ni, ns, nq = "CAST(NULL AS BIGINT)", "CAST(NULL AS VARCHAR(20))", "CAST(NULL AS NUMERIC)"
    n = "CAST(SUM(households) AS BIGINT), CAST(SUM(persons) AS BIGINT), CAST(SUM(value_vnd) AS BIGINT)"
    t = f"households_supportsummary WHERE {where} AND grain"
    return f"""
SELECT 'p', {ni}, program_id, {ni}, {ns}, ethnic_group_id, sex, status, {n}, {nq}
FROM {t} = 'p' GROUP BY program_id, ethnic_group_id, sex, status
UNION ALL
SELECT 'u', village_id, program_id, {ni}, {ns}, {ni}, {ns}, {ns}, {n}, {nq}
FROM {t} = 'p' GROUP BY village_id, program_id
UNION ALL
SELECT 't', village_id, {ni}, {ni}, {ns}, {ni}, {ns}, {ns}, {n}, {nq}
FROM {t} = 't' GROUP BY village_id
UNION ALL
SELECT 'c', {ni}, {ni}, component_id, {ns}, {ni}, {ns}, {ns}, {n}, {nq}
FROM {t} = 'c' GROUP BY component_id
UNION ALL
SELECT 'k', {ni}, program_id, {ni}, kind, {ni}, {ns}, {ns}, {n}, SUM(quantity)
FROM {t} = 'k' GROUP BY program_id, kind
UNION ALL
SELECT 'ck', {ni}, {ni}, component_id, kind, {ni}, {ns}, {ns}, {n}, SUM(quantity)
FROM {t} = 'ck' GROUP BY component_id, kind
"""


def _grouped_rows(year: int, prefix: str | None, villages: list[int] | None) -> list[tuple[Any, ...]]:
    where: list[str] = ["year = %s"]
    params: list[Any] = [year]
    if prefix:
        where.append("village_id IN (SELECT id FROM geo_adminunit WHERE path LIKE %s)")
        params.append(f"{prefix}%")  # paths hold digits and slashes only
    if villages is not None:
        ids = id_list(villages)
        where.append(f"village_id IN (SELECT * FROM ({ids.sql}) v)")
        params += list(ids.params)
    with connection.cursor() as cursor:
        cursor.execute(_sql(" AND ".join(where)), params * 6)  # the same filter in each grouping
        return list(cursor.fetchall())


# --- structure ------------------------------------------------------------------------------------------


def structure_date(year: int, structure: str) -> dt.date:
    today = timezone.localdate()
    if structure == "current":
        return today
    return min(dt.date(year, 12, 31), today)


def map_villages(ids: Iterable[int], on: dt.date) -> dict[int, int | None]:
    """Each village row → the village row valid on `on` for the same territory (None when there is none).

    A row's period is bounded by its ancestors' (a village without dates under a commune created in 2025
    exists from 2025)."""
    ids = set(ids)
    paths = dict(AdminUnit.objects.filter(pk__in=id_list(ids)).values_list("pk", "path"))
    chain_ids = {int(x) for p in paths.values() for x in p.strip("/").split("/") if x}
    periods = {
        pk: (vf, vt)
        for pk, vf, vt in AdminUnit.objects.filter(pk__in=id_list(chain_ids)).values_list(
            "pk", "valid_from", "valid_to"
        )
    }
    out: dict[int, int | None] = {}
    later: set[int] = set()
    earlier: set[int] = set()
    for pk in ids:
        if pk not in paths:
            out[pk] = None
            continue
        chain = [periods[int(x)] for x in paths[pk].strip("/").split("/") if x and int(x) in periods]
        starts = [vf for vf, _vt in chain if vf is not None]
        ends = [vt for _vf, vt in chain if vt is not None]
        if ends and min(ends) < on:
            later.add(pk)
        elif starts and max(starts) > on:
            earlier.add(pk)
        else:
            out[pk] = pk
    if later:
        best: dict[int, float] = {}
        for alloc in rebase_map(later, on):
            if float(alloc.weight) > best.get(alloc.source_id, -1.0):
                best[alloc.source_id] = float(alloc.weight)
                out[alloc.source_id] = alloc.target_id
    if earlier:
        out.update(_back(earlier, on))
    return out


def _back(ids: set[int], on: dt.date) -> dict[int, int | None]:
    """Follow lineage edges backward (new row → its predecessor) until a row valid on `on`."""
    found: dict[int, int | None] = {}
    frontier: dict[int, set[int]] = {pk: {pk} for pk in ids}  # source → current rows
    for _hop in range(MAX_HOPS):
        current = {c for rows in frontier.values() for c in rows}
        if not current:
            break
        edges: dict[int, list[int]] = defaultdict(list)
        for pred, succ in (
            UnitLineage.objects.filter(successor_id__in=id_list(current), predecessor__isnull=False)
            .order_by("-is_primary", "pk")
            .values_list("predecessor_id", "successor_id")
        ):
            edges[succ].append(pred)
        preds = {p for ps in edges.values() for p in ps}
        ok = set(
            AdminUnit.objects.filter(pk__in=id_list(preds)).filter(valid_on(on)).values_list("pk", flat=True)
        )
        nxt: dict[int, set[int]] = {}
        for source, rows in frontier.items():
            for row in rows:
                for pred in edges.get(row, []):
                    if pred in ok:
                        found.setdefault(source, pred)
                    else:
                        nxt.setdefault(source, set()).add(pred)
        frontier = {s: r for s, r in nxt.items() if s not in found}
    for pk in ids:
        found.setdefault(pk, None)
    return found


# --- the report -----------------------------------------------------------------------------------------


def default_unit(user: Any) -> AdminUnit | None:
    scope = getattr(user, "scope", None) if user is not None else None
    if scope is not None:
        return scope
    roots = list(AdminUnit.objects.filter(parent__isnull=True, level=Level.PROVINCE)[:2])
    return roots[0] if len(roots) == 1 else None


def _check_unit(unit: AdminUnit | None, on: dt.date, structure: str) -> None:
    if unit is None:
        return
    if not _valid_on(unit, on):
        raise ValidationError(
            {
                "unit": [
                    _(
                        "Đơn vị %(u)s không tồn tại ngày %(d)s (cơ cấu %(s)s): hãy chọn đơn vị của cơ cấu đó hoặc đổi cơ cấu. "
                        "/ Unit %(u)s did not exist on %(d)s (%(s)s structure): choose a unit of that structure or change "
                        "the structure."
                    )
                    % {"u": unit.full_name, "d": on.strftime("%d/%m/%Y"), "s": structure}
                ]
            }
        )


def _villages_in(unit: AdminUnit | None, on: dt.date) -> list[int] | None:
    """Stored village rows whose territory lies in `unit` in the structure of `on` (None: no restriction).

    The province row is shared by both structures, so a report on it needs no list. For a smaller unit, the
    villages under it in any period and their lineage relatives are mapped onto the structure and kept when
    they land inside it."""
    if unit is None or unit.parent_id is None:
        return None
    from dantoc.households.selectors import village_ids_of

    candidates = village_ids_of(unit) or set()
    mapped = map_villages(candidates, on)
    paths = dict(
        AdminUnit.objects.filter(pk__in=id_list({t for t in mapped.values() if t})).values_list("pk", "path")
    )
    return sorted(
        v
        for v, t in mapped.items()
        if paths.get(t or v, "").startswith(unit.path) or (t is None and v in candidates)
    )


_KIND_LABELS: dict[str, dict[str, str]] = {}


def _full_name(u: AdminUnit) -> str:
    """`AdminUnit.full_name` without translating every kind label for every unit."""
    from django.utils.translation import get_language

    from dantoc.geo.models import SHORT_PREFIX, Kind

    labels = _KIND_LABELS.get(get_language() or "")
    if labels is None:
        labels = {k: str(SHORT_PREFIX.get(k) or label) for k, label in Kind.choices}
        _KIND_LABELS[get_language() or ""] = labels
    prefix = labels.get(u.kind, "")
    return u.name if u.name.lower().startswith(prefix.lower()) else f"{prefix} {u.name}"


def _valid_on(unit: AdminUnit, on: dt.date) -> bool:
    return not ((unit.valid_from and unit.valid_from > on) or (unit.valid_to and unit.valid_to < on))


def build(
    year: int, unit: AdminUnit | None = None, structure: str | None = None, user: Any = None
) -> dict[str, Any]:
    """The report as data (the JSON shape). Without a structure: the year's units, unless the unit asked for
    (or the user's area) did not exist then, in which case today's."""
    if structure is None:
        chosen = unit or default_unit(user)
        historical = chosen is None or _valid_on(chosen, structure_date(year, "historical"))
        structure = "historical" if historical else "current"
    if structure not in STRUCTURES:
        raise ValidationError(
            {
                "structure": [
                    _("Cơ cấu phải là historical hoặc current. / Structure must be historical or current.")
                ]
            }
        )
    prefix = "" if user is None else user_scope_prefix(user)
    if prefix is None:
        raise ValidationError(_("Bạn chưa được giao phạm vi. / You have no area assigned."))
    if unit is not None and prefix and not unit.path.startswith(prefix):
        raise ValidationError(
            {"unit": [_("Đơn vị này nằm ngoài phạm vi của bạn. / This unit is outside your area.")]}
        )
    unit = unit or default_unit(user)
    on = structure_date(year, structure)
    _check_unit(unit, on, structure)
    rows = _grouped_rows(year, prefix or None, _villages_in(unit, on))

    mapped_or_none = map_villages({r[1] for r in rows if r[1] is not None}, on)
    # A village with no row in the requested structure keeps its own (its figures are never dropped).
    unmapped = sorted(v for v, t in mapped_or_none.items() if t is None)
    mapped = {v: (t if t is not None else v) for v, t in mapped_or_none.items()}
    targets = set(mapped.values())
    paths = dict(AdminUnit.objects.filter(pk__in=id_list(targets)).values_list("pk", "path"))
    within = unit.path if unit is not None else ""
    chains: dict[int, list[int]] = {}
    for v, target in mapped.items():
        if target is None or not paths.get(target, "").startswith(within):
            continue
        chains[v] = [int(x) for x in paths[target].strip("/").split("/")]
    ancestor_ids = {a for chain in chains.values() for a in chain}
    # Plain rows, not model instances: a province has a few thousand villages on these paths.
    units = {
        r[0]: AdminUnit(
            pk=r[0], level=r[1], kind=r[2], name=r[3], name_folded=r[4], parent_id=r[5], path=r[6]
        )
        for r in AdminUnit.objects.filter(pk__in=id_list(ancestor_ids))
        .exclude(
            level=Level.VILLAGE if unit is None or unit.level not in (Level.COMMUNE, Level.VILLAGE) else ""
        )
        .values_list("pk", "level", "kind", "name", "name_folded", "parent_id", "path")
    }
    depth = len(unit.path.strip("/").split("/")) if unit is not None else 0
    levels = _rollup_levels(unit, chains, units, depth)

    programs = {p.pk: p for p in Program.objects.all()}
    components = {c.pk: c for c in Component.objects.select_related("program")}
    groups = {g.pk: g for g in EthnicGroup.objects.all()}
    kinds = dict(SupportKind.choices)

    totals = Figures()
    per_program: dict[int, dict[str, Any]] = {}

    def prog(pid: int) -> dict[str, Any]:
        if pid not in per_program:
            per_program[pid] = {
                "total": Figures(),
                "kind": defaultdict(Figures),
                "eth": defaultdict(Figures),
                "sex": defaultdict(Figures),
                "pov": defaultdict(Figures),
                "comp": defaultdict(Figures),
                "comp_kind": defaultdict(lambda: defaultdict(Figures)),
                "units": defaultdict(Figures),
            }
        return per_program[pid]

    unit_totals: dict[int, Figures] = defaultdict(Figures)
    # Villages first add up per unit chain (the units they roll up to), then each chain's sum is added to
    # its units once: a few hundred chains instead of thousands of villages times their levels.
    rollup = {v: tuple(a for a in chain[depth:] if a in levels) for v, chain in chains.items()}
    by_chain: dict[tuple[Any, tuple[int, ...]], Figures] = defaultdict(Figures)
    for tag, village, program_id, component_id, kind, eth, sex, status, hh, persons, value, qty in rows:
        if tag == "t" or tag == "u":
            ups = rollup.get(village)
            if ups is not None:
                by_chain[(program_id if tag == "u" else None, ups)].add(hh, persons, value)
        elif tag == "p":
            d = prog(program_id)
            d["total"].add(hh, persons, value)
            d["eth"][eth or UNKNOWN].add(hh, persons, value)
            d["sex"][sex or UNKNOWN].add(hh, persons, value)
            d["pov"][status or UNKNOWN].add(hh, persons, value)
        elif tag == "c":
            prog(components[component_id].program_id)["comp"][component_id].add(hh, persons, value)
        elif tag == "k":
            prog(program_id)["kind"][kind].add(hh, persons, value, qty)
        elif tag == "ck":
            prog(components[component_id].program_id)["comp_kind"][component_id][kind].add(
                hh, persons, value, qty
            )
    for (program_id, ups), f in by_chain.items():
        if program_id is None:
            totals.add(f.households, f.persons, f.value_vnd)
            into = unit_totals
        else:
            into = prog(program_id)["units"]
        for a in ups:
            into[a].add(f.households, f.persons, f.value_vnd)

    full_names = {uid: _full_name(units[uid]) for uid in levels}

    def unit_rows(figs: dict[int, Figures]) -> list[dict[str, Any]]:
        out = []
        for uid, f in figs.items():
            u = units[uid]
            out.append(
                {"id": uid, "name": full_names[uid], "level": u.level, "parent": u.parent_id, **f.out()}
            )

        def tree_key(r: dict[str, Any]) -> tuple[str, ...]:  # a district, then its communes, by name
            return tuple(
                units[int(x)].name_folded if int(x) in units else ""
                for x in units[r["id"]].path.strip("/").split("/")
            )

        return sorted(out, key=tree_key)

    program_rows = []
    for pid, d in sorted(per_program.items(), key=lambda kv: programs[kv[0]].code):
        p = programs[pid]
        program_rows.append(
            {
                "code": p.code,
                "name": str(p),
                **d["total"].out(),
                "by_kind": {
                    k: {"label": str(kinds.get(k, k)), **f.out(True)} for k, f in sorted(d["kind"].items())
                },
                "by_ethnic_group": {
                    (groups[e].code if e in groups else UNKNOWN): {
                        "name": groups[e].name if e in groups else _("Chưa rõ"),
                        **f.out(),
                    }
                    for e, f in sorted(d["eth"].items(), key=lambda kv: (-kv[1].households, str(kv[0])))
                },
                "by_sex": {k: f.out() for k, f in sorted(d["sex"].items())},
                "by_poverty": {k: f.out() for k, f in sorted(d["pov"].items())},
                "components": [
                    {
                        "code": components[cid].code,
                        "name": components[cid].name,
                        "category": components[cid].category,
                        **f.out(),
                        "by_kind": {
                            k: {"label": str(kinds.get(k, k)), **kf.out(True)}
                            for k, kf in sorted(d["comp_kind"][cid].items())
                        },
                    }
                    for cid, f in sorted(
                        d["comp"].items(), key=lambda kv: (components[kv[0]].order, components[kv[0]].code)
                    )
                ],
                "units": unit_rows(d["units"]),
            }
        )
    return {
        "report": KIND,
        "year": year,
        "structure": structure,
        "structure_date": on.isoformat(),
        "unit": {"id": unit.pk, "name": unit.full_name, "level": unit.level} if unit is not None else None,
        **totals.out(),
        "programs": program_rows,
        "units": unit_rows(unit_totals),
        "unmapped_villages": [
            {"id": u.pk, "name": u.full_name, "commune": u.parent.full_name if u.parent else ""}
            for u in AdminUnit.objects.filter(pk__in=unmapped).select_related("parent")
        ],
        "generated_at": timezone.now().isoformat(timespec="seconds"),
    }


def _rollup_levels(
    unit: AdminUnit | None, chains: dict[int, list[int]], units: dict[int, AdminUnit], depth: int
) -> dict[int, int]:
    """Units to roll up to (id → order of its level): every level below the report unit down to the commune;
    a commune report goes down to villages."""
    order: dict[str, int] = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.VILLAGE: 3}
    lowest = (
        Level.VILLAGE if unit is not None and unit.level in (Level.COMMUNE, Level.VILLAGE) else Level.COMMUNE
    )
    out: dict[int, int] = {}
    for chain in chains.values():
        for a in chain[depth:]:
            u = units.get(a)
            if u is not None and order[u.level] <= order[lowest]:
                out[a] = order[u.level]
    return out


# --- renderings -----------------------------------------------------------------------------------------


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def to_html(data: dict[str, Any], standalone: bool = True) -> str:
    from django.template.loader import render_to_string

    return render_to_string(
        "households/report_document.html" if standalone else "households/_report_body.html",
        {"data": data, "kinds": dict(SupportKind.choices)},
    )


def to_xlsx(data: dict[str, Any]) -> bytes:
    from dantoc.households.exports import report_xlsx

    return report_xlsx(data)


def render(data: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name)."""
    stem = f"ho-tro-ho-gia-dinh-{data['year']}"
    if fmt == "xlsx":
        from dantoc.households.exports import XLSX

        return to_xlsx(data), XLSX, f"{stem}.xlsx"
    if fmt == "html":
        return to_html(data).encode(), "text/html; charset=utf-8", f"{stem}.html"
    return to_json(data), "application/json", f"{stem}.json"
