"""Stock movements pushed by Escarcelle: registering the endpoint, receiving its events.

A shop's endpoint is ``/<shop>/stocks/webhook/<token>/`` (``webhook_views.py``): the token
makes the URL unguessable, and every delivery must carry a valid HMAC-SHA256 signature, made
with the secret Escarcelle returned once at registration (stored encrypted like the API key),
over ``<timestamp>.<body>`` with a timestamp at most 5 minutes away from our clock.

A ``stock.changed`` event carries the product's quantity after one ledger movement and that
movement's sequence: it is written by the live check's writer (``live.stock_live_apply``),
only when newer than what the product's row already reflects — so duplicates, replays and
events arriving out of order change nothing. ``product.archived`` takes the product off the
ordering pages like the sync does. A gap in the sequences asks for a sync. Anything refused
(bad signature, stale timestamp, malformed body, another account) is logged and counted,
nothing else is written, and the answer is never a 500. The hourly sync stays the
reconciliation: if Escarcelle cannot reach us, everything works as before.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from catalog.models import Product
from distributions.availability import stock_lowered_note
from escarcelle import crypto
from escarcelle.client import EscarcelleError
from escarcelle.connection import client_for_shop, connection_for
from escarcelle.models import Connection
from escarcelle.schemas import StockChange, WebhookEvent
from escarcelle.stock.live import stock_live_apply
from escarcelle.stock.models import WebhookEndpoint
from escarcelle.stock.services import stock_sync_request
from shops.models import Shop

log = logging.getLogger("escarcelle.stock.webhooks")

EVENTS = ["stock.changed", "product.archived"]
MAX_SKEW = datetime.timedelta(minutes=5)
MAX_BODY_BYTES = 64 * 1024
HEADER_TIMESTAMP = "Escarcelle-Webhook-Timestamp"
HEADER_SIGNATURE = "Escarcelle-Webhook-Signature"


# --- Registering ------------------------------------------------------------------------------


def webhook_register(*, shop: Shop, url_for: Callable[[str], str]) -> WebhookEndpoint:
    """Register a new endpoint with Escarcelle (``url_for(token)`` is its absolute URL) and
    store it, replacing the shop's previous one. Raises ``EscarcelleError``."""
    token = secrets.token_urlsafe(32)
    with client_for_shop(shop, max_retries=0, max_total_s=10) as client:
        created = client.webhook_create(url=url_for(token), events=EVENTS)
    previous = WebhookEndpoint.objects.filter(shop=shop).first()
    endpoint, _created = WebhookEndpoint.objects.update_or_create(
        shop=shop,
        defaults={
            "token": token,
            "remote_id": created.id[:64],
            "secret_encrypted": crypto.encrypt(created.secret),
            "last_event_at": None,
            "last_event_sequence": None,
            "last_delay_ms": None,
            "events_applied": 0,
            "events_ignored": 0,
            "events_rejected": 0,
            "last_rejected_at": None,
            "last_rejection": "",
        },
    )
    if previous is not None and previous.remote_id:
        _remote_delete(shop, previous.remote_id)
    return endpoint


def webhook_unregister(*, shop: Shop) -> None:
    """Stop pushed updates: the endpoint is forgotten here and, if it answers, in Escarcelle."""
    endpoint = WebhookEndpoint.objects.filter(shop=shop).first()
    if endpoint is None:
        return
    endpoint.delete()
    if endpoint.remote_id and connection_for(shop) is not None:
        _remote_delete(shop, endpoint.remote_id)


def webhook_forget_on_disconnect(sender: type, instance: Connection, **kwargs: object) -> None:
    """The connection is removed (``post_delete``, connected by ``StockConfig.ready()``): its
    endpoint goes too, so later deliveries answer 404 and Escarcelle gives up."""
    WebhookEndpoint.objects.filter(shop_id=instance.shop_id).delete()


def _remote_delete(shop: Shop, remote_id: str) -> None:
    try:
        with client_for_shop(shop, max_retries=0, max_total_s=10) as client:
            client.webhook_delete(remote_id)
    except EscarcelleError as error:
        # Deliveries to a forgotten token answer 404; Escarcelle gives up after 24 h.
        log.warning("webhook %s not deleted in Escarcelle: %s", remote_id, error.code)


