"""A request body larger than ``MAX_REQUEST_BYTES`` is refused before a byte of it is read.

Django reads a body only up to its ``Content-Length`` (a request without one has an empty
body), so answering 413 on the header alone means an oversized upload is never received whole:
the server stops at the headers. The largest legitimate bodies are a product photo (8 Mo) and a
CSV import (5 Mo).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class RequestSizeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django itself treats a malformed length as an empty body
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = _("L'envoi est trop lourd : %(size)s Mo au maximum.") % {
                "size": limit // (1024 * 1024)
            }
            body = render_to_string("too_large.html", {"message": message}, request=None)
            response = HttpResponse(body, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)
