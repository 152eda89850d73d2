"""A grocery's life: created by the operators, edited by its managers, suspended, reactivated."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epiclic.errors import Refusal
from shops.models import Invitation, Shop
from shops.team import manager_invite

EDITABLE_FIELDS = ("name", "address", "contact_email", "timezone")


def _refusal(error: ValidationError) -> Refusal:
    return Refusal(" ".join(error.messages), code="invalid")


def shop_check(shop: Shop) -> None:
    """Every rule of the model (slug format, reserved and taken; e-mail; time zone) as one
    ``Refusal`` with French messages."""
    try:
        shop.full_clean()
    except ValidationError as error:
        if (
            "slug" in getattr(error, "error_dict", {})
            and Shop.objects.filter(slug=shop.slug).exclude(pk=shop.pk).exists()
        ):
            raise Refusal(
                _("L'identifiant « %(slug)s » est déjà pris par une autre épicerie.")
                % {"slug": shop.slug},
                code="slug_taken",
            ) from None
        raise _refusal(error) from None


@transaction.atomic
def shop_create(
    *,
    name: str,
    slug: str,
    manager_email: str,
    address: str = "",
    contact_email: str = "",
    timezone_name: str = "Europe/Paris",
    invited_by: User | None = None,
) -> tuple[Shop, Invitation]:
    """A new grocery and the invitation of its first manager; nothing is created on a refusal."""
    shop = Shop(
        name=name.strip(),
        slug=slug.strip().lower(),
        address=address.strip(),
        contact_email=contact_email.strip().lower(),
        timezone=timezone_name.strip(),
    )
    shop_check(shop)
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError:  # taken between the check and the write
        raise Refusal(
            _("L'identifiant « %(slug)s » est déjà pris par une autre épicerie.")
            % {"slug": shop.slug},
            code="slug_taken",
        ) from None
    invitation = manager_invite(shop=shop, email=manager_email, invited_by=invited_by)
    return shop, invitation


@transaction.atomic
def shop_update(*, shop: Shop, **fields: str) -> Shop:
    """Save the fields a manager may change (``EDITABLE_FIELDS``), checked like a new grocery."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(shop, name, value.strip())
    shop_check(shop)
    shop.save(update_fields=list(fields))
    return shop


def shop_suspend(*, shop: Shop) -> bool:
    """Suspend the grocery (members see a notice; syncs and the sales push wait). Returns
    whether it changed; suspending twice keeps the first date."""
    changed = Shop.objects.filter(pk=shop.pk, suspended_at__isnull=True).update(
        suspended_at=timezone.now()
    )
    shop.refresh_from_db(fields=["suspended_at"])
    return bool(changed)


def shop_reactivate(*, shop: Shop) -> bool:
    """Reactivate: the next minute tick syncs its stock (its due time has passed) and the sales
    sweep sends the sales that waited, under the keys they already had."""
    changed = Shop.objects.filter(pk=shop.pk, suspended_at__isnull=False).update(suspended_at=None)
    shop.refresh_from_db(fields=["suspended_at"])
    return bool(changed)
