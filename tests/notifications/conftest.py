"""The SMTP fixtures of the e-mail module's tests, shared here (a real aiosmtpd on loopback)."""

from __future__ import annotations

from tests.epiclic.conftest import smtp_down, smtp_server  # noqa: F401 (fixtures)
