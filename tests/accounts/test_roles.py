import pytest
from django.contrib.auth.models import Group

from kefu.accounts.choices import Role
from kefu.accounts.roles import ROLE_PERMISSIONS, sync_roles
from kefu.customers.queries import customers_visible_to


@pytest.mark.django_db
def test_every_role_is_a_group_with_exactly_its_permissions():
    sync_roles()  # a second run changes nothing

    for role in Role:
        group = Group.objects.get(name=role.value)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "sees_customers", "sees_full_numbers", "changes_offerings"),
    [
        ("alice", True, False, True),
        ("sara", True, True, True),
        ("gina", True, False, False),
        ("charlie", True, False, False),
        ("kate", False, False, False),
    ],
)
def test_role_capabilities(request, persona, sees_customers, sees_full_numbers, changes_offerings):
    user = request.getfixturevalue(persona)

    assert user.has_perm("customers.view_customer") is sees_customers
    assert user.has_perm("customers.view_customer_pii") is sees_full_numbers
    assert user.has_perm("bss.change_offerings") is changes_offerings


@pytest.mark.django_db
def test_engineer_cannot_see_other_area(charlie, dave, zhang, wang):
    assert list(customers_visible_to(charlie)) == [zhang]
    assert list(customers_visible_to(dave)) == [wang]


@pytest.mark.django_db
def test_area_manager_of_district_sees_every_area_below(areas, zhang, wang):
    from tests.factories import UserFactory

    manager = UserFactory(username="mia", roles=[Role.AREA_MANAGER], areas=[areas.gulou])

    assert list(customers_visible_to(manager)) == [zhang]


@pytest.mark.django_db
def test_agent_is_not_area_scoped(alice, zhang, wang):
    assert set(customers_visible_to(alice)) == {zhang, wang}


@pytest.mark.django_db
def test_inactive_staff_sees_nothing(alice, zhang):
    alice.is_active = False
    alice.save()

    assert list(customers_visible_to(alice)) == []


@pytest.mark.django_db
def test_service_area_path_and_full_name(areas):
    assert areas.gulou_01.path == "/NJ/NJ-GL/NJ-GL-01/"
    assert areas.gulou_01.full_name == "南京 / 鼓楼区 / 鼓楼01片区"
