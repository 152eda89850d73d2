"""Products: the remote list → plan rows (the preview). The confirmation writes them with the
catalog's product writer (``catalog.services.product_plan_rows_write``).

Every field is checked by the catalog's rules (``catalog.rules``), the same as the product form
and the CSV import: a product is never stored in a state its own form refuses. What Escarcelle
sends wrong but harmless (a bad barcode, a long name) is a warning and the product is imported
without it or cut; what would make a wrong product (no price, unknown unit) is an error and the
row is not imported.

A new product is linked to an unbound one of the shop found by barcode, then by ref; failing
that, a product with the same name (accents, case and spaces aside) and unit is *proposed* as
a link, which the manager may decline in the preview (``_propose_links``).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from catalog import rules
from catalog.models import Product
from catalog.services import product_plan_rows_write
from epiclic.collation import name_key
from escarcelle import schemas
from imports.rows import Change, Row, RowStatus, Value
from shops.models import Shop

FIELDS = [
    "name",
    "ref",
    "barcode",
    "description",
    "category",
    "unit",
    "unit_quantity",
    "price",
    "vat_rate",
    "active",
]
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def _text(value: str | None) -> str:
    # PostgreSQL refuses NUL characters in text; nothing legitimate uses them.
    return (value or "").replace("\x00", "").strip()


def _rounded(field: str, value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-rules.decimal_places(field)), ROUND_HALF_UP)


def _texts(item: schemas.Product, warnings: list[str], errors: list[str]) -> dict[str, Value]:
    name = _text(item.name)
    if not name:
        errors.append(_("nom manquant"))
    elif rules.text_problem("name", name):
        limit = rules.max_length("name")
        warnings.append(
            _("nom de %(n)d caractères, coupé à %(max)d") % {"n": len(name), "max": limit}
        )
        name = name[:limit]
    if _TAG.search(name):
        warnings.append(_("le nom contient du HTML : il sera enregistré tel quel, comme du texte"))
    ref = _text(item.ref)
    if rules.text_problem("ref", ref):
        warnings.append(
            _("référence trop longue (plus de %(max)d caractères) : non importée")
            % {"max": rules.max_length("ref")}
        )
        ref = ""
    barcode = _text(item.barcode)
    if barcode and not rules.gtin_is_valid(barcode):
        warnings.append(
            _("code-barres invalide (%(code)s) : le produit est importé sans code-barres")
            % {"code": barcode[:40]}
        )
        barcode = ""
    description = _text(item.description)
    if rules.text_problem("description", description):
        warnings.append(_("description trop longue : coupée"))
        description = description[: rules.max_length("description")]
    category = _text(item.category)[: rules.max_length("category")]
    return {
        "name": name,
        "ref": ref,
        "barcode": barcode,
        "description": description,
        "category": category,
    }


def _figures(item: schemas.Product, warnings: list[str], errors: list[str]) -> dict[str, Value]:
    unit = item.unit or ""
    if unit not in rules.UNITS:
        errors.append(_("unité inconnue (%(unit)s)") % {"unit": unit[:20] or "—"})
    quantity = item.unit_quantity
    if quantity is None:
        quantity = Decimal("1")
        warnings.append(_("quantité par unité manquante : 1 retenu"))
    if rules.decimal_problem("unit_quantity", _rounded("unit_quantity", quantity)):
        errors.append(_("quantité par unité invalide"))
    price = item.price
    problem = None if price is None else rules.decimal_problem("price", price)
    if price is None:
        errors.append(_("prix manquant"))
    elif problem == rules.NEGATIVE:
        errors.append(_("prix négatif"))
    elif problem == rules.TOO_BIG:
        errors.append(_("prix trop élevé"))
    elif problem == rules.PLACES:
        warnings.append(_("prix arrondi au centime"))
    vat = item.vat_rate
    rate = None if vat is None else rules.match_vat_rate(vat)
    if rate is None:
        errors.append(_("taux de TVA inconnu (%(vat)s)") % {"vat": vat if vat is not None else "—"})
    if errors or price is None or rate is None:
        return {"unit": unit, "unit_quantity": None, "price": None, "vat_rate": None}
    return {
        "unit": unit,
        "unit_quantity": rules.canonical("unit_quantity", _rounded("unit_quantity", quantity)),
        "price": rules.canonical("price", _rounded("price", price)),
        "vat_rate": rules.canonical("vat_rate", rate),
    }


def _normalise(item: schemas.Product) -> tuple[dict[str, Value], list[str], list[str]]:
    """Target values (canonical), warnings, and errors (an error row is not applied)."""
    warnings: list[str] = []
    errors: list[str] = []
    values = _texts(item, warnings, errors)
    values.update(_figures(item, warnings, errors))
    values["active"] = item.active
    return values, warnings, errors


def _local_values(product: dict[str, Any]) -> dict[str, Value]:
    return {name: rules.canonical(name, product[name]) for name in FIELDS}


def _diff(old: dict[str, Value], new: dict[str, Value]) -> list[Change]:
    return [Change(f, old[f], new[f]) for f in FIELDS if old[f] != new[f]]


def product_plan_rows(
    *, shop: Shop, items: list[schemas.Product]
) -> tuple[list[Row], dict[str, int]]:
    """Compare the remote list with the shop's products (one query) and build the rows."""
    local = list(Product.objects.filter(shop=shop).values("id", "escarcelle_id", *FIELDS))
    by_eid = {p["escarcelle_id"]: p for p in local if p["escarcelle_id"]}
    unbound = [p for p in local if not p["escarcelle_id"]]
    unbound_barcodes = Counter(p["barcode"] for p in unbound if p["barcode"])
    by_barcode = {p["barcode"]: p for p in unbound if unbound_barcodes[p["barcode"]] == 1}
    by_ref = {p["ref"]: p for p in unbound if p["ref"]}
    ref_owner = {p["ref"]: p["id"] for p in local if p["ref"]}
    remote_barcodes = Counter(_text(i.barcode) for i in items if i.active and _text(i.barcode))
    remote_ids = Counter(i.id for i in items)
    claimed: set[int] = set()
    taken_refs: set[str] = set()
    rows: list[Row] = []
    counts = Counter({"archived_skipped": 0})

    for item in items:
        if remote_ids[item.id] > 1:
            counts["duplicate_skipped"] += 1
            continue
        values, warnings, errors = _normalise(item)
        if values["barcode"] and remote_barcodes[str(values["barcode"])] > 1:
            warnings.append(_("code-barres en double dans la liste Escarcelle"))
        row = Row(RowStatus.NEW, key=item.id, name=str(values["name"]) or item.id)
        old: dict[str, Value] | None = None
        bound = by_eid.get(item.id)
        if bound is not None:
            old = _local_values(bound)
            row.target_id = bound["id"]
            if not item.active:
                row.status = RowStatus.DEACTIVATE if bound["active"] else RowStatus.UNCHANGED
                values = {**old, "active": False}
            elif errors:
                row.status = RowStatus.ERROR
            else:
                row.status = RowStatus.CHANGED
        elif not item.active:
            counts["archived_skipped"] += 1
            continue
        elif errors:
            row.status = RowStatus.ERROR
        else:
            match = None
            barcode = str(values["barcode"])
            if barcode and remote_barcodes[barcode] == 1:
                match = by_barcode.get(barcode)
            if (match is None or match["id"] in claimed) and values["ref"]:
                match = by_ref.get(str(values["ref"]))
            if match is not None and match["id"] not in claimed:
                claimed.add(match["id"])
                row.status, old, row.target_id = RowStatus.LINK, _local_values(match), match["id"]
        ref = str(values["ref"])
        if row.status in (RowStatus.NEW, RowStatus.CHANGED, RowStatus.LINK) and ref:
            owner = ref_owner.get(ref)
            if ref in taken_refs or (owner is not None and owner != row.target_id):
                warnings.append(_("référence déjà utilisée par un autre produit : non importée"))
                values["ref"] = old["ref"] if old else ""
            taken_refs.add(str(values["ref"]))
        if old is not None and row.status != RowStatus.ERROR:
            row.diff = _diff(old, values)
        if row.status == RowStatus.CHANGED and not row.diff:
            row.status = RowStatus.UNCHANGED
        if row.status == RowStatus.NEW:
            row.values = values
        row.warnings, row.errors = warnings, errors
        rows.append(row)

    _propose_links(rows, [p for p in unbound if p["active"] and p["id"] not in claimed])

    seen = set(remote_ids)
    for product in local:
        eid = product["escarcelle_id"]
        if eid and eid not in seen and product["active"]:
            rows.append(
                Row(
                    RowStatus.DEACTIVATE,
                    key=eid,
                    name=product["name"],
                    target_id=product["id"],
                    diff=[Change("active", True, False)],
                    warnings=[_("n'existe plus dans Escarcelle")],
                )
            )
    return rows, dict(counts)


