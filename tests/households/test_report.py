"""The households-support report: figures computed from the records, moving when a record is added."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage
from dantoc.households import report, services
from dantoc.households.models import Household, PovertyStatus, SupportRecord

from .conftest import REFORM_DAY, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def supported(world, tree):
    """Three households supported in 2018: two in Nà Pàn (current row), one in Khuổi Mò (Ba Sơn, old row)."""
    # Nà Pàn existed before the reform as a village of Đồng Bục: the old row and its lineage edge.
    old = AdminUnit(
        level=Level.VILLAGE,
        kind=Kind.THON,
        name="Nà Pàn",
        parent=tree.dong_buc,
        valid_to=tree.dong_buc.valid_to,
    )
    old.save()
    ch = UnitChange.objects.create(kind=UnitChange.ChangeKind.REPARENT, effective_date=REFORM_DAY)
    UnitLineage.objects.create(change=ch, predecessor=old, successor=world.village, is_primary=True)
    hh2 = Household.objects.create(code="NP-002", village=world.village)
    person(hh2, "Nông Văn Sơn", "M", 1970, world.tay, "head")
    person(hh2, "Hà Thị Nhung", "F", 1972, world.tay, "spouse")
    person(hh2, "Nông Thị Hà", "F", 2000, world.tay, "child")
    PovertyStatus.objects.create(household=hh2, year=2018, status="near_poor")
    SupportRecord.objects.create(
        household=world.household,
        component=world.production,
        year=2018,
        kind="livestock",
        quantity=1,
        measure="con",
        value_vnd=5_000_000,
    )
    SupportRecord.objects.create(
        household=world.household,
        component=world.production,
        year=2018,
        kind="fertiliser",
        quantity=100,
        measure="kg",
        value_vnd=1_000_000,
    )
    SupportRecord.objects.create(
        household=hh2, component=world.production, year=2018, kind="livestock", value_vnd=4_000_000
    )
    SupportRecord.objects.create(
        household=world.other_household, component=world.infra, year=2018, kind="other", value_vnd=3_000_000
    )
    SupportRecord.objects.create(
        household=hh2, component=world.production, year=2019, kind="seedlings", value_vnd=9_000_000
    )
    return old


def test_figures_from_records(world, tree, supported) -> None:
    data = report.build(2018, tree.province)
    assert data["households"] == 3 and data["value_vnd"] == 13_000_000
    (p,) = data["programs"]
    assert p["code"] == "30A"
    assert (p["households"], p["persons"], p["value_vnd"]) == (3, 6, 13_000_000)  # 2 + 3 + 1 members
    assert (
        p["by_kind"]["livestock"]["households"] == 2 and p["by_kind"]["livestock"]["value_vnd"] == 9_000_000
    )
    assert p["by_kind"]["fertiliser"]["quantity"] == 100
    assert p["by_ethnic_group"]["07"]["households"] == 1 and p["by_ethnic_group"]["02"]["households"] == 2
    assert p["by_sex"] == {
        "F": {"households": 1, "persons": 2, "value_vnd": 6_000_000},
        "M": {"households": 2, "persons": 4, "value_vnd": 7_000_000},
    }
    assert p["by_poverty"]["poor"]["households"] == 1 and p["by_poverty"]["near_poor"]["households"] == 1
    assert p["by_poverty"]["unknown"]["households"] == 1
    comps = {c["code"]: c for c in p["components"]}
    assert comps["30A-2"]["households"] == 2 and comps["30A-2"]["value_vnd"] == 10_000_000
    assert comps["30A-2"]["by_kind"]["livestock"]["households"] == 2


def test_historical_structure_rolls_up_to_the_districts_of_the_time(world, tree, supported) -> None:
    data = report.build(2018, tree.province, "historical")
    names = {(u["level"], u["name"]): u for u in data["units"]}
    assert names[("district", "Huyện Lộc Bình")]["households"] == 2
    assert names[("commune", "Xã Đồng Bục")]["households"] == 2
    assert names[("district", "Huyện Cao Lộc")]["households"] == 1
    assert data["structure_date"] == "2018-12-31"


def test_current_structure_rolls_up_to_todays_communes(world, tree, supported) -> None:
    UnitLineage.objects.create(
        change=UnitChange.objects.create(kind="reparent", effective_date=REFORM_DAY),
        predecessor=world.other_village,
        successor=AdminUnit.objects.create(
            level="village", kind="thon", name="Khuổi Mò", parent=tree.xa_cao_loc, valid_from=REFORM_DAY
        ),
    )
    data = report.build(2018, tree.province, "current")
    names = {(u["level"], u["name"]): u["households"] for u in data["units"]}
    assert names == {("commune", "Xã Lộc Bình"): 2, ("commune", "Xã Cao Lộc"): 1}


def test_unit_filter_and_structure_mismatch(world, tree, supported) -> None:
    data = report.build(2018, tree.loc_binh, "historical")
    assert data["households"] == 2
    with pytest.raises(Exception, match="structure"):
        report.build(2018, tree.loc_binh, "current")


def test_figures_move_when_a_record_is_added(world, tree, users, supported) -> None:
    before = report.build(2018, tree.province)["programs"][0]
    services.create_support_record(
        users.commune,
        world.household,
        component=world.production,
        year=2018,
        kind="machinery",
        value_vnd=700_000,
    )
    after = report.build(2018, tree.province)["programs"][0]
    assert after["value_vnd"] == before["value_vnd"] + 700_000
    assert after["households"] == before["households"]  # the same household again
    hh = Household.objects.create(code="NP-003", village=world.village)
    person(hh, "Lăng Văn Hùng", "M", 1966, world.kinh, "head")
    services.create_support_record(
        users.commune, hh, component=world.production, year=2018, kind="cash", value_vnd=1_000_000
    )
    assert report.build(2018, tree.province)["programs"][0]["households"] == before["households"] + 1


def test_scope_limits_the_report(world, tree, users, supported) -> None:
    data = report.build(2018, None, user=users.commune)
    assert data["households"] == 2 and data["unit"]["name"] == "Xã Lộc Bình"


def test_command_formats(world, tree, supported, tmp_path, capsys) -> None:
    call_command("report_households", "--year", "2018", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["year"] == 2018 and out["programs"][0]["households"] == 3
    xlsx = tmp_path / "r.xlsx"
    call_command("report_households", "--year", "2018", "--format", "xlsx", "--output", str(xlsx))
    import openpyxl

    ws = openpyxl.load_workbook(xlsx).active
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert any(t.startswith("Lạng Sơn, ngày") for t in texts)
    assert 13_000_000 in [c.value for row in ws.iter_rows() for c in row]
    html = tmp_path / "r.html"
    call_command("report_households", "--year", "2018", "--format", "html", "--output", str(html))
    assert "30A" in html.read_text()
