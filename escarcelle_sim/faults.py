"""The gate in front of `/api/v1`: authentication, rate limit, body limits and fault injection.

It is a plain ASGI middleware because some faults must break the HTTP exchange itself
(a connection reset mid-body, a body that is not JSON), which a normal response cannot do.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import random
import time
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .accounts import account_for_key, faults_get, hash_key
from .db import Database, iso, now
from .problems import problem_body

MAX_BODY = 1024 * 1024
Rate = Field(default=0.0, ge=0.0, le=1.0)


class FaultConfig(BaseModel):
    seed: int = 0
    error_rate: float = Rate
    latency_ms: int = Field(default=0, ge=0)
    hang_s: float = Field(default=0.0, ge=0.0)
    reset_before_commit_rate: float = Rate
    reset_after_commit_rate: float = Rate
    malformed_rate: float = Rate
    outage_until: AwareDatetime | None = None
    outage_s: float | None = Field(default=None, ge=0.0)
    paths: list[str] | None = None

    def stored(self) -> dict[str, Any]:
        """What goes to the database: `outage_s` becomes an absolute end, fixed now."""
        data = self.model_dump(mode="json")
        if self.outage_s is not None:
            data["outage_until"] = iso(now() + timedelta(seconds=self.outage_s))
        data.pop("outage_s")
        data["version"] = time.time_ns()
        return data


class RateLimiter:
    """Token bucket per API key: bursts up to the limit, refilled over a minute."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float, int]] = {}

    def retry_after(self, key: str, per_minute: int) -> int:
        """0 when the request may go, else the seconds to wait."""
        clock = time.monotonic()
        tokens, last, limit = self._buckets.get(key, (float(per_minute), clock, per_minute))
        if limit != per_minute:
            tokens = min(tokens, float(per_minute))
        tokens = min(float(per_minute), tokens + (clock - last) * per_minute / 60.0)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, clock, per_minute)
            return 0
        self._buckets[key] = (tokens, clock, per_minute)
        return max(1, math.ceil((1.0 - tokens) * 60.0 / per_minute))


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _send_problem(
    send: Send, status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = problem_body(status, code, detail)
    raw_headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _send_broken(send: Send, status: int = 200) -> None:
    """Announce more bytes than we send, then stop: the client sees a transport error."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})


class Gate:
    def __init__(self, app: ASGIApp, *, db: Database, default_rate_limit: int) -> None:
        self.app = app
        self.db = db
        self.default_rate_limit = default_rate_limit
        self.limiter = RateLimiter()
        self._rngs: dict[str, tuple[int, random.Random]] = {}

    def _rng(self, scope_name: str, config: dict[str, Any]) -> random.Random:
        version = int(config.get("version", 0))
        known = self._rngs.get(scope_name)
        if known is None or known[0] != version:
            known = (version, random.Random(config.get("seed", 0)))
            self._rngs[scope_name] = known
        return known[1]

    def _faults(
        self, account_id: int | None, path: str
    ) -> list[tuple[dict[str, Any], list[float]]]:
        scopes = ["global"] + ([str(account_id)] if account_id is not None else [])
        active = []
        for scope_name, _version, config in faults_get(self.db, scopes):
            if scope_name != "global" and account_id is None:
                continue
            patterns = config.get("paths")
            if patterns and not any(fnmatch.fnmatch(path, p) for p in patterns):
                continue
            # Always four draws per request, so a seed gives the same story every run.
            draws = [self._rng(scope_name, config).random() for _ in range(4)]
            active.append((config, draws))
        return active

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        account = None
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            account = account_for_key(self.db, auth[7:].strip())
        faults = self._faults(account["id"] if account else None, scope["path"])

        post_faults: list[str] = []
        latency = hang = 0.0
        for config, (d_error, d_before, d_after, d_malformed) in faults:
            until = config.get("outage_until")
            if until and datetime.fromisoformat(until) > now():
                wait = (datetime.fromisoformat(until) - now()).total_seconds()
                retry = str(max(1, math.ceil(wait)))
                detail = "Escarcelle is down for maintenance."
                await _send_problem(send, 503, "unavailable", detail, {"Retry-After": retry})
                return
            hang += float(config.get("hang_s") or 0)
            if d_error < config.get("error_rate", 0):
                await asyncio.sleep(hang)
                if d_error < config["error_rate"] / 2:
                    await _send_problem(send, 500, "server_error", "Injected server error.")
                else:
                    detail = "Injected unavailability."
                    await _send_problem(send, 503, "unavailable", detail, {"Retry-After": "1"})
                return
            if d_before < config.get("reset_before_commit_rate", 0):
                post_faults.append("reset_before")
            if d_after < config.get("reset_after_commit_rate", 0):
                post_faults.append("reset")
            if d_malformed < config.get("malformed_rate", 0):
                post_faults.append("malformed")
            latency += config.get("latency_ms", 0) / 1000.0

        if account is None:
            await asyncio.sleep(hang)
            await _send_problem(send, 401, "unauthorized", "Missing or invalid API key.")
            return
        per_minute = account["rate_limit_per_minute"] or self.default_rate_limit
        wait = self.limiter.retry_after(hash_key(auth[7:].strip()), per_minute)
        if wait:
            await asyncio.sleep(hang)
            detail = f"More than {per_minute} requests per minute."
            await _send_problem(send, 429, "rate_limited", detail, {"Retry-After": str(wait)})
            return

        checked = await self._checked_body(scope, receive, send, headers)
        if checked is None:
            return
        receive = checked
        if hang:
            # After the body is read: a server that hangs has the request, and still runs it
            # once the client has given up (a disconnected client cannot be read from).
            await asyncio.sleep(hang)
        if "reset_before" in post_faults:
            # The body was read first so the close is clean: the client sees an incomplete
            # response (RemoteProtocolError), not a TCP reset of unread data.
            await _send_broken(send)
            return
        state = scope.setdefault("state", {})
        state["account"] = account
        is_sale_post = scope["method"] == "POST" and scope["path"] == "/api/v1/sales"
        if latency and is_sale_post:
            state["claim_latency_s"] = latency  # spent while the Idempotency-Key is held
        elif latency:
            await asyncio.sleep(latency)
        if not post_faults:
            await self.app(scope, receive, send)
            return
        await self._run_then_break(scope, receive, send, post_faults)

    async def _checked_body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> Receive | None:
        """Read the body up to the limit; answer 413/415 and return None when refused."""
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return receive
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY:
            await _send_problem(send, 413, "payload_too_large", "The body is over 1 MiB.")
            return None
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _send_problem(send, 413, "payload_too_large", "The body is over 1 MiB.")
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if body and not _is_json(headers.get("content-type", "")):
            detail = "Send the body as application/json."
            await _send_problem(send, 415, "unsupported_media_type", detail)
            return None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def _run_then_break(
        self, scope: Scope, receive: Receive, send: Send, post_faults: list[str]
    ) -> None:
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        status = int(start.get("status", 500))
        if "reset" in post_faults:
            await _send_broken(send, status)
            return
        if status in (200, 201):
            bad = json.dumps({"truncated": True})[:-3].encode() + b"\x00<html>"
            headers = [(b"content-type", b"application/json")]
            headers.append((b"content-length", str(len(bad)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": bad})
            return
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(body)})
