"""RFC 9457 problem documents: the one shape every error takes."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

PROBLEM_TYPE = "https://escarcelle.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES = {
    "unauthorized": "Unauthorized",
    "not_found": "Not found",
    "validation_error": "Invalid request",
    "unknown_product": "Unknown product",
    "product_archived": "Product archived",
    "unknown_beneficiary": "Unknown beneficiary",
    "invalid_quantity": "Invalid quantity",
    "idempotency_key_reused": "Idempotency key reused with a different body",
    "idempotency_key_in_use": "Idempotency key in use",
    "rate_limited": "Too many requests",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "unavailable": "Service unavailable",
    "server_error": "Server error",
    "method_not_allowed": "Method not allowed",
}


class Problem(Exception):
    """Raised anywhere; turned into a problem response by the app."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def as_dict(self) -> dict[str, Any]:
        return problem_dict(self.status, self.code, self.detail, errors=self.errors)


def problem_dict(
    status: int, code: str, detail: str, *, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        doc["errors"] = errors
    return doc


def problem_body(status: int, code: str, detail: str, **kwargs: Any) -> bytes:
    return json.dumps(problem_dict(status, code, detail, **kwargs), ensure_ascii=False).encode()


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(status, code, detail, errors=errors),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def from_exception(exc: Problem) -> Response:
    return problem_response(
        exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers
    )
