"""The desk's softphone (软电话): the agent's call controls, sent to the gateway through the port.

Answer (after the desk accepted the offer: the gateway bridges the caller to the agent), hold,
resume and hang up. The routing services keep the call's record; the gateway only carries
the audio, so a gateway that is down refuses the command and changes nothing else.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.connectors.voice.ari import AriAdapter, AriError, AriGateway
from kefu.connectors.voice.port import VoiceAdapter, VoiceGateway
from kefu.connectors.voice.sip import SipAdapter, SipControl
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus
from kefu.contacts.models import Contact
from kefu.core.errors import KefuError
from kefu.routing import services as acd

ACTIONS = ("answer", "hold", "resume", "hang_up")


def configured() -> tuple[VoiceAdapter, VoiceGateway]:
    if settings.KEFU_VOICE_GATEWAY == "ari":
        return AriAdapter(), AriGateway()
    return SipAdapter(), SipControl()


@require_POST
@login_required
@permission_required("routing.handle_contacts", raise_exception=True)
def softphone(request: HttpRequest, contact_id: int, action: str) -> JsonResponse:
    contact = get_object_or_404(Contact, pk=contact_id, channel=ContactChannel.VOICE, agent_id=request.user.pk)
    adapter, gateway = configured()
    call_id = adapter.call_id_of(contact)
    if action not in ACTIONS or call_id is None:
        return JsonResponse({"error": _("This call cannot take that command.")}, status=409)
    if contact.status != ContactStatus.ACTIVE:
        return JsonResponse({"error": _("The call has ended.")}, status=409)
    try:
        if action == "answer":
            gateway.bridge_to_agent(call_id, contact.agent)  # type: ignore[arg-type]  # agent_id is the user's
        elif action in ("hold", "resume"):
            gateway.hold(call_id, on_hold=action == "hold")
            if action == "hold":
                contacts.put_on_hold(contact)
            else:
                contacts.take_off_hold(contact)
        else:
            gateway.hang_up(call_id)
            acd.end_contact(contact, by_agent=request.user)  # type: ignore[arg-type]  # logged in: a User
    except (AriError, OSError):
        return JsonResponse({"error": _("The telephone system did not answer; try again.")}, status=502)
    except KefuError as refusal:
        return JsonResponse({"error": str(refusal)}, status=409)
    return JsonResponse({"contact": contact.pk, "action": action})
