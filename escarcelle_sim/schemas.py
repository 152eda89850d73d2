"""Pydantic wire models of the public API (they also produce the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_only(value: object) -> object:
    """Pydantic would read numbers as Unix timestamps; the contract says ISO-8601 only."""
    if not isinstance(value, str) or not _ISO.match(value):
        raise ValueError("expected an ISO-8601 datetime with a timezone")
    return value


def _in_utc_range(value: dt.datetime) -> dt.datetime:
    """0001-01-01T00:00+14:00 is valid ISO but has no UTC form: refuse it, do not crash later."""
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("datetime out of range once converted to UTC") from None
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_in_utc_range)]
Unit = Literal["piece", "kg", "g", "l", "cl", "ml"]
Reason = Literal["sale", "in_shop_sale", "restock", "adjustment", "initial"]

DecimalStr = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["2.99"])]
# Loose on purpose: the sale service checks quantities and answers `invalid_quantity`.
QuantityIn = Annotated[str, Field(min_length=1, max_length=32, examples=["1.500"])]
# [0-9], not \d: the regex engine would take any Unicode digit ("١.٥").
MoneyIn = Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,4})?$", examples=["2.99"])]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


class Account(BaseModel):
    id: str
    name: str


class Product(BaseModel):
    id: str
    ref: str | None
    barcode: str | None
    name: str
    description: str
    category: str
    unit: Unit
    unit_quantity: DecimalStr
    price: DecimalStr
    vat_rate: DecimalStr
    active: bool
    updated_at: AwareDatetime


class ProductPage(BaseModel):
    data: list[Product]
    next_cursor: str | None


class StockRow(BaseModel):
    product_id: str
    quantity: DecimalStr
    sequence: int


class StockPage(BaseModel):
    data: list[StockRow]
    next_cursor: str | None
    sequence: int


class StockChange(BaseModel):
    product_id: str
    quantity: DecimalStr
    delta: DecimalStr
    sequence: int
    reason: Reason


class StockChangePage(BaseModel):
    data: list[StockChange]
    next_cursor: str | None
    sequence: int


class Beneficiary(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str | None
    phone: str
    card_number: str
    household_size: int
    participation_rate: DecimalStr
    monthly_budget: DecimalStr | None
    access_valid_until: dt.date | None
    active: bool
    updated_at: AwareDatetime


class BeneficiaryPage(BaseModel):
    data: list[Beneficiary]
    next_cursor: str | None


class Strict(BaseModel):
    """A misspelt field (`beneficiairy_id`) must not record a sale without it: 422."""

    model_config = ConfigDict(extra="forbid")


class SaleLineIn(Strict):
    product_id: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: QuantityIn
    unit_price: MoneyIn
    shelf_price: MoneyIn


class SaleIn(Strict):
    external_ref: Annotated[str, Field(min_length=1, max_length=100)]
    date: IsoDatetime
    beneficiary_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    lines: Annotated[list[SaleLineIn], Field(min_length=1, max_length=200)]


class BatchSaleIn(SaleIn):
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255)]


class BatchIn(Strict):
    sales: Annotated[list[BatchSaleIn], Field(min_length=1, max_length=500)]


class SaleLine(BaseModel):
    product_id: str
    quantity: DecimalStr
    unit_price: DecimalStr
    shelf_price: DecimalStr
    sequence: int


class Sale(BaseModel):
    id: str
    external_ref: str
    date: AwareDatetime
    beneficiary_id: str | None
    sequence: int
    created_at: AwareDatetime
    lines: list[SaleLine]


class SalePage(BaseModel):
    data: list[Sale]
    next_cursor: str | None


class BatchResult(BaseModel):
    idempotency_key: str
    status: int
    replayed: bool
    sale: Sale | None
    problem: Problem | None


class BatchOut(BaseModel):
    results: list[BatchResult]


class Health(BaseModel):
    status: str
