"""Emulator-only admin API under `/admin/api/` (X-Admin-Token). Not part of the contract."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from . import accounts, catalog, webhooks
from .db import Database, internal_id
from .faults import FaultConfig
from .problems import Problem
from .schemas import MoneyIn, Unit
from .seed import seed_account


def require_admin(request: Request, x_admin_token: Annotated[str, Header()] = "") -> None:
    if not secrets.compare_digest(x_admin_token, request.app.state.admin_token):
        raise Problem(401, "unauthorized", "Missing or wrong X-Admin-Token.")


router = APIRouter(prefix="/admin/api", dependencies=[Depends(require_admin)])


def _db(request: Request) -> Database:
    return request.app.state.db


DB = Annotated[Database, Depends(_db)]


def _account(db: Database, account_id: str) -> int:
    row = accounts.account_get(db.conn(), account_id)
    if row is None:
        raise Problem(404, "not_found", f"Account {account_id!r} does not exist.")
    return row["id"]


class SeedIn(BaseModel):
    products: int = Field(default=60, ge=0, le=100_000)
    beneficiaries: int = Field(default=20, ge=0, le=100_000)
    seed: int = 1


class AccountIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    seed: SeedIn | None = None


# What the public API serves must match its contract (decimal strings), whatever a test sets.
# Barcodes stay free: a real shop may well type an invalid one.
Rate = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
Quantity = Annotated[str, Field(pattern=r"^[0-9]{1,6}(\.[0-9]{1,3})?$")]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class ProductIn(BaseModel):
    ref: str | None = None
    barcode: str | None = None
    name: Text | None = None
    description: str | None = None
    category: str | None = None
    unit: Unit | None = None
    unit_quantity: Quantity | None = None
    price: MoneyIn | None = None
    vat_rate: Rate | None = None
    active: bool | None = None


class BeneficiaryIn(BaseModel):
    first_name: Text | None = None
    last_name: Text | None = None
    email: str | None = None
    phone: Text | None = None
    card_number: Text | None = None
    household_size: Annotated[int, Field(ge=1, le=99)] | None = None
    participation_rate: Rate | None = None
    monthly_budget: MoneyIn | None = None
    access_valid_until: dt.date | None = None
    active: bool | None = None


NULLABLE = {"ref", "barcode", "email", "monthly_budget", "access_valid_until"}


def _patch(body: BaseModel) -> dict[str, Any]:
    """The fields sent; an explicit null only where the column allows it."""
    fields = body.model_dump(mode="json", exclude_unset=True)
    nulls = sorted(name for name, value in fields.items() if value is None and name not in NULLABLE)
    if nulls:
        raise Problem(422, "validation_error", f"Cannot be null: {', '.join(nulls)}.")
    return fields


class MovementIn(BaseModel):
    product_id: str
    reason: Literal["in_shop_sale", "restock", "adjustment"]
    quantity: Decimal = Field(ge=-100_000, le=100_000, decimal_places=3)


class RateLimitIn(BaseModel):
    per_minute: int | None = Field(default=None, ge=1)


@router.post("/accounts", status_code=201)
def account_create(db: DB, body: AccountIn) -> Any:
    account_pid, api_key = accounts.account_create(db, name=body.name)
    if body.seed is not None:
        seed_account(db, account=internal_id("account", account_pid) or 0, **body.seed.model_dump())
    return {"id": account_pid, "name": body.name, "api_key": api_key}


@router.get("/accounts")
def account_list(db: DB) -> Any:
    return accounts.account_list(db)


@router.post("/accounts/{account_id}/keys/rotate")
def key_rotate(db: DB, account_id: str) -> Any:
    return {"api_key": accounts.key_rotate(db, account=_account(db, account_id))}


@router.post("/accounts/{account_id}/keys/revoke")
def keys_revoke(db: DB, account_id: str) -> Any:
    return {"revoked": accounts.keys_revoke(db, account=_account(db, account_id))}


@router.post("/accounts/{account_id}/seed")
def seed(db: DB, account_id: str, body: SeedIn) -> Any:
    return seed_account(db, account=_account(db, account_id), **body.model_dump())


@router.post("/accounts/{account_id}/products", status_code=201)
def product_create(db: DB, account_id: str, body: ProductIn) -> Any:
    fields = body.model_dump(exclude_none=True)
    if "name" not in fields or "price" not in fields:
        raise Problem(422, "validation_error", "A new product needs a name and a price.")
    return catalog.product_create(db, account=_account(db, account_id), fields=fields)


@router.patch("/accounts/{account_id}/products/{product_id}")
def product_update(db: DB, account_id: str, product_id: str, body: ProductIn) -> Any:
    fields = _patch(body)
    return catalog.product_update(
        db, account=_account(db, account_id), product_pid=product_id, fields=fields
    )


@router.post("/accounts/{account_id}/products/{product_id}/archive")
def product_archive(db: DB, account_id: str, product_id: str) -> Any:
    return catalog.product_update(
        db, account=_account(db, account_id), product_pid=product_id, fields={"active": False}
    )


@router.patch("/accounts/{account_id}/beneficiaries/{beneficiary_id}")
def beneficiary_update(db: DB, account_id: str, beneficiary_id: str, body: BeneficiaryIn) -> Any:
    return catalog.beneficiary_update(
        db,
        account=_account(db, account_id),
        beneficiary_pid=beneficiary_id,
        fields=_patch(body),
    )


@router.post("/accounts/{account_id}/movements", status_code=201)
def movement(db: DB, account_id: str, body: MovementIn) -> Any:
    return catalog.movement_record(
        db,
        account=_account(db, account_id),
        product_pid=body.product_id,
        reason=body.reason,
        quantity=body.quantity,
    )


@router.put("/accounts/{account_id}/faults")
def faults_set(db: DB, account_id: str, body: FaultConfig) -> Any:
    config = body.stored()
    accounts.faults_set(db, scope=str(_account(db, account_id)), config=config)
    return JSONResponse(config)


@router.delete("/accounts/{account_id}/faults", status_code=204)
def faults_clear(db: DB, account_id: str) -> Response:
    accounts.faults_set(db, scope=str(_account(db, account_id)), config=None)
    return Response(status_code=204)


@router.put("/accounts/{account_id}/webhook-faults")
def webhook_faults_set(db: DB, account_id: str, body: webhooks.WebhookFaults) -> Any:
    webhooks.faults_set(db, account=_account(db, account_id), faults=body)
    return body.model_dump()


@router.delete("/accounts/{account_id}/webhook-faults", status_code=204)
def webhook_faults_clear(db: DB, account_id: str) -> Response:
    webhooks.faults_set(db, account=_account(db, account_id), faults=None)
    return Response(status_code=204)


@router.put("/faults")
def global_faults_set(db: DB, body: FaultConfig) -> Any:
    config = body.stored()
    accounts.faults_set(db, scope="global", config=config)
    return JSONResponse(config)


@router.delete("/faults", status_code=204)
def global_faults_clear(db: DB) -> Response:
    accounts.faults_set(db, scope="global", config=None)
    return Response(status_code=204)


@router.put("/accounts/{account_id}/rate-limit")
def rate_limit(db: DB, account_id: str, body: RateLimitIn) -> Any:
    accounts.rate_limit_set(db, account=_account(db, account_id), per_minute=body.per_minute)
    return {"per_minute": body.per_minute}
