"""Lookups that each database runs natively.

`digits`: the text is one or more ASCII digits. Django's `regex` lookup on SQLite calls back into Python
for every row; as part of a check constraint that is a Python call per row an import writes.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Length


@models.CharField.register_lookup
class Digits(models.Lookup[Any]):
    """`field__digits=True`: the value is non-empty and made only of the digits 0–9."""

    lookup_name = "digits"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if self.rhs is not True:
            raise ValueError("digits takes only True")
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":
            return f"({lhs} <> '' AND {lhs} NOT GLOB '*[^0-9]*')", (*params, *params)
        if connection.vendor == "postgresql":
            return f"{lhs} ~ '^[0-9]+$'", tuple(params)
        # elsewhere the database's own regex operator (MySQL, Oracle)
        return connection.ops.regex_lookup("regex") % (lhs, "%s"), (*params, "^[0-9]+$")


models.CharField.register_lookup(Length)
