"""A small limiter on the configured cache (Redis when REDIS_URL is set): sign-in and reset e-mails.

Fixed windows: each key counts its attempts in the current window of ``window`` seconds
(``cache.add`` then ``cache.incr``, atomic on Redis and on the local-memory cache). A key over
its limit waits for the end of the window. Keys are hashed: no address or e-mail in the cache.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: int  # seconds


def _cache_key(limit: Limit, key: str, now: float) -> str:
    bucket = int(now // limit.window)
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{limit.scope}:{bucket}:{digest}"


def throttle_wait(limit: Limit, key: str) -> int:
    """Seconds to wait before ``key`` may try again (0: it may)."""
    now = time.time()
    try:
        count = cache.get(_cache_key(limit, key, now), 0)
    except Exception:  # the cache is Redis and Redis is down: let people sign in
        log.warning("throttle cache unreachable: %s not limited", limit.scope)
        return 0
    if count < limit.limit:
        return 0
    return max(1, math.ceil((int(now // limit.window) + 1) * limit.window - now))


def throttle_count(limit: Limit, key: str) -> None:
    """Count one attempt of ``key`` in the current window."""
    now = time.time()
    cache_key = _cache_key(limit, key, now)
    try:
        cache.add(cache_key, 0, timeout=limit.window + 5)
        try:
            cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=limit.window + 5)
    except Exception:  # Redis down: the attempt goes uncounted, never a failed page
        log.warning("throttle cache unreachable: %s attempt not counted", limit.scope)


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the server sees it (the proxy passes it on: operations.md)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown") if request else "unknown"


def retry_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Réessayez dans %(minutes)d minute.", "Réessayez dans %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}
