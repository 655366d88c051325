"""The agent desktop: who may use it, state control, offers, chats, transfer, wrap-up, screen-pop."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, Message, WrapUpCode
from kefu.customers.models import Customer
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, AgentStateChange, Queue, QueueEntry
from tests.connectors.hotline import hotline_chat_queue
from tests.connectors.sockets import receive_until, run, socket, sync
from tests.desk.conftest import signed_in
from tests.desk.scenario import Business
from tests.routing.conftest import new_chat

DESKTOP = "/agent/"


@pytest.fixture
def chat_queue(alice: User, bob: User) -> Queue:
    return hotline_chat_queue(alice, bob)


def offered_chat(agent: User, customer: Customer | None = None, subject: str = "宽带断网") -> QueueEntry:
    acd.set_agent_status(agent, AgentStatus.READY)
    contact = contacts.open_contact(channel="chat", display_name="访客", customer=customer, subject=subject)
    contacts.add_message(contact, sender="customer", body=subject, client_id="first")
    entry = acd.enqueue(contact, Queue.objects.get(code="CHAT"))
    acd.route_entry(entry.pk)  # what on_commit does in production
    entry.refresh_from_db()
    return entry


def active_chat(agent: User, customer: Customer | None = None) -> Contact:
    entry = offered_chat(agent, customer)
    return acd.accept_offer(agent, entry.pk)


# --- who may open it ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login() -> None:
    response = Client().get(DESKTOP)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={DESKTOP}")


@pytest.mark.django_db
def test_knowledge_editor_is_refused_the_desktop(kate: User) -> None:
    assert signed_in(kate).get(DESKTOP).status_code == 403


@pytest.mark.django_db
def test_agent_opens_the_desktop_from_the_navigation(alice: User) -> None:
    client = signed_in(alice)

    page = client.get(DESKTOP)
    nav = client.get("/customers/").content.decode()

    assert page.status_code == 200
    assert 'href="/agent/"' in nav
    assert 'href="/supervisor/"' not in nav
    assert "座席工作台" in nav


# --- state ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_agent_sets_ready_then_not_ready_with_a_reason(alice: User) -> None:
    client = signed_in(alice)

    client.post("/agent/state/", {"state": "ready"})
    response = client.post("/agent/state/", {"state": "not_ready:meal"})

    state = AgentState.objects.get(agent=alice)
    assert (state.status, state.reason) == (AgentStatus.NOT_READY, "meal")
    assert "用餐" in response.content.decode()
    assert list(AgentStateChange.objects.filter(agent=alice).values_list("to_status", flat=True)) == [
        "ready",
        "not_ready",
    ]


@pytest.mark.django_db
def test_not_ready_without_a_reason_is_refused_and_changes_nothing(alice: User) -> None:
    client = signed_in(alice)
    client.post("/agent/state/", {"state": "ready"})

    response = client.post("/agent/state/", {"state": "not_ready"})

    assert AgentState.objects.get(agent=alice).status == AgentStatus.READY
    assert "state-error" in response.content.decode()


@pytest.mark.django_db
def test_agent_cannot_sign_off_with_a_chat_open(chat_queue: Queue, alice: User) -> None:
    active_chat(alice)

    response = signed_in(alice).post("/agent/state/", {"state": "offline"})

    assert AgentState.objects.get(agent=alice).status == AgentStatus.BUSY
    assert "state-error" in response.content.decode()


# --- offers -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_offer_card_shows_the_customer_and_accepting_opens_the_chat(
    chat_queue: Queue, alice: User, zhang: Customer
) -> None:
    entry = offered_chat(alice, zhang)
    client = signed_in(alice)

    card = client.get("/agent/offers/").content.decode()
    accepted = client.post(f"/agent/offers/{entry.pk}/accept/")
    pane = client.get(f"/agent/contacts/{entry.contact_id}/").content.decode()

    assert f'data-offer="{entry.pk}"' in card and "张三丰" in card and "宽带断网" in card
    assert accepted.json() == {"contact": entry.contact_id}
    assert "宽带断网" in pane and "data-composer" in pane


@pytest.mark.django_db
def test_another_agent_cannot_accept_alices_offer(chat_queue: Queue, alice: User, bob: User) -> None:
    entry = offered_chat(alice)

    response = signed_in(bob).post(f"/agent/offers/{entry.pk}/accept/")

    entry.refresh_from_db()
    assert response.status_code == 409
    assert (entry.state, entry.offered_to) == (EntryState.OFFERED, alice)


@pytest.mark.django_db
def test_declining_puts_the_contact_back_in_the_queue(chat_queue: Queue, alice: User) -> None:
    entry = offered_chat(alice)

    response = signed_in(alice).post(f"/agent/offers/{entry.pk}/decline/")

    entry.refresh_from_db()
    assert response.status_code == 200
    assert (entry.state, entry.declined_by) == (EntryState.WAITING, [alice.pk])


# --- the chat -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reply_sent_twice_with_one_client_id_is_stored_once(chat_queue: Queue, alice: User) -> None:
    contact = active_chat(alice)
    client = signed_in(alice)

    first = client.post(f"/agent/contacts/{contact.pk}/messages/", {"body": "您好", "client_id": "a-1"})
    again = client.post(f"/agent/contacts/{contact.pk}/messages/", {"body": "您好", "client_id": "a-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.filter(contact=contact, sender="agent").count() == 1


@pytest.mark.django_db
def test_another_agent_cannot_read_or_write_alices_chat(chat_queue: Queue, alice: User, bob: User) -> None:
    contact = active_chat(alice)
    client = signed_in(bob)

    pane = client.get(f"/agent/contacts/{contact.pk}/")
    sent = client.post(f"/agent/contacts/{contact.pk}/messages/", {"body": "hi", "client_id": "b-1"})
    pop = client.get(f"/agent/contacts/{contact.pk}/customer/")

    assert (pane.status_code, sent.status_code, pop.status_code) == (404, 404, 404)
    assert Message.objects.filter(contact=contact, sender="agent").count() == 0


@pytest.mark.django_db
def test_transfer_to_a_colleague_carries_the_note(chat_queue: Queue, alice: User, bob: User) -> None:
    contact = active_chat(alice)
    acd.set_agent_status(bob, AgentStatus.NOT_READY, "break")

    response = signed_in(alice).post(
        f"/agent/contacts/{contact.pk}/transfer/", {"target": f"agent:{bob.pk}", "note": "客户要提速到 1000M"}
    )

    entry = QueueEntry.objects.get(contact=contact)
    assert response["HX-Trigger"] == "kefu:contacts-changed"
    assert "鲍勃" in response.content.decode()
    assert (entry.state, entry.preferred_agent) == (EntryState.WAITING, bob)
    note = Message.objects.get(contact=contact, internal=True)
    assert (note.sender, note.author, note.body) == ("agent", alice, "客户要提速到 1000M")


@pytest.mark.django_db
def test_the_next_agent_sees_the_transfer_note_as_an_internal_note(chat_queue: Queue, alice: User, bob: User) -> None:
    contact = active_chat(alice)
    acd.transfer(contact, by_agent=alice, to_agent=bob, note="客户要提速到 1000M")
    acd.set_agent_status(bob, AgentStatus.READY)
    acd.route_entry(contact.queue_entry.pk)
    acd.accept_offer(bob, contact.queue_entry.pk)

    pane = signed_in(bob).get(f"/agent/contacts/{contact.pk}/").content.decode()

    assert '<span class="msg-note msg-internal"><b>内部备注</b> · 艾丽: 客户要提速到 1000M</span>' in pane


@pytest.mark.django_db
def test_transfer_to_someone_not_offered_is_refused(chat_queue: Queue, alice: User, sara: User) -> None:
    contact = active_chat(alice)

    response = signed_in(alice).post(f"/agent/contacts/{contact.pk}/transfer/", {"target": f"agent:{sara.pk}"})

    contact.refresh_from_db()
    assert response.status_code == 200
    assert "pane-alert" in response.content.decode()
    assert (contact.status, contact.transfers) == ("active", 0)


@pytest.mark.django_db
def test_end_then_wrap_up_with_a_code(chat_queue: Queue, alice: User) -> None:
    code = WrapUpCode.objects.create(code="BB-FAULT", name="宽带故障", category="fault")
    contact = active_chat(alice)
    client = signed_in(alice)

    ended = client.post(f"/agent/contacts/{contact.pk}/end/").content.decode()
    refused = client.post(f"/agent/contacts/{contact.pk}/wrap-up/", {"notes": "重启光猫后恢复"})
    done = client.post(f"/agent/contacts/{contact.pk}/wrap-up/", {"code": "BB-FAULT", "notes": "重启光猫后恢复"})

    contact.refresh_from_db()
    assert 'class="wrap-up"' in ended and "宽带故障" in ended
    assert "pane-alert" in refused.content.decode()
    assert done["HX-Trigger"] == "kefu:contacts-changed"
    assert (contact.status, contact.wrap_up_code, contact.notes) == ("ended", code, "重启光猫后恢复")
    assert contact.wrap_up_seconds is not None


# --- screen-pop and the 360's timeline -------------------------------------------------------------------------


@pytest.mark.django_db
def test_screen_pop_shows_the_customer_with_the_offer(
    chat_queue: Queue, alice: User, zhang: Customer, zhang_business: Business
) -> None:
    entry = offered_chat(alice, zhang)

    html = signed_in(alice).get(f"/agent/contacts/{entry.contact_id}/customer/").content.decode()

    assert "张三丰" in html
    assert "138****5678" in html  # an agent sees numbers masked
    assert "¥" in html  # the balance
    assert f'href="/customers/{zhang.pk}/"' in html


@pytest.mark.django_db
def test_agent_links_an_unknown_chatter_to_the_customer(chat_queue: Queue, alice: User, zhang: Customer) -> None:
    contact = active_chat(alice)

    html = signed_in(alice).post(f"/agent/contacts/{contact.pk}/identify/", {"q": "13812345678"}).content.decode()

    contact.refresh_from_db()
    assert contact.customer == zhang
    assert "张三丰" in html


@pytest.mark.django_db
def test_customer_360_lists_contacts_of_every_channel_with_transcript(
    chat_queue: Queue, alice: User, zhang: Customer
) -> None:
    contact = active_chat(alice, zhang)
    contacts.add_message(contact, sender="agent", body="您好，我是艾丽", author=alice)
    contacts.open_contact(channel="voice", customer=zhang)

    html = signed_in(alice).get(f"/customers/{zhang.pk}/contacts/").content.decode()

    assert html.count('class="tl-item') == 2
    assert "在线客服" in html and "电话" in html
    assert "您好，我是艾丽" in html


@pytest.mark.django_db
def test_field_engineer_cannot_read_timeline_outside_own_area(charlie: User, wang: Customer) -> None:
    assert signed_in(charlie).get(f"/customers/{wang.pk}/contacts/").status_code == 404


# --- the desk socket ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ready_agent_receives_the_offer_over_the_socket(chat_queue: Queue, alice: User) -> None:
    acd.set_agent_status(alice, AgentStatus.READY)

    async def scenario():
        desk = socket("/ws/desk/", alice)
        await desk.connect()
        await receive_until(desk, "hello")
        contact = await sync(new_chat)("访客")
        await sync(acd.enqueue)(contact, chat_queue)
        offer = await receive_until(desk, "offer")
        await desk.disconnect()
        return contact, offer

    contact, offer = run(scenario)

    assert (offer["contact"], offer["channel"], offer["queue"]) == (contact.pk, "chat", "在线客服")


@pytest.mark.django_db(transaction=True)
def test_agent_follows_own_chat_but_not_anothers(chat_queue: Queue, alice: User, bob: User) -> None:
    mine = active_chat(alice)
    theirs = active_chat(bob)

    async def scenario():
        desk = socket("/ws/desk/", alice)
        await desk.connect()
        await receive_until(desk, "hello")
        await desk.send_json_to({"type": "subscribe", "contact": theirs.pk})
        refused = await receive_until(desk, "refused")
        await desk.send_json_to({"type": "subscribe", "contact": mine.pk})
        subscribed = await receive_until(desk, "subscribed")
        await sync(contacts.add_message)(theirs, sender="customer", body="not for alice")
        await sync(contacts.add_message)(mine, sender="customer", body="for alice", client_id="c-1")
        heard = await receive_until(desk, "chat.message")
        await desk.disconnect()
        return refused, subscribed, heard

    refused, subscribed, heard = run(scenario)

    assert refused["contact"] == theirs.pk
    assert subscribed["contact"] == mine.pk
    assert (heard["contact"], heard["body"]) == (mine.pk, "for alice")


@pytest.mark.django_db(transaction=True)
def test_only_supervisors_hear_queue_changes(chat_queue: Queue, alice: User, sara: User) -> None:
    async def scenario():
        agent_desk, supervisor_desk = socket("/ws/desk/", alice), socket("/ws/desk/", sara)
        for desk in (agent_desk, supervisor_desk):
            await desk.connect()
            await receive_until(desk, "hello")
        await sync(acd.enqueue)(await sync(new_chat)(), chat_queue)
        heard = await receive_until(supervisor_desk, "queue.changed")
        agent_heard_nothing = await agent_desk.receive_nothing(timeout=0.3)
        for desk in (agent_desk, supervisor_desk):
            await desk.disconnect()
        return heard, agent_heard_nothing

    heard, agent_heard_nothing = run(scenario)

    assert heard == {"type": "queue.changed", "queue": "CHAT"}
    assert agent_heard_nothing is True


@pytest.mark.django_db(transaction=True)
def test_signed_out_socket_is_closed() -> None:
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        desk = socket("/ws/desk/", AnonymousUser())
        return await desk.connect()

    assert run(scenario) == (False, 4401)
