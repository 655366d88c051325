"""Permissions and roles are read in one query, kept per process, and a change is seen at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from kefu.accounts.choices import Role
from kefu.accounts.models import User


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # as the next request loads it


@pytest.mark.django_db(transaction=True)  # committed: the test's own changes would turn the cache off
def test_read_once_then_kept_for_later_requests(alice, django_assert_num_queries):
    first = fresh(alice)
    with django_assert_num_queries(1):
        assert first.has_perm("tickets.add_workorder")
        assert first.role_codes == {Role.AGENT}
    later = fresh(alice)
    with django_assert_num_queries(0):
        assert later.has_perm("tickets.add_workorder")
        assert later.role_codes == {Role.AGENT}


@pytest.mark.django_db
def test_a_role_taken_away_is_seen_by_the_next_request(alice):
    assert fresh(alice).has_perm("tickets.add_workorder")
    alice.groups.clear()
    assert not fresh(alice).has_perm("tickets.add_workorder")
    assert fresh(alice).role_codes == set()


@pytest.mark.django_db
def test_a_permission_taken_from_a_role_is_seen_by_the_next_request(alice):
    assert fresh(alice).has_perm("tickets.add_workorder")
    Group.objects.get(name=Role.AGENT).permissions.remove(Permission.objects.get(codename="add_workorder"))
    assert not fresh(alice).has_perm("tickets.add_workorder")


@pytest.mark.django_db
def test_an_inactive_person_has_no_permissions(alice):
    assert fresh(alice).has_perm("tickets.add_workorder")
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert not fresh(alice).has_perm("tickets.add_workorder")
