"""The agent desktop (座席工作台, PRODUCT §4): state, offers with screen-pop, chats, transfer, wrap-up.

The page is server-rendered; `static/desk/agent.js` listens on the desk socket and asks these
views for fresh partials when an event says something changed. Every action calls one routing
or contacts service and answers with the partial it changed (or JSON for the script's calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import User
from kefu.accounts.permissions import staff_required
from kefu.bss.adapters.base import Balance
from kefu.bss.queries import balance_for
from kefu.contacts import queries as contact_queries
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactStatus, SenderKind
from kefu.contacts.models import Contact, Message, WrapUpCode
from kefu.core.errors import KefuError
from kefu.customers.models import Customer
from kefu.customers.queries import CustomerProfile, customer_for_user_or_404, customer_profile, search_customers
from kefu.routing import queries as routing_queries
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, NotReadyReason
from kefu.routing.models import Queue, QueueEntry
from kefu.tickets.choices import OPEN_STATUSES
from kefu.tickets.models import WorkOrder
from kefu.tickets.queries import orders_visible_to

HANDLE = "routing.handle_contacts"
VIEW_CUSTOMER = "customers.view_customer"
VIEW_BILLING = "bss.view_billing"
# Not-ready reasons an agent picks; the others are set by the system or a supervisor.
AGENT_REASONS = [(code, label) for code, label in NotReadyReason.choices if code not in ("missed_offer", "supervisor")]
RECENT_CONTACTS = 5
OPEN_ORDERS_SHOWN = 5


def duration(seconds: int | None) -> str:
    """12 s, 3 min 05 s: a wait or a talk time as people say it."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes, rest = divmod(seconds, 60)
    return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": rest}


