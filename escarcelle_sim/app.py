"""The FastAPI application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from . import admin, api, sales, ui, webhooks
from .db import Database
from .faults import Gate
from .problems import Problem, from_exception, problem_response
from .schemas import Health

logger = logging.getLogger("escarcelle_sim")
DEFAULT_ADMIN_TOKEN = "dev-admin-token"
DEFAULT_RATE_LIMIT = 1200


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors()
    ]


def _allowed_methods(request: Request) -> str:
    """Starlette names only the first matching route's methods; list every route's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
        match, _ = route.matches({**request.scope, "method": "POST"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods - {"HEAD"}))


def create_app(
    db_path: str,
    admin_token: str | None = None,
    *,
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Only a serving app delivers webhooks (not the OpenAPI export nor a bare app object).
        dispatcher = webhooks.Dispatcher(app.state.db)
        dispatcher.start()
        try:
            yield
        finally:
            dispatcher.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Escarcelle API",
        version="1.0.0",
        description="Escarcelle's public API (served by the Epiclic emulator). "
        "See docs/escarcelle-api.md.",
    )
    app.state.db = Database(db_path)
    sales.keys_release_abandoned(app.state.db)
    app.state.admin_token = (
        admin_token or os.environ.get("ESCARCELLE_SIM_ADMIN_TOKEN") or DEFAULT_ADMIN_TOKEN
    )

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Response:
        return from_exception(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(
            422, "validation_error", "The request is not valid.", errors=_errors(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:  # e.g. a body that is not UTF-8: the contract says 422
            return problem_response(422, "validation_error", str(exc.detail), errors=[])
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "server_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        logger.exception("Unexpected error")
        return problem_response(500, "server_error", "Unexpected server error.")

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Any:
        return {"status": "ok"}

    app.include_router(api.router)
    app.include_router(admin.router, include_in_schema=False)
    app.include_router(ui.router, include_in_schema=False)
    app.add_middleware(Gate, db=app.state.db, default_rate_limit=rate_limit_per_minute)
    return app
