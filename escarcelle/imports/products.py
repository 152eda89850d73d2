"""Products: remote list → plan rows (the preview), and rows → database (the confirmation)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import VAT_RATES, Product, StockSource, Unit
from escarcelle import schemas
from escarcelle.imports import bulk
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
DECIMAL_FIELDS = {"unit_quantity", "price", "vat_rate"}
MAX_PRICE = Decimal("99999999.99")
MAX_QUANTITY = Decimal("9999999.999")
MAX_DESCRIPTION = 20_000
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def field_labels() -> dict[str, str]:
    return {
        "name": _("nom"),
        "ref": _("référence"),
        "barcode": _("code-barres"),
        "description": _("description"),
        "category": _("catégorie"),
        "unit": _("unité"),
        "unit_quantity": _("quantité par unité"),
        "price": _("prix"),
        "vat_rate": _("TVA"),
        "active": _("actif"),
    }


def _text(value: str | None) -> str:
    # PostgreSQL refuses NUL characters in text; nothing legitimate uses them.
    return (value or "").replace("\x00", "").strip()


def _normalise(item: schemas.Product) -> tuple[dict[str, Any], list[str], list[str]]:
    """Target values (JSON-ready), warnings, and errors (an error row is not applied)."""
    warnings: list[str] = []
    errors: list[str] = []
    name = _text(item.name)
    if not name:
        errors.append(_("nom manquant"))
    elif len(name) > 255:
        warnings.append(_("nom de %(n)d caractères, coupé à 255") % {"n": len(name)})
        name = name[:255]
    if _TAG.search(name):
        warnings.append(_("le nom contient du HTML : il sera enregistré tel quel, comme du texte"))
    ref = _text(item.ref)
    if len(ref) > 64:
        warnings.append(_("référence trop longue (plus de 64 caractères) : non importée"))
        ref = ""
    barcode = _text(item.barcode)
    if barcode and (len(barcode) > 14 or not barcode.isdigit()):
        warnings.append(_("code-barres invalide : non importé"))
        barcode = ""
    description = _text(item.description)
    if len(description) > MAX_DESCRIPTION:
        warnings.append(_("description trop longue : coupée"))
        description = description[:MAX_DESCRIPTION]
    category = _text(item.category)[:100]
    unit = item.unit or ""
    if unit not in Unit.values:
        errors.append(_("unité inconnue (%(unit)s)") % {"unit": unit[:20] or "—"})
    quantity = item.unit_quantity
    if quantity is None:
        quantity = Decimal("1")
        warnings.append(_("quantité par unité manquante : 1 retenu"))
    if not (Decimal("0") < quantity <= MAX_QUANTITY):
        errors.append(_("quantité par unité invalide"))
    price = item.price
    if price is None:
        errors.append(_("prix manquant"))
    elif price < 0:
        errors.append(_("prix négatif"))
    elif price > MAX_PRICE:
        errors.append(_("prix trop élevé"))
    elif price != price.quantize(CENT, rounding=ROUND_HALF_UP):
        warnings.append(_("prix arrondi au centime"))
    vat = item.vat_rate
    if vat is None or vat not in VAT_RATES:
        errors.append(_("taux de TVA inconnu (%(vat)s)") % {"vat": vat if vat is not None else "—"})
    values = {
        "name": name,
        "ref": ref,
        "barcode": barcode,
        "description": description,
        "category": category,
        "unit": unit,
        "unit_quantity": _dec(quantity, MILLI) if not errors else None,
        "price": _dec(price, CENT) if not errors else None,
        "vat_rate": _dec(vat, CENT) if not errors else None,
        "active": item.active,
    }
    return values, warnings, errors


def _dec(value: Decimal | None, step: Decimal) -> str | None:
    return None if value is None else str(value.quantize(step, rounding=ROUND_HALF_UP))


def _local_values(product: dict[str, Any]) -> dict[str, Any]:
    values = {name: product[name] for name in FIELDS}
    values["unit_quantity"] = _dec(product["unit_quantity"], MILLI)
    values["price"] = _dec(product["price"], CENT)
    values["vat_rate"] = _dec(product["vat_rate"], CENT)
    return values


def _same(field: str, old: Any, new: Any) -> bool:
    if field in DECIMAL_FIELDS and old is not None and new is not None:
        return Decimal(old) == Decimal(new)
    return old == new


def _diff(old: dict[str, Any], new: dict[str, Any], fields: list[str]) -> list[list[Any]]:
    return [[f, old[f], new[f]] for f in fields if not _same(f, old[f], new[f])]


def product_plan_rows(
    *, shop: Shop, items: list[schemas.Product]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Compare the remote list with the shop's products (one query) and build the rows."""
    local = list(Product.objects.filter(shop=shop).values("id", "escarcelle_id", "photo", *FIELDS))
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
    rows: list[dict[str, Any]] = []
    counts = Counter({"archived_skipped": 0})

    for item in items:
        if remote_ids[item.id] > 1:
            counts["duplicate_skipped"] += 1
            continue
        values, warnings, errors = _normalise(item)
        if values["barcode"] and remote_barcodes[values["barcode"]] > 1:
            warnings.append(_("code-barres en double dans la liste Escarcelle"))
        bound = by_eid.get(item.id)
        row: dict[str, Any] = {"eid": item.id, "name": values["name"] or item.id}
        if bound is not None:
            old = _local_values(bound)
            row.update(pk=bound["id"], photo=bool(bound["photo"]))
            if not item.active:
                status = "deactivate" if bound["active"] else "unchanged"
                values = {**old, "active": False}
            elif errors:
                status = "error"
            else:
                status = "changed"
        elif not item.active:
            counts["archived_skipped"] += 1
            continue
        elif errors:
            status, old = "error", None
        else:
            match = None
            if values["barcode"] and remote_barcodes[values["barcode"]] == 1:
                match = by_barcode.get(values["barcode"])
            if (match is None or match["id"] in claimed) and values["ref"]:
                match = by_ref.get(values["ref"])
            if match is not None and match["id"] not in claimed:
                claimed.add(match["id"])
                status, old = "link", _local_values(match)
                row.update(pk=match["id"], photo=bool(match["photo"]))
            else:
                status, old = "new", None
                row.update(pk=None, photo=False)
        if status in ("new", "changed", "link") and values["ref"]:
            owner = ref_owner.get(values["ref"])
            if values["ref"] in taken_refs or (owner is not None and owner != row.get("pk")):
                warnings.append(_("référence déjà utilisée par un autre produit : non importée"))
                values["ref"] = old["ref"] if old else ""
            taken_refs.add(values["ref"])
        diff = _diff(old, values, FIELDS) if old is not None and status != "error" else []
        if status == "changed" and not diff:
            status = "unchanged"
        row.update(status=status, values=values, diff=diff, warnings=warnings, errors=errors)
        rows.append(row)

    seen = set(remote_ids)
    for product in local:
        eid = product["escarcelle_id"]
        if eid and eid not in seen and product["active"]:
            old = _local_values(product)
            rows.append(
                {
                    "eid": eid,
                    "name": product["name"],
                    "pk": product["id"],
                    "photo": bool(product["photo"]),
                    "status": "deactivate",
                    "values": {**old, "active": False},
                    "diff": [["active", True, False]],
                    "warnings": [_("n'existe plus dans Escarcelle")],
                    "errors": [],
                }
            )
    for index, row in enumerate(rows):
        row["i"] = index
        counts[row["status"]] += 1
        if row["warnings"]:
            counts["warnings"] += 1
    return rows, dict(counts)


