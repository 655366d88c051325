"""The desk's shared components: badges, money, quantities, icons (STYLE §12).

Presentation lives here, not on the models: a tier or a status becomes a coloured badge
only on the page.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kefu.bss.choices import BillStatus, UsageKind
from kefu.core.masking import mask_email, mask_phone
from kefu.customers.choices import SubscriptionStatus, Tier

register = template.Library()

# The colour family a status reads as; the CSS knows these tones.
_STATUS_TONES: dict[str, str] = {
    SubscriptionStatus.ACTIVE: "success",
    SubscriptionStatus.PENDING: "info",
    SubscriptionStatus.SUSPENDED: "warning",
    SubscriptionStatus.TERMINATED: "muted",
    BillStatus.PAID: "success",
    BillStatus.UNPAID: "warning",
    BillStatus.OVERDUE: "danger",
}

_BILL_STATUS_LABELS = dict(BillStatus.choices)
_SUBSCRIPTION_STATUS_LABELS = dict(SubscriptionStatus.choices)


@register.simple_tag
def tier_badge(tier: str) -> SafeString:
    """钻石 / 金 / 银 / 普通 as a badge; an unknown code shows as itself, plainly."""
    try:
        label = str(Tier(tier).label)
    except ValueError:
        return format_html('<span class="badge">{}</span>', tier)
    return format_html('<span class="badge badge-tier tier-{}">{}</span>', tier, label)


@register.filter
def status_tone(status: str) -> str:
    return _STATUS_TONES.get(status, "neutral")


@register.simple_tag
def bill_status_badge(status: str) -> SafeString:
    label = _BILL_STATUS_LABELS.get(status, status)
    return format_html('<span class="badge tone-{}">{}</span>', status_tone(status), label)


@register.simple_tag
def line_status_badge(status: str) -> SafeString:
    label = _SUBSCRIPTION_STATUS_LABELS.get(status, status)
    return format_html('<span class="badge tone-{}">{}</span>', status_tone(status), label)


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """¥1,234.50 — amounts in the operator's currency, always with two decimals."""
    if value is None:
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def megabytes(value: int) -> str:
    """Data volumes people read: 800 MB, 1.5 GB, 20 GB."""
    if value >= 1024:
        gigabytes = value / 1024
        return f"{gigabytes:.0f} GB" if gigabytes >= 100 or gigabytes == int(gigabytes) else f"{gigabytes:.1f} GB"
    return f"{value} MB"


@register.filter
def allowance_amount(amount: int, kind: str) -> str:
    """An allowance quantity with its unit: minutes of calls, MB/GB of data, messages."""
    if kind == UsageKind.DATA:
        return megabytes(amount)
    if kind == UsageKind.VOICE:
        return ngettext("%(count)s min", "%(count)s min", amount) % {"count": amount}
    if kind == UsageKind.SMS:
        return ngettext("%(count)s message", "%(count)s messages", amount) % {"count": amount}
    return str(amount)


@register.filter
def allowance_name(kind: str) -> str:
    names: dict[str, str] = {
        UsageKind.VOICE: _("Domestic calls"),
        UsageKind.DATA: _("Data"),
        UsageKind.SMS: _("SMS"),
    }
    return names.get(kind, kind)


@register.filter
def usage_quantity(quantity: int, kind: str) -> str:
    """A usage record's quantity: seconds of a call, KB of data, messages."""
    if kind == UsageKind.VOICE:
        minutes, seconds = divmod(quantity, 60)
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds}
    if kind == UsageKind.DATA:
        if quantity >= 1024:
            return megabytes(round(quantity / 1024)) if quantity >= 10 * 1024 else f"{quantity / 1024:.1f} MB"
        return f"{quantity} KB"
    if kind == UsageKind.SMS:
        return ngettext("%(count)s message", "%(count)s messages", quantity) % {"count": quantity}
    return str(quantity)


@register.filter
def usage_kind_name(kind: str) -> str:
    return str(dict(UsageKind.choices).get(kind, kind))


@register.filter
def matched_on_label(matched_on: str) -> str:
    """What the search matched, in the words of `customers.queries.search_customers`."""
    labels = {
        "phone": _("Phone number"),
        "name": _("Name"),
        "id_number": _("ID number"),
        "customer_number": _("Customer number"),
        "account": _("Account number"),
        "address": _("Address"),
    }
    return str(labels.get(matched_on, matched_on))


@register.filter
def meter_level(percent: int) -> str:
    """How worried to look at a used-up allowance: fine, nearly used, used up."""
    if percent >= 90:
        return "critical"
    if percent >= 70:
        return "warning"
    return "ok"


@register.filter
def counterpart(value: str, shows_personal_data: bool) -> str:
    """The other party of a call or SMS, masked like the customer's own numbers when it is a number."""
    if shows_personal_data or not value or not value.replace(" ", "").isdigit():
        return value
    return mask_phone(value.replace(" ", ""))


