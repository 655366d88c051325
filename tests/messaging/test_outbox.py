"""The outbox: templates, no duplicates, delivery with retries, the development transport."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from kefu.messaging import services
from kefu.messaging.models import MessageTemplate, OutboundMessage


@pytest.fixture
def template(db):
    services.register_default_template("hello", "sms", "", "您好{{ name }}，工单{{ number }}已受理")


@pytest.mark.django_db
def test_message_is_rendered_from_the_default_template(template):
    message = services.queue_message(
        channel="sms", template_code="hello", context={"name": "张三", "number": "GD1"}, address="13812345678"
    )

    assert message is not None
    assert (message.body, message.status) == ("您好张三，工单GD1已受理", "queued")


@pytest.mark.django_db
def test_an_administrators_template_overrides_the_default(template):
    MessageTemplate.objects.create(code="hello", channel="sms", body="【客服】{{ name }}：{{ number }}")

    message = services.queue_message(
        channel="sms", template_code="hello", context={"name": "李四", "number": "GD2"}, address="13812345678"
    )

    assert message is not None and message.body == "【客服】李四：GD2"


@pytest.mark.django_db
def test_the_same_dedupe_key_queues_once(template):
    first = services.queue_message(channel="sms", template_code="hello", context={}, address="1", dedupe_key="k1")
    second = services.queue_message(channel="sms", template_code="hello", context={}, address="1", dedupe_key="k1")

    assert first is not None and second is None
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_unknown_template_is_an_error_and_stores_nothing():
    with pytest.raises(LookupError):
        services.queue_message(channel="sms", template_code="nope", context={}, address="1")
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_development_transport_writes_what_would_be_sent(template, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    services.queue_message(
        channel="sms", template_code="hello", context={"name": "王五", "number": "GD3"}, address="13812345678"
    )

    sent = services.deliver_queued()

    message = OutboundMessage.objects.get()
    assert (sent, message.status, message.attempts) == (1, "sent", 1)
    assert message.provider_id.startswith("dev-")
    line = json.loads((tmp_path / "outbox-development.log").read_text(encoding="utf-8"))
    assert (line["to"], line["body"]) == ("13812345678", "您好王五，工单GD3已受理")


@pytest.mark.django_db
def test_failed_sends_are_retried_then_marked_failed(template, monkeypatch):
    class Broken:
        def send(self, message):
            raise ConnectionError("gateway down")

    monkeypatch.setattr("kefu.messaging.services.transport_for", lambda channel: Broken())
    services.queue_message(channel="sms", template_code="hello", context={}, address="1")

    for _ in range(services.MAX_ATTEMPTS):
        services.deliver_queued()

    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts, message.error) == ("failed", 5, "gateway down")


@pytest.mark.django_db
def test_in_app_notices_are_delivered_at_once_and_count_as_unread(alice):
    services.register_default_template("note", "in_app", "标题", "内容")

    services.queue_message(channel="in_app", template_code="note", context={}, recipient_user=alice)

    assert services.unread_notices(alice).count() == 1
    assert OutboundMessage.objects.get().status == "sent"


@pytest.mark.django_db
def test_notices_are_marked_read_only_for_their_owner(alice, bob):
    services.register_default_template("note", "in_app", "标题", "内容")
    mine = services.queue_message(channel="in_app", template_code="note", context={}, recipient_user=alice)
    services.queue_message(channel="in_app", template_code="note", context={}, recipient_user=bob)

    assert services.mark_notices_read(bob, [mine.pk]) == 0
    assert services.mark_notices_read(alice) == 1
    assert (services.unread_notices(alice).count(), services.unread_notices(bob).count()) == (0, 1)


@pytest.mark.django_db
def test_an_edited_template_is_used_at_once_by_this_process(template):
    stored = MessageTemplate.objects.create(code="hello", channel="sms", body="旧：{{ name }}")
    first = services.queue_message(channel="sms", template_code="hello", context={"name": "甲"}, address="1")
    stored.body = "新：{{ name }}"
    stored.save()
    second = services.queue_message(channel="sms", template_code="hello", context={"name": "乙"}, address="1")
    stored.delete()
    third = services.queue_message(channel="sms", template_code="hello", context={"name": "丙"}, address="1")

    assert [m.body for m in (first, second, third)] == ["旧：甲", "新：乙", "您好丙，工单已受理"]


@pytest.mark.django_db(transaction=True)
def test_one_delivery_task_per_transaction_however_many_messages(template, monkeypatch):
    enqueued: list[int] = []
    monkeypatch.setattr(services, "_deliver_outbox", lambda: enqueued.append(1))
    services.register_default_template("hello", "in_app", "", "工单{{ number }}")
    with transaction.atomic():
        for number in range(5):
            services.queue_message(channel="sms", template_code="hello", context={"number": number}, address="1")
        services.queue_message(channel="in_app", template_code="hello", context={}, address="")
        assert enqueued == []
    assert enqueued == [1]
    assert OutboundMessage.objects.filter(status="queued").count() == 5


@pytest.mark.django_db(transaction=True)
def test_deliveries_asked_for_together_share_one_task_run_after_them(template):
    from django_tasks_db.models import DBTaskResult

    services.register_default_template("hello", "in_app", "", "工单{{ number }}")
    for number in range(3):
        with transaction.atomic():
            services.queue_message(channel="sms", template_code="hello", context={"number": number}, address="1")

    tasks = list(DBTaskResult.objects.filter(task_path__endswith="deliver_outbox"))
    assert len(tasks) in (1, 2)  # 2 only when the three commits straddle a quarter second
    assert all(task.run_after is not None and task.run_after >= task.enqueued_at for task in tasks)
