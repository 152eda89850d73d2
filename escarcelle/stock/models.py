"""Stock read from Escarcelle (the hourly sync)."""

from __future__ import annotations
