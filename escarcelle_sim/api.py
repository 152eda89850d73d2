"""The public API, `/api/v1`. The gate (faults.py) has already authenticated the request."""

from __future__ import annotations

import sqlite3
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import catalog, sales, webhooks
from .db import Database, public_id
from .problems import Problem as ProblemError
from .schemas import (
    Account,
    BatchIn,
    BatchOut,
    BeneficiaryPage,
    IsoDatetime,
    Problem,
    Product,
    ProductPage,
    Sale,
    SaleIn,
    SalePage,
    StockChangePage,
    StockPage,
)

bearer = HTTPBearer(auto_error=False, description="The account's API key.")


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


COMMON: dict[int | str, dict[str, Any]] = {
    401: _problem("Missing or invalid API key"),
    422: _problem("Invalid request"),
    429: _problem("Rate limited (see Retry-After)"),
    500: _problem("Server error"),
    503: _problem("Unavailable (see Retry-After)"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("Not found")}
WITH_BODY: dict[int | str, dict[str, Any]] = {
    409: _problem("Idempotency-Key in use"),
    413: _problem("Body over 1 MiB"),
    415: _problem("Not application/json"),
}

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=2000, description="Opaque; from next_cursor.")]
Since = Annotated[IsoDatetime | None, Query(description="Only items updated at or after.")]


def get_account(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> sqlite3.Row:
    return request.state.account


AccountRow = Annotated[sqlite3.Row, Depends(get_account)]


def get_db(request: Request) -> Database:
    return request.app.state.db


DB = Annotated[Database, Depends(get_db)]


def reject_unknown_query(request: Request) -> None:
    """A misspelt filter (`update_since`) must not silently return everything."""
    route = request.scope.get("route")
    known = {p.alias for p in route.dependant.query_params} if route else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ProblemError(
            422,
            "validation_error",
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            errors=[{"loc": ["query", name], "msg": "unknown parameter"} for name in unknown],
        )


router = APIRouter(prefix="/api/v1", responses=COMMON, dependencies=[Depends(reject_unknown_query)])


@router.get("/account", response_model=Account, tags=["account"])
def account_detail(account: AccountRow) -> Any:
    return {"id": public_id("account", account["id"]), "name": account["name"]}


@router.get("/products", response_model=ProductPage, tags=["catalogue"])
def products(
    account: AccountRow,
    db: DB,
    limit: Limit = 100,
    cursor: Cursor = None,
    updated_since: Since = None,
) -> Any:
    page = catalog.product_list(
        db, account=account["id"], limit=limit, cursor=cursor, updated_since=updated_since
    )
    return JSONResponse(page)


@router.get(
    "/products/{product_id}", response_model=Product, responses=NOT_FOUND, tags=["catalogue"]
)
def product_detail(account: AccountRow, db: DB, product_id: str) -> Any:
    row = catalog.product_row(db.conn(), account=account["id"], product_pid=product_id)
    return JSONResponse(catalog.product_out(row))


ProductIds = Annotated[
    list[str] | None,
    Query(
        alias="product_id",
        max_length=500,
        description=(
            "Read only these products (1..500, repeat the parameter): one page with the current"
            " quantity of each known one, consistent with the top-level `sequence`."
            " Not combinable with `cursor`."
        ),
    ),
]


@router.get("/stock", response_model=StockPage, tags=["stock"])
def stock(
    account: AccountRow,
    db: DB,
    limit: Limit = 100,
    cursor: Cursor = None,
    product_ids: ProductIds = None,
) -> Any:
    if product_ids:
        if cursor:
            raise ProblemError(
                422,
                "validation_error",
                "product_id cannot be combined with cursor.",
                errors=[{"loc": ["query", "cursor"], "msg": "not with product_id"}],
            )
        return JSONResponse(
            catalog.stock_current(db, account=account["id"], product_pids=product_ids)
        )
    return JSONResponse(
        catalog.stock_snapshot(db, account=account["id"], limit=limit, cursor=cursor)
    )


@router.get("/stock/changes", response_model=StockChangePage, tags=["stock"])
def stock_changes(
    account: AccountRow,
    db: DB,
    since: Annotated[int, Query(ge=0, lt=2**62, description="A ledger sequence.")] = 0,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Any:
    page = catalog.stock_changes(db, account=account["id"], since=since, limit=limit, cursor=cursor)
    return JSONResponse(page)


@router.get("/beneficiaries", response_model=BeneficiaryPage, tags=["beneficiaries"])
def beneficiaries(
    account: AccountRow,
    db: DB,
    limit: Limit = 100,
    cursor: Cursor = None,
    updated_since: Since = None,
) -> Any:
    page = catalog.beneficiary_list(
        db, account=account["id"], limit=limit, cursor=cursor, updated_since=updated_since
    )
    return JSONResponse(page)


@router.post(
    "/sales",
    response_model=Sale,
    status_code=201,
    responses={
        **WITH_BODY,
        201: {
            "description": "Recorded, or the stored answer of a replay",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "`true` when this is the stored answer of an earlier request",
                    "schema": {"type": "string"},
                }
            },
        },
    },
    tags=["sales"],
)
def sale_create(
    request: Request,
    account: AccountRow,
    db: DB,
    sale: SaleIn,
    idempotency_key: Annotated[str, Header(min_length=1, max_length=255)],
) -> Any:
    latency = request.scope.get("state", {}).get("claim_latency_s")  # set by the gate (faults)

    def while_claimed() -> None:
        if latency:
            time.sleep(latency)

    status, body, replayed = sales.sale_post(
        db, account=account["id"], key=idempotency_key, sale=sale, while_claimed=while_claimed
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)


