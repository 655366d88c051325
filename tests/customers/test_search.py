import pytest

from kefu.customers.queries import search_customers
from tests.factories import BillingAccountFactory, SubscriptionFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "matched_on"),
    [
        ("13812345678", "phone"),
        ("138 1234 5678", "phone"),
        ("+86 138-1234-5678", "phone"),
        ("1381234", "phone"),
        ("张三", "name"),
        ("320102198001011234", "id_number"),
    ],
)
def test_agent_finds_customer(alice, zhang, wang, text, matched_on):
    hits = search_customers(alice, text)

    assert [hit.id for hit in hits] == [zhang.pk]
    assert hits[0].matched_on == matched_on


@pytest.mark.django_db
def test_search_by_customer_and_account_number(alice, zhang, wang):
    account = BillingAccountFactory(customer=wang)

    assert [h.id for h in search_customers(alice, zhang.number.lower())] == [zhang.pk]
    assert [h.id for h in search_customers(alice, account.number)] == [wang.pk]


@pytest.mark.django_db
def test_search_by_broadband_account(alice, zhang):
    SubscriptionFactory(customer=zhang, service="broadband", identifier="AC02512345678")

    assert [h.id for h in search_customers(alice, "AC02512345678")] == [zhang.pk]


@pytest.mark.django_db
def test_agent_sees_masked_phone_supervisor_sees_full(alice, sara, zhang):
    assert search_customers(alice, "13812345678")[0].phone == "138****5678"
    assert search_customers(sara, "13812345678")[0].phone == "138 1234 5678"


@pytest.mark.django_db
def test_engineer_search_stays_in_own_area(charlie, zhang, wang):
    assert search_customers(charlie, "13987654321") == []
    assert [h.id for h in search_customers(charlie, "13812345678")] == [zhang.pk]


@pytest.mark.django_db
def test_role_without_customer_access_finds_nothing(kate, zhang):
    assert search_customers(kate, "13812345678") == []


@pytest.mark.django_db
def test_empty_query_finds_nothing(alice, zhang):
    assert search_customers(alice, "   ") == []


@pytest.mark.django_db
def test_agent_finds_customer_by_address(alice, zhang, wang):
    zhang.addresses.update(text="江苏省南京市鼓楼区虎踞路88号2单元")

    hits = search_customers(alice, "虎踞路88号")

    assert [(hit.id, hit.matched_on) for hit in hits] == [(zhang.pk, "address")]


@pytest.mark.django_db
def test_enterprise_name_with_digits_falls_back_to_name_search(alice, zhang):
    zhang.name = "南京365便利店"
    zhang.save()

    hits = search_customers(alice, "南京365便利店")

    assert [(hit.id, hit.matched_on) for hit in hits] == [(zhang.pk, "name")]
