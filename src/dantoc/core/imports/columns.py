"""Column types of an import kind: how a header is recognised and how a cell is parsed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.imports import parsing
from dantoc.core.imports.legacy import TextRepairer, read_cell
from dantoc.core.text import fold

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as is."""


@dataclass
class CellContext:
    """What a column needs to parse one cell of one file."""

    column: int | None = None
    repairer: TextRepairer = field(default_factory=TextRepairer)
    number_style: str = parsing.NumberStyle.VI
    multiplier: int = 1


def unneutralise(text: str) -> str:
    """Undo the apostrophe our exports put before = + - @ (so an error workbook can be imported back)."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def _shown(value: object) -> str:
    text = parsing.cell_text(value)
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass(frozen=True)
class Column:
    """A column: `label` is the Vietnamese header of the template; `aliases` other headers accepted.

    Headers match ignoring case, tone marks, punctuation, spacing and a bracketed unit.
    """

    key: str
    label: str
    aliases: Sequence[str] = ()
    required: bool = False
    help: str = ""
    example: str = ""
    type_label: ClassVar[Any] = gettext_lazy("Văn bản")

    def header_keys(self) -> list[str]:
        keys = [parsing.header_key(self.label), *(parsing.header_key(a) for a in self.aliases)]
        return [k for k in dict.fromkeys(keys) if k]

    def text(self, value: object, ctx: CellContext) -> str:
        if isinstance(value, str):
            return unneutralise(ctx.repairer.repair(value, ctx.column))
        return parsing.cell_text(value).strip()

    def is_empty(self, value: object) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    def parse(self, value: object, ctx: CellContext) -> Any:
        """The cell's value, None when empty; raises CellError."""
        if self.is_empty(value):
            return None
        return self.convert(value, ctx)

    def convert(self, value: object, ctx: CellContext) -> Any:
        return self.text(value, ctx) or None

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        """A function parsing one non-empty cell of this column in one file (the engine's hot path)."""
        return lambda value: self.convert(value, ctx)

    def describe(self) -> str:
        return self.help


@dataclass(frozen=True)
class Text(Column):
    max_length: int = 255

    def convert(self, value: object, ctx: CellContext) -> Any:
        text = self.text(value, ctx)
        if len(text) > self.max_length:
            raise CellError(
                _("Dài quá %(max)d ký tự. / Longer than %(max)d characters.") % {"max": self.max_length}
            )
        return text or None

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        if ctx.repairer.legacy_seen:  # results depend on the row: no memo here (the repairer has one)
            return lambda value: self.convert(value, ctx)
        repair, column, limit, slow = ctx.repairer.repair, ctx.column, self.max_length, self.convert
        seen: dict[str, str | None] = {}

        def parse(value: Any) -> Any:
            if value.__class__ is not str:
                return slow(value, ctx)
            text = seen.get(value)
            if text is None:
                text = repair(value, column)
                if text[:1] == "'":
                    text = unneutralise(text)
                if len(text) > limit:
                    return slow(value, ctx)  # raises with the message
                if len(seen) < 20_000:  # enough for repeated values; unique ones (names, vouchers) need none
                    seen[value] = text
            return text or None

        return parse


@dataclass(frozen=True)
class Code(Text):
    """An official code: whole numbers read back as text ("6325.0" → "6325")."""

    max_length: int = 16

    def convert(self, value: object, ctx: CellContext) -> Any:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return super().convert(value, ctx)


@dataclass(frozen=True)
class Integer(Column):
    min_value: int | None = 0
    max_value: int | None = None
    type_label: ClassVar[Any] = gettext_lazy("Số nguyên")

    def convert(self, value: object, ctx: CellContext) -> Any:
        if isinstance(value, str):
            value = unneutralise(value.strip())
        try:
            number = parsing.parse_int(value, ctx.number_style)
        except ValueError:
            raise CellError(
                _('Không phải số nguyên: "%(value)s". / Not a whole number: "%(value)s".')
                % {"value": _shown(value)}
            ) from None
        if number is None:
            return None
        if self.min_value is not None and number < self.min_value:
            raise CellError(
                _("Không được nhỏ hơn %(min)s. / Must not be less than %(min)s.") % {"min": self.min_value}
            )
        if self.max_value is not None and number > self.max_value:
            raise CellError(
                _("Không được lớn hơn %(max)s. / Must not be greater than %(max)s.") % {"max": self.max_value}
            )
        return number

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        low, high, slow = self.min_value, self.max_value, self.convert

        def parse(value: Any) -> Any:
            if value.__class__ is float and value.is_integer():
                number = int(value)
                if (low is None or number >= low) and (high is None or number <= high):
                    return number
            return slow(value, ctx)

        return parse


@dataclass(frozen=True)
class Number(Column):
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    type_label: ClassVar[Any] = gettext_lazy("Số")

    def convert(self, value: object, ctx: CellContext) -> Any:
        try:
            number = parsing.parse_decimal(value, ctx.number_style)
        except ValueError:
            raise CellError(
                _('Không phải số: "%(value)s". / Not a number: "%(value)s".') % {"value": _shown(value)}
            ) from None
        if number is not None and self.min_value is not None and number < self.min_value:
            raise CellError(
                _("Không được nhỏ hơn %(min)s. / Must not be less than %(min)s.") % {"min": self.min_value}
            )
        if number is not None and self.max_value is not None and number > self.max_value:
            raise CellError(
                _("Không được lớn hơn %(max)s. / Must not be greater than %(max)s.") % {"max": self.max_value}
            )
        return number