@router.post(
    "/sales/batch",
    response_model=BatchOut,
    responses={413: WITH_BODY[413], 415: WITH_BODY[415]},
    tags=["sales"],
)
def sale_batch(account: AccountRow, db: DB, batch: BatchIn) -> Any:
    return JSONResponse({"results": sales.sale_batch(db, account=account["id"], batch=batch)})


@router.get("/sales", response_model=SalePage, tags=["sales"])
def sale_list(
    account: AccountRow,
    db: DB,
    limit: Limit = 100,
    cursor: Cursor = None,
    updated_since: Since = None,
    external_ref: Annotated[str | None, Query(max_length=100)] = None,
) -> Any:
    page = sales.sale_list(
        db,
        account=account["id"],
        limit=limit,
        cursor=cursor,
        updated_since=updated_since,
        external_ref=external_ref,
    )
    return JSONResponse(page)


@router.get("/sales/{sale_id}", response_model=Sale, responses=NOT_FOUND, tags=["sales"])
def sale_detail(account: AccountRow, db: DB, sale_id: str) -> Any:
    return JSONResponse(sales.sale_get(db, account=account["id"], sale_pid=sale_id))


@router.post(
    "/webhooks",
    response_model=webhooks.WebhookCreated,
    status_code=201,
    responses={413: WITH_BODY[413], 415: WITH_BODY[415]},
    tags=["webhooks"],
)
def webhook_create(account: AccountRow, db: DB, body: webhooks.WebhookIn) -> Any:
    created = webhooks.webhook_create(db, account=account["id"], body=body)
    return JSONResponse(created, status_code=201)


@router.get("/webhooks", response_model=webhooks.WebhookPage, tags=["webhooks"])
def webhook_list(account: AccountRow, db: DB) -> Any:
    return JSONResponse(webhooks.webhook_list(db, account=account["id"]))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    responses=NOT_FOUND,
    tags=["webhooks"],
)
def webhook_delete(account: AccountRow, db: DB, webhook_id: str) -> Response:
    webhooks.webhook_delete(db, account=account["id"], webhook_pid=webhook_id)
    return Response(status_code=204)
