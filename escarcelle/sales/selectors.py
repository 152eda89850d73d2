"""Reads for the pages: the state of a distribution's sales, the shop's unsent sales, and the
French explanation (reason + the action that fixes it) of each failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Product
from distributions.models import Distribution, OrderLine, OrderStatus
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import shop_sends_sales
from shops.models import Shop


@dataclass
class SaleView:
    sale: SaleOutbox
    who: str
    reason: str
    action: str


def _who(sale: SaleOutbox) -> str:
    user = sale.order.membership.user
    name = user.get_full_name() or user.email or user.username
    return _("Commande n°%(order)s de %(name)s") % {"order": sale.order_id, "name": name}


def _product_names(shop_id: int, sales: list[SaleOutbox]) -> dict[str, str]:
    ids = {s.error_product_id for s in sales if s.error_product_id}
    if not ids:
        return {}
    rows = Product.objects.filter(shop_id=shop_id, escarcelle_id__in=ids)
    return {
        escarcelle_id or "": name
        for escarcelle_id, name in rows.values_list("escarcelle_id", "name")
    }


def failure_text(sale: SaleOutbox, product_names: dict[str, str]) -> tuple[str, str]:
    """(reason, action) in French for a failed sale."""
    product = product_names.get(sale.error_product_id, sale.error_product_id)
    code = sale.error_code
    if code == "product_archived":
        return (
            _("Le produit « %(product)s » est archivé dans Escarcelle.") % {"product": product}
            if product
            else _("Un produit de cette vente est archivé dans Escarcelle."),
            _("Réactivez-le dans Escarcelle puis cliquez sur Renvoyer."),
        )
    if code == "unknown_product":
        return (
            _("Le produit « %(product)s » n'existe pas (ou plus) dans Escarcelle.")
            % {"product": product}
            if product
            else _("Un produit de cette vente n'existe pas (ou plus) dans Escarcelle."),
            _(
                "Importez à nouveau vos produits depuis Escarcelle (Produits → Import "
                "Escarcelle) pour le relier au bon produit, puis cliquez sur Renvoyer."
            ),
        )
    if code == "invalid_quantity":
        return (
            _("Escarcelle refuse une quantité de cette vente (%(detail)s).")
            % {"detail": sale.last_error},
            _("Saisissez cette vente à la main dans Escarcelle, ou contactez le support."),
        )
    if code == "idempotency_key_reused":
        return (
            _("Escarcelle a déjà reçu cette vente avec un contenu différent."),
            _(
                "Vérifiez la vente « %(ref)s » dans Escarcelle et contactez le support ; "
                "ne la saisissez pas à la main."
            )
            % {"ref": sale.payload.get("external_ref", "")},
        )
    detail = sale.last_error or code
    return (
        _("Escarcelle a refusé cette vente : %(detail)s") % {"detail": detail},
        _("Corrigez la cause indiquée puis cliquez sur Renvoyer ; sinon, contactez le support."),
    )


def _pending_reason(sale: SaleOutbox) -> str:
    """Why a sale waits, without the client's "Réessayez…": the retry is automatic."""
    code = sale.error_code
    if code in ("timeout", "network", "server_error"):
        return _("Escarcelle ne répond pas pour le moment.")
    if code == "rate_limited":
        return _("Escarcelle limite le nombre de requêtes.")
    if code == "malformed":
        return _("Réponse d'Escarcelle illisible.")
    if code == "idempotency_key_in_use":
        return _("Escarcelle traite encore un envoi précédent de cette vente.")
    return sale.last_error


def pending_text(sale: SaleOutbox) -> tuple[str, str]:
    if not sale.last_error:
        return _("En cours d'envoi."), ""
    when = timezone.localtime(sale.next_attempt_at) if sale.next_attempt_at else None
    action = (
        _("Nouvel essai automatique le %(when)s.") % {"when": when.strftime("%d/%m/%Y à %H:%M")}
        if when
        else _("Nouvel essai automatique très bientôt.")
    )
    if sale.error_code == "unauthorized":
        action = _(
            "Enregistrez une clé Escarcelle valide (Paramètres → Synchro Escarcelle) : "
            "l'envoi reprendra de lui-même."
        )
    return (
        ngettext("%(error)s (%(n)s tentative)", "%(error)s (%(n)s tentatives)", sale.attempts)
        % {"error": _pending_reason(sale), "n": sale.attempts},
        action,
    )


