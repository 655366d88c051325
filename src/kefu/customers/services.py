"""Every change to a customer goes through here, and every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import ServiceArea
from kefu.core import audit
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.customers.choices import CustomerKind, IdType, NumberKind, SubscriptionStatus, Tier
from kefu.customers.models import Address, ContactNumber, Customer, Subscription
from kefu.customers.phones import is_mobile, normalise_phone

PROFILE_FIELDS = ("name", "kind", "id_type", "id_number", "tier", "brand", "email", "service_area")


def _next_customer_number() -> str:
    last = Customer.objects.filter(number__startswith="KH").order_by("-number").values_list("number", flat=True).first()
    sequence = int(last[2:]) + 1 if last else 1
    return f"KH{sequence:09d}"


@transaction.atomic
def register_customer(
    *,
    actor: Any,
    name: str,
    phone: str,
    kind: str = CustomerKind.INDIVIDUAL,
    id_type: str = IdType.RESIDENT_ID,
    id_number: str = "",
    address: str = "",
    service_area: ServiceArea | None = None,
    tier: str = Tier.STANDARD,
) -> Customer:
    """Open a customer with one contact number (and address if given)."""
    if not name.strip():
        raise BusinessRuleError(_("A customer needs a name."), code="name_required")
    national = normalise_phone(phone)
    customer = Customer.objects.create(
        number=_next_customer_number(),
        name=name.strip(),
        kind=kind,
        id_type=id_type,
        id_number=id_number.strip().upper(),
        tier=tier,
        service_area=service_area,
    )
    ContactNumber.objects.create(
        customer=customer,
        number=national,
        kind=NumberKind.MOBILE if is_mobile(national) else NumberKind.LANDLINE,
        is_primary=True,
    )
    if address.strip():
        Address.objects.create(customer=customer, text=address.strip(), service_area=service_area, is_primary=True)
    audit.record(actor=actor, action="customer.registered", target=customer, changes={"name": [None, customer.name]})
    return customer


@transaction.atomic
def update_customer_profile(*, actor: Any, customer: Customer, **changes: Any) -> Customer:
    """Change profile fields; refuses unknown fields; audits old → new for each change."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise BusinessRuleError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = audit.snapshot(customer, changes)
    for name, value in changes.items():
        setattr(customer, name, value.strip() if isinstance(value, str) else value)
    if not customer.name:
        raise BusinessRuleError(_("A customer needs a name."), code="name_required")
    if customer.tier not in Tier.values:
        raise BusinessRuleError(_("Unknown tier."), code="tier_invalid")
    customer.full_clean(exclude=["service_password", "number"])
    customer.save()
    difference = audit.diff(before, audit.snapshot(customer, changes))
    if difference:
        audit.record(actor=actor, action="customer.profile_changed", target=customer, changes=difference)
    return customer


@transaction.atomic
def add_contact_number(*, actor: Any, customer: Customer, phone: str, make_primary: bool = False) -> ContactNumber:
    national = normalise_phone(phone)
    if customer.numbers.filter(number=national).exists():
        raise BusinessRuleError(_("This number is already on the customer."), code="number_exists")
    if make_primary:
        customer.numbers.update(is_primary=False)
    contact_number = ContactNumber.objects.create(
        customer=customer,
        number=national,
        kind=NumberKind.MOBILE if is_mobile(national) else NumberKind.LANDLINE,
        is_primary=make_primary or not customer.numbers.exists(),
    )
    audit.record(actor=actor, action="customer.number_added", target=customer, changes={"number": [None, national]})
    return contact_number


def _ensure_can_manage_flags(actor: Any) -> None:
    if actor is not None and not actor.has_perm("customers.manage_flags"):
        raise NotAllowed(_("Only supervisors may change blacklist and VIP flags."))


