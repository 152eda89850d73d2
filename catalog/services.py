"""Writes of the catalog app: products, photos, the CSV import, catalogue contents."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import csv_io, photos
from catalog.models import Catalogue, CsvImportPlan, Product, StockSource
from epiclic.errors import Refusal
from shops.models import Shop

# --- Products ---------------------------------------------------------------------------------


def product_photo_replace(
    *, product: Product, photo: bytes | None, thumbnail: bytes | None
) -> None:
    """Store new processed photo bytes (or remove the photo when ``photo`` is None)."""
    old = (product.photo.name, product.thumbnail.name)
    if photo is None or thumbnail is None:
        product.photo, product.thumbnail = "", ""
    else:
        product.photo.name, product.thumbnail.name = photos.save_photo_files(
            product.shop_id, photo, thumbnail
        )
    product.save(update_fields=["photo", "thumbnail", "updated_at"])
    # The old files go only once the new names are committed.
    transaction.on_commit(lambda: photos.delete_photo_files(*old))


def product_set_active(*, product: Product, active: bool) -> None:
    product.active = active
    product.save(update_fields=["active", "updated_at"])


def product_can_be_deleted(product: Product) -> bool:
    return not product.order_lines.exists()


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product never ordered; one with order lines must be deactivated instead."""
    refusal = _(
        "Ce produit figure dans des commandes : il ne peut pas être supprimé, désactivez-le plutôt."
    )
    if not product_can_be_deleted(product):
        raise Refusal(refusal)
    files = (product.photo.name, product.thumbnail.name)
    try:
        product.delete()
    except ProtectedError as exc:  # an order line added since the check
        raise Refusal(refusal) from exc
    transaction.on_commit(lambda: photos.delete_photo_files(*files))


# --- CSV import ---------------------------------------------------------------------------------


def _checksum(rows: list, file_errors: list) -> str:
    payload = json.dumps({"rows": rows, "file_errors": file_errors}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def product_csv_import_plan_create(
    *, shop: Shop, user: object, filename: str, data: bytes
) -> CsvImportPlan:
    """Parse and diff a CSV file against the shop's products, and store the preview."""
    parsed = csv_io.read_csv(data)
    rows: list[dict] = []
    if not parsed.errors:
        refs = {record["ref"] for _line, record in parsed.records if record.get("ref")}
        products = Product.objects.filter(shop=shop, ref__in=refs)
        rows = csv_io.build_import_rows(parsed, {p.ref: p for p in products})
    CsvImportPlan.objects.filter(
        shop=shop, created_at__lt=timezone.now() - CsvImportPlan.LIFETIME
    ).delete()
    return CsvImportPlan.objects.create(
        shop=shop,
        user=user,
        filename=filename[:255],
        rows=rows,
        file_errors=parsed.errors,
        warnings=parsed.warnings,
        checksum=_checksum(rows, parsed.errors),
    )


def _typed(field_name: str, text: str) -> object:
    if field_name == "active":
        return text == "oui"
    if field_name in ("price", "vat_rate", "unit_quantity", "stock"):
        return Decimal(text)
    return text


@transaction.atomic
def product_csv_import_apply(*, shop: Shop, plan_id: int) -> dict[str, int]:
    """Apply a previewed import exactly as stored: create the new rows, write the changed fields.

    Refusal (nothing written) when the plan is expired, already applied, has errors, was
    altered after the preview, or no longer fits the products (a new ref created meanwhile,
    a changed product deleted meanwhile): the manager then runs the preview again.
    """
    plan = CsvImportPlan.objects.select_for_update().get(shop=shop, pk=plan_id)
    if plan.applied_at is not None:
        raise Refusal(_("Cet import a déjà été appliqué : il ne peut l'être qu'une fois."))
    if plan.is_expired():
        raise Refusal(_("Cet aperçu a expiré (plus d'une heure) : importez à nouveau."))
    if plan.checksum != _checksum(plan.rows, plan.file_errors):
        raise Refusal(_("Cet aperçu a été altéré : importez à nouveau le fichier."))
    if plan.has_errors:
        raise Refusal(_("Corrigez d'abord les erreurs du fichier, puis importez-le à nouveau."))
    # A conditional UPDATE: of two simultaneous confirmations, only one goes on.
    now = timezone.now()
    won = CsvImportPlan.objects.filter(pk=plan.pk, applied_at__isnull=True).update(applied_at=now)
    if not won:
        raise Refusal(_("Cet import a déjà été appliqué : il ne peut l'être qu'une fois."))

    new_rows = [r for r in plan.rows if r["status"] == "new"]
    changed_rows = [r for r in plan.rows if r["status"] == "changed"]
    stale = _("Les produits ont changé depuis l'aperçu : importez à nouveau le fichier.")
    if Product.objects.filter(shop=shop, ref__in=[r["ref"] for r in new_rows]).exists():
        raise Refusal(stale)
    ids = [r["product_id"] for r in changed_rows]
    products = {p.pk: p for p in Product.objects.select_for_update().filter(shop=shop, pk__in=ids)}
    if len(products) != len(ids) or any(
        products[r["product_id"]].ref != r["ref"] for r in changed_rows
    ):
        raise Refusal(stale)

    fields: set[str] = set()
    for row in changed_rows:
        product = products[row["product_id"]]
        for field_name, (_old, new) in row["changes"].items():
            setattr(product, field_name, _typed(field_name, new))
            fields.add(field_name)
        product.updated_at = now
    if changed_rows:
        Product.objects.bulk_update(products.values(), [*sorted(fields), "updated_at"], 500)
    Product.objects.bulk_create(
        [
            Product(
                shop=shop,
                stock_source=StockSource.MANUAL,
                **{f: _typed(f, v) for f, v in row["values"].items()},
            )
            for row in new_rows
        ],
        batch_size=500,
    )
    return {"new": len(new_rows), "changed": len(changed_rows)}


# --- Catalogues ---------------------------------------------------------------------------------


@transaction.atomic
def catalogue_add_products(*, catalogue: Catalogue, product_ids: list[int]) -> int:
    """Add the shop's products among ``product_ids`` (others are ignored); the number added."""
    wanted = set(
        Product.objects.filter(shop_id=catalogue.shop_id, pk__in=product_ids).values_list(
            "pk", flat=True
        )
    )
    already = set(catalogue.products.filter(pk__in=wanted).values_list("pk", flat=True))
    Through = Catalogue.products.through
    Through.objects.bulk_create(
        [Through(catalogue_id=catalogue.pk, product_id=pk) for pk in sorted(wanted - already)],
        ignore_conflicts=True,
    )
    return len(wanted - already)


@transaction.atomic
def catalogue_remove_products(*, catalogue: Catalogue, product_ids: list[int]) -> int:
    Through = Catalogue.products.through
    deleted, _detail = Through.objects.filter(
        catalogue_id=catalogue.pk, product_id__in=product_ids
    ).delete()
    return deleted
