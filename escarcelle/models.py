"""The connector's state: connection, imports, stock readings, sales outbox."""

from __future__ import annotations
