import pytest

from kefu.customers.queries import customers_visible_to


@pytest.mark.django_db
def test_field_engineer_sees_only_customers_of_own_area(charlie, zhang, wang):  # type: ignore[no-untyped-def]
    visible = list(customers_visible_to(charlie))

    assert visible == [zhang]
