"""The one-click opt-out link of every notification: no sign-in, a button to confirm (a link
scanner that opens the page switches nothing off).

The same link is the e-mail's ``List-Unsubscribe`` header: a mail client's unsubscribe button
POSTs ``List-Unsubscribe=One-Click`` to it (RFC 8058) without a CSRF token and without showing
the page. A POST is never a scanner's visit, so every POST with a valid link switches off,
the page's button or the mail client's; only a GET asks first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.services import notification_switch_off, optout_read
from shops.models import Membership, NotificationKind
from shops.notifications import person_wants


# The signed token in the link is the only credential, and a forged request needs it anyway: a
# CSRF token would add nothing, and mail clients cannot send one.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest, token: str) -> HttpResponse:
    read = optout_read(token)
    membership = None
    if read is not None:
        membership = Membership.objects.select_related("shop").filter(pk=read[0]).first()
    if read is None or membership is None:
        return render(request, "notifications/optout.html", {"invalid": True}, status=404)
    kind = read[1]
    done = not person_wants(membership, kind)
    if request.method == "POST" and not done:
        notification_switch_off(membership=membership, kind=kind)
        done = True
    return render(
        request,
        "notifications/optout.html",
        {"shop": membership.shop, "kind_label": NotificationKind(kind).label, "done": done},
    )
