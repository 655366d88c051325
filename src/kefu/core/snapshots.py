"""Per-process copies of configuration that every request reads and almost nothing writes.

Order types, SLA policies, which team serves which area, who manages an area: a hotline opens
hundreds of work orders a second and each read them all, while an administrator edits them a
few times a month. A `Snapshot` loads such a table once and keeps it for `seconds`:

- a save or delete through the ORM of one of the watched models (admin, seed, services)
  forgets it at once in this process; other processes see the change within `seconds`;
- inside a transaction that changed a watched model nothing is cached or read from the copy
  on that connection, so a rollback cannot leave rows behind that the database no longer
  has; its commit forgets the copy again, in case another request read the old rows in
  between (the business calendar's days in `kefu.core.calendar` follow a similar rule).

Values handed out are shared between requests and threads: read them, never change them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

T = TypeVar("T")

_all: list[Snapshot[Any]] = []
_CHANGED = "kefu_snapshots_changed"  # set on the database connection whose transaction changed one


def forget_all(**_kwargs: object) -> None:
    """Drop every snapshot (tests between cases; migrations and `flush`)."""
    for snapshot in _all:
        snapshot.forget()


def _after_commit() -> None:
    setattr(connection, _CHANGED, False)
    forget_all()  # and what other connections read in between, before this commit


def _note_change() -> None:
    if connection.in_atomic_block:
        setattr(connection, _CHANGED, True)
        pending = transaction.get_connection().run_on_commit
        if not any(hook is _after_commit for _savepoints, hook, _robust in pending):
            transaction.on_commit(_after_commit)  # once per transaction, however many rows change


def _cacheable() -> bool:
    """False inside a transaction that changed a watched model (it must see its own rows, which
    nobody else may see yet); only this connection is affected, other requests keep the copy."""
    if not getattr(connection, _CHANGED, False):
        return True
    if connection.in_atomic_block:
        return False
    setattr(connection, _CHANGED, False)  # that transaction is over; it rolled back
    forget_all()
    return True


class Snapshot(Generic[T]):
    """`load()` once per `seconds` per process; forgotten when a watched model changes."""

    def __init__(self, name: str, load: Callable[[], T], *, seconds: float = 60.0) -> None:
        self.name = name
        self._load = load
        self.seconds = seconds
        self._value: T | None = None
        self._loaded_at = 0.0
        self._generation = 0  # bumped by forget(): a load begun before it is not kept
        self._lock = threading.Lock()
        _all.append(self)

    def get(self) -> T:
        if not _cacheable():
            return self._load()
        with self._lock:
            if self._value is not None and time.monotonic() - self._loaded_at < self.seconds:
                return self._value
            generation = self._generation
        value = self._load()
        with self._lock:
            if generation == self._generation:  # nothing changed while it was read
                self._value, self._loaded_at = value, time.monotonic()
        return value

    def forget(self) -> None:
        with self._lock:
            self._value = None
            self._generation += 1

    def watch(self, *senders: type[models.Model] | Any, ignore_fields: Iterable[str] = ()) -> Snapshot[T]:
        """Forget this snapshot when a row of these models (or m2m through tables) changes.
        A save that wrote only `ignore_fields` (say a user's `last_login`) does not count."""
        ignored = frozenset(ignore_fields)

        def changed(**kwargs: Any) -> None:
            update_fields = kwargs.get("update_fields")
            if update_fields and ignored and set(update_fields) <= ignored:
                return
            self.forget()
            _note_change()

        for sender in senders:
            uid = f"kefu.snapshots.{self.name}.{id(self)}.{sender._meta.label}"
            if sender._meta.auto_created:  # an m2m through table
                m2m_changed.connect(changed, sender=sender, weak=False, dispatch_uid=uid)
            else:
                post_save.connect(changed, sender=sender, weak=False, dispatch_uid=uid + ".save")
                post_delete.connect(changed, sender=sender, weak=False, dispatch_uid=uid + ".delete")
        return self


post_migrate.connect(forget_all, dispatch_uid="kefu.snapshots.forget.migrate")  # also sent by flush
