"""Distributions (pick-up sessions), beneficiaries' orders and their lines."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Catalogue, Product
from distributions.pricing import line_total
from shops.models import Membership, Shop


class DistributionState(models.TextChoices):
    UPCOMING = "upcoming", _("à venir")
    OPEN = "open", _("commandes ouvertes")
    CLOSED = "closed", _("commandes fermées")
    VALIDATED = "validated", _("validée")


class Distribution(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="distributions")
    starts_at = models.DateTimeField(_("date et heure"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=255, blank=True)
    orders_open_at = models.DateTimeField(_("ouverture des commandes"))
    orders_close_at = models.DateTimeField(_("fermeture des commandes"))
    catalogues = models.ManyToManyField(Catalogue, related_name="distributions", blank=True)
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(orders_close_at__gt=models.F("orders_open_at")),
                name="distribution_orders_close_after_open",
            )
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.starts_at):%d/%m/%Y %H:%M} {self.place}".strip()

    def state_at(self, now: datetime.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.validated_at is not None:
            return DistributionState.VALIDATED
        if now < self.orders_open_at:
            return DistributionState.UPCOMING
        if now < self.orders_close_at:
            return DistributionState.OPEN
        return DistributionState.CLOSED

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return str(DistributionState(self.state).label)


class PickupSlot(models.Model):
    """A pick-up time slot of a distribution, holding at most ``capacity`` orders."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveIntegerField(_("nombre de places"))

    class Meta:
        verbose_name = _("créneau de retrait")
        verbose_name_plural = _("créneaux de retrait")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="slot_capacity_gt_0"),
        ]

    def __str__(self) -> str:
        """Its hours in the shop's zone, whatever zone is active (an e-mail built in the
        worker). Load it with ``select_related("distribution__shop")``, or set its
        ``distribution`` (with its shop) where one is at hand: otherwise two queries."""
        zone = self.distribution.shop.tzinfo
        starts, ends = (
            timezone.localtime(self.starts_at, zone),
            timezone.localtime(self.ends_at, zone),
        )
        return f"{starts:%H:%M}–{ends:%H:%M}"


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmée")
    CANCELLED = "cancelled", _("annulée")
    DELIVERED = "delivered", _("livrée")


class Order(models.Model):
    """One beneficiary's order for one distribution."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="orders")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="orders")
    # The pick-up slot chosen (None: the distribution has no slots). A slot holding orders not
    # cancelled is never deleted (services.slot_delete); the cancelled ones then lose it.
    slot = models.ForeignKey(
        PickupSlot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("créneau"),
    )
    status = models.CharField(
        _("état"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    # The participation rate (% of the shelf price paid) at the time of the order.
    participation_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("100"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commande")
        verbose_name_plural = _("commandes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "membership"], name="order_unique_per_distribution"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def total(self) -> Decimal:
        """What the order costs: each line for what is (or will be) handed over.

        Reads ``lines``: prefetch them when listing orders.
        """
        return sum((line.total for line in self.lines.all()), Decimal("0"))

    @property
    def changeable(self) -> bool:
        """Whether the member may still change or cancel it."""
        return (
            self.status == OrderStatus.CONFIRMED
            and self.distribution.state == DistributionState.OPEN
        )


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    # Frozen at order time too: a product renamed later does not rename past orders.
    product_name = models.CharField(_("produit"), max_length=255, blank=True)
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=3)
    # Frozen at order time: shelf price, rate, and the unit price charged (rounded once).
    shelf_price = models.DecimalField(max_digits=10, decimal_places=2)
    participation_rate = models.DecimalField(max_digits=5, decimal_places=2)
    unit_price = models.DecimalField(_("prix payé"), max_digits=10, decimal_places=2)
    # Set by the manager before validation (None: delivered as ordered; 0: missing).
    delivered_quantity = models.DecimalField(
        _("quantité livrée"), max_digits=10, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ligne de commande")
        verbose_name_plural = _("lignes de commande")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="orderline_unique_product"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"

    @property
    def name(self) -> str:
        """The product's name when the line was ordered (its current one for lines written
        without it)."""
        return self.product_name or self.product.name

    @property
    def effective_quantity(self) -> Decimal:
        return self.quantity if self.delivered_quantity is None else self.delivered_quantity

    @property
    def total(self) -> Decimal:
        """What the line costs: a product marked missing or handed over in a smaller
        quantity is paid for what was handed over."""
        return line_total(self.unit_price, self.effective_quantity)


class DistributionAction(models.TextChoices):
    OPENED = "opened", _("commandes ouvertes maintenant")
    CLOSED = "closed", _("commandes fermées maintenant")
    REOPENED = "reopened", _("commandes rouvertes")


class DistributionEvent(models.Model):
    """Who opened, closed or reopened a distribution's orders by hand, and when."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=DistributionAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("action sur une distribution")
        verbose_name_plural = _("actions sur les distributions")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%d/%m/%Y %H:%M}"
