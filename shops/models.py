"""The tenant (Shop), who belongs to it (Membership) and the beneficiary profile."""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# First URL segments used by the site itself: a shop cannot take them as its slug.
RESERVED_SLUGS = frozenset(
    {"admin", "i18n", "compte", "static", "media", "api", "operateur", "sante", "metrics"}
)


def validate_shop_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("Cet identifiant est réservé, choisissez-en un autre."))


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _known_timezones():
        raise ValidationError(
            _("« %(value)s » n'est pas un fuseau horaire connu (ex. : Europe/Paris)."),
            code="invalid_timezone",
            params={"value": value},
        )


class NotificationKind(models.TextChoices):
    """The e-mails a beneficiary can receive; each can be switched off per grocery and person."""

    ORDERS_OPEN = "orders_open", _("ouverture des commandes")
    ORDERS_CLOSING = "orders_closing", _("rappel avant la fermeture des commandes")
    ORDER_CHANGED = "order_changed", _("commande confirmée, modifiée ou annulée")
    PICKUP_REMINDER = "pickup_reminder", _("rappel la veille du retrait")
    AFTER_VALIDATION = "after_validation", _("produits manquants après la distribution")
    ACCESS_ENDING = "access_ending", _("fin d'accès prochaine")


class Shop(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(
        _("identifiant d'adresse"), max_length=60, unique=True, validators=[validate_shop_slug]
    )
    address = models.TextField(_("adresse"), blank=True)
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    # Every date and time shown on the shop's pages is in this zone (shops.access.shop_view).
    timezone = models.CharField(
        _("fuseau horaire"),
        max_length=64,
        default="Europe/Paris",
        validators=[validate_timezone],
        help_text=_("Nom IANA, par exemple Europe/Paris, America/Cayenne ou Indian/Reunion."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the operators: members see a "suspended" page, stock syncs and the sales push wait
    # (nothing is dropped) until the grocery is reactivated.
    suspended_at = models.DateTimeField(_("suspendue le"), null=True, blank=True)
    # Notifications to beneficiaries: the kinds (NotificationKind values) this grocery switched
    # off, the reminder's delay before orders close, and how early "access ending" is sent.
    notifications_off = models.JSONField(_("notifications désactivées"), default=list, blank=True)
    reminder_hours = models.PositiveSmallIntegerField(
        _("rappel avant la fermeture des commandes (heures)"), default=24
    )
    access_ending_days = models.PositiveSmallIntegerField(
        _("prévenir de la fin d'accès (jours avant)"), default=7
    )

    class Meta:
        verbose_name = _("épicerie")
        verbose_name_plural = _("épiceries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    MANAGER = "manager", _("gestionnaire")
    BENEFICIARY = "beneficiary", _("bénéficiaire")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # An existing account attached by a grocery (form or import) waits, without any access,
    # until its owner accepts the invitation to join (shops.people).
    pending = models.BooleanField(_("invitation en attente"), default=False)
    # The NotificationKind values this person switched off (Mon compte, or the one-click link).
    notifications_off = models.JSONField(_("notifications désactivées"), default=list, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="membership_unique_user_shop")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.get_role_display()})"

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


class BeneficiaryProfile(models.Model):
    """What a beneficiary is entitled to. A member without a profile pays 100 %."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="beneficiaries")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="beneficiary"
    )
    # The name this grocery uses for the person: its own, whoever else knows the account.
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    card_number = models.CharField(_("numéro de carte"), max_length=64, blank=True)
    household_size = models.PositiveSmallIntegerField(_("taille du foyer"), default=1)
    participation_rate = models.DecimalField(
        _("taux de participation (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Part du prix en rayon payée par le bénéficiaire."),
    )
    monthly_budget = models.DecimalField(
        _("budget mensuel (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    access_valid_until = models.DateField(_("accès valable jusqu'au"), null=True, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    # Binding to the Escarcelle beneficiary this profile was imported from.
    escarcelle_id = models.CharField(max_length=64, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bénéficiaire")
        verbose_name_plural = _("bénéficiaires")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "escarcelle_id"],
                condition=models.Q(escarcelle_id__isnull=False),
                name="beneficiary_unique_escarcelle_id_per_shop",
            ),
            models.CheckConstraint(
                condition=models.Q(participation_rate__gte=0, participation_rate__lte=100),
                name="beneficiary_participation_rate_0_100",
            ),
        ]

    def __str__(self) -> str:
        return str(self.membership.user)

    @property
    def shown_name(self) -> str:
        """The name this grocery typed; the account's own only once it is a member here."""
        typed = f"{self.first_name} {self.last_name}".strip()
        if typed or self.membership.pending:
            return typed
        return self.membership.user.get_full_name()

    def access_expired(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.access_valid_until is not None and self.access_valid_until < today


class Invitation(models.Model):
    """An invitation to manage a shop, sent by e-mail; accepted once, from its link.

    At most one pending invitation per shop and address: inviting again sends the same one again
    (``shops.team.manager_invite``).
    """

    LIFETIME = datetime.timedelta(days=14)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MANAGER)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_count = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_shop_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.shop}"

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) > self.sent_at + self.LIFETIME
