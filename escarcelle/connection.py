"""Connecting a shop to its Escarcelle account, and the client for a connected shop."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from escarcelle import crypto
from escarcelle.client import EscarcelleClient, EscarcelleError
from escarcelle.models import Connection
from shops.models import Shop

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


@sensitive_variables("api_key")
def connection_save(*, shop: Shop, user: Any, api_key: str) -> Connection:
    """Check ``api_key`` with Escarcelle at once, then store it (encrypted).

    Raises ``EscarcelleError`` (and saves nothing, leaving any existing connection as it was)
    when the key is refused or Escarcelle cannot be reached.
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
