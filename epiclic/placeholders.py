"""Pages whose content a later issue builds: they say what will appear there."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def placeholder(request: HttpRequest, title: str, explanation: str) -> HttpResponse:
    return render(request, "placeholder.html", {"title": title, "explanation": explanation})
