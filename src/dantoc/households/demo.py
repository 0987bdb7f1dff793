"""Demo registry: households and persons for the demo communes, poverty status, and the founding article's
2018 production-development support under Programme 30a — 4,238 households, 8,700,000,000 đồng in total —
computed by the report from these records.

Synthetic and seeded (the same data on every run), written in bulk, idempotent (each step skips what is
there). Communes: every village of the 30a districts of the time (Bình Gia, Đình Lập), recorded on today's
village rows, and the villages of today's Xã Lộc Bình (the demo commune officer's area). Ethnic mix as in
Lạng Sơn's 2019 census (Nùng 41.9 %, Tày 35.4 %, Kinh 17 %, Dao 3.5 %…); CCCDs of valid format with
province code 020; a few likely duplicates to review.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from dantoc.core.text import fold, nfc
from dantoc.geo.models import AdminUnit, EthnicGroup, Level, valid_on
from dantoc.geo.selectors import rebase_map
from dantoc.households import search, summary
from dantoc.households.ids import LANG_SON, century_digit
from dantoc.households.models import Household, Person, PovertyStatus, SupportRecord
from dantoc.programs.models import Component, Program

SEED = 20180329 + 5
CODE_PREFIX = "DEMO-"
SUPPORT_YEAR = 2018
SUPPORT_HOUSEHOLDS = 4_238
SUPPORT_VALUE = 8_700_000_000
POOR_DISTRICTS = ("Bình Gia", "Đình Lập")  # poor districts under the 30a mechanism in the demo
DEMO_COMMUNE = "Lộc Bình"
ETHNIC_SHARES = {"07": 0.419, "02": 0.354, "01": 0.170, "09": 0.035, "06": 0.010, "13": 0.008, "08": 0.004}

SURNAMES = {
    "07": [
        "Hoàng",
        "Nông",
        "Lương",
        "Vy",
        "Lộc",
        "Chu",
        "Mông",
        "Lăng",
        "Hứa",
        "Lý",
        "Triệu",
        "La",
        "Hoàng",
        "Nông",
    ],
    "02": ["Hoàng", "Nông", "Hà", "Lương", "Lộc", "Đinh", "Hứa", "Vi", "Bế", "Lục", "Dương", "Chu", "Hoàng"],
    "01": ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Dương", "Nguyễn", "Đặng"],
    "09": ["Triệu", "Bàn", "Đặng", "Lý", "Phùng", "Chìu", "Chảo"],
    "06": ["Lưu", "Trương", "Lý", "Hà", "Lâm", "Tăng"],
    "13": ["Hoàng", "Lý", "Trần", "Tăng", "Lục"],
    "08": ["Giàng", "Lý", "Vàng", "Hầu", "Sùng"],
}
MALE = [
    "An",
    "Bình",
    "Chiến",
    "Cường",
    "Dũng",
    "Đức",
    "Hải",
    "Hào",
    "Hiếu",
    "Hùng",
    "Khánh",
    "Kiên",
    "Lâm",
    "Long",
    "Mạnh",
    "Minh",
    "Nam",
    "Phúc",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Toàn",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Hưng",
    "Lợi",
    "Pản",
    "Sình",
    "Quý",
    "Trường",
]
FEMALE = [
    "Mai",
    "Lan",
    "Hoa",
    "Hương",
    "Hạnh",
    "Huệ",
    "Liên",
    "Nga",
    "Nhung",
    "Thảo",
    "Thu",
    "Tuyết",
    "Vân",
    "Xuân",
    "Yến",
    "Dung",
    "Hiền",
    "Lụa",
    "Phượng",
    "Quyên",
    "Thoa",
    "Hằng",
    "Mẩy",
    "Slim",
    "Lìu",
    "Duyên",
]
MALE_MIDDLE = ["Văn"] * 8 + ["Đức", "Minh", "Hữu", "Xuân"]
FEMALE_MIDDLE = ["Thị"] * 9 + ["Ngọc", "Thu", "Thanh"]

# (kind, measure, low, high, weight) of production support in a 30a district.
KINDS = [
    ("livestock", "con", 2_500_000, 6_000_000, 0.45),
    ("seedlings", "cây", 800_000, 2_500_000, 0.22),
    ("fertiliser", "kg", 400_000, 1_200_000, 0.18),
    ("machinery", "chiếc", 1_500_000, 4_000_000, 0.10),
    ("cash", "", 1_000_000, 2_000_000, 0.05),
]


def _province() -> AdminUnit | None:
    return AdminUnit.objects.filter(level=Level.PROVINCE, code="20", valid_to__isnull=True).first()


def _current_villages_of(old_roots: Iterable[AdminUnit]) -> list[int]:
    """Today's village rows for the territory of historical units (through the reform's lineage)."""
    ids: set[int] = set()
    for root in old_roots:
        ids |= set(
            AdminUnit.objects.filter(path__startswith=root.path, level=Level.VILLAGE).values_list(
                "pk", flat=True
            )
        )
    today = dt.date.today()
    targets = {a.target_id for a in rebase_map(ids, today) if a.target_id}
    return sorted(
        AdminUnit.objects.filter(pk__in=targets, level=Level.VILLAGE)
        .filter(valid_on(today))
        .values_list("pk", flat=True)
    )


def poor_district_villages(province: AdminUnit) -> list[int]:
    districts = AdminUnit.objects.filter(
        level=Level.DISTRICT, path__startswith=province.path, name__in=POOR_DISTRICTS
    )
    return _current_villages_of(districts)


def demo_commune_villages(province: AdminUnit) -> list[int]:
    commune = AdminUnit.objects.filter(
        level=Level.COMMUNE,
        name=DEMO_COMMUNE,
        path__startswith=province.path,
        valid_to__isnull=True,
        valid_from__isnull=False,
    ).first()
    if commune is None:
        return []
    return sorted(
        AdminUnit.objects.filter(parent=commune, level=Level.VILLAGE, valid_to__isnull=True).values_list(
            "pk", flat=True
        )
    )


class _Ids:
    """Unique valid-format CCCDs (province 020) and old CMNDs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set(Person.objects.exclude(id_number="").values_list("id_number", flat=True))

    def cccd(self, year: int, sex: str) -> str:
        digit = min(century_digit(year, sex))
        while True:
            number = f"{LANG_SON}{digit}{year % 100:02d}{self.rng.randrange(10**6):06d}"
            if number not in self.used:
                self.used.add(number)
                return number

    def cmnd(self) -> str:
        while True:
            number = f"08{self.rng.randrange(10**7):07d}"
            if number not in self.used:
                self.used.add(number)
                return number

    def for_person(self, year: int, sex: str) -> str:
        r = self.rng.random()
        if year <= 2011:
            if year < 1975 and r < 0.08:
                return self.cmnd()
            return self.cccd(year, sex) if r < 0.9 else ""
        return self.cccd(year, sex) if r < 0.3 else ""


