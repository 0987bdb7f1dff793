"""CCCD / CMND rules and masking."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dantoc.households.ids import (
    PROVINCE_CODES,
    birth_year_from_cccd,
    duplicate_id_numbers,
    id_number_errors,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)


def test_province_codes_are_the_63_codes_between_001_and_096() -> None:
    assert len(PROVINCE_CODES) == 63
    assert min(PROVINCE_CODES) == "001" and max(PROVINCE_CODES) == "096"
    assert PROVINCE_CODES["020"] == "Lạng Sơn"
    assert "003" not in PROVINCE_CODES and "097" not in PROVINCE_CODES


@pytest.mark.parametrize(
    ("number", "year", "sex"),
    [
        ("020186001456", 1986, "F"),  # 1 = female, 20th century
        ("020086001456", 1986, "M"),
        ("020210001456", 2010, "M"),  # 2 = male, 21st century
        ("020310001456", 2010, "F"),
        ("001099000001", 1999, None),
    ],
)
def test_valid_cccd(number: str, year: int, sex: str | None) -> None:
    assert id_number_errors(number, year, sex) == []
    assert birth_year_from_cccd(number) == year


def test_province_code_must_exist() -> None:
    (msg,) = id_number_errors("003186001456", 1986, "F")
    assert "003" in msg and " / " in msg and "province" in msg


def test_century_digit_must_match_birth_year() -> None:
    errors = id_number_errors("020286001456", 1986, None)  # 2 means born 2000–2099
    assert len(errors) == 1 and "4" in errors[0] and "1986" in errors[0]


def test_sex_digit_must_match_the_record() -> None:
    (msg,) = id_number_errors("020086001456", 1986, "F")
    assert "nữ" in msg and "female" in msg


def test_year_digits_must_match_birth_year() -> None:
    (msg,) = id_number_errors("020185001456", 1986, "F")
    assert "85" in msg and "1986" in msg


def test_old_cmnd_is_accepted_as_such() -> None:
    assert id_number_errors("082123456", 1970, "M") == []


@pytest.mark.parametrize("bad", ["12345", "02018600145A", "0201860014567"])
def test_bad_shapes(bad: str) -> None:
    (msg,) = id_number_errors(bad)
    assert "12" in msg and "9" in msg


def test_normalize() -> None:
    assert normalize_id_number(" 020 186.001-456 ") == "020186001456"
    assert normalize_id_number(20186001456) == "020186001456"  # spreadsheet number lost its leading 0
    assert normalize_id_number(20186001456.0) == "020186001456"
    assert normalize_id_number("82123456") == "082123456"
    assert normalize_id_number(None) == ""


def test_validate_raises_field_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_id_number("020286001456", 1986, "F")
    assert "id_number" in exc.value.message_dict
    assert validate_id_number("020 186 001 456", 1986, "F") == "020186001456"


def test_masking_keeps_the_last_three_digits() -> None:
    assert mask_id_number("020186001456") == "•••••••••456"
    assert mask_id_number("082123456") == "••••••456"
    assert mask_id_number("") == ""


def test_duplicates_inside_a_file() -> None:
    dups = duplicate_id_numbers([(2, "020186001456"), (3, "020 186 001 456"), (4, ""), (5, "082123456")])
    assert [(d.id_number, d.keys) for d in dups] == [("020186001456", (2, 3))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "stored"),
    [
        ("", True),
        ("020186009876", True),
        ("123456789", True),
        ("02018600987", False),  # 11 digits
        ("0201860", False),
        ("02018600145a", False),
        ("12345678 ", False),
        ("１２３４５６７８９", False),  # full-width digits are not ASCII digits
    ],
)
def test_the_database_refuses_an_id_number_of_the_wrong_shape(world, number: str, stored: bool) -> None:
    from django.db import IntegrityError, transaction

    from dantoc.households.models import Person

    p = world.child
    if stored:
        Person.objects.filter(pk=p.pk).update(id_number=number)
        assert Person.objects.get(pk=p.pk).id_number == number
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            Person.objects.filter(pk=p.pk).update(id_number=number)
