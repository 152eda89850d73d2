"""Writes of the catalog app: products, photos, the CSV import, catalogue contents."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import csv_io, photos
from catalog.models import Catalogue, CsvImportPlan, Product, StockSource
from epiclic.errors import Refusal
from imports import bulk
from imports.models import ImportKind, ImportPlan, ImportSource, PlanRow, PlanStatus
from imports.rows import Row, RowStatus
from imports.services import plan_apply, plan_create, plan_fail, plan_rows_store
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


# --- Imports: the CSV import, and the product writer of every import ----------------------

# Fields an import may write on an existing product.
IMPORT_FIELDS = [*csv_io.COLUMNS.values(), "escarcelle_id", "stock_source"]


def product_plan_rows_write(*, shop: Shop, rows: list[Row], bind: bool) -> dict[str, int]:
    """Write one chunk of plan rows about products: one INSERT, one UPDATE.

    New rows are created with their values; other rows write only their differences, so a
    field edited by hand since the preview is left alone. ``bind``: the rows come from
    Escarcelle, whose id (``row.key``) binds the product and which then owns its stock.
    """
    now = timezone.now()
    created: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        if row.status == RowStatus.NEW:
            created.append({**row.values, "escarcelle_id": row.key} if bind else row.values)
            continue
        change: dict[str, Any] = {c.field: c.new for c in row.diff}
        change["id"] = row.target_id
        if bind:
            change["escarcelle_id"] = row.key
            if row.status == RowStatus.LINK:
                change["stock_source"] = StockSource.ESCARCELLE.value
        updates.append(change)
    source = StockSource.ESCARCELLE if bind else StockSource.MANUAL
    bulk.insert_rows(
        Product,
        created,
        constants={
            "shop_id": shop.pk,
            "stock_source": source,
            "created_at": now,
            "updated_at": now,
        },
    )
    bulk.update_rows(
        Product,
        updates,
        fields=IMPORT_FIELDS,
        constants={"updated_at": now},
        where={"shop_id": shop.pk},
    )
    return dict(Counter(row.status.value for row in rows))


def product_csv_import_plan_create(
    *, shop: Shop, user: Any, filename: str, data: bytes
) -> CsvImportPlan:
    """Read and diff a CSV file against the shop's products, and store the preview."""
    plan = plan_create(
        shop=shop,
        source=ImportSource.CSV,
        kind=ImportKind.PRODUCTS,
        user=user,
        origin=filename,
        status=PlanStatus.PLANNING,
        model=CsvImportPlan,
    )
    parsed = csv_io.read_csv(data)
    if parsed.errors:
        plan_fail(plan=plan, errors=parsed.errors, warnings=parsed.warnings)
        return plan
    rows = csv_io.plan_rows(parsed, csv_io.existing_products(shop, parsed.columns))
    plan_rows_store(plan=plan, rows=rows, warnings=parsed.warnings)
    return plan


def _csv_plan_check(plan: ImportPlan) -> None:
    """The file's rows still fit the products: no new ref taken, no changed product gone or
    renamed (two queries, whatever the size of the file)."""
    rows = PlanRow.objects.filter(plan=plan, i__gt=plan.cursor, kept=True)
    products = Product.objects.filter(shop_id=plan.shop_id)
    taken = rows.filter(status=RowStatus.NEW, key__in=products.exclude(ref="").values("ref"))
    same = products.filter(pk=OuterRef("target_id"), ref=OuterRef("key"))
    gone = rows.filter(status=RowStatus.CHANGED).exclude(Exists(same))
    if taken.exists() or gone.exists():
        raise Refusal(
            _("Les produits ont changé depuis l'aperçu : importez à nouveau le fichier."),
            code="stale",
        )


def _csv_write(shop: Shop, rows: list[Row]) -> dict[str, int]:
    return product_plan_rows_write(shop=shop, rows=rows, bind=False)


def product_csv_import_apply(*, shop: Shop, plan_id: int) -> dict[str, int]:
    """Apply a previewed CSV import exactly as stored: create the new rows, write the changes.

    Refusal (nothing written) when the plan is expired, already applied, has errors, was
    altered after the preview, is stale, or no longer fits the products (a new ref created
    meanwhile, a changed product deleted meanwhile): the manager then imports the file again.
    """
    plan = plan_apply(
        shop=shop,
        plan_id=plan_id,
        write=_csv_write,
        check=_csv_plan_check,
        errors_refusal=_("Corrigez d'abord les erreurs du fichier, puis importez-le à nouveau."),
    )
    return {"new": plan.done.get("new", 0), "changed": plan.done.get("changed", 0)}


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
