"""Django's model backend, reading a member of staff's permissions and roles in one query.

Every API call and page checks permissions, and the area scoping asks for the roles: Django
reads the user's own permissions, the groups' permissions and (in `User.role_codes`) the
group names in three queries. Here it is one, kept per process for a few seconds (see
`_granted`) and on the user object for the request, as Django does."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.snapshots import Snapshot


class StaffBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj, obj)
            known = _granted.get()
            found = known.get(user_obj.pk)
            if found is None:
                found = known[user_obj.pk] = _read_permissions(user_obj.pk)
            user_obj._perm_cache = set(found[0])
            if not hasattr(user_obj, "_role_codes"):  # roles this request already read stand
                user_obj._role_codes = set(found[1])
        return user_obj._perm_cache  # type: ignore[no-any-return]


def _read_permissions(user_id: int) -> tuple[frozenset[str], frozenset[str]]:
    permissions: set[str] = set()
    groups: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(_permissions_sql(), [user_id, user_id, user_id])
        for kind, name in cursor.fetchall():
            (permissions if kind == "p" else groups).add(name)
    return frozenset(permissions), frozenset(groups & set(Role.values))


# What each member of staff may do, per process: every request asks. A change of roles, of a
# role's permissions or of a person's own permissions (admin, `kefu` commands) is seen at once
# by the process that made it and within 10 s by the others; signing out a person or making
# them inactive takes effect at once everywhere (the user row is read on every request).
Granted = dict[int, tuple[frozenset[str], frozenset[str]]]  # user id -> (permissions, roles)


def _nobody_yet() -> Granted:
    return {}


_granted: Snapshot[Granted] = Snapshot("staff_permissions", _nobody_yet, seconds=10.0).watch(
    Group, Permission, Group.permissions.through, User.groups.through, User.user_permissions.through
)


@functools.cache
def _permissions_sql() -> str:
    def table(model: Any) -> str:
        return str(connection.ops.quote_name(model._meta.db_table))

    permission, content_type, group = table(Permission), table(ContentType), table(Group)
    own, member = table(User.user_permissions.through), table(User.groups.through)
    group_permission = table(Group.permissions.through)
    return f"""
        SELECT 'p', ct.app_label || '.' || p.codename FROM {permission} p
          JOIN {content_type} ct ON ct.id = p.content_type_id
          JOIN {own} up ON up.permission_id = p.id WHERE up.user_id = %s
        UNION
        SELECT 'p', ct.app_label || '.' || p.codename FROM {permission} p
          JOIN {content_type} ct ON ct.id = p.content_type_id
          JOIN {group_permission} gp ON gp.permission_id = p.id
          JOIN {member} m ON m.group_id = gp.group_id WHERE m.user_id = %s
        UNION
        SELECT 'g', g.name FROM {group} g JOIN {member} m ON m.group_id = g.id WHERE m.user_id = %s
    """  # noqa: S608 - the models' own table names
