import pytest

from kefu.core.audit import history_of
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.customers import services
from kefu.customers.models import Customer


@pytest.mark.django_db
def test_registering_a_customer_normalises_the_number_and_audits(alice, areas):
    customer = services.register_customer(
        actor=alice,
        name=" 李四 ",
        phone="+86 139-0000-1111",
        address="南京市鼓楼区北京西路1号",
        service_area=areas.gulou_01,
    )

    assert customer.name == "李四"
    assert list(customer.numbers.values_list("number", "kind", "is_primary")) == [("13900001111", "mobile", True)]
    assert [entry.action for entry in history_of(customer)] == ["customer.registered"]
    assert history_of(customer)[0].actor == alice


@pytest.mark.django_db
def test_registering_with_a_bad_number_stores_nothing(alice):
    with pytest.raises(BusinessRuleError):
        services.register_customer(actor=alice, name="李四", phone="12345")

    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_profile_change_is_audited_with_old_and_new_values(alice, zhang):
    services.update_customer_profile(actor=alice, customer=zhang, tier="gold", email="zs@example.cn")

    entry = history_of(zhang).get()
    assert entry.action == "customer.profile_changed"
    assert entry.changes == {"email": ["", "zs@example.cn"], "tier": ["standard", "gold"]}
    assert entry.actor_label == "alice"


@pytest.mark.django_db
def test_unknown_profile_field_is_refused_and_nothing_changes(alice, zhang):
    with pytest.raises(BusinessRuleError):
        services.update_customer_profile(actor=alice, customer=zhang, points=99999)

    zhang.refresh_from_db()
    assert zhang.points == 0
    assert not history_of(zhang).exists()


@pytest.mark.django_db
def test_agent_cannot_blacklist_supervisor_can(alice, sara, zhang):
    with pytest.raises(NotAllowed):
        services.blacklist_customer(actor=alice, customer=zhang, reason="恶意骚扰")
    zhang.refresh_from_db()
    assert zhang.is_blacklisted is False

    services.blacklist_customer(actor=sara, customer=zhang, reason="恶意骚扰")

    zhang.refresh_from_db()
    assert (zhang.is_blacklisted, zhang.blacklist_reason) == (True, "恶意骚扰")
    assert history_of(zhang).get().reason == "恶意骚扰"


@pytest.mark.django_db
def test_blacklist_needs_a_reason(sara, zhang):
    with pytest.raises(BusinessRuleError):
        services.blacklist_customer(actor=sara, customer=zhang, reason="  ")

    zhang.refresh_from_db()
    assert zhang.is_blacklisted is False


@pytest.mark.django_db
def test_second_number_and_duplicate(alice, zhang):
    services.add_contact_number(actor=alice, customer=zhang, phone="025-8400-1234")

    with pytest.raises(BusinessRuleError):
        services.add_contact_number(actor=alice, customer=zhang, phone="02584001234")
    assert list(zhang.numbers.values_list("number", "kind")) == [("13812345678", "mobile"), ("2584001234", "landline")]


@pytest.mark.django_db
def test_service_password_rules(alice, zhang):
    with pytest.raises(BusinessRuleError):
        services.set_service_password(actor=alice, customer=zhang, password="123456")
    with pytest.raises(BusinessRuleError):
        services.set_service_password(actor=alice, customer=zhang, password="12ab56")

    services.set_service_password(actor=alice, customer=zhang, password="739105")

    assert services.check_service_password(zhang, "739105") is True
    assert services.check_service_password(zhang, "739106") is False
    assert "739105" not in zhang.service_password