def _views(sales: list[SaleOutbox]) -> list[SaleView]:
    if not sales:
        return []
    names = _product_names(sales[0].shop_id, sales)
    views = []
    for sale in sales:
        if sale.status == SaleStatus.FAILED:
            reason, action = failure_text(sale, names)
        else:
            reason, action = pending_text(sale)
        views.append(SaleView(sale=sale, who=_who(sale), reason=reason, action=action))
    return views


def _with_people(qs):
    return qs.select_related("order__membership__user", "distribution")


def distribution_sales_state(*, distribution: Distribution) -> dict[str, Any]:
    """What the distribution's page shows: counts, failures, pending ones, notes."""
    enabled = shop_sends_sales(distribution.shop_id)
    sales = SaleOutbox.objects.filter(distribution=distribution)
    counts = sales.aggregate(
        sent=Count("id", filter=Q(status=SaleStatus.SENT)),
        pending=Count("id", filter=Q(status=SaleStatus.PENDING)),
        failed=Count("id", filter=Q(status=SaleStatus.FAILED)),
    )
    unsent = list(
        _with_people(sales.exclude(status=SaleStatus.SENT)).order_by("status", "order_id")
    )
    notes = [
        _("%(who)s : %(note)s") % {"who": _who(s), "note": s.note}
        for s in _with_people(sales.exclude(note="")).order_by("order_id")
    ]
    skipped = _skipped_notes(distribution, sales)
    views = _views(unsent)
    return {
        "enabled": enabled or bool(sum(counts.values())),
        "counts": counts,
        "failed": [v for v in views if v.sale.status == SaleStatus.FAILED],
        "pending": [v for v in views if v.sale.status == SaleStatus.PENDING],
        "notes": notes,
        "skipped": skipped,
    }


def _skipped_notes(distribution: Distribution, sales) -> list[str]:
    """Lines not sent because their product is not bound to Escarcelle (made in Epiclic)."""
    notes = []
    for sale in _with_people(sales.exclude(skipped_lines=[])).order_by("order_id"):
        for line in sale.skipped_lines:
            notes.append(_skipped_sentence(_who(sale), line["name"], line["quantity"]))
    # Orders with no bound product at all have no record: read them from the orders.
    if distribution.validated_at is not None:
        lines = (
            OrderLine.objects.filter(
                order__distribution=distribution,
                order__status=OrderStatus.DELIVERED,
                order__escarcelle_sale__isnull=True,
            )
            .filter(Q(product__escarcelle_id__isnull=True) | Q(product__escarcelle_id=""))
            .annotate(qty=Coalesce("delivered_quantity", "quantity"))
            .exclude(qty=0)
            .select_related("order__membership__user", "product")
            .order_by("order_id", "id")
        )
        for line in lines:
            user = line.order.membership.user
            who = _("Commande n°%(order)s de %(name)s") % {
                "order": line.order_id,
                "name": user.get_full_name() or user.email or user.username,
            }
            notes.append(_skipped_sentence(who, line.product.name, format(line.qty, "f")))
    return notes


def _skipped_sentence(who: str, product: str, quantity: str) -> str:
    return _(
        "%(who)s : « %(product)s » (%(quantity)s) n'est pas envoyé à Escarcelle, car ce "
        "produit n'y est pas lié (créé dans Epiclic). Saisissez-le à la main dans Escarcelle "
        "si besoin."
    ) % {"who": who, "product": product, "quantity": quantity.rstrip("0").rstrip(".") or "0"}


def shop_unsent_sales(*, shop: Shop) -> dict[str, Any]:
    """Every pending and failed sale of the shop, across distributions."""
    sales = list(
        _with_people(
            SaleOutbox.objects.filter(shop=shop, status__in=[SaleStatus.PENDING, SaleStatus.FAILED])
        ).order_by("-distribution__starts_at", "status", "order_id")
    )
    views = _views(sales)
    return {
        "failed": [v for v in views if v.sale.status == SaleStatus.FAILED],
        "pending": [v for v in views if v.sale.status == SaleStatus.PENDING],
    }


def shop_sales_counts(*, shop: Shop) -> dict[str, int]:
    return SaleOutbox.objects.filter(shop=shop).aggregate(
        sent=Count("id", filter=Q(status=SaleStatus.SENT)),
        pending=Count("id", filter=Q(status=SaleStatus.PENDING)),
        failed=Count("id", filter=Q(status=SaleStatus.FAILED)),
    )
