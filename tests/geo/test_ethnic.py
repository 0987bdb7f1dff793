"""The 54 ethnic groups: data loaded by migration, codes, aliases, tone-insensitive matching."""

from __future__ import annotations

import unicodedata

import pytest

from dantoc.geo.ethnic import (
    ETHNIC_GROUPS,
    EthnicMatcher,
    UnknownEthnicGroup,
    clear_ethnic_cache,
    ensure_ethnic_groups,
    ethnic_key,
    match_ethnic_group,
)
from dantoc.geo.models import EthnicGroup

CODES = {f"{i:02d}" for i in range(1, 55)}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_ethnic_cache()
    yield
    clear_ethnic_cache()


def test_data_is_complete_and_consistent():
    assert len(ETHNIC_GROUPS) == 54
    assert {g.code for g in ETHNIC_GROUPS} == CODES
    assert {g.code_1979 for g in ETHNIC_GROUPS} == CODES
    assert len({ethnic_key(g.name) for g in ETHNIC_GROUPS}) == 54
    matcher = EthnicMatcher(ETHNIC_GROUPS)
    assert matcher.conflicts == {}
    for g in ETHNIC_GROUPS:
        keys = [ethnic_key(a) for a in (g.name, *g.aliases)]
        assert len(keys) == len(set(keys)), f"{g.name}: an alias only differs by spacing, hyphens or tones"
        for alias in g.aliases:
            assert matcher.match(alias).code == g.code


@pytest.mark.django_db
def test_all_54_present_after_migrate():
    groups = list(EthnicGroup.objects.all())
    assert len(groups) == 54
    assert {g.code for g in groups} == CODES
    assert {g.code_1979 for g in groups} == CODES
    assert all(unicodedata.is_normalized("NFC", g.name) for g in groups)


@pytest.mark.django_db
def test_codes_of_1019_and_1979():
    by_name = {g.name: g for g in EthnicGroup.objects.all()}
    expected_1019 = {
        "Kinh": "01",
        "Tày": "02",
        "Thái": "03",
        "Mường": "04",
        "Khơ me": "05",
        "Hoa": "06",
        "Nùng": "07",
        "Mông": "08",
        "Dao": "09",
        "Gia Rai": "10",
        "Sán Chay": "13",
        "Sán Dìu": "17",
        "Ngái": "43",
        "Ơ Đu": "54",
    }
    assert {name: by_name[name].code for name in expected_1019} == expected_1019
    expected_1979 = {"Hoa": "04", "Khơ me": "05", "Mường": "06", "Ngái": "11", "Brâu": "52", "Rơ Măm": "54"}
    assert {name: by_name[name].code_1979 for name in expected_1979} == expected_1979


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("H'Mông", "08"),
        ("Hmông", "08"),
        ("HMông", "08"),
        ("H\u2019mông", "08"),
        ("H mông", "08"),
        ("Mèo", "08"),
        ("H'mông (Mèo)", "08"),
        ("Khmer", "05"),
        ("Khơ-me", "05"),
        ("Khơ Me", "05"),
        ("Cao Lan", "13"),
        ("Sán Chỉ", "13"),
        ("Sán Chay (Cao Lan-Sán Chỉ)", "13"),
        ("Ê-đê", "11"),
        ("Rhađê", "11"),
        ("Ba-na", "12"),
        ("Bahnar", "12"),
        ("Jrai", "10"),
        ("Gia-rai", "10"),
        ("Hán", "06"),
        ("Hoa (Hán)", "06"),
        ("Bru-Vân Kiều", "24"),
        ("Pa Cô", "27"),
        ("Tà-ôi", "27"),
        ("Xơ-đăng", "16"),
        ("Cơ-tu", "25"),
        ("Cơ Lao", "47"),
        ("Pà Thẻn", "41"),
        ("La Chí", "36"),
        ("M'Nông", "20"),
        ("X'Tiêng", "22"),
        ("Giẻ-Triêng", "29"),
        ("Ra-glai", "19"),
        ("Raglay", "19"),
    ],
)
def test_aliases_and_spelling_variants(text, code):
    assert match_ethnic_group(text).code == code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("nung", "07"),
        ("TÀY", "02"),
        ("tay", "02"),
        ("  Nùng  ", "07"),
        ("dân tộc Tày", "02"),
        ("Người Dao", "09"),
        ("Kinh (Việt)", "01"),
        ("08", "08"),
        ("8", "08"),
        ("o du", "54"),
        (unicodedata.normalize("NFD", "Nùng"), "07"),
        ("THÁI", "03"),
        ("muong", "04"),
    ],
)
def test_folded_input(text, code):
    assert match_ethnic_group(text).code == code


@pytest.mark.django_db
def test_unknown_name_suggests_the_closest_group():
    with pytest.raises(UnknownEthnicGroup) as info:
        match_ethnic_group("Nùg")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.suggestion is not None
    assert err.suggestion.code == "07"
    assert str(err) == (
        'Không có dân tộc "Nùg". Có phải "Nùng"? / Unknown ethnic group "Nùg". Did you mean "Nùng"?'
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "code"), [("Tàyy", "02"), ("Sán Chai", "13"), ("Hmoong", "08")])
def test_suggestions(text, code):
    with pytest.raises(UnknownEthnicGroup) as info:
        match_ethnic_group(text)
    assert info.value.suggestion is not None
    assert info.value.suggestion.code == code


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "qqqqzzzz", "99"])
def test_nothing_close(text):
    with pytest.raises(UnknownEthnicGroup) as info:
        match_ethnic_group(text)
    assert info.value.suggestion is None
    assert "Unknown ethnic group" in str(info.value)


@pytest.mark.django_db
def test_ensure_is_idempotent_and_repairs():
    assert ensure_ethnic_groups() == 0  # the migration already loaded them
    EthnicGroup.objects.filter(code="07").update(name="Nung", aliases=["Nùng Phàn Slinh", "Nùng Dín"])
    EthnicGroup.objects.filter(code="54").delete()
    assert ensure_ethnic_groups() == 2
    assert ensure_ethnic_groups() == 0
    nung = EthnicGroup.objects.get(code="07")
    assert nung.name == "Nùng"
    assert "Nùng Dín" in nung.aliases  # an alias added by hand is kept
    assert "Nùng Cháo" in nung.aliases
    assert EthnicGroup.objects.get(code="54").name == "Ơ Đu"
    assert EthnicGroup.objects.count() == 54


@pytest.mark.django_db
def test_matcher_for_bulk_imports_makes_no_queries(django_assert_num_queries):
    with django_assert_num_queries(1):
        matcher = EthnicMatcher(EthnicGroup.objects.all())
    names = ["Tày", "nung", "H'Mông", "Dao Đỏ", "Kinh", "Hoa", "Sán Chay", "Cao Lan"] * 500
    with django_assert_num_queries(0):
        codes = [matcher.match(n).code for n in names]
        assert matcher.get("Nùg") is None
    assert codes[:8] == ["02", "07", "08", "09", "01", "06", "13", "13"]


@pytest.mark.django_db
def test_cache_is_built_once_and_invalidated_on_save(django_assert_num_queries):
    match_ethnic_group("Tày")
    with django_assert_num_queries(0):
        match_ethnic_group("Nùng")
    tay = EthnicGroup.objects.get(code="02")
    tay.aliases = [*tay.aliases, "Tày Bốc"]
    tay.save()
    assert match_ethnic_group("tay boc").code == "02"
