"""Demo works, status history, progress updates and monthly payments behind the demo capital plans.

- P135 2018: 431 works over the 133 P135 communes and the 121 P135 villages (one per village, the rest
  two or three per commune); their approved totals add up to the P135 investment plan of each place.
  Payments follow the usual public-investment curve (slow first half, most in Q4 and January); works that
  ran late finish in 2019 and are paid from capital carried over by a carry-over decision.
- 30A 2018: infrastructure works in the poor districts; payments by 31/01/2019 reach exactly 98 % of the
  30A plan.
- NTP-GNBV-2016 2019: works of the 30a and 135 projects in the districts; two districts disburse slowly.
- Some works are late (past planned completion at the deadline), some went quiet (no progress update for
  more than 30 days), a few are suspended or never started, so that monitoring has true things to say.

Every work has an owner: the commune officer `xa` for works in the communes merged into today's Xã Lộc
Bình, `locbinh` for the rest of Lộc Bình district, `tinh` elsewhere (empty when those users don't exist).
Deterministic (seeded), bulk-written, idempotent (skipped when the programme's works of that year exist).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dantoc.accounts.models import User
from dantoc.core.text import fold
from dantoc.geo.models import AdminUnit, Level, UnitLineage, valid_on
from dantoc.programs import demo as plans
from dantoc.programs.models import CapitalPlanLine, CapitalType, PlanDecision, Program
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkKind, WorkStatus, WorkStatusChange

P135_WORKS = 431
THIRTY_A_RATE = (98, 100)  # 98 % of the 30A plan disbursed by 31/01/2019
SLOW_2019 = ("Đình Lập", "Tràng Định")  # districts that disburse slowly in 2019
DAY = dt.timedelta(days=1)
# Month weights for payments of recurrent capital, January to December then January of the next year.
MONTH_WEIGHTS = (0.3, 0.5, 1, 2, 3, 4, 5, 7, 9, 12, 15, 18, 14)

KIND_MIX: tuple[tuple[str, float], ...] = (
    (WorkKind.ROAD, 45),
    (WorkKind.CULTURAL_HOUSE, 14),
    (WorkKind.IRRIGATION, 15),
    (WorkKind.SCHOOL, 8),
    (WorkKind.WATER, 7),
    (WorkKind.BRIDGE, 4),
    (WorkKind.POWER, 3),
    (WorkKind.HEALTH_POST, 2),
    (WorkKind.MARKET, 2),
)
KIND_NAMES = {
    WorkKind.ROAD: ("Đường giao thông nông thôn", "Đường bê tông"),
    WorkKind.CULTURAL_HOUSE: ("Nhà văn hoá",),
    WorkKind.IRRIGATION: ("Kênh mương nội đồng", "Đập dâng, kênh mương"),
    WorkKind.SCHOOL: ("Phòng học điểm trường", "Nhà lớp học mầm non"),
    WorkKind.WATER: ("Công trình nước sinh hoạt tập trung",),
    WorkKind.BRIDGE: ("Cầu treo", "Ngầm tràn"),
    WorkKind.POWER: ("Đường điện hạ thế",),
    WorkKind.HEALTH_POST: ("Sửa chữa trạm y tế",),
    WorkKind.MARKET: ("Chợ nông thôn",),
}


@dataclass
class Spec:
    """One work to generate: where, what, how much, which plan lines, which outcome."""

    unit: AdminUnit
    village: AdminUnit | None
    program: Program
    component_id: int
    year: int
    total: int
    central: CapitalPlanLine
    local: CapitalPlanLine | None
    lines: list[CapitalPlanLine]
    investor: str
    target: int = 0  # disbursed by the deadline
    outcome: str = "normal"  # normal | late | stale | suspended | idle
    after: int = 0  # paid after the deadline from carried-over capital


@dataclass
class Batch:
    works: list[Work] = field(default_factory=list)
    links: list[tuple[int, list[CapitalPlanLine]]] = field(default_factory=list)
    statuses: list[WorkStatusChange] = field(default_factory=list)
    progress: list[ProgressUpdate] = field(default_factory=list)
    payments: list[Disbursement] = field(default_factory=list)


def _deadline(year: int) -> dt.date:
    return dt.date(year + 1, 1, 31)


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _month_day(rng: random.Random, year: int, earliest: dt.date, latest: dt.date) -> dt.date:
    """A payment day drawn by `MONTH_WEIGHTS`, kept within [earliest, latest]."""
    months = [(year, m) for m in range(1, 13)] + [(year + 1, 1)]
    pairs = [
        (ym, w)
        for ym, w in zip(months, MONTH_WEIGHTS, strict=True)
        if dt.date(ym[0], ym[1], 28) >= earliest and dt.date(ym[0], ym[1], 1) <= latest
    ]
    if not pairs:
        return min(max(earliest, dt.date(year, 1, 1)), latest)
    ((y, m),) = rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])
    return min(max(dt.date(y, m, rng.randint(1, 28)), earliest), latest)


def allocate(total: int, caps: Sequence[int], weights: Sequence[float]) -> list[int]:
    """Split `total` by `weights` without exceeding `caps` (water-filling, then whole đồng exactly)."""
    if total > sum(caps):
        raise ValueError("total exceeds caps")
    shares = [0.0] * len(caps)
    free = [i for i, c in enumerate(caps) if c > 0]
    left = float(total)
    while free and left > 0.5:
        wsum = sum(weights[i] for i in free)
        over = [i for i in free if left * weights[i] / wsum >= caps[i] - shares[i]]
        if not over:
            for i in free:
                shares[i] += left * weights[i] / wsum
            break
        for i in over:
            left -= caps[i] - shares[i]
            shares[i] = float(caps[i])
        free = [i for i in free if i not in over]
    out = [min(int(s), c) for s, c in zip(shares, caps, strict=True)]
    short = total - sum(out)
    for i in sorted(range(len(caps)), key=lambda i: shares[i] - out[i], reverse=True):
        if short <= 0:
            break
        room = caps[i] - out[i]
        add = min(room, short)
        out[i] += add
        short -= add
    return out


def _kind(rng: random.Random) -> str:
    return str(rng.choices([k for k, _w in KIND_MIX], weights=[w for _k, w in KIND_MIX])[0])


def _owner_rule(root: AdminUnit) -> Callable[[AdminUnit], User | None]:
    users = {u.username: u for u in User.objects.filter(username__in=("tinh", "locbinh", "xa"))}
    xa, district, tinh = users.get("xa"), users.get("locbinh"), users.get("tinh")
    merged: set[int] = set()
    if xa is not None and xa.scope_id is not None:
        merged = set(
            UnitLineage.objects.filter(successor_id=xa.scope_id).values_list("predecessor_id", flat=True)
        )
    district_path = district.scope.path if district is not None and district.scope is not None else None

    def owner(unit: AdminUnit) -> User | None:
        if xa is not None and unit.pk in merged:
            return xa
        if district is not None and district_path and unit.path.startswith(district_path):
            return district
        return tinh

    return owner


class Builder:
    """Turns specs into works with dates, statuses, progress and payments (in memory, then bulk)."""

    def __init__(
        self, rng: random.Random, owner: Callable[[AdminUnit], User | None], code_start: int = 1
    ) -> None:
        self.rng = rng
        self.owner = owner
        self.seq = code_start
        self.batch = Batch()
        self.villages: dict[int, list[AdminUnit]] = {}

    def _name(self, kind: str, unit: AdminUnit, village: AdminUnit | None) -> str:
        base = self.rng.choice(KIND_NAMES[WorkKind(kind)])
        if village is not None and kind not in (WorkKind.SCHOOL, WorkKind.HEALTH_POST, WorkKind.MARKET):
            return f"{base} {village.get_kind_display().lower()} {village.name}, {unit.full_name.lower()}"
        return f"{base} {unit.full_name.lower()}"

    def add(self, spec: Spec) -> None:
        rng, year = self.rng, spec.year
        kind = _kind(rng)
        owner = self.owner(spec.unit)
        proposed = _day(rng, dt.date(year - 1, 10, 15), dt.date(year - 1, 12, 20))
        approved = _day(rng, dt.date(year, 1, 10), dt.date(year, 3, 31))
        planned_start = approved + dt.timedelta(days=rng.randint(15, 60))
        planned_completion = min(
            planned_start + dt.timedelta(days=rng.randint(120, 210)), dt.date(year, 12, 20)
        )
        if spec.outcome in ("late", "stale"):
            planned_completion = _day(rng, dt.date(year, 9, 15), dt.date(year, 12, 15))
        end = _deadline(year)
        steps: list[tuple[str, dt.date]] = [(WorkStatus.PROPOSED, proposed), (WorkStatus.APPROVED, approved)]
        actual_start = actual_completion = None
        last_progress = None
        if spec.outcome != "idle":
            delay = rng.randint(20, 60) if spec.outcome in ("late", "stale") else rng.randint(0, 25)
            actual_start = planned_start + dt.timedelta(days=delay)
            steps.append((WorkStatus.UNDER_CONSTRUCTION, actual_start))
        if spec.outcome == "normal":
            actual_completion = min(
                planned_completion + dt.timedelta(days=rng.randint(-20, 10)), dt.date(year, 12, 28)
            )
            assert actual_start is not None
            actual_completion = max(actual_completion, actual_start + dt.timedelta(days=60))
            steps.append((WorkStatus.COMPLETED, actual_completion))
            handover = actual_completion + dt.timedelta(days=rng.randint(15, 45))
            steps.append((WorkStatus.HANDED_OVER, handover))
        elif spec.outcome in ("late", "stale"):
            actual_completion = max(
                planned_completion + dt.timedelta(days=rng.randint(75, 160)),
                end + dt.timedelta(days=rng.randint(20, 100)),
            )
            steps.append((WorkStatus.COMPLETED, actual_completion))
            if rng.random() < 0.6:
                steps.append(
                    (WorkStatus.HANDED_OVER, actual_completion + dt.timedelta(days=rng.randint(20, 50)))
                )
        elif spec.outcome == "suspended":
            steps.append((WorkStatus.SUSPENDED, _day(rng, dt.date(year, 8, 1), dt.date(year, 10, 31))))
        pay_until = steps[-1][1] if spec.outcome == "suspended" else actual_completion
        code = f"CT-{year}-{self.seq:04d}"
        self.seq += 1
        name = self._name(kind, spec.unit, spec.village)
        work = Work(
            code=code,
            name=name,
            name_folded=fold(name),
            kind=kind,
            program=spec.program,
            component_id=spec.component_id,
            year=year,
            unit=spec.unit,
            village=spec.village,
            investor=spec.investor,
            owner=owner,
            total_investment_vnd=spec.total,
            planned_start=planned_start,
            planned_completion=planned_completion,
            actual_start=actual_start,
            actual_completion=actual_completion,
            status=steps[-1][0],
        )
        self.batch.works.append(work)
        self.batch.links.append((len(self.batch.works) - 1, spec.lines))
        for status, on in steps:
            self.batch.statuses.append(WorkStatusChange(work=work, status=status, date=on, by=owner))

        # Progress: every four to six weeks from the start; quiet for the last 45-90 days before the deadline
        # for a stale work; up to the suspension for a suspended one.
        if actual_start is not None:
            stop = actual_completion or end
            if spec.outcome == "suspended":
                stop = steps[-1][1]
            quiet_from = end - dt.timedelta(days=rng.randint(45, 90)) if spec.outcome == "stale" else None
            on = actual_start + dt.timedelta(days=rng.randint(20, 35))
            span = max((stop - actual_start).days, 1)
            while on < stop:
                if quiet_from is not None and quiet_from <= on <= end:
                    on = end + dt.timedelta(days=rng.randint(5, 25))
                    continue
                pct = min(95, max(5, round(100 * (on - actual_start).days / span + rng.uniform(-6, 4))))
                self.batch.progress.append(
                    ProgressUpdate(work=work, date=on, percent=pct, note="Cập nhật định kỳ (dữ liệu mẫu).")
                )
                last_progress = on
                on += dt.timedelta(days=rng.randint(28, 42))
            if actual_completion is not None:
                self.batch.progress.append(
                    ProgressUpdate(
                        work=work, date=actual_completion, percent=100, note="Hoàn thành (dữ liệu mẫu)."
                    )
                )
        del last_progress
        self._pay_work(work, spec, actual_start, pay_until)

    def _pay_work(self, work: Work, spec: Spec, start: dt.date | None, done: dt.date | None) -> None:
        rng, year, end = self.rng, spec.year, _deadline(spec.year)
        if spec.target <= 0 or start is None:
            return
        central_part = spec.target
        local_part = 0
        if spec.local is not None and spec.local.amount_vnd > 0:
            share = spec.local.amount_vnd / (spec.local.amount_vnd + spec.central.amount_vnd)
            local_part = round(spec.target * share)
            central_part = spec.target - local_part
        first = start + dt.timedelta(days=rng.randint(5, 20))
        last = min(end, (done + dt.timedelta(days=rng.randint(10, 40))) if done else end)
        k = rng.randint(2, 4)
        days = sorted([first] + [_day(rng, first, last) for _ in range(k - 2)] + [last])
        weights = (
            [rng.uniform(0.2, 0.3)]
            + [rng.uniform(0.15, 0.35) for _ in range(k - 2)]
            + [rng.uniform(0.2, 0.4)]
        )
        for on, amount in zip(days, plans.split(central_part, weights), strict=True):
            if amount:
                self._payment(
                    work, spec.central, work.unit, year, min(on, end), amount, CapitalType.INVESTMENT
                )
        if local_part and spec.local is not None:
            self._payment(
                work, spec.local, work.unit, year, min(last, end), local_part, CapitalType.INVESTMENT
            )

    def _payment(
        self,
        work: Work | None,
        line: CapitalPlanLine,
        unit: AdminUnit,
        year: int,
        on: dt.date,
        amount: int,
        capital_type: str,
    ) -> None:
        self.batch.payments.append(
            Disbursement(
                work=work,
                plan_line=line,
                unit=unit,
                plan_year=year,
                date=on,
                amount_vnd=amount,
                source_id=line.source_id,
                capital_type=capital_type,
                voucher_number=f"UNC-{on:%Y%m}-{len(self.batch.payments) + 1:05d}",
            )
        )

    def pay_line(self, line: CapitalPlanLine, year: int, target: int) -> None:
        """Recurrent capital paid against its plan line in one to three payments."""
        if target <= 0:
            return
        rng = self.rng
        k = rng.randint(1, 3)
        days = sorted(_month_day(rng, year, dt.date(year, 2, 1), _deadline(year)) for _ in range(k))
        for on, amount in zip(
            days, plans.split(target, [rng.uniform(0.5, 1.5) for _ in range(k)]), strict=True
        ):
            if amount:
                self._payment(None, line, line.unit, year, on, amount, line.capital_type)

    def save(self) -> list[Work]:
        b = self.batch
        works = Work.objects.bulk_create(b.works, batch_size=1000)
        through = Work.plan_lines.through
        through.objects.bulk_create(
            [through(work_id=works[i].pk, capitalplanline_id=ln.pk) for i, lines in b.links for ln in lines],
            batch_size=2000,
        )
        WorkStatusChange.objects.bulk_create(b.statuses, batch_size=2000)
        ProgressUpdate.objects.bulk_create(b.progress, batch_size=2000)
        Disbursement.objects.bulk_create(b.payments, batch_size=2000)
        return works


def _lines(number: str, year: int, root: AdminUnit) -> list[CapitalPlanLine]:
    return list(
        CapitalPlanLine.objects.filter(decision__number=number, decision__year=year, decision__unit=root)
        .select_related("unit", "unit__parent", "component", "source", "decision")
        .order_by("pk")
    )


def _villages_of(communes: Sequence[AdminUnit], on: dt.date) -> dict[int, list[AdminUnit]]:
    out: dict[int, list[AdminUnit]] = defaultdict(list)
    for v in (
        AdminUnit.objects.filter(parent__in=communes, level=Level.VILLAGE).filter(valid_on(on)).order_by("pk")
    ):
        out[v.parent_id].append(v)  # type: ignore[index]
    return out


def _outcome(
    rng: random.Random, late: float = 0.08, stale: float = 0.05, suspended: float = 0.015, idle: float = 0.01
) -> str:
    x = rng.random()
    for name, p in (("late", late), ("stale", stale), ("suspended", suspended), ("idle", idle)):
        if x < p:
            return name
        x -= p
    return "normal"


def _target(rng: random.Random, spec: Spec, normal: tuple[float, float] = (0.9, 1.0)) -> int:
    rate = {
        "normal": rng.uniform(*normal),
        "late": rng.uniform(0.45, 0.7),
        "stale": rng.uniform(0.45, 0.7),
        "suspended": rng.uniform(0.1, 0.3),
        "idle": 0.0,
    }[spec.outcome]
    return int(spec.total * rate)


@transaction.atomic
def p135_2018(
    root: AdminUnit, owner: Callable[[AdminUnit], User | None], rng: random.Random, count: int = P135_WORKS
) -> None:
    program = Program.objects.get(code="P135")
    if Work.objects.filter(program=program, year=2018).exists():
        return
    lines = _lines(plans.P135_INITIAL, 2018, root) + _lines(plans.P135_ADJUST, 2018, root)
    if not lines:
        return
    build: dict[int, list[CapitalPlanLine]] = {ln.unit_id: [] for ln in lines}
    for ln in lines:
        if ln.component.code == "P135-1.1":
            build[ln.unit_id].append(ln)
    places = [
        ln.unit
        for ln in lines
        if ln.component.code == "P135-1.1"
        and ln.source.code == "central"
        and ln.decision.number == plans.P135_INITIAL
    ]
    communes = [u for u in places if u.level == Level.COMMUNE]
    villages = [u for u in places if u.level == Level.VILLAGE]
    per_commune = {c.pk: 1 for c in communes}
    extra = max(count - len(villages) - len(communes), 0)
    for i in range(extra):
        per_commune[communes[i % len(communes)].pk] += 1
    village_lists = _villages_of(communes, plans.MID_2018)
    builder = Builder(rng, owner)
    specs: list[Spec] = []
    for place in communes + villages:
        own = build[place.pk]
        central = next(
            ln for ln in own if ln.source.code == "central" and ln.decision.number == plans.P135_INITIAL
        )
        local = next((ln for ln in own if ln.source.code == "local"), None)
        investment = sum(ln.amount_vnd for ln in own)
        commune = place if place.level == Level.COMMUNE else place.parent
        assert commune is not None
        n = per_commune.get(place.pk, 1)
        totals = plans.split(investment // 1_000_000, [rng.uniform(0.6, 1.4) for _ in range(n)])
        for total in totals:
            village = (
                place
                if place.level == Level.VILLAGE
                else (
                    rng.choice(village_lists[place.pk])
                    if village_lists.get(place.pk) and rng.random() < 0.7
                    else None
                )
            )
            specs.append(
                Spec(
                    unit=commune,
                    village=village,
                    program=program,
                    component_id=central.component_id,
                    year=2018,
                    total=total * 1_000_000,
                    central=central,
                    local=local,
                    lines=own,
                    investor=f"UBND {commune.full_name.lower()}",
                    outcome=_outcome(rng),
                )
            )
    # Late works finish in 2019, paid from carried-over capital; the carry-over decision says how much.
    carry: dict[int, int] = defaultdict(int)
    for spec in specs:
        spec.target = _target(rng, spec)
        if spec.outcome in ("late", "stale"):
            spec.after = (spec.total - spec.target) // 1_000_000 * 1_000_000
            carry[spec.central.unit_id] += spec.after
    carry_decision = plans.p135_carry_over(root, dict(carry))
    carry_lines = {ln.unit_id: ln for ln in carry_decision.lines.all()} if carry_decision else {}
    for spec in specs:
        if spec.after:
            spec.lines = [*spec.lines, carry_lines[spec.central.unit_id]]
        builder.add(spec)
        if spec.after:
            work = builder.batch.works[-1]
            line = carry_lines[spec.central.unit_id]
            done = work.actual_completion or dt.date(2019, 6, 30)
            on = min(
                max(done + dt.timedelta(days=rng.randint(10, 40)), dt.date(2019, 2, 11)),
                line.decision.disburse_until,
            )
            builder._payment(work, line, work.unit, 2018, on, spec.after, CapitalType.INVESTMENT)
    for ln in lines:
        if ln.capital_type == CapitalType.RECURRENT:
            builder.pay_line(ln, 2018, int(ln.amount_vnd * rng.uniform(0.88, 1.0)))
    builder.save()


@transaction.atomic
def thirty_a_2018(root: AdminUnit, owner: Callable[[AdminUnit], User | None], rng: random.Random) -> None:
    program = Program.objects.get(code="30A")
    if Work.objects.filter(program=program, year=2018).exists():
        return
    lines = _lines(plans.THIRTY_A_INITIAL, 2018, root)
    if not lines:
        return
    start = Work.objects.filter(year=2018, code__startswith="CT-2018-").count() + 1
    builder = Builder(rng, owner, code_start=start)
    plan = sum(ln.amount_vnd for ln in lines)
    target = plan * THIRTY_A_RATE[0] // THIRTY_A_RATE[1]
    specs: list[Spec] = []
    by_district: dict[int, list[CapitalPlanLine]] = defaultdict(list)
    for ln in lines:
        by_district[ln.unit_id].append(ln)
    for own in by_district.values():
        district = own[0].unit
        communes = list(
            AdminUnit.objects.filter(parent=district, level=Level.COMMUNE)
            .filter(valid_on(plans.MID_2018))
            .order_by("code", "pk")
        )
        central = next(ln for ln in own if ln.component.code == "30A-1" and ln.source.code == "central")
        local = next((ln for ln in own if ln.component.code == "30A-1" and ln.source.code == "local"), None)
        investment = central.amount_vnd + (local.amount_vnd if local else 0)
        chosen = rng.sample(communes, min(len(communes), 18)) if communes else [district]
        totals = plans.split(investment // 1_000_000, [rng.uniform(0.5, 1.5) for _ in chosen])
        villages = _villages_of(chosen, plans.MID_2018)
        for unit, total in zip(chosen, totals, strict=True):
            vs = villages.get(unit.pk)
            specs.append(
                Spec(
                    unit=unit,
                    village=rng.choice(vs) if vs else None,
                    program=program,
                    component_id=central.component_id,
                    year=2018,
                    total=total * 1_000_000,
                    central=central,
                    local=local,
                    lines=[ln for ln in (central, local) if ln],
                    investor=f"Ban Quản lý dự án đầu tư xây dựng {district.full_name.lower()}",
                    outcome=_outcome(rng, late=0.1, stale=0.05, suspended=0, idle=0),
                )
            )
    recurrent = [ln for ln in lines if ln.capital_type == CapitalType.RECURRENT]
    # Exactly 98 % of the plan by the deadline, spread over works and recurrent lines without overpaying any.
    caps = [s.total for s in specs] + [ln.amount_vnd for ln in recurrent]
    weights = [s.total * (rng.uniform(0.93, 1.0) if s.outcome == "normal" else 0.8) for s in specs] + [
        ln.amount_vnd * rng.uniform(0.93, 1.0) for ln in recurrent
    ]
    amounts = allocate(target, caps, weights)
    for spec, amount in zip(specs, amounts[: len(specs)], strict=True):
        spec.target = amount
        builder.add(spec)
    for ln, amount in zip(recurrent, amounts[len(specs) :], strict=True):
        builder.pay_line(ln, 2018, amount)
    builder.save()


@transaction.atomic
def ntp_2019(
    root: AdminUnit,
    owner: Callable[[AdminUnit], User | None],
    rng: random.Random,
    slow: Sequence[str] = SLOW_2019,
) -> None:
    program = Program.objects.get(code="NTP-GNBV-2016")
    if Work.objects.filter(program=program, year=2019).exists():
        return
    lines = _lines(plans.NTP_INITIAL, 2019, root) + _lines(plans.NTP_ADJUST, 2019, root)
    if not lines:
        return
    start = Work.objects.filter(year=2019, code__startswith="CT-2019-").count() + 1
    builder = Builder(rng, owner, code_start=start)
    p135 = {c.pk for c in plans.classified(root, "p135-commune", plans.MID_2019)}
    by_key: dict[tuple[int, str], list[CapitalPlanLine]] = defaultdict(list)
    for ln in lines:
        by_key[(ln.unit_id, ln.component.code)].append(ln)
    for (_unit_id, code), own in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        district = own[0].unit
        pace = rng.uniform(0.5, 0.65) if district.name in slow else rng.uniform(0.94, 0.99)
        if code not in ("DA1-TDA1", "DA2-TDA1"):
            for ln in own:
                builder.pay_line(ln, 2019, int(ln.amount_vnd * pace))
            continue
        central = next(
            ln for ln in own if ln.source.code == "central" and ln.decision.number == plans.NTP_INITIAL
        )
        local = next((ln for ln in own if ln.source.code == "local"), None)
        investment = sum(ln.amount_vnd for ln in own)
        communes = list(
            AdminUnit.objects.filter(parent=district, level=Level.COMMUNE)
            .filter(valid_on(plans.MID_2019))
            .order_by("code", "pk")
        )
        if code == "DA2-TDA1":
            communes = [c for c in communes if c.pk in p135]
        else:
            communes = rng.sample(communes, min(len(communes), 12))
        if not communes:
            communes = [district]
        totals = plans.split(investment // 1_000_000, [rng.uniform(0.6, 1.4) for _ in communes])
        villages = _villages_of(communes, plans.MID_2019)
        for unit, total in zip(communes, totals, strict=True):
            vs = villages.get(unit.pk)
            spec = Spec(
                unit=unit,
                village=rng.choice(vs) if vs and rng.random() < 0.8 else None,
                program=program,
                component_id=central.component_id,
                year=2019,
                total=total * 1_000_000,
                central=central,
                local=local,
                lines=own,
                investor=f"UBND {unit.full_name.lower()}",
                outcome=_outcome(rng, late=0.1 if pace > 0.8 else 0.25, stale=0.06),
            )
            spec.target = int(_target(rng, spec, (0.95, 1.0)) * (pace / 0.95 if pace < 0.8 else 1.0))
            builder.add(spec)
    builder.save()


def load(root: AdminUnit | None = None) -> None:
    """Idempotent: each programme-year is skipped once its works exist. Needs `programs.demo.load()` first."""
    root = root or plans.province()
    owner = _owner_rule(root)
    p135_2018(root, owner, random.Random(431))
    thirty_a_2018(root, owner, random.Random(98))
    ntp_2019(root, owner, random.Random(2254))


def summary(root: AdminUnit | None = None) -> dict[str, Any]:
    """The demo's headline figures, computed from the records (for the test and a quick look)."""
    from django.db.models import Q, Sum

    root = root or plans.province()
    in_root = Q(unit__path__startswith=root.path)
    counted = Q(date__lte=dt.date(2019, 1, 31))
    plan_30a = (
        CapitalPlanLine.objects.filter(in_root, component__program__code="30A", decision__year=2018)
        .exclude(decision__revision=PlanDecision.Revision.CARRY_OVER)
        .aggregate(s=Sum("amount_vnd"))["s"]
        or 0
    )
    paid_30a = (
        Disbursement.objects.filter(in_root, counted, plan_year=2018)
        .filter(
            Q(plan_line__component__program__code="30A")
            | Q(plan_line__isnull=True, work__program__code="30A")
        )
        .aggregate(s=Sum("amount_vnd"))["s"]
        or 0
    )
    return {
        "p135_works_2018": Work.objects.filter(in_root, program__code="P135", year=2018).count(),
        "p135_plan_2018": CapitalPlanLine.objects.filter(
            in_root, component__program__code="P135", decision__year=2018
        )
        .exclude(decision__revision=PlanDecision.Revision.CARRY_OVER)
        .aggregate(s=Sum("amount_vnd"))["s"]
        or 0,
        "plan_30a_2018": plan_30a,
        "paid_30a_2018": paid_30a,
        "ntp_plan_2019": CapitalPlanLine.objects.filter(
            in_root, component__program__code="NTP-GNBV-2016", decision__year=2019
        )
        .exclude(decision__revision=PlanDecision.Revision.CARRY_OVER)
        .aggregate(s=Sum("amount_vnd"))["s"]
        or 0,
    }
