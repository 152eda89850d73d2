"""The only code that talks to Escarcelle (contract: docs/escarcelle-api.md).

Every failure becomes one ``EscarcelleError`` that says whether it is worth retrying
(``permanent=False``) and carries a French sentence for the manager (``message``).

Which failures are permanent:

- 401 (key refused), 404, 413, 415, 422, other 4xx, a redirect: permanent;
- 409 ``idempotency_key_in_use``, 429, 5xx, network errors, timeouts: transient;
- a 2xx body that is not JSON (truncated, garbled): transient — Escarcelle may answer
  properly next time, and an idempotent call can be repeated safely;
- a 2xx JSON body that does not match the contract, a response over the size limit, a cursor
  loop: permanent — asking again gives the same answer.

Idempotent calls (GETs, and POSTs that carry an Idempotency-Key) are retried on transient
failures with exponential backoff and full jitter, honouring ``Retry-After`` (capped), within
a bounded total time. ``max_retries`` can be set per client and per call.

The API key is never logged and never part of an exception's text.
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import BaseModel, TypeAdapter, ValidationError

from epiclic import metrics
from epiclic.errors import Refusal
from escarcelle import schemas

log = logging.getLogger("escarcelle.client")

T = TypeVar("T", bound=BaseModel)

MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_PAGES = 1000
MAX_RETRY_AFTER_S = 30.0


class EscarcelleError(Refusal):
    """A failed call to Escarcelle: the one refusal type, plus what a retry policy needs.

    ``str()`` is the message plus status and code.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code or "escarcelle_error")
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        extra = ", ".join(
            part
            for part in (
                f"status={self.status}" if self.status is not None else "",
                f"code={self.code}" if self.code else "",
            )
            if part
        )
        return f"{self.message} ({extra})" if extra else self.message

    @property
    def is_unauthorized(self) -> bool:
        return self.status == 401


def _msg_unauthorized() -> str:
    return _(
        "Clé Escarcelle refusée : vérifiez-la dans Escarcelle (Paramètres → API), "
        "puis enregistrez-la à nouveau dans Paramètres → Synchro Escarcelle."
    )


def _msg_unreachable() -> str:
    return _("Escarcelle ne répond pas pour le moment. Réessayez dans quelques minutes.")


def _msg_rate_limited() -> str:
    return _("Escarcelle limite le nombre de requêtes. Réessayez dans une minute.")


def _msg_unreadable() -> str:
    return _("Réponse d'Escarcelle illisible. Réessayez ; si cela continue, contactez Escarcelle.")


def _msg_too_large() -> str:
    return _("Réponse d'Escarcelle trop volumineuse : elle a été refusée.")


def _msg_unexpected() -> str:
    return _(
        "Réponse d'Escarcelle inattendue (elle ne suit pas le format prévu). "
        "Contactez Escarcelle si cela continue."
    )


def _msg_pagination() -> str:
    return _("Escarcelle a renvoyé une liste sans fin (pagination en boucle) : import arrêté.")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_PRODUCTS = TypeAdapter(list[schemas.Product])
