"""Who may use the operator space: Django staff users only; everyone else gets 404 (the space
is not even revealed to exist)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

OperatorView = Callable[..., HttpResponseBase]


def operator_view(view: OperatorView) -> OperatorView:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
