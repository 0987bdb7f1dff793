"""The standard kinds of unit classification; admins may add others."""

from __future__ import annotations

from typing import Any

# (code, Vietnamese name, level it applies to)
STANDARD_TYPES: list[tuple[str, str, str]] = [
    ("region-1", "Xã khu vực I", "commune"),
    ("region-2", "Xã khu vực II", "commune"),
    ("region-3", "Xã khu vực III", "commune"),
    ("dbkk-commune", "Xã đặc biệt khó khăn (ĐBKK)", "commune"),
    ("dbkk-village", "Thôn đặc biệt khó khăn (ĐBKK)", "village"),
    ("border-commune", "Xã biên giới", "commune"),
    ("atk-commune", "Xã an toàn khu (ATK)", "commune"),
    ("p135-commune", "Xã thuộc Chương trình 135", "commune"),
    ("p135-village", "Thôn thuộc Chương trình 135", "village"),
    ("30a-district", "Huyện nghèo theo Chương trình 30a", "district"),
    ("em-commune", "Xã vùng đồng bào dân tộc thiểu số và miền núi", "commune"),
]


def ensure_classification_types(apps: Any = None) -> int:
    """Create the standard types that are missing (usable from a data migration via `apps`)."""
    if apps is not None:
        model = apps.get_model("geo", "ClassificationType")
    else:
        from dantoc.geo.models import ClassificationType as model
    existing = set(model.objects.values_list("code", flat=True))
    missing = [model(code=c, name=n, applies_to=lvl) for c, n, lvl in STANDARD_TYPES if c not in existing]
    model.objects.bulk_create(missing)
    return len(missing)
