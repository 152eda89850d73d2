"""Products of a shop and the catalogues that offer them for ordering."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imports.models import ImportKind, ImportPlan, ImportSource
from shops.models import Shop


class Unit(models.TextChoices):
    PIECE = "piece", _("pièce")
    KG = "kg", _("kg")
    G = "g", _("g")
    L = "l", _("l")
    CL = "cl", _("cl")
    ML = "ml", _("ml")


VAT_RATES = [Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")]
VAT_CHOICES = [(rate, f"{rate} %".replace(".", ",")) for rate in VAT_RATES]


class StockSource(models.TextChoices):
    MANUAL = "manual", _("géré à la main")
    ESCARCELLE = "escarcelle", _("Escarcelle")


class Product(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("nom"), max_length=255)
    ref = models.CharField(_("référence"), max_length=64, blank=True)
    barcode = models.CharField(_("code-barres (EAN)"), max_length=14, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("catégorie"), max_length=100, blank=True)
    # Where the volunteers find it (aisle, shelf), shown on the picking list.
    shelf_location = models.CharField(_("emplacement en rayon"), max_length=50, blank=True)
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    unit_quantity = models.DecimalField(
        _("quantité par unité"), max_digits=10, decimal_places=3, default=Decimal("1")
    )
    price = models.DecimalField(
        _("prix en rayon TTC (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"), max_digits=4, decimal_places=2, default=Decimal("5.5")
    )
    photo = models.ImageField(_("photo"), upload_to="products/%Y/%m/", blank=True)
    # Small copy of the photo for lists; written together with ``photo`` (catalog.photos).
    thumbnail = models.ImageField(_("miniature"), upload_to="products/%Y/%m/", blank=True)
    active = models.BooleanField(_("actif"), default=True)
    stock_source = models.CharField(
        _("origine du stock"),
        max_length=20,
        choices=StockSource.choices,
        default=StockSource.MANUAL,
    )
    # Hand-managed stock (stock_source=manual). Escarcelle's figures live in the escarcelle app.
    stock = models.DecimalField(_("stock"), max_digits=12, decimal_places=3, default=Decimal("0"))
    # Binding to the Escarcelle product this one was imported from.
    escarcelle_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "escarcelle_id"],
                condition=models.Q(escarcelle_id__isnull=False),
                name="product_unique_escarcelle_id_per_shop",
            ),
            models.UniqueConstraint(
                fields=["shop", "ref"],
                condition=~models.Q(ref=""),
                name="product_unique_ref_per_shop",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "name"], name="product_shop_name"),
            models.Index(fields=["shop", "barcode"], name="product_shop_barcode"),
            models.Index(fields=["shop", "active", "name"], name="product_shop_active_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bound_to_escarcelle(self) -> bool:
        return bool(self.escarcelle_id)

    @property
    def photo_version(self) -> str:
        """The ``?v=`` of the photo's and thumbnail's URLs: each new photo gets new file names
        (catalog.photos), so the version changes with it and only with it, and a browser may
        keep a photo for a year (catalog.views.products._serve)."""
        names = f"{self.photo.name}|{self.thumbnail.name}"
        return hashlib.sha256(names.encode()).hexdigest()[:12]


class Catalogue(models.Model):
    """A named set of products offered for ordering; a product in no catalogue can't be ordered."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="catalogues")
    name = models.CharField(_("nom"), max_length=200)
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    products = models.ManyToManyField(Product, related_name="catalogues", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("catalogue")
        verbose_name_plural = _("catalogues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_current(self, today: datetime.date | None = None) -> bool:
        """Within its active period (an open bound means no limit on that side)."""
        today = today or timezone.localdate()
        if self.starts_on and today < self.starts_on:
            return False
        return not (self.ends_on and today > self.ends_on)


class CsvImportPlanManager(models.Manager["CsvImportPlan"]):
    def get_queryset(self) -> models.QuerySet[CsvImportPlan]:
        return super().get_queryset().filter(source=ImportSource.CSV)


class CsvImportPlan(ImportPlan):
    """The plans of CSV imports: a file read, diffed and stored between preview and confirmation.

    Everything else (rows, statuses, lifetime, stale rule, apply) is the import pipeline's
    (``imports``); ``catalog.services`` reads the file and writes the products.
    """

    objects: ClassVar[CsvImportPlanManager] = CsvImportPlanManager()

    class Meta:
        proxy = True
        verbose_name = _("import CSV")
        verbose_name_plural = _("imports CSV")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.source, self.kind = ImportSource.CSV, ImportKind.PRODUCTS
        super().save(*args, **kwargs)

    @property
    def filename(self) -> str:
        return self.origin
