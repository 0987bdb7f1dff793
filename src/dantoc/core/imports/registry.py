"""Registry of import kinds. Each app registers its kinds in its `imports.py`:

    from dantoc.core.imports.registry import register

    @register
    class WorksImport(ModelImportKind): ...

Modules are discovered on first use (every installed app's `imports` module is imported once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from dantoc.core.imports.base import ImportKind


_kinds: dict[str, ImportKind] = {}
_discovered = False


class UnknownKind(KeyError):
    pass


def register[K: type[ImportKind]](kind_class: K) -> K:
    """Class decorator: register one instance of an ImportKind under its `slug`."""
    instance = kind_class()
    existing = _kinds.get(instance.slug)
    if existing is not None and type(existing).__qualname__ != kind_class.__qualname__:
        raise ValueError(f"import kind {instance.slug!r} registered twice")
    _kinds[instance.slug] = instance
    return kind_class


def autodiscover() -> None:
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("imports")


def get(slug: str) -> ImportKind:
    autodiscover()
    try:
        return _kinds[slug]
    except KeyError:
        raise UnknownKind(slug) from None


def all_kinds() -> list[ImportKind]:
    autodiscover()
    return sorted(_kinds.values(), key=lambda k: k.order)
