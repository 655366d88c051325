"""Work order services: import the verbs from here."""

from kefu.tickets.services.business import record_order_payment
from kefu.tickets.services.orders import (
    accept_order,
    add_note,
    cancel_order,
    create_order,
    dispatch_order,
    escalate_order,
    hold_order,
    link_child,
    merge_orders,
    record_callback,
    reopen_order,
    report_progress,
    resolve_order,
    resume_order,
    return_order,
    start_work,
)

__all__ = [
    "accept_order",
    "add_note",
    "cancel_order",
    "create_order",
    "dispatch_order",
    "escalate_order",
    "hold_order",
    "link_child",
    "merge_orders",
    "record_callback",
    "record_order_payment",
    "reopen_order",
    "report_progress",
    "resolve_order",
    "resume_order",
    "return_order",
    "start_work",
]
