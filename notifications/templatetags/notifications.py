"""``{% notifications_log distribution as log %}``: the sent-log of a distribution, so its
page includes it without the distributions app knowing about notifications."""

from __future__ import annotations

from django import template

from distributions.models import Distribution
from notifications.selectors import NotificationLog, distribution_log

register = template.Library()


@register.simple_tag
def notifications_log(distribution: Distribution) -> NotificationLog:
    return distribution_log(distribution=distribution)
