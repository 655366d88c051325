"""Channel accounts: what each kind needs, where a connector finds its configuration, and saving
an account with its credentials encrypted and the change audited.

`channel_config(kind)` is what connectors call: the enabled account of that kind when there is
one, else the KEFU_* settings (the environment) — so a site configured by environment variables
keeps working, and one configured in the admin needs no restart. The enabled accounts are read
from the database once per process and kept for KEFU_CHANNEL_ACCOUNTS_CACHE_SECONDS; saving an
account forgets them at once in this process and, through the shared cache (Redis when
configured), in the others. The environment fallback is read on every call (it costs nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.messaging import crypto
from kefu.messaging.models import ChannelAccount, ChannelKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # the stubs' type only: not a runtime dependency

Value = str | int | bool
GENERATION_KEY = "kefu:channel-accounts:generation"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """One setting of a kind of account, and the KEFU_* setting it falls back to."""

    name: str
    label: StrOrPromise
    setting: str
    type: type[str] | type[int] | type[bool] = str
    secret: bool = False
    required: bool = False
    is_url: bool = False
    choices: tuple[str, ...] = ()


SETTINGS: dict[str, tuple[Setting, ...]] = {
    ChannelKind.EMAIL_SMTP: (
        Setting("host", _("SMTP server"), "KEFU_SMTP_HOST", required=True),
        Setting("port", _("port"), "KEFU_SMTP_PORT", int),
        Setting("starttls", _("use STARTTLS"), "KEFU_SMTP_STARTTLS", bool),
        Setting("user", _("user name"), "KEFU_SMTP_USER"),
        Setting("password", _("password"), "KEFU_SMTP_PASSWORD", secret=True),
        Setting("from_address", _("From address"), "KEFU_EMAIL_FROM"),
    ),
    ChannelKind.EMAIL_IMAP: (
        Setting("host", _("IMAP server"), "KEFU_IMAP_HOST", required=True),
        Setting("port", _("port"), "KEFU_IMAP_PORT", int),
        Setting("security", _("security"), "KEFU_IMAP_SECURITY", choices=("ssl", "starttls", "none")),
        Setting("user", _("user name"), "KEFU_IMAP_USER", required=True),
        Setting("password", _("password"), "KEFU_IMAP_PASSWORD", secret=True, required=True),
        Setting("mailbox", _("folder"), "KEFU_IMAP_MAILBOX"),
    ),
    ChannelKind.KANNEL: (
        Setting("sendsms_url", _("sendsms URL"), "KEFU_KANNEL_SENDSMS_URL", required=True, is_url=True),
        Setting("username", _("sendsms user"), "KEFU_KANNEL_USERNAME", required=True),
        Setting("password", _("sendsms password"), "KEFU_KANNEL_PASSWORD", secret=True),
        Setting("dlr_mask", _("delivery report mask"), "KEFU_KANNEL_DLR_MASK", int),
        Setting("sender", _("sender number"), "KEFU_SMS_SENDER"),
        Setting("callback_base_url", _("Kefu's address for callbacks"), "KEFU_SMS_CALLBACK_BASE_URL", is_url=True),
        Setting("callback_secret", _("callback secret"), "KEFU_SMS_CALLBACK_SECRET", secret=True, required=True),
        Setting("rate_per_second", _("messages per second"), "KEFU_SMS_RATE_PER_SECOND", int),
    ),
    ChannelKind.SMPP: (
        Setting("host", _("SMSC host"), "KEFU_SMPP_HOST", required=True),
        Setting("port", _("port"), "KEFU_SMPP_PORT", int),
        Setting("system_id", _("system id"), "KEFU_SMPP_SYSTEM_ID", required=True),
        Setting("password", _("password"), "KEFU_SMPP_PASSWORD", secret=True),
        Setting("system_type", _("system type"), "KEFU_SMPP_SYSTEM_TYPE"),
        Setting("source_addr", _("sender number"), "KEFU_SMPP_SOURCE_ADDR"),
        Setting("enquire_link_seconds", _("enquire_link every (s)"), "KEFU_SMPP_ENQUIRE_LINK_SECONDS", int),
        Setting("rate_per_second", _("segments per second"), "KEFU_SMS_RATE_PER_SECOND", int),
    ),
    ChannelKind.WEBHOOK: (
        Setting("secret", _("signing secret"), "KEFU_WEBHOOK_SECRET", secret=True, required=True),
        Setting("outbound_url", _("URL replies are posted to"), "KEFU_WEBHOOK_OUTBOUND_URL", is_url=True),
    ),
    ChannelKind.WECHAT: (
        Setting("token", _("token"), "KEFU_WECHAT_TOKEN", secret=True, required=True),
        Setting("appid", _("AppID"), "KEFU_WECHAT_APPID"),
        Setting("appsecret", _("AppSecret"), "KEFU_WECHAT_APPSECRET", secret=True),
        Setting("api_base", _("API address"), "KEFU_WECHAT_API_BASE", is_url=True),
        Setting("welcome", _("welcome reply"), "KEFU_WECHAT_WELCOME"),
    ),
}

# The queue a kind's new contacts enter when the account names none.
DEFAULT_QUEUE_SETTING: dict[str, str] = {
    ChannelKind.EMAIL_IMAP: "KEFU_EMAIL_QUEUE",
    ChannelKind.KANNEL: "KEFU_SMS_QUEUE",
    ChannelKind.SMPP: "KEFU_SMS_QUEUE",
    ChannelKind.WEBHOOK: "KEFU_IM_QUEUE",
    ChannelKind.WECHAT: "KEFU_IM_QUEUE",
}


def secret_names(kind: str) -> set[str]:
    return {spec.name for spec in SETTINGS[kind] if spec.secret}


@dataclass(frozen=True)
class ChannelConfig:
    """A connector's configuration: from an account (`account_id`) or from the environment (None)."""

    kind: str
    values: Mapping[str, Value]
    queue_code: str = ""
    account_id: int | None = None
    name: str = ""
    unreadable: bool = False  # the account's credentials could not be decrypted
    missing: tuple[str, ...] = field(default=())

    @property
    def from_account(self) -> bool:
        return self.account_id is not None

    @property
    def configured(self) -> bool:
        """Everything the connector needs is there."""
        return not self.missing and not self.unreadable

    def text(self, name: str) -> str:
        return str(self.values.get(name, ""))

    def number(self, name: str) -> int:
        value = self.values.get(name, 0)
        return int(value) if not isinstance(value, str) or value.strip().lstrip("-").isdigit() else 0

    def flag(self, name: str) -> bool:
        return bool(self.values.get(name, False))


