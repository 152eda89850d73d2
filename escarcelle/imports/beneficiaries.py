"""Beneficiaries: remote list → plan rows, and rows → users, memberships and profiles (set-based
writes: a constant number of queries whatever the number of people).

Matching: by Escarcelle id (the binding), then by e-mail (case-insensitive) among the shop's
members, then among existing Epiclic accounts: those are never taken over (``shops.people``):
they get a pending membership and an invitation to join, and the preview shows them exactly as
a new person (nothing tells whether an address has an account elsewhere). Staff and superuser
accounts are never attached: such a row gets a login of its own, as without an e-mail.
New people get a user whose username is the e-mail in lower case and an e-mail to choose a
password. Someone without an e-mail in Escarcelle gets a login unique to the grocery,
``esc-<shop id>-<id>@beneficiaires.invalid`` (so two groceries import the same person), and an
unusable password: the preview says they cannot sign in until an e-mail is added.
People inactive in Escarcelle, or whose access ended, are not imported; if already bound here
they are deactivated (``profile.active = False``).
Only the beneficiary profile is updated for existing people: an import never changes
someone's sign-in e-mail or password.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User as Account
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from escarcelle import schemas
from imports import bulk
from imports.display import FieldKind, FieldSpec
from imports.rows import Change, Person, Row, RowStatus, Value
from shops.models import BeneficiaryProfile, Membership, Role, Shop
from shops.people import attachable_by_import, beneficiary_join_invite, beneficiary_login
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


def field_specs() -> dict[str, FieldSpec]:
    """How the preview names and shows beneficiary fields."""
    return {
        "card_number": FieldSpec(_("numéro de carte")),
        "household_size": FieldSpec(_("taille du foyer")),
        "participation_rate": FieldSpec(_("taux de participation"), FieldKind.NUMBER),
        "monthly_budget": FieldSpec(_("budget mensuel"), FieldKind.MONEY),
        "access_valid_until": FieldSpec(_("accès valable jusqu'au"), FieldKind.DATE),
        "active": FieldSpec(_("actif")),
    }


def _text(value: str | None, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


def _normalise(item: schemas.Beneficiary) -> tuple[dict[str, Value], str, list[str], list[str]]:
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
    values: dict[str, Value] = {
        "first_name": _text(item.first_name, 150),
        "last_name": _text(item.last_name, 150),
        "card_number": card,
        "household_size": size,
        "participation_rate": None
        if rate is None or errors
        else str(rate.quantize(CENT, ROUND_HALF_UP)),
        "monthly_budget": None
        if budget is None or errors
        else str(budget.quantize(CENT, ROUND_HALF_UP)),
        "access_valid_until": item.access_valid_until.isoformat()
        if item.access_valid_until
        else None,
        "active": True,
    }
    return values, email, warnings, errors


def _profile_values(profile: BeneficiaryProfile) -> dict[str, Value]:
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


def _diff(old: dict[str, Value], new: dict[str, Value]) -> list[Change]:
    return [Change(f, old[f], new[f]) for f in FIELDS if old[f] != new[f]]


def _display(values: dict[str, Value], fallback: str) -> str:
    return f"{values['first_name']} {values['last_name']}".strip() or fallback


def beneficiary_plan_rows(
    *, shop: Shop, items: list[schemas.Beneficiary]
) -> tuple[list[Row], dict[str, int]]:
    # The plan is built in the worker: "today" is the grocery's, not the server's.
    today = timezone.localdate(timezone=shop.tzinfo)
    profiles = list(BeneficiaryProfile.objects.filter(shop=shop).select_related("membership__user"))
    by_eid = {p.escarcelle_id: p for p in profiles if p.escarcelle_id}
    memberships = {
        m.user.email.lower(): m
        for m in Membership.objects.filter(shop=shop).select_related("user", "beneficiary")
        if m.user.email
    }
    emails = {(_text(i.email, 254)).lower() for i in items if i.email}
    logins = {beneficiary_login(shop_id=shop.pk, escarcelle_id=i.id) for i in items}
    User = get_user_model()
    users: dict[str, Account] = {
        u.email_lower: u
        for u in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }
    for u in User.objects.filter(username__in=emails | logins):
        users.setdefault(u.username, u)
    email_counts = Counter((_text(i.email, 254)).lower() for i in items if i.email)
    rows: list[Row] = []
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
        row = Row(
            RowStatus.NEW,
            key=item.id,
            name=_display(values, item.id),
            # Every row carries the remote values, so the preview shows each person's rate,
            # budget and access end; the writer reads them only for people it creates.
            values=values,
            warnings=warnings,
            errors=errors,
            person=Person(email=email),
        )
        person = row.person
        assert person is not None
        profile = by_eid.get(item.id)
        if profile is not None:
            old = _profile_values(profile)
            row.target_id, person.membership_id = profile.pk, profile.membership_id
            if ended:
                row.status = RowStatus.DEACTIVATE if profile.active else RowStatus.UNCHANGED
                row.warnings.append(reason)
                row.diff = _diff(old, {**old, "active": False})
            elif errors:
                row.status = RowStatus.ERROR
            else:
                row.diff = _diff(old, values)
                row.status = RowStatus.CHANGED if row.diff else RowStatus.UNCHANGED
            rows.append(row)
            continue
        if ended:
            counts["skipped"] += 1
            continue
        if errors:
            row.status = RowStatus.ERROR
        elif email and email_counts[email] > 1:
            row.status = RowStatus.ERROR
            row.errors.append(_("adresse e-mail en double dans la liste Escarcelle"))
        elif email and email in memberships:
            membership = memberships[email]
            existing = getattr(membership, "beneficiary", None)
            if membership.role != Role.BENEFICIARY:
                row.status = RowStatus.ERROR
                row.errors.append(_("cette adresse est celle d'un gestionnaire de l'épicerie"))
            elif existing is not None and existing.escarcelle_id:
                row.status = RowStatus.ERROR
                row.errors.append(_("déjà lié à un autre bénéficiaire Escarcelle"))
            else:
                row.status = RowStatus.LINK
                person.membership_id, person.user_id = membership.pk, membership.user_id
                if existing is not None:
                    row.target_id = existing.pk
                    row.diff = _diff(_profile_values(existing), values)
        else:
            # Shown the same whether the address has an account here, elsewhere or nowhere.
            login = beneficiary_login(shop_id=shop.pk, escarcelle_id=item.id)
            account = users.get(email) if email else None
            if account is not None and attachable_by_import(account):
                person.user_id, person.attach = account.pk, True
            elif email and account is None:
                person.username, person.invite = email, True
            elif login in users:  # this grocery's own login, left unbound earlier
                person.user_id = users[login].pk
            else:
                person.username = login
            if not email:
                row.warnings.append(
                    _(
                        "pas d'adresse e-mail : identifiant de connexion propre à l'épicerie, "
                        "ne pourra pas se connecter tant qu'une adresse n'est pas ajoutée"
                    )
                )
        rows.append(row)
    for profile in profiles:
        if profile.escarcelle_id and profile.escarcelle_id not in seen and profile.active:
            user = profile.membership.user
            rows.append(
                Row(
                    RowStatus.DEACTIVATE,
                    key=profile.escarcelle_id,
                    name=user.get_full_name() or user.email,
                    target_id=profile.pk,
                    diff=[Change("active", True, False)],
                    warnings=[_("n'existe plus dans Escarcelle")],
                    person=Person(email=user.email, membership_id=profile.membership_id),
                )
            )
    return rows, dict(counts)


def _profile_fields(values: dict[str, Value]) -> dict[str, Value]:
    return {name: values[name] for name in FIELDS}


def beneficiary_rows_write(shop: Shop, rows: list[Row]) -> dict[str, int]:
    """One chunk of the confirmation: accounts, memberships, then profiles, set-based."""
    User = get_user_model()
    now = timezone.now()
    people = [(row, row.person) for row in rows if row.person is not None]
    new_users = [(row, p) for row, p in people if row.status == RowStatus.NEW and not p.user_id]
    created = bulk.insert_rows_returning(
        User,
        [
            {
                "username": p.username,
                "email": p.email,
                "first_name": row.values["first_name"],
                "last_name": row.values["last_name"],
                "password": make_password(None),
            }
            for row, p in new_users
        ],
        returning=("id", "username"),
    )
    user_ids = {username: pk for pk, username in created}
    for _row, p in new_users:
        p.user_id = user_ids[p.username]
    new = [(row, p) for row, p in people if row.status == RowStatus.NEW]
    memberships = bulk.insert_rows_returning(
        Membership,
        [{"user_id": p.user_id, "pending": p.attach} for _row, p in new],
        returning=("id", "user_id"),
        constants={"shop_id": shop.pk, "role": Role.BENEFICIARY, "created_at": now},
    )
    membership_ids = {user_id: pk for pk, user_id in memberships}
    for _row, p in new:
        p.membership_id = membership_ids[p.user_id]
    bulk.insert_rows(
        BeneficiaryProfile,
        [
            {
                "membership_id": p.membership_id,
                "escarcelle_id": row.key,
                "first_name": row.values["first_name"],
                "last_name": row.values["last_name"],
                **_profile_fields(row.values),
            }
            for row, p in people
            if row.status in (RowStatus.NEW, RowStatus.LINK) and not row.target_id
        ],
        constants={"shop_id": shop.pk, "updated_at": now},
    )
    bulk.update_rows(
        BeneficiaryProfile,
        [
            {"id": row.target_id, "escarcelle_id": row.key, **{c.field: c.new for c in row.diff}}
            for row in rows
            if row.status in (RowStatus.CHANGED, RowStatus.LINK, RowStatus.DEACTIVATE)
            and row.target_id
        ],
        fields=[*FIELDS, "escarcelle_id"],
        constants={"updated_at": now},
        where={"shop_id": shop.pk},
    )
    invited = [p.membership_id for row, p in new if p.invite and p.membership_id]
    if invited:
        beneficiary_invite_many(membership_ids=invited)
    attached = [p.membership_id for row, p in new if p.attach and p.membership_id]
    for membership in Membership.objects.filter(pk__in=attached).select_related("user", "shop"):
        beneficiary_join_invite(membership=membership)
    done = Counter(row.status.value for row in rows)
    done["invited"] = len(invited) + len(attached)
    return dict(done)