def _same_name(values: dict[str, Value]) -> tuple[str, str]:
    return name_key(str(values["name"])), str(values["unit"])


def _propose_links(rows: list[Row], candidates: list[dict[str, Any]]) -> None:
    """Propose to link a new product to the one active unbound product of the same name
    (``name_key``: accents, case and spaces aside) and unit, when neither side is ambiguous.

    The proposal is a LINK the manager may decline in the preview (``Row.proposed_link``):
    the row then creates the product as before.
    """
    local: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for product in candidates:
        local.setdefault(_same_name(product), []).append(product)
    new = [row for row in rows if row.status == RowStatus.NEW]
    remote = Counter(_same_name(row.values) for row in new)
    for row in new:
        key = _same_name(row.values)
        found = local.get(key, [])
        if not found:
            continue
        if len(found) > 1:
            row.warnings.append(
                _(
                    "%(n)d produits créés à la main portent ce nom avec cette unité : aucun "
                    "n'est proposé à relier"
                )
                % {"n": len(found)}
            )
            continue
        if remote[key] > 1:
            row.warnings.append(
                _(
                    "plusieurs produits Escarcelle portent ce nom : « %(name)s » n'est proposé "
                    "à relier à aucun"
                )
                % {"name": found[0]["name"]}
            )
            continue
        match = found[0]
        row.status, row.target_id = RowStatus.LINK, match["id"]
        row.proposed_link = match["name"]
        row.diff = _diff(_local_values(match), row.values)


def product_rows_write(shop: Shop, rows: list[Row]) -> dict[str, int]:
    """One chunk of the confirmation: the catalog's writer, bound to Escarcelle."""
    return product_plan_rows_write(shop=shop, rows=rows, bind=True)
