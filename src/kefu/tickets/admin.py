from django.contrib import admin

from kefu.tickets.models import OrderEvent, OrderType, SlaPolicy, WorkOrder


@admin.register(OrderType)
class OrderTypeAdmin(admin.ModelAdmin[OrderType]):
    list_display = ("code", "name", "category", "parent", "default_priority", "handled_by", "payment_flow", "is_active")
    list_filter = ("category", "handled_by", "payment_flow", "is_active")
    search_fields = ("code", "name")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ("name", "order_type", "category", "priority", "tier", "response_minutes", "resolution_minutes")
    list_filter = ("category", "priority", "tier")


class OrderEventInline(admin.TabularInline[OrderEvent, WorkOrder]):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor_label", "kind", "from_status", "to_status", "reason", "channel")
    fields = readonly_fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin[WorkOrder]):
    """Read-only here: orders change only through the desk and API, so rules and history hold."""

    list_display = ("number", "order_type", "status", "priority", "service_area", "assignee", "resolution_due")
    list_filter = ("status", "category", "priority")
    search_fields = ("number", "title")
    inlines = [OrderEventInline]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
