"""Demo data for administrative units: Lạng Sơn in both structures, villages, Nhượng Bạn,
classifications consistent with the founding article (2018) and 2019 unit statistics.

Everything but the real units is synthetic, generated deterministically (seeded) and written in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction

from dantoc.core.text import fold
from dantoc.geo import loader
from dantoc.geo.classification_types import ensure_classification_types
from dantoc.geo.ethnic import ensure_ethnic_groups
from dantoc.geo.models import (
    AdminUnit,
    ClassificationType,
    EthnicGroup,
    Kind,
    Level,
    UnitChange,
    UnitClassification,
    UnitLineage,
    UnitStatistic,
    valid_on,
)

LANG_SON = 20
REFORM = dt.date(2025, 7, 1)
MERGE_2020 = dt.date(2020, 1, 1)
DAY = dt.timedelta(days=1)
ARTICLE_DAY = dt.date(2018, 12, 31)
STATISTICS_YEAR = 2019

# The founding article: P135 in 2018 covered 133 communes (ĐBKK, border, ATK) and 121 ĐBKK villages.
P135_COMMUNES = 133
P135_VILLAGES = 121
# How the 133 communes split by kind (synthetic but plausible for Lạng Sơn).
P135_BORDER = 18
P135_ATK = 6

# Lạng Sơn: about 193,000 households and 821,000 people; ethnic shares of the 2019 census.
HOUSEHOLDS = 193_000
POPULATION = 821_000
ETHNIC_SHARES = {"07": 0.419, "02": 0.354, "01": 0.170, "09": 0.035, "06": 0.010, "13": 0.008, "08": 0.004}

_FIRST = [
    "Nà",
    "Khuổi",
    "Bản",
    "Pò",
    "Phai",
    "Còn",
    "Lũng",
    "Khòn",
    "Pác",
    "Nà Làng",
    "Bó",
    "Kéo",
    "Thâm",
    "Cốc",
]
_SECOND = [
    "Pàn",
    "Cáp",
    "Lầy",
    "Mò",
    "Slam",
    "Nưa",
    "Tẳng",
    "Hin",
    "Phiêng",
    "Lìm",
    "Ngòa",
    "Chang",
    "Vằn",
    "Mạ",
    "Luông",
    "Sáng",
    "Pheo",
    "Rỳ",
    "Đon",
    "Quang",
    "Piệt",
    "Tà",
    "Cưởm",
    "Mằn",
]


def _village_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if name not in names:
            names.append(name)
    return names


def bulk_units(rows: list[AdminUnit]) -> list[AdminUnit]:
    """Insert units (demo data, benchmarks) and set their materialised paths in one more statement."""
    for u in rows:
        u.name_folded = fold(u.name)
    created = AdminUnit.objects.bulk_create(rows, batch_size=2000)
    for u in created:
        u.path = f"{u.parent.path if u.parent else '/'}{u.pk}/"
    AdminUnit.objects.bulk_update(created, ["path"], batch_size=2000)
    return created


def _province() -> AdminUnit:
    return AdminUnit.objects.get(level=Level.PROVINCE, code=str(LANG_SON), valid_to__isnull=True)


def _add_nhuong_ban(province: AdminUnit) -> AdminUnit:
    """Nhượng Bạn (Lộc Bình), merged into Tam Gia on 01/01/2020 — a unit the package no longer has."""
    existing = AdminUnit.objects.filter(level=Level.COMMUNE, code="06556", valid_to=MERGE_2020 - DAY).first()
    if existing:
        return existing
    loc_binh = AdminUnit.objects.get(level=Level.DISTRICT, path__startswith=province.path, name="Lộc Bình")
    tam_gia = AdminUnit.objects.get(level=Level.COMMUNE, parent=loc_binh, name="Tam Gia")
    nb = AdminUnit(
        level=Level.COMMUNE,
        kind=Kind.XA,
        code="06556",
        name="Nhượng Bạn",
        parent=loc_binh,
        valid_to=MERGE_2020 - DAY,
        note="Sáp nhập vào xã Tam Gia từ 01/01/2020 (Nghị quyết 818/NQ-UBTVQH14).",
    )
    nb.save()
    change = UnitChange.objects.create(
        kind=UnitChange.ChangeKind.MERGE,
        effective_date=MERGE_2020,
        basis_number="818/NQ-UBTVQH14",
        basis_date=dt.date(2019, 11, 21),
        note="Nhập xã Nhượng Bạn vào xã Tam Gia.",
    )
    UnitLineage.objects.create(change=change, predecessor=nb, successor=tam_gia, is_primary=True)
    return nb


def _add_villages(province: AdminUnit, rng: random.Random) -> None:
    """Villages for every commune of both structures, linked old → new on 01/07/2025."""
    if AdminUnit.objects.filter(level=Level.VILLAGE, path__startswith=province.path).exists():
        return
    old = list(
        AdminUnit.objects.filter(
            level=Level.COMMUNE, path__startswith=province.path, valid_to__isnull=False
        ).order_by("code", "pk")
    )
    rows: list[AdminUnit] = []
    for commune in old:
        for name in _village_names(rng, rng.randint(6, 12)):
            kind = Kind.BAN if rng.random() < 0.45 else Kind.THON
            rows.append(
                AdminUnit(
                    level=Level.VILLAGE, kind=kind, name=name, parent=commune, valid_to=commune.valid_to
                )
            )
    old_villages = bulk_units(rows)

    # Where each old commune's villages go: its successor (the primary one when it was split), and when.
    edges = list(
        UnitLineage.objects.filter(predecessor__in=old, successor__isnull=False).select_related("change")
    )
    by_pred: dict[int, list[UnitLineage]] = defaultdict(list)
    for e in edges:
        by_pred[e.predecessor_id].append(e)  # type: ignore[index]
    successors = AdminUnit.objects.in_bulk(list({e.successor_id for e in edges}))
    target: dict[int, tuple[AdminUnit, dt.date]] = {}
    for pred_id, es in by_pred.items():
        chosen = next((e for e in es if e.is_primary), None) or es[0]
        target[pred_id] = (successors[chosen.successor_id], chosen.change.effective_date)

    # Move villages hop by hop (Nhượng Bạn → Tam Gia in 2020 → the new commune in 2025).
    moves: list[tuple[AdminUnit, AdminUnit, dt.date]] = []
    frontier = old_villages
    while frontier:
        new_rows: list[AdminUnit] = []
        pairs: list[tuple[AdminUnit, dt.date]] = []
        for v in frontier:
            hop = target.get(v.parent_id)  # type: ignore[arg-type]
            if hop is None:
                continue
            succ, date = hop
            new_rows.append(
                AdminUnit(
                    level=Level.VILLAGE,
                    kind=v.kind,
                    name=v.name,
                    parent=succ,
                    valid_from=date,
                    valid_to=succ.valid_to,
                )
            )
            pairs.append((v, date))
        created = bulk_units(new_rows)
        moves += [(v, n, date) for (v, date), n in zip(pairs, created, strict=True)]
        frontier = [n for n in created if n.valid_to is not None]
    changes = UnitChange.objects.bulk_create(
        [
            UnitChange(
                kind=UnitChange.ChangeKind.REPARENT,
                effective_date=date,
                basis_number="1672/NQ-UBTVQH15" if date == REFORM else "818/NQ-UBTVQH14",
                basis_date=dt.date(2025, 6, 16) if date == REFORM else dt.date(2019, 11, 21),
                note="Thôn chuyển theo xã sau sắp xếp đơn vị hành chính.",
            )
            for _old, _new, date in moves
        ],
        batch_size=2000,
    )
    UnitLineage.objects.bulk_create(
        [
            UnitLineage(change=c, predecessor=o, successor=n, is_primary=True)
            for c, (o, n, _d) in zip(changes, moves, strict=True)
        ],
        batch_size=2000,
    )


@transaction.atomic
def _classify(province: AdminUnit, rng: random.Random) -> None:
    """133 communes and 121 villages in Programme 135 for 2017–2020, as in the founding article."""
    types = {t.code: t for t in ClassificationType.objects.all()}
    if UnitClassification.objects.filter(
        type=types["p135-commune"], unit__path__startswith=province.path
    ).exists():
        return
    communes = list(
        AdminUnit.objects.filter(level=Level.COMMUNE, path__startswith=province.path)
        .filter(valid_on(ARTICLE_DAY))
        .exclude(kind=Kind.PHUONG)
        .order_by("code", "pk")
    )
    rng.shuffle(communes)
    p135 = communes[:P135_COMMUNES]
    others = communes[P135_COMMUNES:]
    start, end = dt.date(2017, 1, 1), dt.date(2020, 12, 31)
    rows: list[UnitClassification] = []

    def add(unit: AdminUnit, code: str, number: str, date: dt.date) -> None:
        rows.append(
            UnitClassification(
                unit=unit,
                type=types[code],
                valid_from=start,
                valid_to=min(end, unit.valid_to or end),
                basis_number=number,
                basis_date=date,
            )
        )

    for i, c in enumerate(p135):
        add(c, "p135-commune", "900/QĐ-TTg", dt.date(2017, 6, 20))
        if i < P135_BORDER:
            add(c, "border-commune", "900/QĐ-TTg", dt.date(2017, 6, 20))
        elif i < P135_BORDER + P135_ATK:
            add(c, "atk-commune", "900/QĐ-TTg", dt.date(2017, 6, 20))
        else:
            add(c, "dbkk-commune", "900/QĐ-TTg", dt.date(2017, 6, 20))
        add(c, "region-3", "582/QĐ-TTg", dt.date(2017, 4, 28))
    for c in others:
        add(c, "region-2" if rng.random() < 0.8 else "region-1", "582/QĐ-TTg", dt.date(2017, 4, 28))
    villages = list(
        AdminUnit.objects.filter(level=Level.VILLAGE, parent__in=others)
        .filter(valid_on(ARTICLE_DAY))
        .order_by("pk")
    )
    rng.shuffle(villages)
    for v in villages[:P135_VILLAGES]:
        add(v, "dbkk-village", "582/QĐ-TTg", dt.date(2017, 4, 28))
        add(v, "p135-village", "582/QĐ-TTg", dt.date(2017, 4, 28))
    UnitClassification.objects.bulk_create(rows, batch_size=2000)


def _split(total: int, weights: list[float]) -> list[int]:
    """Whole numbers proportional to `weights` that add up to `total` exactly (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


@transaction.atomic
def _statistics(province: AdminUnit, rng: random.Random) -> None:
    if UnitStatistic.objects.filter(year=STATISTICS_YEAR, unit__path__startswith=province.path).exists():
        return
    on = dt.date(STATISTICS_YEAR, 4, 1)
    communes = list(
        AdminUnit.objects.filter(level=Level.COMMUNE, path__startswith=province.path)
        .filter(valid_on(on))
        .order_by("code", "pk")
    )
    groups = {g.code: g for g in EthnicGroup.objects.filter(code__in=ETHNIC_SHARES)}
    weights = [
        rng.lognormvariate(0, 0.45) * (3.0 if c.kind in (Kind.PHUONG, Kind.THI_TRAN) else 1.0)
        for c in communes
    ]
    population = _split(POPULATION, weights)
    households = _split(HOUSEHOLDS, [p / rng.uniform(3.9, 4.6) for p in population])
    codes = list(ETHNIC_SHARES)
    # Ethnic mix per commune: towns have more Kinh; fitted so that the province totals match the census shares.
    mix = []
    for c in communes:
        town = c.kind in (Kind.PHUONG, Kind.THI_TRAN)
        mix.append(
            [ETHNIC_SHARES[k] * rng.uniform(0.5, 1.5) * (3.5 if town and k == "01" else 1.0) for k in codes]
        )
    for _ in range(30):  # iterative proportional fitting
        for i in range(len(population)):
            row = sum(mix[i])
            mix[i] = [x / row for x in mix[i]]
        for j, k in enumerate(codes):
            col = sum(mix[i][j] * population[i] for i in range(len(communes)))
            factor = ETHNIC_SHARES[k] * POPULATION / col
            for i in range(len(communes)):
                mix[i][j] *= factor
    rows: list[UnitStatistic] = []
    for i, c in enumerate(communes):
        by_group = _split(population[i], mix[i])
        hh_by_group = _split(households[i], mix[i])
        kinh = by_group[codes.index("01")]
        em_pop = population[i] - kinh
        em_hh = households[i] - hh_by_group[codes.index("01")]
        poor_rate = (
            rng.uniform(0.02, 0.09) if c.kind in (Kind.PHUONG, Kind.THI_TRAN) else rng.uniform(0.06, 0.32)
        )
        poor = round(households[i] * poor_rate)
        near = round(households[i] * rng.uniform(0.05, 0.14))
        rows.append(
            UnitStatistic(
                unit=c,
                year=STATISTICS_YEAR,
                population=population[i],
                households=households[i],
                em_population=em_pop,
                em_households=em_hh,
                poor_households=poor,
                near_poor_households=near,
            )
        )
        for j, k in enumerate(codes):
            rows.append(
                UnitStatistic(
                    unit=c,
                    year=STATISTICS_YEAR,
                    ethnic_group=groups[k],
                    population=by_group[j],
                    households=hh_by_group[j],
                )
            )
    UnitStatistic.objects.bulk_create(rows, batch_size=2000)


def load() -> None:
    """Idempotent: each step skips what is already there."""
    rng = random.Random(20180329)  # the date of the founding article's meeting
    ensure_ethnic_groups()
    ensure_classification_types()
    loader.load([LANG_SON])
    province = _province()
    with transaction.atomic():
        _add_nhuong_ban(province)
        _add_villages(province, rng)
    _classify(province, rng)
    _statistics(province, rng)