def product_plan_apply(*, shop: Shop, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Write the selected rows: one INSERT for the new ones, one UPDATE for the others."""
    now = timezone.now()
    new = [{**row["values"], "escarcelle_id": row["eid"]} for row in rows if row["status"] == "new"]
    updates: list[dict[str, Any]] = []
    for row in rows:
        if row["status"] not in ("changed", "link", "deactivate"):
            continue
        change: dict[str, Any] = dict.fromkeys(FIELDS)
        for field, _old, new_value in row["diff"]:
            change[field] = new_value
        change["id"] = row["pk"]
        change["escarcelle_id"] = row["eid"]
        change["stock_source"] = StockSource.ESCARCELLE if row["status"] == "link" else None
        updates.append(change)
    bulk.insert_rows(
        Product,
        new,
        constants={
            "shop_id": shop.pk,
            "stock_source": StockSource.ESCARCELLE,
            "created_at": now,
            "updated_at": now,
        },
    )
    bulk.update_rows(
        Product,
        updates,
        fields=[*FIELDS, "escarcelle_id", "stock_source"],
        constants={"updated_at": now},
        where={"shop_id": shop.pk},
    )
    done = Counter(row["status"] for row in rows)
    return {k: done[k] for k in ("new", "changed", "link", "deactivate")}