@register.simple_tag
def widget(field: BoundField, **attributes: str) -> SafeString:
    """A form field's input in the desk's style, marked invalid when it has errors."""
    attrs: dict[str, str | bool] = {"class": "input", **attributes}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}-errors"
    return field.as_widget(attrs=attrs)


@register.filter
def masked_email(value: str) -> str:
    return mask_email(value)


_ICON_PATHS: dict[str, str] = {
    "users": '<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/>'
    '<path d="M22 21v-2a4 4 0 0 0-3-3.87"/><path d="M16 3.13a4 4 0 0 1 0 7.75"/>',
    "ticket": '<path d="M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5'
    'a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4z"/><path d="M13 5v14" stroke-dasharray="2 2"/>',
    "headset": '<path d="M3 14v-2a9 9 0 0 1 18 0v2"/><path d="M21 16a2 2 0 0 1-2 2h-1v-6h1a2 2 0 0 1 2 2z"/>'
    '<path d="M3 16a2 2 0 0 0 2 2h1v-6H5a2 2 0 0 0-2 2z"/><path d="M18 18v1a3 3 0 0 1-3 3h-3"/>',
    "book": '<path d="M4 19.5A2.5 2.5 0 0 1 6.5 17H20"/><path d="M6.5 2H20v20H6.5A2.5 2.5 0 0 1 4 19.5v-15'
    'A2.5 2.5 0 0 1 6.5 2z"/>',
    "chart": '<path d="M3 3v18h18"/><path d="M7 15l4-4 3 3 5-6"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="M21 21l-4.3-4.3"/>',
    "phone": '<rect x="6" y="2" width="12" height="20" rx="2"/><path d="M11 18h2"/>',
    "wifi": '<path d="M2 8.8a15 15 0 0 1 20 0"/><path d="M5 12.5a10 10 0 0 1 14 0"/>'
    '<path d="M8.5 16a5 5 0 0 1 7 0"/><circle cx="12" cy="19.5" r="1"/>',
    "tv": '<rect x="2" y="6" width="20" height="14" rx="2"/><path d="M8 2l4 4 4-4"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="M16 17l5-5-5-5"/><path d="M21 12H9"/>',
    "key": '<circle cx="7.5" cy="15.5" r="4.5"/><path d="M10.7 12.3L21 2"/><path d="M16 7l3 3"/>',
    "wallet": '<path d="M20 7V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h13a2 2 0 0 0 2-2v-2"/>'
    '<path d="M22 11h-6a2 2 0 0 0 0 4h6z"/>',
    "receipt": '<path d="M5 2h14v20l-3-2-2 2-2-2-2 2-2-2-3 2z"/><path d="M9 7h6M9 11h6M9 15h4"/>',
    "id": '<rect x="2" y="4" width="20" height="16" rx="2"/><circle cx="8" cy="11" r="2.5"/>'
    '<path d="M4.5 17a3.5 3.5 0 0 1 7 0"/><path d="M14 9h5M14 13h4"/>',
    "map": '<path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21z"/><circle cx="12" cy="9.5" r="2.5"/>',
    "chat": '<path d="M21 12a8 8 0 0 1-11.6 7.1L3 21l1.9-6.4A8 8 0 1 1 21 12z"/>',
    "alert": '<path d="M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/>'
    '<path d="M12 9v4M12 17h.01"/>',
    "chevron": '<path d="M9 6l6 6-6 6"/>',
    "star": '<path d="M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8-6.2-3.2-6.2 3.2L7 14.2 2 9.3l6.9-1z"/>',
    "moon": '<path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/>',
    "shield": '<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/>',
    "device": '<rect x="3" y="7" width="18" height="10" rx="2"/><path d="M7 12h.01M11 12h.01"/>',
    "globe": '<circle cx="12" cy="12" r="10"/><path d="M2 12h20"/><path d="M12 2a15 15 0 0 1 0 20a15 15 0 0 1 0-20z"/>',
}


@register.simple_tag
def icon(name: str, size: int = 18) -> SafeString:
    """A line icon drawn in the current text colour; decorative, so hidden from screen readers."""
    paths = _ICON_PATHS.get(name, "")
    # The paths are our own constants above, never user input.
    return mark_safe(  # noqa: S308
        f'<svg class="icon" width="{int(size)}" height="{int(size)}" viewBox="0 0 24 24" fill="none" '
        f'stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" '
        f'aria-hidden="true" focusable="false">{paths}</svg>'
    )


_SERVICE_ICONS = {"mobile": "phone", "broadband": "wifi", "digital_tv": "tv", "interactive_tv": "tv"}


@register.filter
def service_icon(service: str) -> str:
    return _SERVICE_ICONS.get(service, "device")
