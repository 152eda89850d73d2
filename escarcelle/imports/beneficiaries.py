"""Beneficiaries: remote list → plan rows, and rows → users, memberships and profiles.

Matching: by Escarcelle id (the binding), then by e-mail (case-insensitive) among the shop's
members, then among existing Epiclic users (they get a membership, not a second account).
New people get a user whose username is the e-mail in lower case and an e-mail to choose a
password. Someone without an e-mail in Escarcelle gets the username
``esc-<id>@beneficiaires.invalid`` and an unusable password: the preview says they cannot
sign in until an e-mail is added. People inactive in Escarcelle, or whose access ended, are
not imported; if already bound here they are deactivated (``profile.active = False``).
Only the beneficiary profile is updated for existing people: an import never changes
someone's sign-in e-mail or password.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from escarcelle import schemas
from shops.models import BeneficiaryProfile, Membership, Role, Shop
from shops.services import beneficiary_invite_many

FIELDS = [
    "card_number",
    "household_size",
    "participation_rate",
    "monthly_budget",
    "access_valid_until",
    "active",
]
CENT = Decimal("0.01")


def field_labels() -> dict[str, str]:
    return {
        "card_number": _("numéro de carte"),
        "household_size": _("taille du foyer"),
        "participation_rate": _("taux de participation"),
        "monthly_budget": _("budget mensuel"),
        "access_valid_until": _("accès valable jusqu'au"),
        "active": _("actif"),
    }


def _text(value: str | None, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


def _normalise(item: schemas.Beneficiary) -> tuple[dict[str, Any], str, list[str], list[str]]:
    warnings: list[str] = []
    errors: list[str] = []
    email = _text(item.email, 254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            warnings.append(_("adresse e-mail invalide : ignorée"))
            email = ""
    rate = item.participation_rate
    if rate is None or not (Decimal("0") <= rate <= Decimal("100")):
        errors.append(_("taux de participation manquant ou hors de 0 à 100 %"))
    budget = item.monthly_budget
    if budget is not None and not (Decimal("0") <= budget < Decimal("100000000")):
        errors.append(_("budget mensuel invalide"))
    size = item.household_size or 1
    if not (1 <= size <= 100):
        warnings.append(_("taille du foyer invalide : 1 retenu"))
        size = 1
    card = _text(item.card_number, 200)
    if len(card) > 64:
        warnings.append(_("numéro de carte trop long : coupé"))
        card = card[:64]
    values = {
        "first_name": _text(item.first_name, 150),
        "last_name": _text(item.last_name, 150),
        "card_number": card,
        "household_size": size,
        "participation_rate": None if errors else str(rate.quantize(CENT, ROUND_HALF_UP)),
        "monthly_budget": None
        if budget is None or errors
        else str(budget.quantize(CENT, ROUND_HALF_UP)),
        "access_valid_until": item.access_valid_until.isoformat()
        if item.access_valid_until
        else None,
        "active": True,
    }
    return values, email, warnings, errors


def _profile_values(profile: BeneficiaryProfile) -> dict[str, Any]:
    return {
        "card_number": profile.card_number,
        "household_size": profile.household_size,
        "participation_rate": str(profile.participation_rate.quantize(CENT)),
        "monthly_budget": None
        if profile.monthly_budget is None
        else str(profile.monthly_budget.quantize(CENT)),
        "access_valid_until": profile.access_valid_until.isoformat()
        if profile.access_valid_until
        else None,
        "active": profile.active,
    }


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[list[Any]]:
    return [[f, old[f], new[f]] for f in FIELDS if old[f] != new[f]]


def _display(values: dict[str, Any], fallback: str) -> str:
    return f"{values['first_name']} {values['last_name']}".strip() or fallback


def beneficiary_plan_rows(
    *, shop: Shop, items: list[schemas.Beneficiary]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    today = timezone.localdate()
    profiles = list(BeneficiaryProfile.objects.filter(shop=shop).select_related("membership__user"))
    by_eid = {p.escarcelle_id: p for p in profiles if p.escarcelle_id}
    memberships = {
        m.user.email.lower(): m
        for m in Membership.objects.filter(shop=shop).select_related("user", "beneficiary")
        if m.user.email
    }
    emails = {(_text(i.email, 254)).lower() for i in items if i.email}
    User = get_user_model()
    users = {
        u.email_lower: u
        for u in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }
    taken_usernames = set(
        User.objects.filter(username__in=emails).values_list("username", flat=True)
    )
    email_counts = Counter((_text(i.email, 254)).lower() for i in items if i.email)
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter({"skipped": 0})
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            counts["duplicate_skipped"] += 1
            continue
        seen.add(item.id)
        values, email, warnings, errors = _normalise(item)
        ended = not item.active or (
            item.access_valid_until is not None and item.access_valid_until < today
        )
        reason = _("inactif dans Escarcelle") if not item.active else _("accès terminé")
        row: dict[str, Any] = {
            "eid": item.id,
            "name": _display(values, item.id),
            "email": email,
            "values": values,
            "warnings": warnings,
            "errors": errors,
            "diff": [],
            "profile_pk": None,
            "membership_pk": None,
            "user_pk": None,
            "username": None,
            "invite": False,
        }
        profile = by_eid.get(item.id)
        if profile is not None:
            old = _profile_values(profile)
            row.update(profile_pk=profile.pk, membership_pk=profile.membership_id)
            if ended:
                row["status"] = "deactivate" if profile.active else "unchanged"
                row["warnings"].append(reason)
                row["values"] = {**old, "active": False}
                row["diff"] = _diff(old, row["values"])
            elif errors:
                row["status"] = "error"
            else:
                row["diff"] = _diff(old, values)
                row["status"] = "changed" if row["diff"] else "unchanged"
            rows.append(row)
            continue
        if ended:
            counts["skipped"] += 1
            continue
        if errors:
            row["status"] = "error"
        elif email and email_counts[email] > 1:
            row["status"] = "error"
            row["errors"].append(_("adresse e-mail en double dans la liste Escarcelle"))
        elif email and email in memberships:
            membership = memberships[email]
            existing = getattr(membership, "beneficiary", None)
            if membership.role != Role.BENEFICIARY:
                row["status"] = "error"
                row["errors"].append(_("cette adresse est celle d'un gestionnaire de l'épicerie"))
            elif existing is not None and existing.escarcelle_id:
                row["status"] = "error"
                row["errors"].append(_("déjà lié à un autre bénéficiaire Escarcelle"))
            else:
                row.update(status="link", membership_pk=membership.pk, user_pk=membership.user_id)
                if existing is not None:
                    row["profile_pk"] = existing.pk
                    row["diff"] = _diff(_profile_values(existing), values)
        elif email and email in users:
            row.update(status="new", user_pk=users[email].pk)
            row["warnings"].append(_("a déjà un compte Epiclic : il est ajouté à l'épicerie"))
        elif email and email in taken_usernames:
            row["status"] = "error"
            row["errors"].append(_("cet identifiant de connexion est déjà pris"))
        else:
            row["status"] = "new"
            if email:
                row.update(username=email, invite=True)
            else:
                row["username"] = f"esc-{item.id}@beneficiaires.invalid".lower()[:150]
                row["warnings"].append(
                    _(
                        "pas d'adresse e-mail : ne pourra pas se connecter tant qu'une adresse "
                        "n'est pas ajoutée"
                    )
                )
        rows.append(row)
    for profile in profiles:
        if profile.escarcelle_id and profile.escarcelle_id not in seen and profile.active:
            old = _profile_values(profile)
            rows.append(
                {
                    "eid": profile.escarcelle_id,
                    "name": profile.membership.user.get_full_name()
                    or profile.membership.user.email,
                    "email": profile.membership.user.email,
                    "values": {**old, "active": False},
                    "warnings": [_("n'existe plus dans Escarcelle")],
                    "errors": [],
                    "diff": [["active", True, False]],
                    "profile_pk": profile.pk,
                    "membership_pk": profile.membership_id,
                    "user_pk": profile.membership.user_id,
                    "username": None,
                    "invite": False,
                    "status": "deactivate",
                }
            )
    for index, row in enumerate(rows):
        row["i"] = index
        counts[row["status"]] += 1
        if row["warnings"]:
            counts["warnings"] += 1
    return rows, dict(counts)


def _profile_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "card_number": values["card_number"],
        "household_size": values["household_size"],
        "participation_rate": Decimal(values["participation_rate"]),
        "monthly_budget": None
        if values["monthly_budget"] is None
        else Decimal(values["monthly_budget"]),
        "access_valid_until": values["access_valid_until"],
        "active": values["active"],
    }


def beneficiary_plan_apply(*, shop: Shop, rows: list[dict[str, Any]]) -> dict[str, int]:
    User = get_user_model()
    new_users = [row for row in rows if row["status"] == "new" and row["user_pk"] is None]
    users = User.objects.bulk_create(
        [
            User(
                username=row["username"],
                email=row["email"],
                first_name=row["values"]["first_name"],
                last_name=row["values"]["last_name"],
                password=make_password(None),
            )
            for row in new_users
        ],
        batch_size=500,
    )
    for row, user in zip(new_users, users, strict=True):
        row["user_pk"] = user.pk
    new_rows = [row for row in rows if row["status"] == "new"]
    memberships = Membership.objects.bulk_create(
        [Membership(shop=shop, user_id=row["user_pk"], role=Role.BENEFICIARY) for row in new_rows],
        batch_size=500,
    )
    for row, membership in zip(new_rows, memberships, strict=True):
        row["membership_pk"] = membership.pk
    to_create = [row for row in rows if row["status"] in ("new", "link") and not row["profile_pk"]]
    BeneficiaryProfile.objects.bulk_create(
        [
            BeneficiaryProfile(
                shop=shop,
                membership_id=row["membership_pk"],
                escarcelle_id=row["eid"],
                **_profile_fields(row["values"]),
            )
            for row in to_create
        ],
        batch_size=500,
    )
    to_update = [
        row
        for row in rows
        if row["status"] in ("changed", "link", "deactivate") and row["profile_pk"]
    ]
    now = timezone.now()
    BeneficiaryProfile.objects.bulk_update(
        [
            BeneficiaryProfile(
                pk=row["profile_pk"],
                shop=shop,
                escarcelle_id=row["eid"],
                updated_at=now,
                **_profile_fields(row["values"]),
            )
            for row in to_update
        ],
        [*FIELDS, "escarcelle_id", "updated_at"],
        batch_size=500,
    )
    invited = [row["user_pk"] for row in rows if row["status"] == "new" and row["invite"]]
    if invited:
        memberships_by_user = {
            row["user_pk"]: row["membership_pk"] for row in rows if row["status"] == "new"
        }
        ids = [memberships_by_user[pk] for pk in invited]
        beneficiary_invite_many(membership_ids=ids)
    done = Counter(row["status"] for row in rows)
    result = {k: done[k] for k in ("new", "changed", "link", "deactivate")}
    result["invited"] = len(invited)
    return result