@dataclass(frozen=True)
class Money(Column):
    """Whole đồng. The header's unit ("(triệu đồng)") or a table unit line ("ĐVT: triệu đồng") scales the number."""

    default_multiplier: int = 1
    allow_negative: bool = False
    type_label: ClassVar[Any] = gettext_lazy("Số tiền")

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        multiplier, negative, slow = ctx.multiplier, self.allow_negative, self.convert

        def parse(value: Any) -> Any:
            if value.__class__ is float and value.is_integer() and (negative or value >= 0):
                return int(value) * multiplier  # a whole number times the header's unit is exact
            return slow(value, ctx)

        return parse

    def convert(self, value: object, ctx: CellContext) -> Any:
        try:
            amount = parsing.parse_money(value, ctx.multiplier, ctx.number_style)
        except ValueError:
            raise CellError(
                _('Không phải số tiền: "%(value)s". / Not an amount: "%(value)s".') % {"value": _shown(value)}
            ) from None
        if amount is not None and amount < 0 and not self.allow_negative:
            raise CellError(_("Số tiền không được âm. / The amount must not be negative."))
        return amount


@dataclass(frozen=True)
class Date(Column):
    """dd/mm/yyyy, d/m/yy, yyyy-mm-dd, a bare year, Excel dates and serial numbers."""

    year_end: bool = False
    type_label: ClassVar[Any] = gettext_lazy("Ngày (dd/mm/yyyy)")

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        slow = self.convert

        def parse(value: Any) -> Any:
            if value.__class__ is dt.date:
                return value
            return slow(value, ctx)

        return parse

    def convert(self, value: object, ctx: CellContext) -> Any:
        try:
            return parsing.parse_date(value, year_end=self.year_end)
        except (ValueError, OverflowError):
            raise CellError(
                _(
                    'Không phải ngày hợp lệ (dd/mm/yyyy): "%(value)s". / Not a valid date (dd/mm/yyyy): "%(value)s".'
                )
                % {"value": _shown(value)}
            ) from None


@dataclass(frozen=True)
class Year(Column):
    type_label: ClassVar[Any] = gettext_lazy("Năm")

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        slow = self.convert

        def parse(value: Any) -> Any:
            if (
                value.__class__ is float
                and value.is_integer()
                and parsing.MIN_YEAR <= value <= parsing.MAX_YEAR
            ):
                return int(value)
            return slow(value, ctx)

        return parse

    def convert(self, value: object, ctx: CellContext) -> Any:
        try:
            return parsing.parse_year(value)
        except ValueError:
            raise CellError(
                _('Không phải năm hợp lệ: "%(value)s". / Not a valid year: "%(value)s".')
                % {"value": _shown(value)}
            ) from None


@dataclass(frozen=True)
class Choice(Column):
    """One of fixed values; `choices` maps each value to the words that name it (matched folded)."""

    choices: Mapping[Any, Sequence[str]] = field(default_factory=dict)
    type_label: ClassVar[Any] = gettext_lazy("Danh mục")

    @cached_property
    def lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for value, names in self.choices.items():
            for name in (value, *names):
                table.setdefault(parsing.header_key(name), value)
        return table

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        slow = self.convert
        seen: dict[str, Any] = {}

        def parse(value: Any) -> Any:
            found = seen.get(value) if value.__class__ is str else None
            if found is None:
                found = slow(value, ctx)
                if value.__class__ is str:
                    seen[value] = found
            return found

        return parse

    def convert(self, value: object, ctx: CellContext) -> Any:
        text = self.text(value, ctx)
        found = self.lookup.get(parsing.header_key(text))
        if found is None and isinstance(value, str):
            # A closed list settles what the legacy detection cannot: try every reading of the cell.
            for reading in (value, *read_cell(" ".join(value.split())).converted.values()):
                found = self.lookup.get(parsing.header_key(reading))
                if found is not None:
                    break
        if found is None:
            raise CellError(
                _(
                    '"%(value)s" không có trong danh mục; dùng một trong: %(choices)s. / '
                    '"%(value)s" is not allowed; use one of: %(choices)s.'
                )
                % {"value": _shown(text), "choices": ", ".join(self.choice_labels())}
            )
        return found

    def choice_labels(self) -> list[str]:
        return [names[0] if names else value for value, names in self.choices.items()]

    def describe(self) -> str:
        return f"{self.help} ({', '.join(self.choice_labels())})".strip()


@dataclass(frozen=True)
class Boolean(Column):
    type_label: ClassVar[Any] = gettext_lazy("Có/Không")
    _TRUE = frozenset({"co", "x", "1", "yes", "true", "dung", "c"})
    _FALSE = frozenset({"khong", "0", "no", "false", "sai", "k"})

    def convert(self, value: object, ctx: CellContext) -> Any:
        if isinstance(value, bool):
            return value
        key = fold(self.text(value, ctx))
        if key in self._TRUE:
            return True
        if key in self._FALSE:
            return False
        raise CellError(
            _('Hãy ghi "Có" hoặc "Không": "%(value)s". / Write "Có" or "Không": "%(value)s".')
            % {"value": _shown(value)}
        )


@dataclass(frozen=True)
class Option:
    """An input given with the file (form field, CLI `--option key=value`), parsed by `column`."""

    column: Column
    default: Callable[[], Any] | None = None

    @property
    def key(self) -> str:
        return self.column.key

    def parse(self, raw: object) -> Any:
        if raw is None or raw == "":
            return self.default() if self.default else None
        if isinstance(raw, dt.date | int | Decimal):
            return raw
        return self.column.parse(raw, CellContext())