@transaction.atomic
def blacklist_customer(*, actor: Any, customer: Customer, reason: str) -> Customer:
    """Put a customer on the blacklist (黑名单, e.g. a malicious caller); a reason is required."""
    _ensure_can_manage_flags(actor)
    if not reason.strip():
        raise BusinessRuleError(_("Say why the customer is blacklisted."), code="reason_required")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = audit.snapshot(customer, ("is_blacklisted", "blacklist_reason"))
    customer.is_blacklisted, customer.blacklist_reason = True, reason.strip()
    customer.save(update_fields=["is_blacklisted", "blacklist_reason", "updated_at"])
    audit.record(
        actor=actor,
        action="customer.blacklisted",
        target=customer,
        changes=audit.diff(before, audit.snapshot(customer, ("is_blacklisted", "blacklist_reason"))),
        reason=reason,
    )
    return customer


@transaction.atomic
def clear_blacklist(*, actor: Any, customer: Customer, reason: str) -> Customer:
    _ensure_can_manage_flags(actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.is_blacklisted, customer.blacklist_reason = False, ""
    customer.save(update_fields=["is_blacklisted", "blacklist_reason", "updated_at"])
    audit.record(
        actor=actor,
        action="customer.blacklist_cleared",
        target=customer,
        changes={"is_blacklisted": [True, False]},
        reason=reason,
    )
    return customer


@transaction.atomic
def set_do_not_disturb(*, actor: Any, customer: Customer, enabled: bool) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.do_not_disturb != enabled:
        audit.record(
            actor=actor,
            action="customer.do_not_disturb",
            target=customer,
            changes={"do_not_disturb": [customer.do_not_disturb, enabled]},
        )
        customer.do_not_disturb = enabled
        customer.save(update_fields=["do_not_disturb", "updated_at"])
    return customer


@transaction.atomic
def assign_vip_manager(*, actor: Any, customer: Customer, manager: Any) -> Customer:
    _ensure_can_manage_flags(actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = audit.snapshot(customer, ("vip_manager",))
    customer.vip_manager = manager
    customer.save(update_fields=["vip_manager", "updated_at"])
    audit.record(
        actor=actor,
        action="customer.vip_manager",
        target=customer,
        changes=audit.diff(before, audit.snapshot(customer, ("vip_manager",))),
    )
    return customer


def set_service_password(*, actor: Any, customer: Customer, password: str) -> None:
    """The 6-digit service password customers use on the phone and the portal (服务密码)."""
    if not (password.isdigit() and len(password) == 6):
        raise BusinessRuleError(_("The service password is 6 digits."), code="password_format")
    # Runs like 123456/654321 and repeats like 888888 are the first guesses of an attacker.
    runs = ("0123456789", "9876543210")
    if len(set(password)) == 1 or any(password in run for run in runs):
        raise BusinessRuleError(_("The service password is too easy to guess."), code="password_weak")
    customer.service_password = make_password(password)
    customer.save(update_fields=["service_password", "updated_at"])
    audit.record(actor=actor, action="customer.service_password_set", target=customer)


def check_service_password(customer: Customer, password: str) -> bool:
    return bool(customer.service_password) and check_password(password, customer.service_password)


@transaction.atomic
def change_subscription_status(
    *, actor: Any, subscription: Subscription, status: str, reason: str = ""
) -> Subscription:
    """Activate, suspend (报停), resume or disconnect (下网) a line; audited on the customer."""
    if status not in SubscriptionStatus.values:
        raise BusinessRuleError(_("Unknown line status."), code="status_invalid")
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == SubscriptionStatus.TERMINATED:
        raise BusinessRuleError(_("A disconnected line cannot change any more."), code="line_terminated")
    before = subscription.status
    subscription.status = status
    if status == SubscriptionStatus.TERMINATED:
        subscription.ended_on = timezone.localdate()
    subscription.save(update_fields=["status", "ended_on"])
    audit.record(
        actor=actor,
        action="subscription.status_changed",
        target=subscription.customer,
        changes={f"line {subscription.identifier}": [before, status]},
        reason=reason,
    )
    return subscription
