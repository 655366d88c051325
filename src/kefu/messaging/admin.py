from django.contrib import admin

from kefu.messaging.models import MessageTemplate, OutboundMessage


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
