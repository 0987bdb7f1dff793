"""Text repair (TCVN3, VNI, NFC) and cell parsing (numbers, money units, dates, headers)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from dantoc.core import text as text_module
from dantoc.core.imports import legacy, parsing
from dantoc.core.imports.legacy import TextRepairer, detect, read_cell, tcvn3_to_unicode, vni_to_unicode
from dantoc.core.text import fold
from tests.core.test_imports_support import TCVN3, VNI


@pytest.mark.parametrize(("legacy_text", "unicode_text"), [(v, k) for k, v in TCVN3.items()])
def test_tcvn3_cells_are_converted(legacy_text: str, unicode_text: str) -> None:
    assert tcvn3_to_unicode(legacy_text) == unicode_text
    assert read_cell(legacy_text).strong == legacy.TCVN3
    assert TextRepairer().repair(legacy_text) == unicode_text


@pytest.mark.parametrize(("legacy_text", "unicode_text"), [(v, k) for k, v in VNI.items()])
def test_vni_cells_are_converted(legacy_text: str, unicode_text: str) -> None:
    assert vni_to_unicode(legacy_text) == unicode_text
    assert read_cell(legacy_text).strong == legacy.VNI
    assert TextRepairer().repair(legacy_text) == unicode_text


def test_tcvn3_table_covers_every_lowercase_toned_letter() -> None:
    produced = set(legacy.TCVN3_TABLE.values())
    for base in "aăâeêioôơuưy":
        for tone in ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323"):
            assert unicodedata.normalize("NFC", base + tone) in produced
    assert {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ", "đ"} <= produced


def test_vni_table_covers_upper_and_lower_case() -> None:
    assert vni_to_unicode("LAÏNG SÔN") == "LẠNG SƠN"
    assert vni_to_unicode("Ñieän Bieân Phuû") == "Điện Biên Phủ"
    assert vni_to_unicode("Nguyeãn Vaên Tröôøng") == "Nguyễn Văn Trường"


@pytest.mark.parametrize(
    "text",
    [
        "Lạng Sơn",
        "Nhượng Bạn",
        "Thôn Nà Pàn",
        "Tày",
        "Mông",
        "Kéo Coóc",
        "Hoà",
        "Café",
        "José María",
        "Müller Straße",
        "100 m²",
        "25°C",
        "2×3",
        "Tày – Nùng",
        "Nguyễn Văn A",
        "plain ASCII, 123",
        "H'Mông",
        "Pò Mã",
        "“quoted”",
        "",
    ],
)
def test_unicode_and_ascii_are_never_corrupted(text: str) -> None:
    repairer = TextRepairer()
    repairer.learn([[text]])
    assert repairer.repair(text, 0) == " ".join(unicodedata.normalize("NFC", text).split())
    assert repairer.converted_cells == 0


def test_ambiguous_cells_follow_their_column() -> None:
    # "Mông" reads as Unicode, and as TCVN3 for "Mụng": the column's clear cells decide.
    legacy_column = [[TCVN3["Lộc Bình"]], [TCVN3["Đồng Bục"]], ["Mông"]]
    repairer = TextRepairer()
    repairer.learn(legacy_column)
    assert repairer.column_verdicts[0] == legacy.TCVN3
    assert repairer.repair("Mông", 0) == "Mụng"
    unicode_column = [["Lộc Bình"], ["Đồng Bục"], ["Mông"]]
    repairer = TextRepairer()
    repairer.learn(unicode_column)
    assert repairer.repair("Mông", 0) == "Mông"


def test_detect_needs_clear_evidence() -> None:
    assert detect(["Lạng Sơn", "Mông"]) is None
    assert detect([TCVN3["Lộc Bình"], "Mông"]) == legacy.TCVN3
    assert detect([VNI["Lạng Sơn"], VNI["Xã Đồng Bục"]]) == legacy.VNI
    assert detect([]) is None


def test_repair_text_for_single_values() -> None:
    assert legacy.repair_text(TCVN3["Đồng Bục"]) == "Đồng Bục"
    assert legacy.repair_text("Mông") == "Mông"  # ambiguous alone: left as it is
    assert legacy.repair_text("Mông", legacy.TCVN3) == "Mụng"  # unless the caller knows


def test_decomposed_unicode_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nhượng Bạn")
    assert TextRepairer().repair(decomposed) == "Nhượng Bạn"
    assert unicodedata.is_normalized("NFC", TextRepairer().repair(decomposed))


def test_table_fold_equals_unicode_fold() -> None:
    samples = ["Nhượng Bạn", "  ĐỒNG   BỤC ", "Xã Lộc Bình", "Ωμέγα", "e\u0301", "Müller", "Thị trấn Na Sầm"]
    samples += [chr(c) for c in range(0xC0, 0x250)] + [chr(c) for c in range(0x1E00, 0x1F00)]
    samples += [unicodedata.normalize("NFD", t) for t in samples[:7]]
    for text in samples:
        assert fold(text) == text_module._slow_fold(text), text


# --- numbers, money, dates, headers -----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("1.234.567", "vi", Decimal(1234567)),
        ("1.234.567,5", "vi", Decimal("1234567.5")),
        ("226,3", "vi", Decimal("226.3")),
        ("1,234,567", "en", Decimal(1234567)),
        ("1,234,567", "vi", Decimal(1234567)),
        ("1,234,567.89", "en", Decimal("1234567.89")),
        ("1.234", "vi", Decimal(1234)),
        ("1.234", "en", Decimal("1.234")),
        ("1,234", "en", Decimal(1234)),
        ("0,5", "vi", Decimal("0.5")),
        ("12 345", "vi", Decimal(12345)),
        ("(1.234)", "vi", Decimal(-1234)),
        ("-", "vi", None),
        (1234567.0, "vi", Decimal(1234567)),
        (0.1, "vi", Decimal("0.1")),
    ],
)
def test_numbers(text: object, style: str, expected: Decimal | None) -> None:
    assert parsing.parse_decimal(text, style) == expected


@pytest.mark.parametrize("text", ["abc", "1.23.4", "1,2,3", "12a"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parsing.parse_decimal(text)


def test_number_style_of_a_file() -> None:
    assert parsing.detect_number_style(["1,234,567", "2,500.5"]) == "en"
    assert parsing.detect_number_style(["1.234.567", "226,3"]) == "vi"
    assert parsing.detect_number_style([]) == "vi"


@pytest.mark.parametrize(
    ("header", "multiplier"),
    [
        ("Số tiền (đồng)", 1),
        ("Số tiền (VNĐ)", 1),
        ("Kinh phí (nghìn đồng)", 1000),
        ("Vốn (1.000 đ)", 1000),
        ("Tổng mức đầu tư (triệu đồng)", 10**6),
        ("Vốn (Tr.đ)", 10**6),
        ("Kế hoạch vốn (tỷ đồng)", 10**9),
        ("Tỷ lệ (%)", None),
        ("Tên công trình", None),
        ("Tỷ lệ", None),
    ],
)
def test_money_units_in_headers(header: str, multiplier: int | None) -> None:
    assert parsing.money_unit(header) == multiplier


def test_money_is_whole_dong() -> None:
    assert parsing.parse_money("226,3", 10**9) == 226_300_000_000
    assert parsing.parse_money(226.3, 10**9) == 226_300_000_000
    assert parsing.parse_money("1.234.567") == 1_234_567
    assert parsing.parse_money("0,5", 1) == 1  # rounded half up
    assert parsing.unit_line_multiplier("ĐVT: triệu đồng") == 10**6
    assert parsing.unit_line_multiplier("Đơn vị tính: Tỷ đồng") == 10**9


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16/06/2025", dt.date(2025, 6, 16)),
        ("1/7/25", dt.date(2025, 7, 1)),
        ("16.06.2025", dt.date(2025, 6, 16)),
        ("2025-06-16", dt.date(2025, 6, 16)),
        ("2019", dt.date(2019, 1, 1)),
        (2019.0, dt.date(2019, 1, 1)),
        (45824.0, dt.date(2025, 6, 16)),  # Excel serial
        ("45824", dt.date(2025, 6, 16)),
        ("ngày 16 tháng 6 năm 2025", dt.date(2025, 6, 16)),
        ("06/2025", dt.date(2025, 6, 1)),
        (dt.datetime(2025, 6, 16, 8, 30), dt.date(2025, 6, 16)),
        (dt.date(2025, 6, 16), dt.date(2025, 6, 16)),
    ],
)
def test_dates(value: object, expected: dt.date) -> None:
    assert parsing.parse_date(value) == expected


def test_bare_year_and_month_ends() -> None:
    assert parsing.parse_date("2019", year_end=True) == dt.date(2019, 12, 31)
    assert parsing.parse_date("02/2024", year_end=True) == dt.date(2024, 2, 29)


@pytest.mark.parametrize("value", ["31/02/2025", "hôm qua", "13/13/2025", 2019.5])
def test_bad_dates(value: object) -> None:
    with pytest.raises(ValueError):
        parsing.parse_date(value)


def test_header_keys_ignore_case_tone_marks_punctuation_and_units() -> None:
    key = parsing.header_key("Tên công trình")
    assert parsing.header_key("TÊN CÔNG TRÌNH") == key
    assert parsing.header_key("ten cong trinh") == key
    assert parsing.header_key("  Tên  công-trình: ") == key
    assert parsing.header_key("Thôn/bản") == parsing.header_key("Thôn, bản")
    assert parsing.header_key("Tổng mức đầu tư (triệu đồng)") == parsing.header_key("Tổng mức đầu tư")
    assert parsing.header_key("Ngày hoàn thành (kế hoạch)") != parsing.header_key("Ngày hoàn thành")
