"""Phone numbers as China writes them: parse, validate and normalise with `phonenumbers`."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from phonenumbers import NumberParseException, PhoneNumberType

from kefu.core.errors import BusinessRuleError


def normalise_phone(raw: str, region: str | None = None) -> str:
    """National significant digits ("13812345678", "2584001234") or BusinessRuleError.

    Accepts what people type: spaces, dashes, +86, 0086, a trunk 0 before an area code.
    """
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_REGION)
    except NumberParseException as error:
        raise BusinessRuleError(_("“%(raw)s” is not a phone number") % {"raw": raw}, code="phone_invalid") from error
    if not phonenumbers.is_valid_number(parsed):
        raise BusinessRuleError(_("“%(raw)s” is not a valid phone number") % {"raw": raw}, code="phone_invalid")
    return phonenumbers.national_significant_number(parsed)


def is_mobile(national_digits: str, region: str | None = None) -> bool:
    parsed = phonenumbers.parse(national_digits, region or settings.PHONE_REGION)
    return phonenumbers.number_type(parsed) in {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def digits_only(raw: str) -> str:
    """What a search box gives us, reduced to digits ("+86 138-1234" → "861381234")."""
    return "".join(ch for ch in raw if ch.isdigit())


def format_phone(national_digits: str, region: str | None = None) -> str:
    """How a person reads it: "138 1234 5678", "025 8400 1234"."""
    try:
        parsed = phonenumbers.parse(national_digits, region or settings.PHONE_REGION)
    except NumberParseException:
        return national_digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