def _agent(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # staff_required has already sent anonymous visitors away
        raise PermissionDenied
    return user


def _refusal(error: KefuError, status: int = 409) -> JsonResponse:
    return JsonResponse({"error": error.message, "code": error.code}, status=status)


# --- the page and its state ---------------------------------------------------------------------


def _state_context(agent: User, error: str = "") -> dict[str, Any]:
    state = routing_queries.agent_state_of(agent.pk)
    return {
        "state": state,
        "status": state.status if state else AgentStatus.OFFLINE,
        "state_choices": AgentStatus.choices,
        "reasons": AGENT_REASONS,
        "reason_labels": dict(NotReadyReason.choices),
        "state_error": error,
    }


def _my_orders(agent: User) -> list[WorkOrder]:
    return list(
        orders_visible_to(agent)
        .filter(created_by=agent, status__in=OPEN_STATUSES)
        .select_related("customer", "order_type")
        .order_by("-created_at")[:OPEN_ORDERS_SHOWN]
    )


@staff_required(HANDLE)
def desktop(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    context = {
        **_state_context(agent),
        "offers": routing_queries.offers_for(agent.pk),
        "my_contacts": list(contact_queries.active_contacts_of(agent).order_by("answered_at", "id")),
        "my_orders": _my_orders(agent),
        "server_now": timezone.now(),
        "nav_section": "agent",
    }
    return render(request, "desk/agent/desktop.html", context)


@staff_required(HANDLE)
def agent_state(request: HttpRequest) -> HttpResponse:
    """GET: the state bar. POST state=ready | offline | not_ready:<reason>: change it."""
    agent = _agent(request)
    error = ""
    if request.method == "POST":
        status, _sep, reason = request.POST.get("state", "").partition(":")
        try:
            acd.set_agent_status(agent, status, reason)
        except KefuError as refusal:
            error = refusal.message
    return render(request, "desk/agent/_state.html", _state_context(agent, error))


# --- offers ----------------------------------------------------------------------------------------


@require_GET
@staff_required(HANDLE)
def offers(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    return render(request, "desk/agent/_offers.html", {"offers": routing_queries.offers_for(agent.pk)})


@require_POST
@staff_required(HANDLE)
def accept_offer(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        contact = acd.accept_offer(_agent(request), entry_id)
    except QueueEntry.DoesNotExist as error:
        raise Http404("No such offer") from error
    except KefuError as refusal:
        return _refusal(refusal)
    return JsonResponse({"contact": contact.pk})


@require_POST
@staff_required(HANDLE)
def decline_offer(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        acd.decline_offer(_agent(request), entry_id)
    except QueueEntry.DoesNotExist as error:
        raise Http404("No such offer") from error
    except KefuError as refusal:
        return _refusal(refusal)
    return JsonResponse({"declined": entry_id})


# --- the agent's contacts ------------------------------------------------------------------------------


def _handled_or_404(agent: User, contact_id: int) -> Contact:
    contact = contact_queries.handled_contact(agent, contact_id)
    if contact is None:
        raise Http404("Not one of your contacts")
    return contact


@require_GET
@staff_required(HANDLE)
def my_contacts(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    context = {"my_contacts": list(contact_queries.active_contacts_of(agent).order_by("answered_at", "id"))}
    return render(request, "desk/agent/_contacts.html", context)


def _pane_context(agent: User, contact: Contact, error: str = "") -> dict[str, Any]:
    entry = routing_queries.entry_of(contact)
    queue = entry.queue if entry else None
    messages: list[Message] = list(contact_queries.transcript(contact))
    first_question = next((m.body for m in messages if m.sender == SenderKind.CUSTOMER), "")
    return {
        "contact": contact,
        "messages": messages,
        "queue": queue,
        "transfer_agents": routing_queries.signed_in_agents(exclude_agent_id=agent.pk, queue=queue),
        "transfer_queues": routing_queries.queues_taking(contact.channel),
        "wrap_up_codes": contact_queries.wrap_up_codes(),
        "order_title": (contact.subject or first_question)[:80],
        "waited": duration(contact.wait_seconds),
        "pane_error": error,
    }


@require_GET
@staff_required(HANDLE)
def contact_pane(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    return render(request, "desk/agent/_pane.html", _pane_context(agent, contact))


@require_POST
@staff_required(HANDLE)
def send_message(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The agent's reply, out on the contact's channel; the page's client id makes a retried send store once."""
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    if contact.status != ContactStatus.ACTIVE:
        return JsonResponse({"error": _("This conversation has ended.")}, status=409)
    try:
        message, created = contacts.reply_to_customer(
            contact, agent=agent, body=request.POST.get("body", ""), client_id=request.POST.get("client_id", "")
        )
    except KefuError as refusal:
        return _refusal(refusal)
    return JsonResponse(contacts.message_event(message), status=201 if created else 200)


def _changed(response: HttpResponse) -> HttpResponse:
    """Tell the page's script that the agent's list of contacts changed."""
    response["HX-Trigger"] = "kefu:contacts-changed"
    return response


def _target(agent: User, contact: Contact, value: str) -> tuple[Queue | None, User | None]:
    """A transfer's target, "agent:<id>" or "queue:<code>", from the choices the pane offered."""
    kind, _sep, key = value.partition(":")
    if kind == "agent":
        entry = routing_queries.entry_of(contact)
        for state in routing_queries.signed_in_agents(exclude_agent_id=agent.pk, queue=entry.queue if entry else None):
            if str(state.agent_id) == key:
                return None, state.agent
    if kind == "queue":
        for queue in routing_queries.queues_taking(contact.channel):
            if queue.code == key:
                return queue, None
    raise KefuError(_("Choose an agent or a queue to transfer to."), code="transfer_target")


@require_POST
@staff_required(HANDLE)
def transfer(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    try:
        queue, to_agent = _target(agent, contact, request.POST.get("target", ""))
        acd.transfer(contact, by_agent=agent, queue=queue, to_agent=to_agent, note=request.POST.get("note", ""))
    except KefuError as refusal:
        return render(request, "desk/agent/_pane.html", _pane_context(agent, contact, refusal.message))
    target = str(to_agent) if to_agent else str(queue)
    return _changed(render(request, "desk/agent/_pane_closed.html", {"contact": contact, "transferred_to": target}))


@require_POST
@staff_required(HANDLE)
def end_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    error = ""
    try:
        contact = acd.end_contact(contact, by_agent=agent)
    except KefuError as refusal:
        error = refusal.message
    return _changed(render(request, "desk/agent/_pane.html", _pane_context(agent, contact, error)))


@require_POST
@staff_required(HANDLE)
def wrap_up(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    codes = {code.code: code for code in contact_queries.wrap_up_codes()}
    chosen: WrapUpCode | None = codes.get(request.POST.get("code", ""))
    if codes and chosen is None:
        context = _pane_context(agent, contact, _("Choose a wrap-up code."))
        return render(request, "desk/agent/_pane.html", context)
    try:
        acd.wrap_up_contact(agent, contact, code=chosen, notes=request.POST.get("notes", ""))
    except KefuError as refusal:
        return render(request, "desk/agent/_pane.html", _pane_context(agent, contact, refusal.message))
    return _changed(render(request, "desk/agent/_pane_closed.html", {"contact": contact, "wrapped_up": True}))


# --- screen-pop: the customer in front of the agent ----------------------------------------------------


@dataclass(frozen=True)
class ScreenPop:
    """The customer 360 in brief (PRODUCT §4): who, what they hold, what they owe, what is open."""

    contact: Contact
    customer: Customer | None
    profile: CustomerProfile | None
    balance: Balance | None
    balance_unavailable: bool
    open_orders: list[WorkOrder]
    recent_contacts: list[Contact]


def _previewable(agent: User, contact_id: int) -> Contact:
    """A contact the agent handles now, or one being offered to them (the screen-pop comes with the offer)."""
    contact = contact_queries.handled_contact(agent, contact_id)
    if contact is not None:
        return contact
    offered = next(
        (entry.contact for entry in routing_queries.offers_for(agent.pk) if entry.contact_id == contact_id), None
    )
    if offered is None:
        raise Http404("Not one of your contacts or offers")
    return offered


def _screen_pop(agent: User, contact: Contact) -> ScreenPop:
    customer = contact.customer
    if customer is None or not agent.has_perm(VIEW_CUSTOMER):
        return ScreenPop(contact, None, None, None, False, [], [])
    customer = customer_for_user_or_404(agent, customer.pk)
    balance, unavailable = None, False
    if agent.has_perm(VIEW_BILLING):
        try:
            balance = balance_for(customer.pk)
        except KefuError:
            unavailable = True  # the BSS is down: the desk still works and says so
    orders = list(
        orders_visible_to(agent)
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("order_type")
        .order_by("-created_at")[:OPEN_ORDERS_SHOWN]
    )
    recent = [c for c in contact_queries.customer_timeline(customer, limit=RECENT_CONTACTS + 1) if c.pk != contact.pk]
    return ScreenPop(
        contact=contact,
        customer=customer,
        profile=customer_profile(agent, customer),
        balance=balance,
        balance_unavailable=unavailable,
        open_orders=orders,
        recent_contacts=recent[:RECENT_CONTACTS],
    )


@require_GET
@staff_required(HANDLE)
def screen_pop(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent(request)
    contact = _previewable(agent, contact_id)
    return render(request, "desk/agent/_screen_pop.html", {"pop": _screen_pop(agent, contact)})


@require_POST
@staff_required(HANDLE, VIEW_CUSTOMER)
def identify_customer(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Link an unknown chatter to a customer found by an exact number or customer number."""
    agent = _agent(request)
    contact = _handled_or_404(agent, contact_id)
    text = request.POST.get("q", "").strip()
    hits = search_customers(agent, text) if len(text) >= 5 else []
    error = ""
    if len(hits) == 1:
        contacts.link_customer(contact, customer_for_user_or_404(agent, hits[0].id))
    else:
        error = _("No single customer matches; type the full number.") if text else _("Type a number to look up.")
    context = {"pop": _screen_pop(agent, contact), "identify_error": error, "identify_text": text}
    return render(request, "desk/agent/_screen_pop.html", context)


# --- the customer 360's contact history -----------------------------------------------------------------


@require_GET
@staff_required(VIEW_CUSTOMER)
def customer_contacts(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The contact history on every channel as one timeline (PRODUCT §3), a partial of the 360 view."""
    user = request.user
    customer = customer_for_user_or_404(user, customer_id)  # type: ignore[arg-type]
    timeline = contact_queries.customer_timeline(customer, limit=30)
    prefetch_related_objects(timeline, "messages__author")
    rows = [
        TimelineRow(c, duration(c.wait_seconds), duration(c.talk_seconds), duration(c.wrap_up_seconds))
        for c in timeline
    ]
    return render(request, "desk/agent/_timeline.html", {"customer": customer, "rows": rows})


@dataclass(frozen=True)
class TimelineRow:
    contact: Contact
    wait: str
    talk: str
    wrap_up: str
