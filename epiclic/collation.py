"""French order for names: "Céréales" before "Crème", "Œufs" among the O, not after the Z.

The databases compare bytes (SQLite) or follow a server collation we do not control
(PostgreSQL), so names are ordered in Python with ``collation_key``, the same on both. Long
lists are paginated by ``collated_page``: it reads only ids and names, sorts them, and loads
the rows of one page — two queries, as many as a paginated queryset (count, then the page).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)
T = TypeVar("T")

# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def folded(text: str) -> str:
    """``text`` without accents, ligatures or case: "Œufs frais" → "oeufs frais"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(text: str) -> str:
    """What makes two names the same name: ``folded``, spaces trimmed and collapsed.

    "  Pommes  GOLDEN " and "pommes golden" have the same key (the Escarcelle import
    proposes to link a hand-made product whose name has the key of an imported one).
    """
    return " ".join(folded(text).split())


def collation_key(text: str) -> tuple[str, str]:
    """The key sorting ``text`` in French order: letters first, accents and case break ties."""
    return (folded(text), text)


def collated(items: Iterable[T], key: Callable[[T], str], *, reverse: bool = False) -> list[T]:
    """``items`` sorted by the French order of ``key(item)``."""
    return sorted(items, key=lambda item: collation_key(key(item)), reverse=reverse)


def collated_page(
    qs: QuerySet[M],
    *,
    field: str,
    number: str | int | None,
    per_page: int,
    reverse: bool = False,
) -> Page:
    """Page ``number`` of ``qs`` in the French order of ``field`` (then by id)."""
    rows = qs.order_by().values_list("pk", field)
    ids = [
        pk
        for pk, _name in sorted(
            rows, key=lambda row: (collation_key(row[1] or ""), row[0]), reverse=reverse
        )
    ]
    page = Paginator(ids, per_page).get_page(number)
    by_id = {obj.pk: obj for obj in qs.filter(pk__in=list(page.object_list))}
    page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
    return page