def _name(rng: random.Random, group: str, sex: str, surname: str | None = None) -> str:
    family = surname or rng.choice(SURNAMES.get(group, SURNAMES["01"]))
    middle = rng.choice(MALE_MIDDLE if sex == "M" else FEMALE_MIDDLE)
    given = rng.choice(MALE if sex == "M" else FEMALE)
    return f"{family} {middle} {given}"


def _mix(rng: random.Random) -> tuple[list[str], list[float]]:
    codes = list(ETHNIC_SHARES)
    weights = [ETHNIC_SHARES[c] * rng.uniform(0.4, 1.6) for c in codes]
    return codes, weights


def _person(
    rng: random.Random,
    ids: _Ids,
    hh: Household,
    groups: dict[str, EthnicGroup],
    group: str,
    sex: str,
    year: int,
    relation: str,
    surname: str | None = None,
) -> Person:
    name = nfc(_name(rng, group, sex, surname))
    return Person(
        household=hh,
        full_name=name,
        name_folded=fold(name),
        sex=sex,
        birth_year=year,
        ethnic_group=groups[group],
        relation=relation,
        id_number=ids.for_person(year, sex),
    )


@transaction.atomic
def _registry(province: AdminUnit, rng: random.Random, poor_villages: set[int]) -> None:
    if Household.objects.filter(code__startswith=CODE_PREFIX).exists():
        return
    groups = {g.code: g for g in EthnicGroup.objects.filter(code__in=ETHNIC_SHARES)}
    ids = _Ids(rng)
    plan = [(v, rng.randint(28, 48)) for v in sorted(poor_villages)]
    plan += [(v, rng.randint(40, 70)) for v in demo_commune_villages(province)]
    households: list[Household] = []
    mixes: list[tuple[list[str], list[float]]] = []
    for village_id, count in plan:
        mix = _mix(rng)
        for n in range(1, count + 1):
            households.append(
                Household(code=f"{CODE_PREFIX}{village_id}-{n:03d}", village_id=village_id, address="")
            )
            mixes.append(mix)
    created = Household.objects.bulk_create(households, batch_size=2000)
    persons: list[Person] = []
    statuses: list[PovertyStatus] = []
    for hh, (codes, weights) in zip(created, mixes, strict=True):
        group = rng.choices(codes, weights)[0]
        head_sex = "M" if rng.random() < 0.78 else "F"
        head_year = rng.randint(1950, 1996)
        head = _person(rng, ids, hh, groups, group, head_sex, head_year, "head")
        persons.append(head)
        surname = head.full_name.split()[0] if head_sex == "M" else None
        if rng.random() < 0.85:
            spouse_group = group if rng.random() < 0.8 else rng.choices(codes, weights)[0]
            spouse_sex = "F" if head_sex == "M" else "M"
            persons.append(
                _person(
                    rng,
                    ids,
                    hh,
                    groups,
                    spouse_group,
                    spouse_sex,
                    min(2005, head_year + rng.randint(-6, 4)),
                    "spouse",
                )
            )
        for _child in range(rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])):
            year = min(2025, head_year + rng.randint(20, 36))
            sex = rng.choice("MF")
            persons.append(_person(rng, ids, hh, groups, group, sex, year, "child", surname))
        if head_year > 1965 and rng.random() < 0.18:
            persons.append(
                _person(
                    rng, ids, hh, groups, group, rng.choice("MF"), head_year - rng.randint(22, 32), "parent"
                )
            )
        poor = 0.30 if hh.village_id in poor_villages else 0.10
        r = rng.random()
        s2018 = "poor" if r < poor else "near_poor" if r < poor + 0.14 else "none"
        statuses.append(
            PovertyStatus(household=hh, year=2018, status=s2018, source="Kết quả rà soát hộ nghèo 2018")
        )
        r = rng.random()
        if s2018 == "poor":
            s2025 = "poor" if r < 0.35 else "near_poor" if r < 0.55 else "escaped"
        elif s2018 == "near_poor":
            s2025 = "poor" if r < 0.08 else "near_poor" if r < 0.4 else "escaped"
        else:
            s2025 = "poor" if r < 0.04 else "near_poor" if r < 0.09 else "none"
        statuses.append(
            PovertyStatus(household=hh, year=2025, status=s2025, source="Kết quả rà soát hộ nghèo 2025")
        )
    persons += _duplicates(rng, [h for h in created if h.village_id not in poor_villages], groups)
    with search.bulk_indexing():
        Person.objects.bulk_create(persons, batch_size=5000)
    PovertyStatus.objects.bulk_create(statuses, batch_size=5000)