def _coerce(spec: Setting, value: Any) -> Value:
    if spec.type is bool:
        return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}
    if spec.type is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0
    return "" if value is None else str(value)


def _missing(kind: str, values: Mapping[str, Value]) -> tuple[str, ...]:
    return tuple(spec.name for spec in SETTINGS[kind] if spec.required and values.get(spec.name) in ("", None))


def environment_config(kind: str) -> ChannelConfig:
    """The KEFU_* settings, as a configuration of this kind."""
    values = {spec.name: _coerce(spec, getattr(settings, spec.setting, "")) for spec in SETTINGS[kind]}
    queue_setting = DEFAULT_QUEUE_SETTING.get(kind)
    return ChannelConfig(
        kind=kind,
        values=values,
        queue_code=str(getattr(settings, queue_setting, "")) if queue_setting else "",
        missing=_missing(kind, values),
    )


def account_config(account: ChannelAccount) -> ChannelConfig:
    """An account's configuration: its settings, its decrypted credentials, its queue."""
    kind = account.kind
    stored = account.config if isinstance(account.config, dict) else {}
    unreadable = False
    try:
        credentials = crypto.decrypt(account.encrypted_secrets)
    except crypto.UnreadableSecrets:
        credentials, unreadable = {}, True
    values: dict[str, Value] = {}
    for spec in SETTINGS[kind]:
        raw = credentials.get(spec.name, "") if spec.secret else stored.get(spec.name)
        if raw is None:  # a setting the account leaves out falls back to the environment
            raw = getattr(settings, spec.setting, "")
        values[spec.name] = _coerce(spec, raw)
    queue_setting = DEFAULT_QUEUE_SETTING.get(kind)
    return ChannelConfig(
        kind=kind,
        values=values,
        queue_code=account.queue_code or (str(getattr(settings, queue_setting, "")) if queue_setting else ""),
        account_id=account.pk,
        name=account.name,
        unreadable=unreadable,
        missing=_missing(kind, values),
    )


# --- the per-process cache of enabled accounts ----------------------------------------------------


GENERATION_CHECK_SECONDS = 1.0


class _EnabledAccounts:
    """The enabled accounts by kind, read at most once per KEFU_CHANNEL_ACCOUNTS_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_kind: dict[str, list[ChannelConfig]] | None = None
        self._read_at = 0.0
        self._generation: object = None
        self._generation_checked_at = -GENERATION_CHECK_SECONDS

    def get(self, kind: str) -> list[ChannelConfig]:
        # The shared generation is asked at most once a second: every SMS and mail reads its
        # connector's account, and with Redis as the cache each ask is a round trip.
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            check = now - self._generation_checked_at >= GENERATION_CHECK_SECONDS
        if check:
            generation = cache.get(GENERATION_KEY)
            with self._lock:
                self._generation_checked_at = now
        with self._lock:
            fresh = time.monotonic() - self._read_at < settings.KEFU_CHANNEL_ACCOUNTS_CACHE_SECONDS
            if self._by_kind is not None and fresh and generation == self._generation:
                return self._by_kind.get(kind, [])
        by_kind: dict[str, list[ChannelConfig]] = {}
        try:
            with transaction.atomic():  # a savepoint: a failed read must not spoil the caller's transaction
                accounts = list(ChannelAccount.objects.filter(enabled=True).order_by("kind", "name", "id"))
        except DatabaseError as error:
            # Not migrated yet (a gateway process started before `kefu migrate`): the environment rules.
            logger.warning("channel accounts cannot be read (%s); using the KEFU_* settings", error)
            accounts = []
        for account in accounts:
            by_kind.setdefault(account.kind, []).append(account_config(account))
        with self._lock:
            self._by_kind, self._read_at, self._generation = by_kind, time.monotonic(), generation
        return by_kind.get(kind, [])

    def forget(self) -> None:
        with self._lock:
            self._by_kind = None
            self._generation_checked_at = -GENERATION_CHECK_SECONDS


_enabled = _EnabledAccounts()


def forget_channel_accounts() -> None:
    """Drop this process's copy now, and tell the other processes (through the shared cache)."""
    _enabled.forget()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def channel_config(kind: str) -> ChannelConfig:
    """The enabled account of this kind, else the environment's settings."""
    accounts = _enabled.get(kind)
    return accounts[0] if accounts else environment_config(kind)


