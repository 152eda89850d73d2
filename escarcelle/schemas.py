"""Pydantic models of Escarcelle's wire format (docs/escarcelle-api.md, version 1).

Decimals travel as strings: a JSON number, a bool or garbage where a decimal is expected is a
validation error (the client turns it into an ``EscarcelleError``). Product fields that the
import judges itself (price, unit, VAT rate) are optional here so that one odd product becomes
a warning in the preview rather than a failed import; structural fields (ids) are required.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DECIMAL_RE = re.compile(r"^-?\d{1,20}(\.\d{1,10})?$")


def _decimal_from_string(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError("a decimal must be sent as a string")
    text = value.strip()
    if not _DECIMAL_RE.match(text):
        raise ValueError("not a decimal string")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError("not a decimal string") from exc


DecimalStr = Annotated[Decimal, BeforeValidator(_decimal_from_string)]


class _Wire(BaseModel):
    # Unknown fields are ignored (Escarcelle may add some); types are strict where it matters.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(_Wire):
    id: str
    name: str


class Product(_Wire):
    id: str = Field(min_length=1, max_length=64)
    name: str
    ref: str | None = None
    barcode: str | None = None
    description: str | None = None
    category: str | None = None
    unit: str | None = None
    unit_quantity: DecimalStr | None = None
    price: DecimalStr | None = None
    vat_rate: DecimalStr | None = None
    active: bool = True
    updated_at: datetime.datetime | None = None


class Beneficiary(_Wire):
    id: str = Field(min_length=1, max_length=64)
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    card_number: str | None = None
    household_size: int | None = None
    participation_rate: DecimalStr | None = None
    monthly_budget: DecimalStr | None = None
    access_valid_until: datetime.date | None = None
    active: bool = True
    updated_at: datetime.datetime | None = None


class StockRow(_Wire):
    product_id: str
    quantity: DecimalStr
    sequence: int


class StockChange(_Wire):
    product_id: str
    quantity: DecimalStr
    delta: DecimalStr
    sequence: int
    reason: str


class SaleLine(_Wire):
    product_id: str
    quantity: DecimalStr
    unit_price: DecimalStr
    shelf_price: DecimalStr
    sequence: int | None = None


class Sale(_Wire):
    id: str
    external_ref: str
    date: datetime.datetime
    beneficiary_id: str | None = None
    sequence: int
    created_at: datetime.datetime | None = None
    lines: list[SaleLine]


class Problem(_Wire):
    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    code: str | None = None
    errors: list[dict[str, Any]] | None = None


class BatchResult(_Wire):
    idempotency_key: str
    status: int
    replayed: bool = False
    sale: Sale | None = None
    problem: Problem | None = None


class BatchResponse(_Wire):
    results: list[BatchResult]


class Page(_Wire):
    """One page of a list: raw items (validated one by one by the caller) and the cursor."""

    data: list[dict[str, Any]]
    next_cursor: str | None = None
    sequence: int | None = None


class WebhookCreated(_Wire):
    id: str
    url: str
    events: list[str]
    secret: str


class WebhookEvent(_Wire):
    """One delivery of an Escarcelle webhook (docs/escarcelle-api.md, "Webhooks")."""

    id: str
    type: str
    account_id: str
    sequence: int
    created_at: datetime.datetime
    data: dict[str, Any]