_BENEFICIARIES = TypeAdapter(list[schemas.Beneficiary])
_STOCK_ROWS = TypeAdapter(list[schemas.StockRow])
_STOCK_CHANGES = TypeAdapter(list[schemas.StockChange])
_SALES = TypeAdapter(list[schemas.Sale])


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Building the default context loads the CA bundle (about 18 ms of CPU, more than a whole
    # incremental stock sync): once per process, shared by every client. It still verifies
    # certificates and host names; an SSLContext is safe to share between threads.
    return httpx.create_ssl_context()


class EscarcelleClient:
    """A client for one Escarcelle account (one API key). Use it as a context manager."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int = 3,
        max_total_s: float = 30.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_pages: int = MAX_PAGES,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_unauthorized: Callable[[], None] | None = None,
    ) -> None:
        root = (base_url or settings.ESCARCELLE_BASE_URL).rstrip("/")
        connect = (
            settings.ESCARCELLE_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        read = settings.ESCARCELLE_READ_TIMEOUT if read_timeout is None else read_timeout
        self.max_retries = max_retries
        self.max_total_s = max_total_s
        self.max_response_bytes = max_response_bytes
        self.max_pages = max_pages
        self._sleep = sleep
        self._on_unauthorized = on_unauthorized
        self._read_timeout = read
        self._http = httpx.Client(
            base_url=f"{root}/api/v1",
            timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=connect),
            trust_env=False,
            follow_redirects=False,
            transport=transport,
            verify=_ssl_context(),
            headers={"Accept": "application/json", "User-Agent": "Epiclic"},
        )
        # Kept out of the client's default headers so it never shows in a repr or a log.
        self._auth = _BearerAuth(api_key)

    def __repr__(self) -> str:
        return f"<EscarcelleClient {self._http.base_url}>"

    def __enter__(self) -> EscarcelleClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- endpoints ---------------------------------------------------------------------------

    def account(self) -> schemas.Account:
        return self._model(schemas.Account, self._request("GET", "/account"))

    def iter_products(
        self, *, updated_since: datetime.datetime | None = None, page_size: int = 500
    ) -> Iterator[schemas.Product]:
        for page in self._pages("/products", _since(updated_since, page_size)):
            yield from self._items(_PRODUCTS, page.data)

    def iter_beneficiaries(
        self, *, updated_since: datetime.datetime | None = None, page_size: int = 500
    ) -> Iterator[schemas.Beneficiary]:
        for page in self._pages("/beneficiaries", _since(updated_since, page_size)):
            yield from self._items(_BENEFICIARIES, page.data)

    def stock_snapshot(self, *, page_size: int = 500) -> tuple[list[schemas.StockRow], int]:
        """The full stock as of one ledger sequence (the first page's), and that sequence."""
        rows: list[schemas.StockRow] = []
        sequence: int | None = None
        for page in self._pages("/stock", {"limit": page_size}):
            if sequence is None:
                sequence = page.sequence
            rows.extend(self._items(_STOCK_ROWS, page.data))
        if sequence is None:
            raise EscarcelleError(_msg_unexpected(), permanent=True, code="schema")
        return rows, sequence

    def stock_current(self, product_ids: Sequence[str]) -> tuple[list[schemas.StockRow], int]:
        """The current stock of ``product_ids`` (1..500) in one request, and the ledger
        sequence it is consistent with. Products Escarcelle does not know are left out."""
        if not 1 <= len(product_ids) <= 500:
            raise ValueError("stock_current reads 1 to 500 products")
        data = self._request("GET", "/stock", params={"product_id": list(product_ids)})
        page = self._model(schemas.Page, data)
        if page.sequence is None or page.next_cursor is not None:
            raise EscarcelleError(_msg_unexpected(), permanent=True, code="schema")
        return self._items(_STOCK_ROWS, page.data), page.sequence

    def stock_changes(
        self, since: int, *, page_size: int = 500
    ) -> tuple[list[schemas.StockChange], int]:
        """Movements after ``since`` and the account's sequence seen at the last page."""
        changes: list[schemas.StockChange] = []
        sequence: int | None = None
        for page in self._pages("/stock/changes", {"since": since, "limit": page_size}):
            sequence = page.sequence
            changes.extend(self._items(_STOCK_CHANGES, page.data))
        if sequence is None:
            raise EscarcelleError(_msg_unexpected(), permanent=True, code="schema")
        return changes, sequence

    def post_sale(
        self, sale: dict[str, Any], *, idempotency_key: str, max_retries: int | None = None
    ) -> schemas.Sale:
        """Record one sale. Retried with the same key (a replay is harmless)."""
        data = self._request(
            "POST",
            "/sales",
            json_body=sale,
            headers={"Idempotency-Key": idempotency_key},
            max_retries=max_retries,
        )
        return self._model(schemas.Sale, data)

    def post_sales_batch(
        self, sales_with_keys: list[tuple[str, dict[str, Any]]], *, max_retries: int | None = None
    ) -> list[schemas.BatchResult]:
        """Record up to 500 sales, each ``(idempotency_key, sale)``; one result per sale."""
        body = {"sales": [{**sale, "idempotency_key": key} for key, sale in sales_with_keys]}
        data = self._request("POST", "/sales/batch", json_body=body, max_retries=max_retries)
        return self._model(schemas.BatchResponse, data).results

    def webhook_create(self, *, url: str, events: list[str]) -> schemas.WebhookCreated:
        """Register an endpoint; the answer holds its secret, shown this once."""
        data = self._request("POST", "/webhooks", json_body={"url": url, "events": events})
        return self._model(schemas.WebhookCreated, data)

    def webhook_delete(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhooks/{webhook_id}")

    def list_sales(
        self,
        *,
        updated_since: datetime.datetime | None = None,
        external_ref: str | None = None,
        page_size: int = 500,
    ) -> Iterator[schemas.Sale]:
        params = _since(updated_since, page_size)
        if external_ref is not None:
            params["external_ref"] = external_ref
        for page in self._pages("/sales", params):
            yield from self._items(_SALES, page.data)

    def get_sale(self, sale_id: str) -> schemas.Sale:
        return self._model(schemas.Sale, self._request("GET", f"/sales/{sale_id}"))

    # --- machinery ---------------------------------------------------------------------------

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[schemas.Page]:
        seen: set[str] = set()
        query = params
        for _count in range(self.max_pages):
            page = self._model(schemas.Page, self._request("GET", path, params=query))
            yield page
            if page.next_cursor is None:
                return
            if page.next_cursor in seen:
                raise EscarcelleError(_msg_pagination(), permanent=True, code="cursor_loop")
            seen.add(page.next_cursor)
            # The cursor carries the first request's filters; only the page size goes along.
            query = {"cursor": page.next_cursor}
            if "limit" in params:
                query["limit"] = params["limit"]
        raise EscarcelleError(_msg_pagination(), permanent=True, code="too_many_pages")

    @staticmethod
    def _model(model: type[T], data: Any) -> T:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            log.warning("escarcelle: unexpected %s: %s", model.__name__, _short(exc))
            raise EscarcelleError(_msg_unexpected(), permanent=True, code="schema") from None

    @staticmethod
    def _items(adapter: TypeAdapter, data: list[dict[str, Any]]) -> list[Any]:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            log.warning("escarcelle: unexpected list item: %s", _short(exc))
            raise EscarcelleError(_msg_unexpected(), permanent=True, code="schema") from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        max_retries: int | None = None,
    ) -> Any:
        idempotent = method == "GET" or bool(headers and "Idempotency-Key" in headers)
        if json_body is not None and method == "POST" and path == "/sales/batch":
            idempotent = True  # every sale of a batch carries its own Idempotency-Key
        retries = self.max_retries if max_retries is None else max_retries
        if not idempotent:
            retries = 0
        content = None
        send_headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, default=_json_default).encode()
            send_headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + self.max_total_s
        attempt = 0
        while True:
            try:
                return self._once(method, path, params, content, send_headers, deadline)
            except EscarcelleError as error:
                if error.is_unauthorized and self._on_unauthorized is not None:
                    self._on_unauthorized()
                if error.permanent or attempt >= retries:
                    raise
                delay = min(8.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0)
                if error.retry_after is not None:
                    delay = max(delay, error.retry_after)
                if time.monotonic() + delay >= deadline:
                    raise
                log.info("escarcelle %s %s: retry %d in %.2f s", method, path, attempt + 1, delay)
                self._sleep(delay)
                attempt += 1

    def _once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str],
        deadline: float,
    ) -> Any:
        started = time.monotonic()
        request = self._http.build_request(
            method, path, params=params, content=content, headers=headers
        )
        status: int | str = "-"
        try:
            response = self._http.send(request, auth=self._auth, stream=True)
            try:
                status = response.status_code
                body = self._read_body(response, deadline)
            finally:
                response.close()
        except httpx.TimeoutException:
            status = "timeout"
            raise EscarcelleError(_msg_unreachable(), permanent=False, code="timeout") from None
        except httpx.TransportError as exc:
            status = type(exc).__name__
            raise EscarcelleError(_msg_unreachable(), permanent=False, code="network") from None
        finally:
            elapsed = time.monotonic() - started
            log.info("escarcelle %s %s -> %s in %.0f ms", method, path, status, elapsed * 1000)
            metrics.escarcelle_call_observe(method=method, outcome=status, seconds=elapsed)
        return self._decode(response, body)

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise EscarcelleError(_msg_too_large(), permanent=True, code="too_large")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise EscarcelleError(_msg_too_large(), permanent=True, code="too_large")
            if time.monotonic() > deadline + self._read_timeout:
                raise EscarcelleError(_msg_unreachable(), permanent=False, code="timeout")
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(self, response: httpx.Response, body: bytes) -> Any:
        status = response.status_code
        if status == 204:
            return None
        if 200 <= status < 300:
            try:
                return json.loads(body)
            except ValueError:
                raise EscarcelleError(
                    _msg_unreadable(), permanent=False, status=status, code="malformed"
                ) from None
        problem = _problem(body)
        code = problem.code if problem else None
        if status == 401:
            raise EscarcelleError(_msg_unauthorized(), permanent=True, status=status, code=code)
        if status == 429:
            raise EscarcelleError(
                _msg_rate_limited(),
                permanent=False,
                status=status,
                code=code or "rate_limited",
                retry_after=_retry_after(response),
            )
        if status >= 500 or (status == 409 and code == "idempotency_key_in_use"):
            message = _msg_unreachable() if status >= 500 else _msg_rate_limited()
            raise EscarcelleError(
                message,
                permanent=False,
                status=status,
                code=code or "server_error",
                retry_after=_retry_after(response),
            )
        detail = (problem.detail or problem.title) if problem else None
        message = _("Escarcelle a refusé la demande (erreur %(status)s).") % {"status": status}
        if detail:
            # A server that echoes the request (a proxy's error page) must not echo the key.
            message = f"{message} {self._auth.mask(detail)[:300]}"
        raise EscarcelleError(message, permanent=True, status=status, code=code)


class _BearerAuth(httpx.Auth):
    def __init__(self, api_key: str) -> None:
        self._header = f"Bearer {api_key}"
        self._key = api_key

    def mask(self, text: str) -> str:
        return text.replace(self._key, "••••") if self._key else text

    def __repr__(self) -> str:
        return "<BearerAuth ••••>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def _problem(body: bytes) -> schemas.Problem | None:
    try:
        return schemas.Problem.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None


def _since(updated_since: datetime.datetime | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": max(1, min(page_size, 500))}
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise ValueError("updated_since must be timezone-aware")
        params["updated_since"] = updated_since.isoformat()
    return params


def _short(exc: ValidationError) -> str:
    # Field locations and messages only: never the input values (they could be anything).
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
    )
