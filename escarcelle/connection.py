"""Connecting a shop to its Escarcelle account, and the client for a connected shop."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from catalog.models import Product
from epiclic.errors import Refusal
from escarcelle import crypto
from escarcelle.client import EscarcelleClient, EscarcelleError
from escarcelle.models import Connection
from shops.models import BeneficiaryProfile, Shop

MAX_KEY_LENGTH = 500


def connection_for(shop: Shop) -> Connection | None:
    return Connection.objects.filter(shop=shop).first()


@sensitive_variables("api_key")
def client_for_shop(shop: Shop, **options: Any) -> EscarcelleClient:
    """A client with the shop's key; a 401 later marks the connection ``key_rejected_at``.

    Raises a permanent ``EscarcelleError`` (code ``not_connected`` or ``key_unreadable``) when
    there is no usable key. ``options`` go to ``EscarcelleClient`` (max_retries, timeouts…).
    """
    connection = connection_for(shop)
    if connection is None:
        raise EscarcelleError(
            _(
                "Aucune clé Escarcelle n'est enregistrée pour cette épicerie : "
                "renseignez-la dans Paramètres → Synchro Escarcelle."
            ),
            permanent=True,
            code="not_connected",
        )
    try:
        api_key = connection.api_key
    except crypto.UndecryptableKey:
        raise EscarcelleError(
            _(
                "La clé Escarcelle enregistrée ne peut plus être lue (la clé secrète du serveur "
                "a changé) : enregistrez-la à nouveau dans Paramètres → Synchro Escarcelle."
            ),
            permanent=True,
            code="key_unreadable",
        ) from None
    pk = connection.pk

    def mark_rejected() -> None:
        Connection.objects.filter(pk=pk, key_rejected_at__isnull=True).update(
            key_rejected_at=timezone.now()
        )

    options.setdefault("on_unauthorized", mark_rejected)
    return EscarcelleClient(api_key, **options)


class AccountChange(Refusal):
    """The key opens another Escarcelle account than the one the shop's bindings belong to."""

    def __init__(self, *, old_name: str, new_name: str, products: int, beneficiaries: int) -> None:
        super().__init__(
            _(
                "Cette clé ouvre le compte Escarcelle « %(new)s », mais %(products)s produit(s) "
                "et %(beneficiaries)s bénéficiaire(s) de l'épicerie sont liés au compte "
                "« %(old)s ». Si vous confirmez, ces liaisons sont mises de côté (rien n'est "
                "désactivé ni supprimé) jusqu'à ce qu'un import du nouveau compte les relie par "
                "code-barres, référence ou e-mail, ou les remplace ; la synchro des stocks "
                "attend cet import."
            )
            % {
                "new": new_name,
                "old": old_name,
                "products": products,
                "beneficiaries": beneficiaries,
            },
            code="account_change",
        )
        self.old_name, self.new_name = old_name, new_name


def _bindings(shop: Shop) -> tuple[int, int]:
    products = Product.objects.filter(shop=shop, escarcelle_id__isnull=False).count()
    people = BeneficiaryProfile.objects.filter(shop=shop, escarcelle_id__isnull=False).count()
    return products, people


def _bindings_set_aside(*, shop: Shop, connection: Connection) -> None:
    """Unbind (never deactivate) the old account's products and beneficiaries: the next import
    of the new account links them by barcode, ref or e-mail, or creates new ones."""
    Product.objects.filter(shop=shop, escarcelle_id__isnull=False).update(escarcelle_id=None)
    BeneficiaryProfile.objects.filter(shop=shop, escarcelle_id__isnull=False).update(
        escarcelle_id=None
    )
    connection.previous_account_id = connection.account_id
    connection.previous_account_name = connection.account_name
    connection.account_changed_at = timezone.now()


@sensitive_variables("api_key")
def connection_save(
    *, shop: Shop, user: Any, api_key: str, confirm_account_change: bool = False
) -> Connection:
    """Check ``api_key`` with Escarcelle at once, then store it (encrypted).

    Raises ``EscarcelleError`` (and saves nothing, leaving any existing connection as it was)
    when the key is refused or Escarcelle cannot be reached, and ``AccountChange`` when the key
    opens another account than the one the shop's bindings belong to, unless confirmed.
    """
    api_key = api_key.strip()
    if not api_key or len(api_key) > MAX_KEY_LENGTH or any(c.isspace() for c in api_key):
        raise EscarcelleError(
            _("Cette clé n'a pas le bon format : copiez-la à nouveau depuis Escarcelle."),
            permanent=True,
            code="invalid_key_format",
        )
    with EscarcelleClient(api_key, max_retries=1, max_total_s=10) as client:
        account = client.account()
    with transaction.atomic():
        connection, _created = Connection.objects.select_for_update().get_or_create(
            shop=shop,
            defaults={
                "api_key_encrypted": "",
                "key_last4": "",
                "account_id": "",
                "account_name": "",
            },
        )
        changing = bool(connection.account_id) and connection.account_id != account.id[:64]
        if changing:
            products, people = _bindings(shop)
            if (products or people) and not confirm_account_change:
                raise AccountChange(
                    old_name=connection.account_name,
                    new_name=account.name[:200],
                    products=products,
                    beneficiaries=people,
                )
            _bindings_set_aside(shop=shop, connection=connection)
        connection.api_key_encrypted = crypto.encrypt(api_key)
        connection.key_last4 = api_key[-4:]
        connection.account_id = account.id[:64]
        connection.account_name = account.name[:200]
        connection.connected_at = timezone.now()
        connection.connected_by = user if getattr(user, "pk", None) else None
        connection.key_rejected_at = None
        connection.save()
    return connection


def connection_remove(*, shop: Shop) -> None:
    Connection.objects.filter(shop=shop).delete()


def connection_keys_rotate() -> tuple[int, int]:
    """Re-encrypt every stored key with the current SECRET_KEY: (re-encrypted, unreadable)."""
    done = failed = 0
    # Its own transaction: select_for_update() outside one fails on PostgreSQL.
    with transaction.atomic():
        for connection in Connection.objects.select_for_update().order_by("pk"):
            try:
                token = crypto.reencrypt(connection.api_key_encrypted)
            except crypto.UndecryptableKey:
                failed += 1
                continue
            Connection.objects.filter(pk=connection.pk).update(api_key_encrypted=token)
            done += 1
    return done, failed
