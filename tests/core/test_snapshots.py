"""Per-process configuration snapshots: kept, forgotten on a change, never stale after a rollback."""

from __future__ import annotations

import pytest
from django.db import transaction

from kefu.accounts.models import Team
from kefu.core.snapshots import Snapshot
from tests.factories import TeamFactory, UserFactory


def _team_codes() -> list[str]:
    return sorted(Team.objects.values_list("code", flat=True))


@pytest.fixture
def loads() -> list[int]:
    return []


@pytest.fixture
def snapshot(loads: list[int]) -> Snapshot[list[str]]:
    def load() -> list[str]:
        loads.append(1)
        return _team_codes()

    return Snapshot("test_teams", load).watch(Team)


@pytest.mark.django_db(transaction=True)
def test_read_once_then_kept(snapshot: Snapshot[list[str]], loads: list[int]) -> None:
    TeamFactory(code="A")
    assert snapshot.get() == ["A"]
    Team.objects.filter(code="A").update(name="renamed")  # no signal: the copy is kept ...
    assert snapshot.get() == ["A"]
    assert len(loads) == 1
    snapshot.seconds = 0  # ... until it is older than its lifetime
    assert snapshot.get() == ["A"]
    assert len(loads) == 2


@pytest.mark.django_db(transaction=True)
def test_a_save_or_delete_of_a_watched_model_is_seen_at_once(snapshot: Snapshot[list[str]]) -> None:
    first = TeamFactory(code="A")
    assert snapshot.get() == ["A"]
    TeamFactory(code="B")
    assert snapshot.get() == ["A", "B"]
    first.delete()
    assert snapshot.get() == ["B"]


@pytest.mark.django_db(transaction=True)
def test_nothing_of_a_rolled_back_transaction_stays_in_the_copy(snapshot: Snapshot[list[str]]) -> None:
    TeamFactory(code="A")
    assert snapshot.get() == ["A"]
    seen_inside: list[list[str]] = []

    def change_then_fail() -> None:
        with transaction.atomic():
            TeamFactory(code="B")
            seen_inside.append(snapshot.get())  # read fresh inside: the change is this transaction's
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen_inside == [["A", "B"]]
    assert snapshot.get() == ["A"]


@pytest.mark.django_db(transaction=True)
def test_ignored_fields_do_not_forget_it(loads: list[int]) -> None:
    from kefu.accounts.models import User

    snapshot = Snapshot("test_people", lambda: loads.append(1) or list(User.objects.values_list("pk", flat=True)))
    snapshot.watch(User, ignore_fields=("last_login",))
    person = UserFactory()
    snapshot.get()
    person.save(update_fields=["last_login"])
    snapshot.get()
    assert len(loads) == 1
    person.save(update_fields=["is_on_duty"])
    snapshot.get()
    assert len(loads) == 2


@pytest.mark.django_db(transaction=True)
def test_a_commit_forgets_what_another_request_read_meanwhile(snapshot: Snapshot[list[str]]) -> None:
    import threading

    from django.db import connection

    TeamFactory(code="A")
    assert snapshot.get() == ["A"]
    seen_elsewhere: list[list[str]] = []

    def another_request() -> None:
        try:
            seen_elsewhere.append(snapshot.get())
        finally:
            connection.close()

    with transaction.atomic():
        TeamFactory(code="B")
        elsewhere = threading.Thread(target=another_request)
        elsewhere.start()
        elsewhere.join()
    assert seen_elsewhere == [["A"]]  # the old rows, read and kept by the other connection ...
    assert snapshot.get() == ["A", "B"]  # ... until the commit forgot them
