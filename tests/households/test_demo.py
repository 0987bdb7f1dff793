"""The demo registry: the article's 2018 figure for Programme 30a follows from the records."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db.models import Count

from dantoc.accounts.models import User
from dantoc.core.demo import load_demo
from dantoc.households import demo as households_demo
from dantoc.households import report, selectors, services
from dantoc.households.ids import id_number_errors
from dantoc.households.models import Household, Person, PovertyStatus

from .conftest import ensure_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    """Units and accounts, the 30A programme if the catalogue has not made it, then the registry."""
    load_demo()
    ensure_program("30A")
    households_demo.load()


def test_demo_registry_and_the_2018_figure(demo, capsys) -> None:
    (p,) = [p for p in report.build(2018)["programs"] if p["code"] == "30A"]
    assert p["households"] == 4_238 and p["value_vnd"] == 8_700_000_000
    assert {c["code"] for c in p["components"]} == {"30A-2"}
    call_command("report_households", "--year", "2018", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    (p2,) = [p for p in out["programs"] if p["code"] == "30A"]
    assert (p2["households"], p2["value_vnd"]) == (4_238, 8_700_000_000)
    assert {u["name"] for u in out["units"] if u["level"] == "district"} == {
        "Huyện Bình Gia",
        "Huyện Đình Lập",
    }

    # ethnic mix close to the census shares, valid CCCDs of Lạng Sơn, poor and near-poor shares
    total = Person.objects.count()
    by_group = dict(Person.objects.values_list("ethnic_group__code").annotate(n=Count("pk")))
    assert abs(by_group["07"] / total - 0.419) < 0.06 and abs(by_group["02"] / total - 0.354) < 0.06
    assert abs(by_group["01"] / total - 0.17) < 0.05
    sample = Person.objects.exclude(id_number="").values_list("id_number", "birth_year", "sex")[:3000]
    assert all(id_number_errors(n, y, s) == [] for n, y, s in sample)
    assert all(n.startswith("020") for n, _y, _s in sample if len(n) == 12)
    statuses = dict(PovertyStatus.objects.filter(year=2018).values_list("status").annotate(n=Count("pk")))
    assert statuses["poor"] > 0 and statuses["near_poor"] > 0

    # idempotent
    counts = (Household.objects.count(), Person.objects.count())
    households_demo.load()
    assert (Household.objects.count(), Person.objects.count()) == counts
    assert report.build(2018)["programs"][0]["households"] == 4_238

    # the commune officer sees the demo commune's registry and its likely duplicates
    xa = User.objects.get(username="xa")
    assert selectors.persons(xa).exists()
    assert selectors.likely_duplicates(xa, xa.scope)

    # the figure moves when a support record is added
    hh = selectors.households(xa).first()
    services.create_support_record(
        xa, hh, component=services.resolve_component("30A"), year=2018, kind="livestock", value_vnd=5_000_000
    )
    (p,) = [p for p in report.build(2018)["programs"] if p["code"] == "30A"]
    assert p["households"] == 4_239 and p["value_vnd"] == 8_705_000_000