def _duplicates(rng: random.Random, local: list[Household], groups: dict[str, EthnicGroup]) -> list[Person]:
    """A dozen persons typed twice in the demo commune (a typo, or no tone marks), for the review page."""
    out: list[Person] = []
    for hh in rng.sample(local, min(12, len(local))):
        sex = rng.choice("MF")
        year = rng.randint(1960, 2000)
        group = rng.choice(["07", "02"])
        name = nfc(_name(rng, group, sex))
        twin = fold(name).title() if rng.random() < 0.5 else name.replace("Thị", "Thi").replace("Văn", "Vă")
        for n, relation in ((name, "sibling"), (twin, "other")):
            out.append(
                Person(
                    household=hh,
                    full_name=n,
                    name_folded=fold(n),
                    sex=sex,
                    birth_year=year,
                    ethnic_group=groups[group],
                    relation=relation,
                )
            )
    return out


def _split(total: int, weights: list[float], unit: int = 1000) -> list[int]:
    """Whole multiples of `unit` proportional to `weights`, adding up to `total` exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x // unit) * unit for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % len(order)]] += min(unit, total - sum(out))
        i += 1
    return out


@transaction.atomic
def _support_2018(rng: random.Random, poor_villages: set[int]) -> None:
    program = Program.objects.filter(code="30A").first()
    if program is None:
        return
    production = list(
        program.components.filter(category=Component.Category.PRODUCTION).order_by("order", "code")
    )
    if not production:
        return
    component = production[0]
    demo = Household.objects.filter(code__startswith=CODE_PREFIX)
    if SupportRecord.objects.filter(
        component__program=program, year=SUPPORT_YEAR, household__in=demo
    ).exists():
        return
    rows = list(
        PovertyStatus.objects.filter(
            year=SUPPORT_YEAR,
            household__code__startswith=CODE_PREFIX,
            household__village_id__in=poor_villages,
        )
        .order_by("household_id")
        .values_list("household_id", "status")
    )
    rank = {"poor": 0, "near_poor": 1}
    rng.shuffle(rows)
    rows.sort(key=lambda r: rank.get(r[1] or "", 2))
    chosen = [pk for pk, _status in rows[:SUPPORT_HOUSEHOLDS]]
    if len(chosen) < SUPPORT_HOUSEHOLDS:  # a smaller geography than expected: take any demo households
        extra = (
            demo.exclude(pk__in=chosen)
            .order_by("pk")
            .values_list("pk", flat=True)[: SUPPORT_HOUSEHOLDS - len(chosen)]
        )
        chosen += list(extra)
    specs: list[tuple[int, str, str, float]] = []
    for pk in chosen:
        kind, measure, low, high, _w = rng.choices(KINDS, [k[4] for k in KINDS])[0]
        specs.append((pk, kind, measure, rng.uniform(low, high)))
        if kind != "fertiliser" and rng.random() < 0.3:
            specs.append((pk, "fertiliser", "kg", rng.uniform(300_000, 900_000)))
    values = _split(SUPPORT_VALUE, [s[3] for s in specs])
    records = []
    for (pk, kind, measure, _raw), value in zip(specs, values, strict=True):
        quantity = {
            "livestock": max(1, round(value / 2_800_000)),
            "seedlings": max(50, round(value / 8_000)),
            "fertiliser": max(20, round(value / 12_000)),
            "machinery": 1,
            "cash": 1,
        }[kind]
        records.append(
            SupportRecord(
                household_id=pk,
                component=component,
                year=SUPPORT_YEAR,
                kind=kind,
                quantity=Decimal(quantity),
                measure=measure,
                value_vnd=value,
                note="Hỗ trợ phát triển sản xuất năm 2018 (dữ liệu mẫu)",
            )
        )
    SupportRecord.objects.bulk_create(records, batch_size=5000)


def load() -> None:
    """Idempotent: each step skips what is already there."""
    province = _province()
    if province is None:
        return
    poor_villages = set(poor_district_villages(province))
    _registry(province, random.Random(SEED), poor_villages)
    _support_2018(random.Random(SEED + 2018), poor_villages)
    summary.rebuild()  # the records above were written in bulk