def channel_configs(kind: str) -> list[ChannelConfig]:
    """Every enabled account of this kind (mailboxes: one per queue), else the environment's, when set."""
    accounts = _enabled.get(kind)
    if accounts:
        return list(accounts)
    fallback = environment_config(kind)
    return [fallback] if fallback.configured else []


def account_enabled(kind: str) -> bool:
    return bool(_enabled.get(kind))


def active_sms_gateway() -> str:
    """The SMS gateway in use: the one with an enabled account (Kannel before SMPP when both are,
    unless KEFU_SMS_BACKEND names the other), else KEFU_SMS_BACKEND (development, kannel, smpp)."""
    configured = str(settings.KEFU_SMS_BACKEND)
    for gateway in dict.fromkeys([configured, ChannelKind.KANNEL.value, ChannelKind.SMPP.value]):
        if gateway in (ChannelKind.KANNEL, ChannelKind.SMPP) and account_enabled(gateway):
            return gateway
    return configured


# --- saving -------------------------------------------------------------------------------------

AUDITED_FIELDS = ("kind", "name", "queue_code", "enabled", "config")


def stored_secret_names(account: ChannelAccount) -> set[str]:
    """Which credentials an account holds (not their values); none when they are unreadable."""
    try:
        return set(crypto.decrypt(account.encrypted_secrets))
    except crypto.UnreadableSecrets:
        return set()


@transaction.atomic
def save_channel_account(
    account: ChannelAccount,
    *,
    by: Any,
    config: Mapping[str, Value] | None = None,
    new_secrets: Mapping[str, str] | None = None,
    cleared_secrets: set[str] | None = None,
) -> ChannelAccount:
    """Create or change an account. A credential absent from `new_secrets` (or empty) keeps its
    stored value, one in `cleared_secrets` is removed. The audit row names the credentials that
    changed, never their values."""
    is_new = account.pk is None
    before = {} if is_new else audit.snapshot(ChannelAccount.objects.get(pk=account.pk), AUDITED_FIELDS)
    names = secret_names(account.kind)
    if config is not None:
        account.config = {name: value for name, value in config.items() if name not in names}
    try:
        credentials = crypto.decrypt(account.encrypted_secrets)
    except crypto.UnreadableSecrets:
        credentials = {}  # unreadable ones cannot be kept; the form asks for them again
    changed_secrets = sorted(name for name in (cleared_secrets or set()) & names if name in credentials)
    for name in changed_secrets:
        credentials.pop(name)
    for name, value in (new_secrets or {}).items():
        if name in names and value and credentials.get(name) != value:
            credentials[name] = value
            changed_secrets.append(name)
    account.encrypted_secrets = crypto.encrypt(credentials)
    account.save()
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(account, AUDITED_FIELDS))
    if changed_secrets:
        changes["credentials"] = sorted(set(changed_secrets))
    audit.record(
        actor=by, action="channel_account.created" if is_new else "channel_account.changed", target=account,
        changes=changes,
    )  # fmt: skip
    forget_channel_accounts()
    transaction.on_commit(forget_channel_accounts)  # again once the change is visible to the others
    return account


@transaction.atomic
def delete_channel_account(account: ChannelAccount, *, by: Any) -> None:
    audit.record(actor=by, action="channel_account.deleted", target=account, changes={"name": [account.name, None]})
    account.delete()
    forget_channel_accounts()
    transaction.on_commit(forget_channel_accounts)


def record_connector_health(account_id: int | None, *, error: str = "", at: Any = None) -> None:
    """What a connector saw on its last attempt (the IMAP poller): success, or the error.

    Written with an UPDATE so it neither touches `updated_at` nor forgets the cached configuration."""
    if account_id is None:
        return
    moment = at or timezone.now()
    if error:
        ChannelAccount.objects.filter(pk=account_id).update(last_error=error[:300], last_error_at=moment)
    else:
        ChannelAccount.objects.filter(pk=account_id).update(last_success_at=moment)
