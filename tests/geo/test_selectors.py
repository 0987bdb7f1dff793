"""Time-aware reads: re-basing figures, multi-hop lineage, roll-up on the historical structure, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dantoc.geo import selectors, services
from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange
from dantoc.geo.selectors import Rule
from dantoc.geo.services import NewUnit, SuccessorSpec

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
D2023 = dt.date(2023, 1, 1)


def split(users, parent: AdminUnit, shares: list[str] | None, primary: int | None = None):
    """A commune of `parent` split on 01/01/2023 into A and B; returns (predecessor, [successors])."""
    pred = services.create_unit(users.admin, kind=Kind.XA, name="Tách Ra", parent=parent)
    specs = [
        SuccessorSpec(
            new=NewUnit(kind=Kind.XA, name=name),
            share=Decimal(shares[i]) if shares else None,
            primary=primary == i,
        )
        for i, name in enumerate(["Tách A", "Tách B"])
    ]
    change = services.record_split(users.admin, pred, specs, D2023, "TEST/NQ")
    return pred, [e.successor for e in change.edges.order_by("pk")]


def test_merges_add_up(tree) -> None:
    out = selectors.rebase({tree.tt_loc_binh.pk: 100, tree.dong_buc.pk: 50, tree.ba_son.pk: 7}, TODAY)
    assert out[tree.xa_loc_binh.pk].value == 150
    assert out[tree.xa_cao_loc.pk].value == 7
    assert {tuple(s["rules"]) for s in out[tree.xa_loc_binh.pk].sources} == {(Rule.WHOLE,)}


def test_a_current_unit_keeps_its_figure(tree) -> None:
    out = selectors.rebase({tree.xa_loc_binh.pk: 12}, TODAY)
    assert out[tree.xa_loc_binh.pk].value == 12
    assert out[tree.xa_loc_binh.pk].sources[0]["rules"] == [Rule.SAME]


def test_split_apportions_by_share(tree, users) -> None:
    pred, (a, b) = split(users, tree.cao_loc, ["0.6", "0.4"])
    out = selectors.rebase({pred.pk: 1000}, dt.date(2024, 1, 1))
    assert (out[a.pk].value, out[b.pk].value) == (600, 400)
    assert out[a.pk].sources[0]["rules"] == [Rule.SHARE]


def test_split_without_shares_goes_to_the_primary_successor(tree, users) -> None:
    pred, (_a, b) = split(users, tree.cao_loc, None, primary=1)
    out = selectors.rebase({pred.pk: 1000}, dt.date(2024, 1, 1))
    assert set(out) == {b.pk}
    assert out[b.pk].value == 1000
    assert out[b.pk].sources[0]["rules"] == [Rule.PRIMARY]


def test_multi_hop_abolished_in_2020_then_merged_in_2025(tree, users) -> None:
    services.record_abolish(
        users.admin, tree.nhuong_ban, dt.date(2020, 1, 10), "TEST/NQ", successor=tree.dong_buc
    )
    out = selectors.rebase({tree.nhuong_ban.pk: 40, tree.dong_buc.pk: 60}, TODAY)
    assert set(out) == {tree.xa_loc_binh.pk}
    assert out[tree.xa_loc_binh.pk].value == 100
    rules = {s["unit_id"]: s["rules"] for s in out[tree.xa_loc_binh.pk].sources}
    assert rules[tree.nhuong_ban.pk] == [Rule.WHOLE, Rule.WHOLE]  # two hops
    # Re-based onto 2024's structure, the 2020 hop alone applies.
    out_2024 = selectors.rebase({tree.nhuong_ban.pk: 40}, dt.date(2024, 1, 1))
    assert set(out_2024) == {tree.dong_buc.pk}
    # Territory today, and the reverse: the current commune's former units over every period.
    (where,) = selectors.territory_today(tree.nhuong_ban)
    assert where.unit == tree.xa_loc_binh and where.weight == 1
    former = {u.pk: hops for u, hops in selectors.lineage_closure(tree.xa_loc_binh, forward=False)}
    assert former == {tree.tt_loc_binh.pk: 1, tree.dong_buc.pk: 1, tree.nhuong_ban.pk: 2}
    assert set(selectors.former_units(tree.xa_loc_binh, dt.date(2019, 6, 1))) == {
        tree.tt_loc_binh,
        tree.dong_buc,
        tree.nhuong_ban,
    }


def test_split_then_merge_combines_rules(tree, users) -> None:
    pred, (a, b) = split(users, tree.cao_loc, ["0.25", "0.75"])
    for unit, target in ((a, tree.xa_cao_loc), (b, tree.xa_loc_binh)):
        change = UnitChange.objects.create(
            kind=UnitChange.ChangeKind.MERGE, effective_date=dt.date(2025, 7, 1)
        )
        change.edges.create(predecessor=unit, successor=target)
    out = selectors.rebase({pred.pk: 200}, TODAY)
    assert (out[tree.xa_cao_loc.pk].value, out[tree.xa_loc_binh.pk].value) == (50, 150)
    assert out[tree.xa_loc_binh.pk].sources[0]["rules"] == [Rule.SHARE, Rule.WHOLE]


def test_abolished_without_successor_says_so(tree, users) -> None:
    services.record_abolish(users.admin, tree.nhuong_ban, dt.date(2020, 1, 10))
    out = selectors.rebase({tree.nhuong_ban.pk: 5}, TODAY)
    assert out[None].sources[0]["rules"] == [Rule.ABOLISHED]


def test_rollup_on_the_structure_of_its_own_date(tree) -> None:
    figures = {tree.tt_loc_binh.pk: 10, tree.dong_buc.pk: 20, tree.nhuong_ban.pk: 5, tree.ba_son.pk: 7}
    assert selectors.rollup(figures, 1) == {tree.loc_binh.pk: 35, tree.cao_loc.pk: 7}
    assert selectors.rollup(figures, 0) == {tree.province.pk: 42}
    # The same 2019 figures on today's structure: merged into the current communes.
    today = selectors.rebase({k: v for k, v in figures.items() if k != tree.nhuong_ban.pk}, TODAY)
    assert {k: int(v.value) for k, v in today.items()} == {tree.xa_loc_binh.pk: 30, tree.xa_cao_loc.pk: 7}


def test_units_as_of_a_date(tree) -> None:
    def communes(on: dt.date) -> set[int]:
        return set(
            AdminUnit.objects.filter(path__startswith=tree.province.path, level=Level.COMMUNE)
            .filter(pk__in=selectors.descendants(tree.province, on=on, level=Level.COMMUNE))
            .values_list("pk", flat=True)
        )

    assert communes(dt.date(2019, 6, 1)) == {
        tree.tt_loc_binh.pk,
        tree.dong_buc.pk,
        tree.nhuong_ban.pk,
        tree.ba_son.pk,
    }
    assert communes(dt.date(2024, 1, 1)) == {tree.tt_loc_binh.pk, tree.dong_buc.pk, tree.ba_son.pk}
    assert communes(dt.date(2026, 1, 1)) == {tree.xa_loc_binh.pk, tree.xa_cao_loc.pk}


def test_search_ignores_tone_marks_across_periods(tree, users) -> None:
    found = list(selectors.search(users.officer, "nhuong ban"))
    assert found == [tree.nhuong_ban]
    assert list(selectors.search(users.officer, "dong buc")) == [tree.dong_buc]
    assert found[0].ended_by is None  # no change recorded for it in the fixture
    hits = list(selectors.search(users.officer, "LOC BINH"))
    assert hits[0] == tree.xa_loc_binh  # current units first
    assert set(hits) == {tree.xa_loc_binh, tree.loc_binh, tree.tt_loc_binh}
    assert selectors.search(users.officer, "dong buc").get().ended_by == UnitChange.ChangeKind.MERGE
    assert not selectors.search(users.officer, "  ").exists()


def test_scope_of_the_historical_district_officer(tree, users) -> None:
    locbinh = users.district
    communes_2024 = set(selectors.units(locbinh, on=dt.date(2024, 1, 1), level=Level.COMMUNE))
    assert communes_2024 == {tree.tt_loc_binh, tree.dong_buc}
    assert not selectors.units(locbinh).filter(path__startswith=tree.cao_loc.path).exists()
    assert not selectors.search(locbinh, "ba son").exists()
    assert selectors.default_on(locbinh) == tree.loc_binh.valid_to
    assert [r.pk for r in selectors.roots(locbinh, dt.date(2024, 1, 1))] == [tree.loc_binh.pk]
    kids = set(selectors.tree_children(locbinh, tree.loc_binh, dt.date(2019, 6, 1)))
    assert kids == {tree.tt_loc_binh, tree.dong_buc, tree.nhuong_ban}


def test_scope_of_the_commune_officer(tree, users) -> None:
    xa = users.commune
    assert set(selectors.units(xa)) == {tree.xa_loc_binh, tree.village}
    assert set(selectors.search(xa, "loc binh")) == {tree.xa_loc_binh}
    assert set(selectors.tree_children(xa, tree.province, TODAY)) == {tree.xa_loc_binh}
    assert set(selectors.tree_children(xa, tree.xa_loc_binh, TODAY)) == {tree.village}
