"""The supervisor's dead-letter list (死信): inbound items a channel stored but could not process,
with retry (through the connector they came from) and discard. Both are audited by the service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import User
from kefu.accounts.permissions import staff_required
from kefu.contacts import deadletters
from kefu.contacts.choices import InboundStatus
from kefu.core.errors import KefuError

SUPERVISE = "routing.supervise_agents"


def _supervisor(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@require_GET
@staff_required(SUPERVISE)
def dead_letters(request: HttpRequest) -> HttpResponse:
    provider = request.GET.get("provider", "").strip()[:32]
    return render(
        request,
        "desk/channels/dead_letters.html",
        {
            "rows": deadletters.dead_letter_rows(provider),
            "provider": provider,
            "providers": sorted(deadletters.REPROCESSORS),
            "nav_section": "supervisor",
        },
    )


@require_POST
@staff_required(SUPERVISE)
def retry_dead_letter(request: HttpRequest, item_id: int) -> HttpResponse:
    supervisor = _supervisor(request)
    try:
        item = deadletters.retry_dead_letter(item_id, by=supervisor)
    except KefuError as refusal:
        messages.error(request, refusal.message)
    else:
        if item.status == InboundStatus.PROCESSED:
            messages.success(request, _("%(item)s was processed.") % {"item": item})
        else:
            messages.error(request, _("%(item)s failed again: %(error)s") % {"item": item, "error": item.error})
    return redirect("desk:dead_letters")


@require_POST
@staff_required(SUPERVISE)
def discard_dead_letter(request: HttpRequest, item_id: int) -> HttpResponse:
    supervisor = _supervisor(request)
    try:
        deadletters.discard_dead_letter(item_id, by=supervisor, reason=request.POST.get("reason", ""))
    except KefuError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The item was discarded."))
    return redirect("desk:dead_letters")
