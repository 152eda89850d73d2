"""A real SMTP server on loopback (aiosmtpd) that accepts or refuses on demand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port


@dataclass
class SmtpHandler:
    refuse: bool = False
    received: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's API)
        if self.refuse:
            return "451 4.3.0 Service momentanément indisponible"
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpHandler]:
    """Django sends through a real SMTP server on 127.0.0.1 for this test."""
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings) -> None:
    """Django sends to a loopback port where nothing listens (the SMTP server is down)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
