"""Demo capital plans for 2018 and 2019, consistent with the founding article (every figure a sum of lines).

- P135, 2018: lines for the 133 P135 communes and, at the village itself, the 121 P135 villages; an initial
  assignment, a mid-year adjustment and a carry-over into 2019. Initial + adjustment = 226,300,000,000 đồng
  exactly; the carry-over (reported apart) only extends the deadline of part of it.
- 30A, 2018: lines for the poor districts under Programme 30a (Bình Gia and Văn Quan, classified
  `30a-district` here when the classification is missing).
- NTP-GNBV-2016, 2019: lines for the districts and the city, 225,400,000,000 đồng ("over 225 billion").

Synthetic apart from the units and the article's figures; deterministic (seeded), bulk-written, idempotent
(a block whose decision already exists is skipped). No audit entries: this is a load, not a user's action.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from dantoc.geo.classification_types import ensure_classification_types
from dantoc.geo.models import AdminUnit, ClassificationType, Level, UnitClassification, valid_on
from dantoc.programs.catalogue import ensure_catalogue
from dantoc.programs.models import CapitalPlanLine, CapitalType, Component, FundingSource, PlanDecision

LANG_SON = "20"
MID_2018 = dt.date(2018, 6, 30)
MID_2019 = dt.date(2019, 6, 30)
AUTHORITY = "UBND tỉnh Lạng Sơn"
MILLION = 1_000_000

P135_TOTAL = 226_300_000_000
P135_ADJUSTMENT = 3_000_000_000  # added mid-year; the initial assignment is the rest
THIRTY_A_TOTAL = 76_500_000_000  # a multiple of 50 million: 98 % of it is whole đồng
THIRTY_A_DISTRICTS = ("Bình Gia", "Văn Quan")
NTP_2019_TOTAL = 225_400_000_000

# Decision numbers (synthetic) that the works demo looks the lines up by.
P135_INITIAL = "3358/QĐ-UBND"
P135_ADJUST = "1205/QĐ-UBND"
P135_CARRY = "168/QĐ-UBND"
THIRTY_A_INITIAL = "3359/QĐ-UBND"
NTP_INITIAL = "98/QĐ-UBND"
NTP_ADJUST = "1544/QĐ-UBND"

INV, REC = CapitalType.INVESTMENT, CapitalType.RECURRENT


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers proportional to `weights` adding up to `total` exactly (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


@dataclass
class Draft:
    component: Component
    unit: AdminUnit
    source: FundingSource
    capital_type: str
    weight: float


def province() -> AdminUnit:
    return AdminUnit.objects.get(level=Level.PROVINCE, code=LANG_SON, valid_to__isnull=True)


def classified(root: AdminUnit, type_code: str, on: dt.date) -> list[AdminUnit]:
    """Units under `root` holding a classification on a date, in a stable order."""
    ids = (
        UnitClassification.objects.filter(
            type__code=type_code, unit__path__startswith=root.path, valid_from__lte=on
        )
        .exclude(valid_to__lt=on)
        .values_list("unit_id", flat=True)
    )
    return list(AdminUnit.objects.filter(pk__in=ids).order_by("path"))


def districts(root: AdminUnit, on: dt.date) -> list[AdminUnit]:
    return list(
        AdminUnit.objects.filter(level=Level.DISTRICT, path__startswith=root.path)
        .filter(valid_on(on))
        .order_by("code", "pk")
    )


def classify_30a(root: AdminUnit, names: Sequence[str] = THIRTY_A_DISTRICTS) -> list[AdminUnit]:
    """The 30a poor districts, classified for 2018-2020 (Decision 275/QĐ-TTg of 07/03/2018) if not yet."""
    ensure_classification_types()
    found = [d for d in districts(root, MID_2018) if d.name in names]
    kind = ClassificationType.objects.get(code="30a-district")
    have = set(UnitClassification.objects.filter(type=kind, unit__in=found).values_list("unit_id", flat=True))
    UnitClassification.objects.bulk_create(
        [
            UnitClassification(
                unit=d,
                type=kind,
                valid_from=dt.date(2018, 1, 1),
                valid_to=dt.date(2020, 12, 31),
                basis_number="275/QĐ-TTg",
                basis_date=dt.date(2018, 3, 7),
            )
            for d in found
            if d.pk not in have
        ]
    )
    return found


def _write(decision: PlanDecision, drafts: list[Draft], total: int) -> list[CapitalPlanLine]:
    """Save a decision and its lines, amounts in whole millions adding up to `total` exactly."""
    decision.save()
    amounts = split(total // MILLION, [d.weight for d in drafts])
    lines = [
        CapitalPlanLine(
            decision=decision,
            component=d.component,
            unit=d.unit,
            source=d.source,
            capital_type=d.capital_type,
            amount_vnd=a * MILLION,
        )
        for d, a in zip(drafts, amounts, strict=True)
        if a
    ]
    return CapitalPlanLine.objects.bulk_create(lines, batch_size=1000)


def _components(code: str) -> dict[str, Component]:
    return {c.code: c for c in Component.objects.filter(program__code=code)}


def _sources() -> dict[str, FundingSource]:
    return {s.code: s for s in FundingSource.objects.all()}


@transaction.atomic
def p135_2018(
    root: AdminUnit, rng: random.Random, total: int = P135_TOTAL, adjustment: int = P135_ADJUSTMENT
) -> None:
    if PlanDecision.objects.filter(year=2018, number=P135_INITIAL, unit=root).exists():
        return
    comp, src = _components("P135"), _sources()
    communes = classified(root, "p135-commune", MID_2018)
    villages = classified(root, "p135-village", MID_2018)
    drafts: list[Draft] = []
    for c in communes:
        size = rng.lognormvariate(0, 0.18)
        drafts += [
            Draft(comp["P135-1.1"], c, src["central"], INV, 1000 * size),
            Draft(comp["P135-1.1"], c, src["local"], INV, rng.uniform(40, 90) * size),
            Draft(comp["P135-1.2"], c, src["central"], REC, rng.uniform(50, 80)),
            Draft(comp["P135-2"], c, src["central"], REC, rng.uniform(180, 280) * size),
            Draft(comp["P135-3"], c, src["central"], REC, rng.uniform(15, 35)),
        ]
    for v in villages:
        drafts += [
            Draft(comp["P135-1.1"], v, src["central"], INV, rng.uniform(250, 330)),
            Draft(comp["P135-2"], v, src["central"], REC, rng.uniform(60, 110)),
        ]
    initial = PlanDecision(
        year=2018,
        revision=PlanDecision.Revision.INITIAL,
        authority=AUTHORITY,
        number=P135_INITIAL,
        date=dt.date(2017, 12, 12),
        unit=root,
        disburse_until=dt.date(2019, 1, 31),
        note="Giao kế hoạch vốn Chương trình 135 năm 2018 (dữ liệu mẫu).",
    )
    _write(initial, drafts, total - adjustment)
    # Mid-year: more investment capital for a dozen communes.
    chosen = rng.sample(communes, min(12, len(communes)))
    adjust = PlanDecision(
        year=2018,
        revision=PlanDecision.Revision.ADJUSTMENT,
        authority=AUTHORITY,
        number=P135_ADJUST,
        date=dt.date(2018, 7, 16),
        unit=root,
        disburse_until=dt.date(2019, 1, 31),
        note="Bổ sung vốn đầu tư Chương trình 135 năm 2018 (dữ liệu mẫu).",
    )
    _write(
        adjust,
        [Draft(comp["P135-1.1"], c, src["central"], INV, rng.uniform(0.5, 1.5)) for c in chosen],
        adjustment,
    )


def p135_carry_over(root: AdminUnit, amounts: dict[int, int]) -> PlanDecision | None:
    """Carry part of the 2018 P135 investment of some communes into 2019 (unit id → amount, whole millions).

    Called by the works demo, which knows which works ran late."""
    existing = PlanDecision.objects.filter(year=2018, number=P135_CARRY, unit=root).first()
    if existing or not amounts:
        return existing
    build, central = _components("P135")["P135-1.1"], _sources()["central"]
    decision = PlanDecision.objects.create(
        year=2018,
        revision=PlanDecision.Revision.CARRY_OVER,
        authority=AUTHORITY,
        number=P135_CARRY,
        date=dt.date(2019, 1, 25),
        unit=root,
        disburse_until=dt.date(2019, 12, 31),
        note="Kéo dài thời gian giải ngân vốn Chương trình 135 năm 2018 sang năm 2019 (dữ liệu mẫu).",
    )
    CapitalPlanLine.objects.bulk_create(
        [
            CapitalPlanLine(
                decision=decision,
                component=build,
                unit_id=unit_id,
                source=central,
                capital_type=INV,
                amount_vnd=amount,
            )
            for unit_id, amount in sorted(amounts.items())
            if amount > 0
        ]
    )
    return decision


@transaction.atomic
def thirty_a_2018(
    root: AdminUnit,
    rng: random.Random,
    names: Sequence[str] = THIRTY_A_DISTRICTS,
    total: int = THIRTY_A_TOTAL,
) -> None:
    if PlanDecision.objects.filter(year=2018, number=THIRTY_A_INITIAL, unit=root).exists():
        return
    comp, src = _components("30A"), _sources()
    drafts: list[Draft] = []
    for d in classify_30a(root, names):
        size = rng.uniform(0.85, 1.15)
        drafts += [
            Draft(comp["30A-1"], d, src["central"], INV, 640 * size),
            Draft(comp["30A-1"], d, src["local"], INV, 45 * size),
            Draft(comp["30A-2"], d, src["central"], REC, 190 * size),
            Draft(comp["30A-3"], d, src["central"], REC, 70 * size),
            Draft(comp["30A-4"], d, src["central"], REC, 25 * size),
        ]
    if not drafts:
        return
    decision = PlanDecision(
        year=2018,
        revision=PlanDecision.Revision.INITIAL,
        authority=AUTHORITY,
        number=THIRTY_A_INITIAL,
        date=dt.date(2017, 12, 12),
        unit=root,
        disburse_until=dt.date(2019, 1, 31),
        note="Giao kế hoạch vốn Chương trình 30a năm 2018 cho các huyện nghèo (dữ liệu mẫu).",
    )
    _write(decision, drafts, total)


@transaction.atomic
def ntp_2019(
    root: AdminUnit,
    rng: random.Random,
    thirty_a: Sequence[str] = THIRTY_A_DISTRICTS,
    total: int = NTP_2019_TOTAL,
) -> None:
    """NTP for sustainable poverty reduction, 2019, for the districts and the city: 30a and 135 projects
    where they apply, production support, communication and capacity everywhere."""
    if PlanDecision.objects.filter(year=2019, number=NTP_INITIAL, unit=root).exists():
        return
    comp, src = _components("NTP-GNBV-2016"), _sources()
    p135_communes = classified(root, "p135-commune", MID_2019)
    per_district: dict[int, int] = {}
    for c in p135_communes:
        if c.parent_id is not None:
            per_district[c.parent_id] = per_district.get(c.parent_id, 0) + 1
    drafts: list[Draft] = []
    adjust: list[Draft] = []
    for d in districts(root, MID_2019):
        n135 = per_district.get(d.pk, 0)
        if d.name in thirty_a:
            drafts += [
                Draft(comp["DA1-TDA1"], d, src["central"], INV, rng.uniform(560, 640)),
                Draft(comp["DA1-TDA1"], d, src["local"], INV, rng.uniform(35, 50)),
                Draft(comp["DA1-TDA3"], d, src["central"], REC, rng.uniform(150, 200)),
            ]
        if n135:
            drafts += [
                Draft(comp["DA2-TDA1"], d, src["central"], INV, 10.5 * n135 * rng.uniform(0.95, 1.05)),
                Draft(comp["DA2-TDA1"], d, src["local"], INV, 0.6 * n135),
                Draft(comp["DA2-TDA2"], d, src["central"], REC, 2.4 * n135 * rng.uniform(0.9, 1.1)),
                Draft(comp["DA2-TDA3"], d, src["central"], REC, 0.25 * n135),
            ]
            adjust.append(Draft(comp["DA2-TDA1"], d, src["central"], INV, rng.uniform(0.8, 1.2)))
        drafts += [
            Draft(comp["DA3"], d, src["central"], REC, rng.uniform(14, 22)),
            Draft(comp["DA4"], d, src["local"], REC, rng.uniform(1.5, 2.5)),
            Draft(comp["DA5"], d, src["central"], REC, rng.uniform(1.0, 1.6)),
        ]
    if not drafts:
        return
    extra = 2_400_000_000 if adjust else 0
    initial = PlanDecision(
        year=2019,
        revision=PlanDecision.Revision.INITIAL,
        authority=AUTHORITY,
        number=NTP_INITIAL,
        date=dt.date(2019, 1, 14),
        unit=root,
        disburse_until=dt.date(2020, 1, 31),
        note="Giao kế hoạch vốn CTMTQG Giảm nghèo bền vững năm 2019 (dữ liệu mẫu).",
    )
    _write(initial, drafts, total - extra)
    if adjust:
        decision = PlanDecision(
            year=2019,
            revision=PlanDecision.Revision.ADJUSTMENT,
            authority=AUTHORITY,
            number=NTP_ADJUST,
            date=dt.date(2019, 8, 20),
            unit=root,
            disburse_until=dt.date(2020, 1, 31),
            note="Điều chỉnh, bổ sung vốn Chương trình 135 năm 2019 (dữ liệu mẫu).",
        )
        _write(decision, adjust, extra)


def load(root: AdminUnit | None = None, *, thirty_a: Sequence[str] = THIRTY_A_DISTRICTS) -> None:
    """Idempotent: each block is skipped when its decision is already there."""
    ensure_catalogue()
    root = root or province()
    p135_2018(root, random.Random(20180135))
    thirty_a_2018(root, random.Random(20180030), thirty_a)
    ntp_2019(root, random.Random(20190329), thirty_a)
