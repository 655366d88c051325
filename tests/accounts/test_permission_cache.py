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


def signed_in_user(user_id: int) -> User | None:
    from kefu.accounts.backends import StaffBackend

    return StaffBackend().get_user(user_id)  # as the session middleware asks for it


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_or_renamed_person_is_seen_by_the_next_request(alice):
    assert signed_in_user(alice.pk) is not None
    alice.first_name = "爱丽丝"
    alice.save()
    assert signed_in_user(alice.pk).first_name == "爱丽丝"  # type: ignore[union-attr]
    alice.is_active = False
    alice.save()
    assert signed_in_user(alice.pk) is None


@pytest.mark.django_db(transaction=True)
def test_a_new_password_ends_the_old_sessions_at_once(client, alice):
    client.force_login(alice)
    assert client.get("/api/v1/orders").status_code == 200
    alice.set_password("Another!2026pass")
    alice.save()
    assert client.get("/api/v1/orders").status_code == 401
