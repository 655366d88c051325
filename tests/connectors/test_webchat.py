"""Web chat from the customer's side: start, queue position, live messages, reconnect, resend, rating."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.connectors.webchat import transport
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.customers.models import Customer
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus
from kefu.routing.models import Queue
from tests.connectors.sockets import receive_until, run, socket, sync

START = "/chat/api/start/"


def start(client: Client | None = None, **fields: str):
    data = {"request_id": "req-1", "name": "张先生", "phone": "", "question": "宽带连不上网", **fields}
    return (client or Client()).post(START, data=json.dumps(data), content_type="application/json")


def answered_chat(agent: User, **fields: str) -> Contact:
    """A chat started by the widget and accepted by `agent`."""
    acd.set_agent_status(agent, AgentStatus.READY)
    token = start(**fields).json()["token"]
    contact = Contact.objects.get(resume_token=token)
    entry = contact.queue_entry
    acd.route_entry(entry.pk)  # what on_commit does in production (a no-op when already offered)
    acd.accept_offer(agent, entry.pk)
    contact.refresh_from_db()
    return contact


@pytest.mark.django_db
def test_start_opens_a_chat_identifies_the_caller_and_queues_it(chat_queue: Queue, skilled, zhang: Customer) -> None:
    response = start(phone="13812345678")

    body = response.json()
    contact = Contact.objects.get()
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"
    assert body["token"] == contact.resume_token
    assert body["socket"] == f"/ws/chat/{contact.resume_token}/"
    assert body["state"] == {
        "contact": contact.pk,
        "status": "queued",
        "position": 1,
        "expected_wait": 180,
        "agent": "",
        "answered": False,
        "rating": None,
    }
    assert (contact.channel, contact.display_name, contact.identity, contact.customer) == (
        "chat",
        "张先生",
        "13812345678",
        zhang,
    )
    assert (contact.queue_code, contact.subject) == ("CHAT", "宽带连不上网")
    assert [(m["sender"], m["body"]) for m in body["messages"]] == [("customer", "宽带连不上网")]
    assert list(InboundItem.objects.values_list("provider", "provider_id", "status")) == [
        ("webchat", "start:req-1", "processed")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_ready_agent_is_offered_the_new_chat_at_once(chat_queue: Queue, skilled, alice: User) -> None:
    acd.set_agent_status(alice, AgentStatus.READY)

    state = start().json()["state"]

    assert (state["status"], state["position"], state["expected_wait"]) == ("offered", 1, 0)


@pytest.mark.django_db
def test_the_same_start_request_twice_opens_one_chat(chat_queue: Queue, skilled) -> None:
    first = start()
    second = start()

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["token"] == second.json()["token"]
    assert Contact.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_start_is_refused_when_no_queue_takes_chats(voice_queue: Queue) -> None:
    response = start()

    assert response.status_code == 409
    assert response.json()["code"] == "no_chat_queue"
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_widget_may_name_its_queue(chat_queue: Queue, broadband) -> None:
    sales = Queue.objects.create(code="SALES", name="营销咨询", channels=["chat"], skill=broadband)

    start(queue="SALES")

    assert Contact.objects.get().queue_code == sales.code


@pytest.mark.django_db
def test_portal_identity_names_a_signed_in_customer(chat_queue: Queue, wang: Customer) -> None:
    start(name="", customer=transport.portal_identity(wang.pk))

    contact = Contact.objects.get()
    assert (contact.customer, contact.display_name) == (wang, "王小二")


@pytest.mark.django_db
def test_forged_portal_identity_is_refused(chat_queue: Queue, wang: Customer) -> None:
    response = start(customer=f"{wang.pk}:forged")

    assert response.status_code == 409
    assert response.json()["code"] == "portal_identity_invalid"
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_cross_origin_preflight_is_answered(chat_queue: Queue) -> None:
    response = Client().options(START, headers={"Origin": "https://www.operator.example"})

    assert response.status_code == 204
    assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"


@pytest.mark.django_db
def test_reading_the_chat_again_returns_only_missed_messages(chat_queue: Queue, skilled, alice: User) -> None:
    contact = answered_chat(alice)
    first = Message.objects.get()
    contacts.add_message(contact, sender="agent", body="您好，我是艾丽", author=alice)

    body = Client().get(f"/chat/api/{contact.resume_token}/?after={first.pk}").json()

    assert [(m["sender"], m["body"], m["author"]) for m in body["messages"]] == [("agent", "您好，我是艾丽", "艾丽")]
    assert (body["state"]["status"], body["state"]["agent"]) == ("active", "艾丽")


@pytest.mark.django_db
def test_unknown_token_is_not_found(chat_queue: Queue) -> None:
    response = Client().get("/chat/api/no-such-token/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_customer_rates_an_answered_chat_once(chat_queue: Queue, skilled, alice: User) -> None:
    contact = answered_chat(alice)
    url = f"/chat/api/{contact.resume_token}/rating/"
    Client().post(f"/chat/api/{contact.resume_token}/end/")

    first = Client().post(url, {"rating": "5", "comment": "很快解决了"})
    again = Client().post(url, {"rating": "1"})

    contact.refresh_from_db()
    assert (first.status_code, again.status_code) == (200, 409)
    assert (contact.rating, contact.rating_comment, contact.status) == (5, "很快解决了", "wrap_up")


@pytest.mark.django_db
def test_an_unanswered_chat_cannot_be_rated(chat_queue: Queue) -> None:
    token = start().json()["token"]

    response = Client().post(f"/chat/api/{token}/rating/", {"rating": "1"})

    assert response.status_code == 409
    assert Contact.objects.get().rating is None


@pytest.mark.django_db
def test_closing_a_waiting_chat_abandons_it(chat_queue: Queue) -> None:
    token = start().json()["token"]

    response = Client().post(f"/chat/api/{token}/end/")

    assert response.json()["state"]["status"] == "abandoned"
    assert Contact.objects.get().abandoned_at is not None


@pytest.mark.django_db
def test_widget_files_and_demo_page_are_served() -> None:
    script = Client().get("/chat/widget.js")
    style = Client().get("/chat/widget.css")
    demo = Client().get("/chat/")

    assert script.status_code == style.status_code == demo.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert b"/ws/chat/" in b"".join(script.streaming_content)
    assert b'src="/chat/widget.js"' in b"".join(demo.streaming_content)


# --- the customer's socket ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_customer_socket_receives_the_agents_reply_live(chat_queue: Queue, skilled, alice: User) -> None:
    contact = answered_chat(alice)

    async def scenario():
        customer = socket(f"/ws/chat/{contact.resume_token}/")
        connected, _ = await customer.connect()
        hello = await receive_until(customer, "hello")
        await sync(contacts.add_message)(contact, sender="agent", body="您好，请问光猫亮红灯吗？", author=alice)
        reply = await receive_until(customer, "chat.message")
        await customer.disconnect()
        return connected, hello, reply

    connected, hello, reply = run(scenario)

    assert connected
    assert hello["state"]["status"] == "active"
    assert [m["body"] for m in hello["messages"]] == ["宽带连不上网"]
    assert (reply["sender"], reply["author"], reply["body"]) == ("agent", "艾丽", "您好，请问光猫亮红灯吗？")


@pytest.mark.django_db(transaction=True)
def test_a_resent_message_is_stored_once(chat_queue: Queue, skilled, alice: User) -> None:
    contact = answered_chat(alice)

    async def scenario():
        customer = socket(f"/ws/chat/{contact.resume_token}/")
        await customer.connect()
        await receive_until(customer, "hello")
        acks = []
        for _attempt in range(2):  # the connection dropped before the first acknowledgement arrived
            await customer.send_json_to({"type": "message", "client_id": "m-42", "body": "是的，红灯一直亮"})
            acks.append(await receive_until(customer, "ack"))
        await customer.disconnect()
        return acks

    first, second = run(scenario)

    stored = Message.objects.filter(contact=contact, client_id="m-42")
    assert stored.count() == 1
    assert first["id"] == second["id"] == stored.get().pk
    assert InboundItem.objects.filter(provider="webchat", provider_id=f"{contact.pk}:m-42").count() == 1


@pytest.mark.django_db(transaction=True)
def test_reconnect_brings_what_was_missed(chat_queue: Queue, skilled, alice: User) -> None:
    contact = answered_chat(alice)
    last_seen = Message.objects.get()
    contacts.add_message(contact, sender="agent", body="请重启光猫试试", author=alice)
    contacts.add_message(contact, sender="agent", body="好了吗？", author=alice)

    async def scenario():
        customer = socket(f"/ws/chat/{contact.resume_token}/?after={last_seen.pk}")
        await customer.connect()
        hello = await receive_until(customer, "hello")
        await customer.disconnect()
        return hello

    hello = run(scenario)

    assert [m["body"] for m in hello["messages"]] == ["请重启光猫试试", "好了吗？"]


@pytest.mark.django_db(transaction=True)
def test_unknown_token_socket_is_closed(chat_queue: Queue) -> None:
    async def scenario():
        customer = socket("/ws/chat/not-a-token/")
        connected, code = await customer.connect()
        return connected, code

    connected, code = run(scenario)

    assert (connected, code) == (False, 4404)


@pytest.mark.django_db(transaction=True)
def test_a_customer_hears_nothing_of_another_chat(chat_queue: Queue, skilled, alice: User) -> None:
    mine = answered_chat(alice, request_id="req-mine")
    other = answered_chat(alice, request_id="req-other", name="李女士")

    async def scenario():
        customer = socket(f"/ws/chat/{mine.resume_token}/")
        await customer.connect()
        await receive_until(customer, "hello")
        await sync(contacts.add_message)(other, sender="agent", body="李女士您好", author=alice)
        nothing = await customer.receive_nothing(timeout=0.3)
        await customer.disconnect()
        return nothing

    assert run(scenario) is True


@pytest.mark.django_db(transaction=True)
def test_transfer_note_stays_internal_but_the_customer_hears_of_the_transfer(
    chat_queue: Queue, skilled, alice: User, bob: User
) -> None:
    contact = answered_chat(alice)

    async def scenario():
        customer = socket(f"/ws/chat/{contact.resume_token}/")
        await customer.connect()
        await receive_until(customer, "hello")
        await sync(acd.transfer)(contact, by_agent=alice, to_agent=bob, note="客户要办宽带提速，转鲍勃")
        seen = [await customer.receive_json_from(timeout=2) for _ in range(2)]
        await customer.disconnect()
        return seen

    seen = run(scenario)

    assert [m["type"] for m in seen] == ["chat.transferred", "state"]
    assert seen[1]["state"]["status"] in ("queued", "offered")
    note = Message.objects.get(contact=contact, internal=True)
    assert (note.sender, note.author, note.body) == ("agent", alice, "客户要办宽带提速，转鲍勃")


@pytest.mark.django_db
def test_transfer_note_is_not_in_the_transcript_the_customer_reads_again(
    chat_queue: Queue, skilled, alice: User, bob: User
) -> None:
    contact = answered_chat(alice)
    acd.transfer(contact, by_agent=alice, to_agent=bob, note="客户要办宽带提速，转鲍勃")

    read_again = Client().get(f"/chat/api/{contact.resume_token}/").json()

    assert [m["body"] for m in read_again["messages"]] == ["宽带连不上网"]
    assert [m["body"] for m in transport.history(contact)] == ["宽带连不上网"]


@pytest.mark.django_db
def test_starting_a_chat_marks_the_customer_seen(chat_queue: Queue) -> None:
    token = start().json()["token"]

    assert Contact.objects.get(resume_token=token).customer_seen_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_widgets_socket_marks_the_customer_seen(chat_queue: Queue) -> None:
    contact = Contact.objects.get(resume_token=start().json()["token"])
    Contact.objects.filter(pk=contact.pk).update(customer_seen_at=None)

    async def scenario():
        customer = socket(f"/ws/chat/{contact.resume_token}/")
        await customer.connect()
        await receive_until(customer, "hello")
        await customer.send_json_to({"type": "ping"})
        pong = await receive_until(customer, "pong")
        await customer.disconnect()
        return pong

    assert run(scenario) == {"type": "pong"}
    assert Contact.objects.get(pk=contact.pk).customer_seen_at is not None


@pytest.mark.django_db
def test_chat_starts_are_limited_per_client_address(chat_queue: Queue, settings) -> None:
    settings.KEFU_CHAT_STARTS_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="203.0.113.7")

    allowed = [start(client, request_id=f"req-{n}").status_code for n in range(3)]
    refused = start(client, request_id="req-4")
    elsewhere = start(Client(REMOTE_ADDR="203.0.113.8"), request_id="req-5")

    assert allowed == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json() == {"error": "从您的网络发起的会话过多，请一分钟后再试。", "code": "chat_start_rate"}
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert elsewhere.status_code == 201
    assert Contact.objects.count() == 4


@pytest.mark.django_db
def test_a_chat_without_a_named_queue_enters_the_sites_chat_queue(chat_queue: Queue, broadband, settings) -> None:
    Queue.objects.create(code="BB", name="宽带专席", channels=["chat", "voice"], skill=broadband)

    assert transport.chat_queue() == chat_queue  # CHAT, though BB sorts first
    assert transport.chat_queue("BB").code == "BB"  # the widget's data-queue wins
    settings.KEFU_WEBCHAT_QUEUE = "NONE"
    assert transport.chat_queue().code == "BB"  # no such queue: the first one taking chats
