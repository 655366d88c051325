"""The built-in BSS: answers every BssAdapter question from Kefu's own tables (PRODUCT §2).

Every change runs in one transaction with the line (or account) row locked, checks all
rules first and writes only when every rule passed, so a refusal changes nothing.
Refusals are BusinessRuleError with a stable `code` that interfaces can branch on.

Value-added service parameters (`ValueAddedService.parameters`) understand these kinds:
"phone" (one number, stored as national digits), "phone_list" (several numbers, e.g.
family numbers 亲情号码, given as a list or separated by commas, semicolons or new lines) and "text"
(anything else is treated as text).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, Min, Q, Sum
from django.db.models.expressions import ExpressionWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.bss.adapters.base import (
    Allowance,
    Balance,
    BillItemView,
    BillView,
    LineOfferings,
    OfferingView,
    PaymentView,
    ProductView,
    UsageRecordView,
    UsageSummary,
    VasNodeView,
    VasParameterView,
    VasView,
)
from kefu.bss.choices import BillStatus, OfferingStatus, PaymentChannel, ProductKind, UsageKind
from kefu.bss.models import (
    Bill,
    BillingAccount,
    BillItem,
    Charge,
    Offering,
    Payment,
    Product,
    UsageRecord,
    ValueAddedService,
    VasSubscription,
)
from kefu.core.errors import BusinessRuleError
from kefu.customers.choices import ServiceKind, SubscriptionStatus
from kefu.customers.models import Subscription
from kefu.customers.phones import normalise_phone

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
KB_PER_MB = 1024
KIND_ORDER = (ProductKind.BASE, ProductKind.ADDON, ProductKind.CAMPAIGN)
PHONE_LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")  # not spaces: "+86 139 …" is one number


# --- periods and money ---------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(first_of_month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, if negative) `first_of_month`."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 of `day` in the operator's time zone (TIME_ZONE, Asia/Shanghai by default)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _money(value: Decimal | None) -> Decimal:
    return (value if value is not None else ZERO).quantize(CENT)


# --- views -------------------------------------------------------------------------


def _product_view(product: Product) -> ProductView:
    return ProductView(
        code=product.code,
        name=product.name,
        kind=product.kind,
        service=product.service,
        monthly_fee=product.monthly_fee,
        voice_minutes=product.voice_minutes,
        data_mb=product.data_mb,
        sms_count=product.sms_count,
        valid_from=product.valid_from,
        valid_until=product.valid_until,
    )


def _offering_view(offering: Offering) -> OfferingView:
    return OfferingView(
        id=offering.pk,
        product=_product_view(offering.product),
        started_at=offering.started_at,
        ends_at=offering.ends_at,
    )


def _vas_view(held: VasSubscription) -> VasView:
    return VasView(
        id=held.pk,
        code=held.service.code,
        name=held.service.name,
        monthly_fee=held.service.monthly_fee,
        parameters=dict(held.parameters),
        started_at=held.started_at,
    )


def _parameter_specs(vas: ValueAddedService) -> list[VasParameterView]:
    specs = []
    for entry in vas.parameters or []:
        if isinstance(entry, dict) and entry.get("name"):
            name = str(entry["name"])
            specs.append(
                VasParameterView(
                    name=name,
                    label=str(entry.get("label") or name),
                    kind=str(entry.get("kind") or "text"),
                )
            )
    return specs


def _bill_item_tree(items: Iterable[BillItem]) -> list[BillItemView]:
    """Nest items (already ordered by position) under their parents, in Python."""
    children_of: dict[int | None, list[BillItem]] = defaultdict(list)
    for item in items:
        children_of[item.parent_id].append(item)

    def build(parent_id: int | None) -> list[BillItemView]:
        return [
            BillItemView(name=item.name, amount=item.amount, children=build(item.pk))
            for item in children_of.get(parent_id, [])
        ]

    return build(None)


# --- rule checks ---------------------------------------------------------------------


def _active_line_for_update(subscription_id: int) -> Subscription:
    """The line, locked for the rest of the transaction, if it may be changed at all."""
    line = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if line is None:
        raise BusinessRuleError(_("There is no such line."), code="line_not_found")
    if line.status != SubscriptionStatus.ACTIVE:
        raise BusinessRuleError(
            _("Line %(line)s is %(status)s; only an active line can be changed.")
            % {"line": line.identifier, "status": line.get_status_display()},
            code="line_not_active",
        )
    return line


def _product_on_sale(code: str, line: Subscription, today: dt.date) -> Product:
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise BusinessRuleError(_("There is no product “%(code)s”.") % {"code": code}, code="product_not_found")
    names = {"product": product.name}
    if not product.is_active:
        raise BusinessRuleError(_("“%(product)s” is not on sale.") % names, code="product_not_on_sale")
    if product.valid_from is not None and today < product.valid_from:
        raise BusinessRuleError(
            _("“%(product)s” is on sale only from %(date)s.") % {**names, "date": product.valid_from.isoformat()},
            code="product_not_yet_on_sale",
        )
    if product.valid_until is not None and today > product.valid_until:
        raise BusinessRuleError(
            _("“%(product)s” was on sale only until %(date)s.") % {**names, "date": product.valid_until.isoformat()},
            code="product_no_longer_on_sale",
        )
    if product.service != line.service:
        raise BusinessRuleError(
            _("“%(product)s” is for %(product_service)s, not for a %(line_service)s.")
            % {
                **names,
                "product_service": ServiceKind(product.service).label,
                "line_service": ServiceKind(line.service).label,
            },
            code="product_wrong_service",
        )
    return product


def _conflicting(product: Product, excluded_ids: set[int], held: Iterable[Product]) -> Product | None:
    """The first held product that cannot be combined with `product` (互斥), if any."""
    for other in held:
        if other.pk == product.pk:
            continue
        if product.exclusion_group and other.exclusion_group == product.exclusion_group:
            return other
        if other.pk in excluded_ids:
            return other
    return None


def _ensure_combinable(product: Product, held: Iterable[Product]) -> None:
    excluded_ids = set(product.excludes.values_list("pk", flat=True))
    conflict = _conflicting(product, excluded_ids, held)
    if conflict is not None:
        raise BusinessRuleError(
            _("“%(product)s” cannot be combined with “%(conflict)s”, already on the line.")
            % {"product": product.name, "conflict": conflict.name},
            code="products_exclusive",
        )


def _held_offerings(line: Subscription) -> list[Offering]:
    return list(
        Offering.objects.filter(subscription=line, status=OfferingStatus.ACTIVE)
        .select_related("product")
        .order_by("started_at", "pk")
    )


def _clean_phone(spec: VasParameterView, raw: str) -> str:
    try:
        return normalise_phone(raw)
    except BusinessRuleError as error:
        raise BusinessRuleError(
            _("%(label)s: %(problem)s") % {"label": spec.label, "problem": error.message},
            code="vas_parameter_invalid",
        ) from error


def _clean_value(spec: VasParameterView, value: Any) -> Any:
    if spec.kind == "phone_list":
        raw_numbers = PHONE_LIST_SEPARATORS.split(value) if isinstance(value, str) else value
        if not isinstance(raw_numbers, list) or not all(isinstance(n, str) for n in raw_numbers):
            raise BusinessRuleError(
                _("%(label)s must be a list of phone numbers.") % {"label": spec.label},
                code="vas_parameter_invalid",
            )
        numbers = [_clean_phone(spec, raw) for raw in raw_numbers if raw.strip()]
        return list(dict.fromkeys(numbers))
    if not isinstance(value, str):
        raise BusinessRuleError(_("%(label)s must be text.") % {"label": spec.label}, code="vas_parameter_invalid")
    if spec.kind == "phone":
        return _clean_phone(spec, value)
    return value.strip()


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not PHONE_LIST_SEPARATORS.sub("", value).strip()
    if isinstance(value, list):
        return not any(isinstance(v, str) and v.strip() for v in value)
    return False


def _clean_parameters(vas: ValueAddedService, given: Mapping[str, Any]) -> dict[str, Any]:
    specs = _parameter_specs(vas)
    unknown = sorted(set(given) - {spec.name for spec in specs})
    if unknown:
        raise BusinessRuleError(
            _("“%(service)s” has no parameter %(names)s.") % {"service": vas.name, "names": ", ".join(unknown)},
            code="vas_parameter_unknown",
        )
    cleaned: dict[str, Any] = {}
    for spec in specs:
        value = given.get(spec.name)
        if _is_blank(value):
            raise BusinessRuleError(
                _("“%(service)s” needs %(label)s.") % {"service": vas.name, "label": spec.label},
                code="vas_parameter_missing",
            )
        cleaned[spec.name] = _clean_value(spec, value)
    return cleaned


def _check_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(CENT):
        raise BusinessRuleError(_("An amount is given in yuan with at most two decimals."), code="amount_invalid")
    if amount <= 0:
        raise BusinessRuleError(_("A payment must be more than zero."), code="amount_not_positive")
    return amount.quantize(CENT)


def _payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        account_number=payment.account.number,
        amount=payment.amount,
        channel=payment.channel,
        reference=payment.reference,
        paid_at=payment.paid_at,
    )


class BuiltinAdapter:
    """The reference BSS on Kefu's own tables, for small operators and the demo."""

    # --- reads -----------------------------------------------------------------------

    def balance(self, customer_id: int) -> Balance | None:
        funds = BillingAccount.objects.filter(customer_id=customer_id).aggregate(
            accounts=Count("pk"),
            number=Min("number"),
            available=Sum("available"),
            frozen=Sum("frozen"),
            campaign=Sum("campaign"),
            credit_limit=Sum("credit_limit"),
        )
        if not funds["accounts"]:
            return None
        unpaid = (
            Bill.objects.filter(account__customer_id=customer_id)
            .exclude(status=BillStatus.PAID)
            .aggregate(total=Sum("total"))["total"]
        )
        return Balance(
            account_number=funds["number"],
            available=_money(funds["available"]),
            frozen=_money(funds["frozen"]),
            campaign=_money(funds["campaign"]),
            credit_limit=_money(funds["credit_limit"]),
            unpaid_bills=_money(unpaid),
        )

    def line_offerings(self, subscription_id: int) -> LineOfferings:
        offerings = (
            Offering.objects.filter(subscription_id=subscription_id, status=OfferingStatus.ACTIVE)
            .select_related("product")
            .order_by("started_at", "pk")
        )
        base: OfferingView | None = None
        addons: list[OfferingView] = []
        campaigns: list[OfferingView] = []
        for offering in offerings:
            if offering.kind == ProductKind.BASE:
                base = _offering_view(offering)
            elif offering.kind == ProductKind.CAMPAIGN:
                campaigns.append(_offering_view(offering))
            else:
                addons.append(_offering_view(offering))
        value_added = (
            VasSubscription.objects.filter(subscription_id=subscription_id, status=OfferingStatus.ACTIVE)
            .select_related("service")
            .order_by("started_at", "pk")
        )
        return LineOfferings(
            subscription_id=subscription_id,
            base=base,
            addons=addons,
            campaigns=campaigns,
            value_added=[_vas_view(held) for held in value_added],
        )

    def catalog_for(self, subscription_id: int, today: dt.date) -> list[ProductView]:
        """Products this line could take today under the same rules the changes apply.

        Same service, on sale, not held; add-ons only on a line with a base package; nothing
        that conflicts with what the line holds (a base package is checked against the
        add-ons and campaigns only, since it replaces the current base).
        """
        line = Subscription.objects.filter(pk=subscription_id).first()
        if line is None or line.status != SubscriptionStatus.ACTIVE:
            return []
        held = _held_offerings(line)
        has_base = any(offering.kind == ProductKind.BASE for offering in held)
        held_products = [offering.product for offering in held]
        held_besides_base = [o.product for o in held if o.kind != ProductKind.BASE]
        candidates = (
            Product.objects.filter(service=line.service, is_active=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .exclude(pk__in=[product.pk for product in held_products])
            .prefetch_related("excludes")
        )
        offer: list[Product] = []
        for product in candidates:
            if product.kind == ProductKind.ADDON and not has_base:
                continue
            others = held_besides_base if product.kind == ProductKind.BASE else held_products
            excluded_ids = {excluded.pk for excluded in product.excludes.all()}
            if _conflicting(product, excluded_ids, others) is None:
                offer.append(product)
        offer.sort(key=lambda p: (KIND_ORDER.index(p.kind), p.monthly_fee, p.code))
        return [_product_view(product) for product in offer]

    def vas_tree(self, service: str) -> list[VasNodeView]:
        nodes = list(ValueAddedService.objects.filter(service=service).order_by("code"))
        known = {node.pk for node in nodes}
        children_of: dict[int | None, list[ValueAddedService]] = defaultdict(list)
        for node in nodes:
            # A parent of another service would hide the node; show it at the top instead.
            children_of[node.parent_id if node.parent_id in known else None].append(node)

        def build(parent_id: int | None) -> list[VasNodeView]:
            return [
                VasNodeView(
                    code=node.code,
                    name=node.name,
                    monthly_fee=node.monthly_fee,
                    is_subscribable=node.is_subscribable and not children_of.get(node.pk),
                    parameters=_parameter_specs(node),
                    children=build(node.pk),
                )
                for node in children_of.get(parent_id, [])
            ]

        return build(None)

    def bills(self, customer_id: int, months: int = 6) -> list[BillView]:
        since = add_months(month_start(timezone.localdate()), -months)
        bills = list(
            Bill.objects.filter(account__customer_id=customer_id, period__gte=since).order_by(
                "-period", "account__number"
            )
        )
        items_of: dict[int, list[BillItem]] = defaultdict(list)
        for item in BillItem.objects.filter(bill__in=[bill.pk for bill in bills]).order_by("position", "pk"):
            items_of[item.bill_id].append(item)
        return [
            BillView(
                id=bill.pk,
                period=bill.period,
                total=bill.total,
                status=bill.status,
                issued_on=bill.issued_on,
                due_on=bill.due_on,
                items=_bill_item_tree(items_of[bill.pk]),
            )
            for bill in bills
        ]

    def usage_summary(self, subscription_id: int, today: dt.date) -> UsageSummary:
        """This calendar month's use against what the held products include.

        Every active offering counts: the base package, add-on packs, and campaigns that
        give allowances (e.g. 春节流量翻倍). The month is the operator's local month.
        """
        period_start = month_start(today)
        included = Offering.objects.filter(subscription_id=subscription_id, status=OfferingStatus.ACTIVE).aggregate(
            voice=Sum("product__voice_minutes"),
            data=Sum("product__data_mb"),
            sms=Sum("product__sms_count"),
        )
        # Calls are rated per started minute, each call on its own.
        call_minutes = ExpressionWrapper((F("quantity") + 59) / 60, output_field=IntegerField())
        used = UsageRecord.objects.filter(
            subscription_id=subscription_id,
            started_at__gte=local_midnight(period_start),
            started_at__lt=local_midnight(add_months(period_start, 1)),
        ).aggregate(
            voice=Sum(call_minutes, filter=Q(kind=UsageKind.VOICE)),
            data_kb=Sum("quantity", filter=Q(kind=UsageKind.DATA)),
            sms=Sum("quantity", filter=Q(kind=UsageKind.SMS)),
            charges=Sum("charge"),
        )
        data_kb = int(used["data_kb"] or 0)
        return UsageSummary(
            subscription_id=subscription_id,
            period_start=period_start,
            allowances=[
                Allowance(UsageKind.VOICE.value, int(included["voice"] or 0), int(used["voice"] or 0)),
                # A started megabyte counts as used, so "remaining" never promises too much.
                Allowance(UsageKind.DATA.value, int(included["data"] or 0), -(-data_kb // KB_PER_MB)),
                Allowance(UsageKind.SMS.value, int(included["sms"] or 0), int(used["sms"] or 0)),
            ],
            charges=_money(used["charges"]),
        )

    def usage_records(
        self, subscription_id: int, kind: str | None, since: dt.datetime, limit: int = 200
    ) -> list[UsageRecordView]:
        records = UsageRecord.objects.filter(subscription_id=subscription_id, started_at__gte=since)
        if kind:
            records = records.filter(kind=kind)
        return [
            UsageRecordView(
                kind=record.kind,
                started_at=record.started_at,
                quantity=record.quantity,
                charge=record.charge,
                counterpart=record.counterpart,
                description=record.description,
            )
            for record in records.order_by("-started_at", "-pk")[:limit]
        ]

    def payment_by_reference(self, reference: str) -> PaymentView | None:
        payment = Payment.objects.select_related("account").filter(reference=reference).first()
        return _payment_view(payment) if payment else None

    # --- changes ---------------------------------------------------------------------

    @transaction.atomic
    def change_base_package(self, subscription_id: int, product_code: str, at: dt.datetime) -> OfferingView:
        line = _active_line_for_update(subscription_id)
        product = _product_on_sale(product_code, line, timezone.localdate(at))
        if product.kind != ProductKind.BASE:
            raise BusinessRuleError(
                _("“%(product)s” is not a base package; subscribe to it as an add-on.") % {"product": product.name},
                code="not_a_base_package",
            )
        held = _held_offerings(line)
        current = next((o for o in held if o.kind == ProductKind.BASE), None)
        if current is not None and current.product_id == product.pk:
            raise BusinessRuleError(
                _("The line already has “%(product)s”.") % {"product": product.name},
                code="same_base_package",
            )
        _ensure_combinable(product, [o.product for o in held if o is not current])
        if current is not None:
            # End the old one first: the database allows one active base package per line.
            current.status, current.ended_at = OfferingStatus.ENDED, at
            current.save(update_fields=["status", "ended_at"])
        offering = Offering.objects.create(subscription=line, product=product, kind=product.kind, started_at=at)
        return _offering_view(offering)

    @transaction.atomic
    def subscribe_product(self, subscription_id: int, product_code: str, at: dt.datetime) -> OfferingView:
        line = _active_line_for_update(subscription_id)
        product = _product_on_sale(product_code, line, timezone.localdate(at))
        if product.kind == ProductKind.BASE:
            raise BusinessRuleError(
                _("“%(product)s” is a base package; change the base package instead.") % {"product": product.name},
                code="base_package_needs_change",
            )
        held = _held_offerings(line)
        if product.kind == ProductKind.ADDON and not any(o.kind == ProductKind.BASE for o in held):
            raise BusinessRuleError(
                _("An add-on pack needs a base package on the line first."),
                code="base_package_required",
            )
        if any(offering.product_id == product.pk for offering in held):
            raise BusinessRuleError(
                _("The line already has “%(product)s”.") % {"product": product.name},
                code="product_already_held",
            )
        _ensure_combinable(product, [offering.product for offering in held])
        offering = Offering.objects.create(subscription=line, product=product, kind=product.kind, started_at=at)
        return _offering_view(offering)

    @transaction.atomic
    def cancel_offering(self, subscription_id: int, offering_id: int, at: dt.datetime) -> None:
        line = _active_line_for_update(subscription_id)
        offering = (
            Offering.objects.filter(subscription=line, pk=offering_id, status=OfferingStatus.ACTIVE)
            .select_related("product")
            .first()
        )
        if offering is None:
            raise BusinessRuleError(_("The line holds no such active product."), code="offering_not_found")
        if offering.kind == ProductKind.BASE:
            raise BusinessRuleError(
                _("A base package cannot be cancelled; change it to another one instead."),
                code="base_package_not_cancellable",
            )
        offering.status, offering.ended_at = OfferingStatus.ENDED, at
        offering.save(update_fields=["status", "ended_at"])

    @transaction.atomic
    def subscribe_vas(
        self, subscription_id: int, vas_code: str, parameters: dict[str, Any], at: dt.datetime
    ) -> VasView:
        line = _active_line_for_update(subscription_id)
        vas = ValueAddedService.objects.filter(code=vas_code).first()
        if vas is None:
            raise BusinessRuleError(
                _("There is no value-added service “%(code)s”.") % {"code": vas_code},
                code="vas_not_found",
            )
        if not vas.is_subscribable or vas.children.exists():
            raise BusinessRuleError(
                _("“%(service)s” cannot be subscribed to by itself.") % {"service": vas.name},
                code="vas_not_subscribable",
            )
        if vas.service != line.service:
            raise BusinessRuleError(
                _("“%(service)s” is for %(vas_service)s, not for a %(line_service)s.")
                % {
                    "service": vas.name,
                    "vas_service": ServiceKind(vas.service).label,
                    "line_service": ServiceKind(line.service).label,
                },
                code="vas_wrong_service",
            )
        if VasSubscription.objects.filter(subscription=line, service=vas, status=OfferingStatus.ACTIVE).exists():
            raise BusinessRuleError(
                _("The line already has “%(service)s”.") % {"service": vas.name},
                code="vas_already_held",
            )
        held = VasSubscription.objects.create(
            subscription=line,
            service=vas,
            parameters=_clean_parameters(vas, parameters),
            started_at=at,
        )
        return _vas_view(held)

    @transaction.atomic
    def cancel_vas(self, subscription_id: int, vas_subscription_id: int, at: dt.datetime) -> None:
        line = _active_line_for_update(subscription_id)
        held = VasSubscription.objects.filter(
            subscription=line, pk=vas_subscription_id, status=OfferingStatus.ACTIVE
        ).first()
        if held is None:
            raise BusinessRuleError(
                _("The line holds no such active value-added service."),
                code="vas_subscription_not_found",
            )
        held.status, held.ended_at = OfferingStatus.ENDED, at
        held.save(update_fields=["status", "ended_at"])

    @transaction.atomic
    def record_payment(
        self, customer_id: int, amount: Decimal, channel: str, reference: str, at: dt.datetime
    ) -> Balance:
        amount = _check_amount(amount)
        if channel not in PaymentChannel.values:
            raise BusinessRuleError(
                _("Unknown payment channel “%(channel)s”.") % {"channel": channel},
                code="payment_channel_unknown",
            )
        reference = reference.strip()
        if not reference:
            raise BusinessRuleError(_("A payment needs the payment system's reference."), code="reference_required")
        account = BillingAccount.objects.select_for_update().filter(customer_id=customer_id).order_by("number").first()
        if account is None:
            raise BusinessRuleError(_("The customer has no billing account."), code="no_billing_account")
        if self._is_repeat(reference, customer_id, amount):
            return self._balance_of(customer_id)
        try:
            with transaction.atomic():
                Payment.objects.create(account=account, amount=amount, channel=channel, reference=reference, paid_at=at)
        except IntegrityError:
            # The same reference arrived at the same moment on another connection.
            if self._is_repeat(reference, customer_id, amount):
                return self._balance_of(customer_id)
            raise
        account.available += amount
        settled = []
        unpaid = (
            Bill.objects.select_for_update().filter(account=account).exclude(status=BillStatus.PAID).order_by("period")
        )
        for bill in unpaid:
            if bill.total > account.available:
                break  # oldest first: a newer bill waits until the older one is paid
            account.available -= bill.total
            settled.append(bill.pk)
        Bill.objects.filter(pk__in=settled).update(status=BillStatus.PAID)
        account.save(update_fields=["available"])
        return self._balance_of(customer_id)

    def raise_charge(
        self, customer_id: int, amount: Decimal, description: str, reference: str, at: dt.datetime
    ) -> Balance:
        amount = _check_amount(amount)
        reference = reference.strip()
        if not reference:
            raise BusinessRuleError(_("A charge needs a reference."), code="reference_required")
        account = BillingAccount.objects.select_for_update().filter(customer_id=customer_id).order_by("number").first()
        if account is None:
            raise BusinessRuleError(_("The customer has no billing account."), code="no_billing_account")
        earlier = Charge.objects.filter(reference=reference).first()
        if earlier is not None:
            if earlier.account_id != account.pk or earlier.amount != amount:
                raise BusinessRuleError(
                    _("Charge reference “%(reference)s” was already used.") % {"reference": reference},
                    code="charge_reference_reused",
                )
            return self._balance_of(customer_id)
        Charge.objects.create(
            account=account, amount=amount, description=description[:100], reference=reference, charged_at=at
        )
        # Campaign money pays charges first; what remains comes out of available funds (may go below zero).
        from_campaign = min(account.campaign, amount)
        account.campaign -= from_campaign
        account.available -= amount - from_campaign
        account.save(update_fields=["campaign", "available"])
        return self._balance_of(customer_id)

    def _balance_of(self, customer_id: int) -> Balance:
        balance = self.balance(customer_id)
        assert balance is not None  # noqa: S101 - the caller has just found the account
        return balance

    @staticmethod
    def _is_repeat(reference: str, customer_id: int, amount: Decimal) -> bool:
        """True for a repeat delivery of a recorded payment; refuses a reused reference."""
        earlier = Payment.objects.select_related("account").filter(reference=reference).first()
        if earlier is None:
            return False
        if earlier.account.customer_id != customer_id or earlier.amount != amount:
            raise BusinessRuleError(
                _("Payment reference “%(reference)s” was already used for another payment.") % {"reference": reference},
                code="payment_reference_reused",
            )
        return True
