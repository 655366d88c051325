"""Photos and documents on work orders, with size and type limits."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import BusinessRuleError
from kefu.tickets.choices import EventKind
from kefu.tickets.models import OrderAttachment, WorkOrder
from kefu.tickets.services.lifecycle import ensure_can_work, record_event

MAX_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"}


@transaction.atomic
def attach_file(*, actor: Any, order: WorkOrder, upload: UploadedFile) -> OrderAttachment:
    if not (actor.has_perm("tickets.add_workorder") or actor.has_perm("tickets.work_workorder")):
        ensure_can_work(actor, order)
    if actor.has_perm("tickets.work_workorder") and not actor.has_perm("tickets.add_workorder"):
        ensure_can_work(actor, order)
    size = upload.size or 0
    if size > MAX_BYTES:
        raise BusinessRuleError(_("Files up to 10 MB only."), code="file_too_large")
    content_type = (upload.content_type or "").lower()
    if content_type not in ALLOWED_TYPES:
        raise BusinessRuleError(_("Only photos (JPEG, PNG, WebP, HEIC) and PDF files."), code="file_type")
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    attachment = OrderAttachment.objects.create(
        order=order, file=upload, name=name, content_type=content_type, size=size, uploaded_by=actor
    )
    record_event(order, actor=actor, kind=EventKind.ATTACHMENT, reason=name, data={"size": size})
    return attachment