# --- Receiving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int
    result: str  # applied, ignored, or the reason of a refusal


def webhook_receive(
    *,
    endpoint: WebhookEndpoint,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime.datetime | None = None,
) -> Outcome:
    """Check and apply one delivery to ``endpoint`` (found by its URL's token)."""
    now = now or timezone.now()
    refusal = _verify(endpoint, body, headers, now)
    if refusal is not None:
        return _refused(endpoint, refusal, now)
    try:
        event = WebhookEvent.model_validate_json(body)
    except ValidationError:
        return _refused(endpoint, "malformed", now)
    connection = connection_for(endpoint.shop)
    if connection is None or event.account_id != connection.account_id:
        return _refused(endpoint, "other_account", now)
    applied = _apply(endpoint.shop, event)
    if applied is None:
        return _refused(endpoint, "malformed", now)
    gap = endpoint.last_event_sequence is not None and event.sequence > (
        endpoint.last_event_sequence + 1
    )
    delay_ms = max(0, int((now - event.created_at).total_seconds() * 1000))
    last = endpoint.last_event_sequence
    counter = "events_applied" if applied else "events_ignored"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        last_event_at=now,
        last_delay_ms=min(delay_ms, 2**31 - 1),
        last_event_sequence=event.sequence if last is None else max(last, event.sequence),
        **{counter: F(counter) + 1},
    )
    if gap and event.type == "stock.changed":
        # A movement we never got (given up, or not yet arrived): the sync fills it soon.
        log.info("webhook: sequence gap before %d, sync requested", event.sequence)
        stock_sync_request(shop=endpoint.shop, now=now)
    return Outcome(200, "applied" if applied else "ignored")


def _verify(
    endpoint: WebhookEndpoint, body: bytes, headers: Mapping[str, str], now: datetime.datetime
) -> str | None:
    """The reason to refuse the delivery, or None."""
    if len(body) > MAX_BODY_BYTES:
        return "too_large"
    stamp = headers.get(HEADER_TIMESTAMP, "")
    signature = headers.get(HEADER_SIGNATURE, "")
    if not stamp.isdigit() or len(stamp) > 12 or not signature:
        return "unsigned"
    sent = datetime.datetime.fromtimestamp(int(stamp), tz=datetime.UTC)
    if abs(now - sent) > MAX_SKEW:
        return "stale_timestamp"
    try:
        secret = crypto.decrypt(endpoint.secret_encrypted)
    except crypto.UndecryptableKey:
        return "secret_unreadable"
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    offered = [part.removeprefix("v1=") for part in signature.split() if part.startswith("v1=")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        return "bad_signature"
    return None


def _refused(endpoint: WebhookEndpoint, reason: str, now: datetime.datetime) -> Outcome:
    log.warning("webhook for shop %s refused: %s", endpoint.shop_id, reason)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        events_rejected=F("events_rejected") + 1, last_rejected_at=now, last_rejection=reason
    )
    status = {"bad_signature": 401, "unsigned": 401, "too_large": 413}.get(reason, 400)
    return Outcome(status, reason)


def _apply(shop: Shop, event: WebhookEvent) -> bool | None:
    """True when the event changed something, False when ignored, None when malformed."""
    if event.type == "stock.changed":
        try:
            change = StockChange.model_validate({**event.data, "sequence": event.sequence})
        except ValidationError:
            return None
        pk = (
            Product.objects.filter(shop=shop, escarcelle_id=change.product_id)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return False  # a product not imported: ignored, like the sync does
        written, went_down = stock_live_apply(
            shop=shop, reading={pk: (change.quantity, change.sequence)}, sequence=event.sequence
        )
        stock_lowered_note(shop=shop, product_ids=went_down)
        return bool(written)
    if event.type == "product.archived":
        product_id = event.data.get("id")
        if not isinstance(product_id, str):
            return None
        return bool(
            Product.objects.filter(shop=shop, escarcelle_id=product_id, active=True).update(
                active=False
            )
        )
    return False
