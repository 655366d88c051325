"""The dead-letter list: supervisors only; retry re-processes through the item's connector, discard
drops it; both audited; the same from `kefu deadletters`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from kefu.accounts.models import Skill, User
from kefu.connectors.im.webhook import receive as receive_webhook
from kefu.connectors.im.webhook import signed_headers
from kefu.connectors.sms.inbound import receive_sms
from kefu.contacts.models import Contact, InboundItem
from kefu.core.models import AuditEntry
from kefu.routing.models import Queue, QueueEntry

PAGE = "/supervisor/dead-letters/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dead_sms(provider_id: str = "k-100") -> InboundItem:
    """A customer's SMS that arrived while no queue took SMS."""
    delivery = receive_sms(
        "kannel", provider_id=provider_id, sender="13812345678", recipient="10086", text="宽带又断了，请尽快处理"
    )
    assert delivery.item.status == "dead"
    return delivery.item


def sms_queue() -> Queue:
    skill = Skill.objects.create(code="SMS-S", name="短信")
    return Queue.objects.create(code="SMS", name="短信", channels=["sms"], skill=skill)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "kate"])
def test_other_roles_can_neither_see_nor_retry_nor_discard(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    item = dead_sms()
    client = signed_in(user)

    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}{item.pk}/retry/").status_code == 403
    assert client.post(f"{PAGE}{item.pk}/discard/").status_code == 403
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("dead", 1)
    assert not AuditEntry.objects.filter(action__startswith="inbound.").exists()


@pytest.mark.django_db
def test_the_supervisor_sees_each_dead_letter_with_the_sender_masked(sara: User) -> None:
    item = dead_sms()

    page = signed_in(sara).get(PAGE)

    html = page.content.decode()
    assert page.status_code == 200
    assert "sms.kannel" in html and "k-100" in html
    assert "138****5678 · 宽带又断了，请尽快处理" in html
    assert "13812345678" not in html
    assert item.error.startswith("BusinessRuleError: ") and item.error in html


@pytest.mark.django_db
def test_retry_processes_the_sms_once_its_queue_exists_and_is_audited(sara: User) -> None:
    item = dead_sms()
    queue = sms_queue()

    response = signed_in(sara).post(f"{PAGE}{item.pk}/retry/")

    assert (response.status_code, response["Location"]) == (302, PAGE)
    item.refresh_from_db()
    contact = Contact.objects.get()
    assert (item.status, item.attempts, item.error, item.contact) == ("processed", 2, "", contact)
    assert (contact.channel, contact.identity) == ("sms", "13812345678")
    assert QueueEntry.objects.get(contact=contact).queue == queue
    entry = AuditEntry.objects.get(action="inbound.retried")
    assert (entry.actor, entry.object_id) == (sara, str(item.pk))
    assert entry.changes["status"] == ["dead", "processed"]


@pytest.mark.django_db
def test_a_retry_that_fails_again_keeps_the_letter_with_the_attempt_counted(sara: User) -> None:
    item = dead_sms()

    signed_in(sara).post(f"{PAGE}{item.pk}/retry/")

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("dead", 2)
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.get(action="inbound.retried").changes == {"attempts": [1, 2]}


@pytest.mark.django_db
def test_discard_drops_the_letter_from_the_list_keeps_it_stored_and_audited(sara: User) -> None:
    item = dead_sms()

    signed_in(sara).post(f"{PAGE}{item.pk}/discard/", {"reason": "测试号码"})

    item.refresh_from_db()
    assert item.status == "discarded" and item.error.startswith("BusinessRuleError: ")
    assert "k-100" not in signed_in(sara).get(PAGE).content.decode()
    # Kannel delivering the same SMS again is still a no-op, not a new conversation
    sms_queue()
    again = receive_sms("kannel", provider_id="k-100", sender="13812345678", recipient="10086", text="宽带又断了")
    assert (again.is_new, again.item.pk, Contact.objects.count()) == (False, item.pk, 0)
    entry = AuditEntry.objects.get(action="inbound.discarded")
    assert (entry.actor, entry.reason) == (sara, "测试号码")
    assert (entry.changes["provider"], entry.changes["provider_id"]) == ("sms.kannel", "k-100")


@pytest.mark.django_db
def test_a_processed_item_cannot_be_retried_or_discarded(sara: User) -> None:
    sms_queue()
    item = receive_sms("kannel", provider_id="k-7", sender="13812345678", recipient="10086", text="好的").item

    client = signed_in(sara)
    client.post(f"{PAGE}{item.pk}/retry/")
    client.post(f"{PAGE}{item.pk}/discard/")

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("processed", 1)
    assert not AuditEntry.objects.filter(action__startswith="inbound.").exists()


@pytest.mark.django_db
def test_kefu_deadletters_lists_and_retries_a_webhook_message(settings, capsys) -> None:
    settings.KEFU_WEBHOOK_SECRET = "hook-secret"
    body = '{"id": "w-1", "user": {"id": "u-42", "name": "张三"}, "text": "在吗"}'.encode()
    item = receive_webhook(body, signed_headers(body, secret="hook-secret")).item
    assert item.status == "dead"  # no queue takes IM yet

    call_command("deadletters", "list")
    listed = capsys.readouterr().out
    Queue.objects.create(code="IM", name="社交", channels=["im"], skill=Skill.objects.create(code="IM", name="IM"))
    call_command("deadletters", "retry", "--provider", "im.webhook")

    assert listed.startswith(f"{item.pk}\tim.webhook\tw-1\t") and listed.rstrip().endswith("webhook:u-4*** · 在吗")
    assert capsys.readouterr().out == f"{item.pk}\tprocessed\n"
    item.refresh_from_db()
    assert item.status == "processed"
    assert Contact.objects.get().identity == "webhook:u-42"
    assert AuditEntry.objects.get(action="inbound.retried").actor is None
