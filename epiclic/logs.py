"""Log lines: plain text or one JSON object per line (``LOG_FORMAT=json``), with the shop.

``shop_context(slug)`` marks everything logged inside it as concerning that shop;
``shops.access.shop_view`` uses it for every shop page. ``ShopFilter`` copies the slug on the
record (``record.shop``, ``None`` outside a shop) and ``JsonFormatter`` writes it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import logging
from collections.abc import Iterator

_shop: contextvars.ContextVar[str | None] = contextvars.ContextVar("epiclic_shop", default=None)


@contextlib.contextmanager
def shop_context(slug: str) -> Iterator[None]:
    token = _shop.set(slug)
    try:
        yield
    finally:
        _shop.reset(token)


class ShopFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "shop"):
            record.shop = _shop.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, shop, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        shop = getattr(record, "shop", None)
        if shop:
            line["shop"] = shop
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
