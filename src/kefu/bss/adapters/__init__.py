"""Adapters to a BSS. `get_adapter()` returns the one configured in KEFU_BSS_ADAPTER."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from kefu.bss.adapters.base import BssAdapter


@cache
def get_adapter() -> BssAdapter:
    adapter_class = import_string(settings.KEFU_BSS_ADAPTER)
    adapter: BssAdapter = adapter_class()
    return adapter
