"""Masking of personal data (PRODUCT §1): show only what a role needs.

A masked value keeps enough to recognise it on the phone ("尾号 5678") and no more.
"""

from __future__ import annotations


def mask_phone(number: str) -> str:
    """138****5678 for a mobile; keep the area code and last 4 digits for a landline."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    keep_head = min(4, max(0, len(digits) - 8))
    return f"{digits[:keep_head]}{'*' * (len(digits) - keep_head - 4)}{digits[-4:]}"


def mask_id_number(value: str) -> str:
    """Resident ID 320102********1234: region of issue and last four stay visible."""
    text = value.strip()
    if len(text) <= 8:
        return text[:1] + "*" * max(0, len(text) - 1)
    return f"{text[:6]}{'*' * (len(text) - 10)}{text[-4:]}"


def mask_name(name: str) -> str:
    """张*明 / 王* : the family name stays, the given name is hidden but for its last char."""
    text = name.strip()
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    if not domain:
        return mask_name(address)
    return f"{local[:1]}***@{domain}"


def mask_address(address: str, keep: int = 9) -> str:
    """Keep the city/district part an agent needs for routing; hide the door number."""
    text = address.strip()
    if len(text) <= keep:
        return text
    return text[:keep] + "****"
