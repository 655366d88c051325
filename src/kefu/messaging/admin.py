from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.messaging.channel_accounts import (
    SETTINGS,
    Setting,
    delete_channel_account,
    save_channel_account,
    stored_secret_names,
)
from kefu.messaging.models import ChannelAccount, MessageTemplate, OutboundMessage

CLEAR_SUFFIX = "__clear"
HTTP_URL = URLValidator(schemes=["http", "https"])


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    list_display = ("code", "channel", "subject")
    list_filter = ("channel",)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin[OutboundMessage]):
    list_display = ("created_at", "channel", "address", "recipient_user", "status", "attempts")
    list_filter = ("channel", "status")
    search_fields = ("address", "body", "subject_id")
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]


class ChannelAccountAddForm(forms.ModelForm[ChannelAccount]):
    """Step one: the kind, a name and the queue; the account starts disabled (nothing configured yet)."""

    class Meta:
        model = ChannelAccount
        fields = ("kind", "name", "queue_code")


def _field_for(spec: Setting, *, stored: bool) -> forms.Field:
    label = spec.label
    if spec.secret:
        # Never rendered back (render_value=False): the page shows only whether one is stored.
        status = _("stored; leave empty to keep it") if stored else _("not set")
        return forms.CharField(
            label=label, required=False, strip=False, help_text=status,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )  # fmt: skip
    if spec.type is bool:
        return forms.BooleanField(label=label, required=False)
    if spec.type is int:
        return forms.IntegerField(label=label, required=False, min_value=0)
    if spec.choices:
        return forms.ChoiceField(label=label, required=False, choices=[(c, c) for c in spec.choices])
    validators = [HTTP_URL] if spec.is_url else []
    return forms.CharField(label=label, required=False, max_length=500, validators=validators)


class ChannelAccountForm(forms.ModelForm[ChannelAccount]):
    """Step two: the kind's settings; credentials in password inputs that never show the stored value."""

    class Meta:
        model = ChannelAccount
        fields = ("name", "queue_code", "enabled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = SETTINGS[self.instance.kind]
        stored = stored_secret_names(self.instance)
        config = self.instance.config if isinstance(self.instance.config, dict) else {}
        for spec in self.specs:
            self.fields[spec.name] = _field_for(spec, stored=spec.name in stored)
            if spec.secret:
                if spec.name in stored:
                    self.fields[spec.name + CLEAR_SUFFIX] = forms.BooleanField(
                        label=_("remove the stored %(name)s") % {"name": spec.label}, required=False
                    )
            elif spec.name in config:
                self.initial[spec.name] = config[spec.name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("enabled"):
            stored = stored_secret_names(self.instance)
            for spec in self.specs:
                if not spec.required:
                    continue
                cleared = cleaned.get(spec.name + CLEAR_SUFFIX)
                has_value = bool(cleaned.get(spec.name)) or (spec.secret and spec.name in stored and not cleared)
                if not has_value:
                    self.add_error(spec.name, _("An enabled account needs this."))
        return cleaned

    def channel_config(self) -> dict[str, str | int | bool]:
        values: dict[str, str | int | bool] = {}
        for spec in self.specs:
            if spec.secret:
                continue
            value = self.cleaned_data.get(spec.name)
            if value is None or value == "":
                continue  # left empty: the environment's setting applies
            values[spec.name] = value
        return values

    def new_secrets(self) -> dict[str, str]:
        return {spec.name: self.cleaned_data.get(spec.name) or "" for spec in self.specs if spec.secret}

    def cleared_secrets(self) -> set[str]:
        return {spec.name for spec in self.specs if spec.secret and self.cleaned_data.get(spec.name + CLEAR_SUFFIX)}


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin[ChannelAccount]):
    """渠道账号: saved through `save_channel_account` (encrypted, audited, caches forgotten)."""

    list_display = ("name", "kind", "queue_code", "enabled", "updated_at", "last_success_at", "last_error_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "queue_code")
    health_fields = ("last_success_at", "last_error", "last_error_at", "created_at", "updated_at")

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: ChannelAccount | None = None, change: bool = False, **kwargs: Any
    ):
        if obj is None:
            kwargs["form"] = ChannelAccountAddForm
            kwargs["fields"] = ChannelAccountAddForm.Meta.fields
            return super().get_form(request, obj, change, **kwargs)
        kwargs["form"] = ChannelAccountForm
        kwargs["fields"] = ChannelAccountForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: ChannelAccount | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": ChannelAccountAddForm.Meta.fields})]
        specs = SETTINGS[obj.kind]
        stored = stored_secret_names(obj)
        secrets: list[str] = []
        for spec in specs:
            if spec.secret:
                secrets.append(spec.name)
                if spec.name in stored:
                    secrets.append(spec.name + CLEAR_SUFFIX)
        return [
            (None, {"fields": ("kind", "name", "queue_code", "enabled")}),
            (
                _("Settings"),
                {
                    "fields": [spec.name for spec in specs if not spec.secret],
                    "description": _("Empty fields use the server's KEFU_* setting."),
                },
            ),
            (_("Credentials"), {"fields": secrets, "description": _("Stored encrypted; never shown again.")}),
            (_("Health"), {"fields": self.health_fields}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ChannelAccount | None = None) -> Any:
        return () if obj is None else ("kind", *self.health_fields)

    def save_model(self, request: HttpRequest, obj: ChannelAccount, form: forms.ModelForm[Any], change: bool) -> None:
        if isinstance(form, ChannelAccountForm):
            save_channel_account(
                obj,
                by=request.user,
                config=form.channel_config(),
                new_secrets=form.new_secrets(),
                cleared_secrets=form.cleared_secrets(),
            )
        else:
            obj.enabled = False
            save_channel_account(obj, by=request.user)

    def response_add(self, request: HttpRequest, obj: ChannelAccount, post_url_continue: str | None = None) -> Any:
        # Like Django's user admin: after the kind is chosen, continue to its settings.
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(reverse("admin:messaging_channelaccount_change", args=[obj.pk]))

    def delete_model(self, request: HttpRequest, obj: ChannelAccount) -> None:
        delete_channel_account(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ChannelAccount]) -> None:
        for account in queryset:
            delete_channel_account(account, by=request.user)
