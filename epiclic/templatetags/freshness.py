"""How old a figure is: "il y a 12 s", "il y a 48 min" (the Stocks page, the ordering page)."""

from __future__ import annotations

import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(moment: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    if moment is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - moment).total_seconds()))
    if seconds < 60:
        return _("il y a %(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("il y a %(n)d min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("il y a %(n)d h") % {"n": seconds // 3600}
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
