"""Business time (PRODUCT §5 SLA): add working minutes to a moment on a business calendar.

A deadline of "4 working hours" opened on Friday 16:00 for a team working 08:30–17:30
falls on Monday 11:30 — or on Saturday 11:30 when that Saturday is a 调休 make-up working day,
or later still when Monday is a public holiday.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_migrate, post_save

from kefu.core.models import BusinessCalendar, CalendarDay

Window = tuple[dt.time, dt.time]
STANDARD_HOURS: dict[str, list[list[str]]] = {str(day): [["08:30", "12:00"], ["13:30", "17:30"]] for day in range(1, 6)}
MAX_DAYS_AHEAD = 3 * 366  # a deadline further out than this is a configuration error


@dataclass(frozen=True)
class WorkingTime:
    """A calendar loaded into memory: weekly windows and the exceptional days."""

    always_open: bool
    weekly: dict[int, list[Window]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))

    def windows_on(self, day: dt.date) -> list[Window]:
        if self.always_open:
            return [(dt.time(0, 0), dt.time.max)]
        if day in self.holidays:
            return []
        weekly = self.weekly.get(day.isoweekday(), [])
        if not weekly and day in self.workdays:
            # A make-up working day (调休) works the hours of an ordinary Monday.
            return self.weekly.get(1, [])
        return weekly

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment when `minutes` of working time have passed since `start`."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        if self.always_open:
            return start + dt.timedelta(minutes=minutes)
        local = start.astimezone(self.zone)
        remaining = dt.timedelta(minutes=minutes)
        day = local.date()
        for _ in range(MAX_DAYS_AHEAD):
            for opens, closes in self.windows_on(day):
                window_start = dt.datetime.combine(day, opens, self.zone)
                window_end = dt.datetime.combine(day, closes, self.zone)
                begin = max(window_start, local)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("no working time within three years: check the calendar's hours")

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes in [start, end): how much of an SLA a period has used."""
        if end <= start:
            return 0
        if self.always_open:
            return int((end - start).total_seconds() // 60)
        total = dt.timedelta()
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        while day <= local_end.date():
            for opens, closes in self.windows_on(day):
                begin = max(dt.datetime.combine(day, opens, self.zone), local_start)
                finish = min(dt.datetime.combine(day, closes, self.zone), local_end)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)


def _parse_windows(weekly_hours: dict[str, list[list[str]]]) -> dict[int, list[Window]]:
    parsed: dict[int, list[Window]] = {}
    for weekday, windows in weekly_hours.items():
        parsed[int(weekday)] = sorted(
            (dt.time.fromisoformat(opens), dt.time.fromisoformat(closes)) for opens, closes in windows
        )
    return parsed


# Calendars change a few times a year and are read on every order (creation, dispatch, pause),
# so each process keeps the exceptional days it read for a short while. Saving or deleting a
# calendar or a day through the ORM here forgets them at once (other processes within
# CACHE_SECONDS); inside a transaction that changed them nothing is cached or read from cache,
# so a rollback cannot leave days behind that the database no longer has.
CACHE_SECONDS = 60.0
_days_cache: dict[tuple[int | None, bool], tuple[float, frozenset[dt.date], frozenset[dt.date]]] = {}
_changed_in_transaction = False


def forget_calendars(**_kwargs: object) -> None:
    """Drop the cached days (signal receiver: calendars or days saved, deleted, tables flushed)."""
    global _changed_in_transaction
    _days_cache.clear()
    if connection.in_atomic_block:
        _changed_in_transaction = True


def _cacheable() -> bool:
    global _changed_in_transaction
    if _changed_in_transaction and not connection.in_atomic_block:
        _days_cache.clear()  # the transaction that changed them is over (committed or not)
        _changed_in_transaction = False
    return not _changed_in_transaction


def _exceptional_days(calendar: BusinessCalendar | None) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    observes = calendar is None or calendar.observes_public_holidays
    key = (calendar.pk if calendar is not None else None, observes)
    cacheable = _cacheable()
    if cacheable:
        cached = _days_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1], cached[2]
    days = CalendarDay.objects.filter(calendar__isnull=True)
    if calendar is not None:
        if not observes:
            days = CalendarDay.objects.none()
        days = days | CalendarDay.objects.filter(calendar=calendar)
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for date, kind in days.values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(date)
    result = frozenset(holidays), frozenset(workdays)
    if cacheable:
        _days_cache[key] = (time.monotonic(), *result)
    return result


def load_working_time(calendar: BusinessCalendar | None) -> WorkingTime:
    """Read a calendar (None: the standard office week with national holidays)."""
    if calendar is not None and calendar.always_open:
        return WorkingTime(always_open=True, weekly={})
    weekly = _parse_windows(calendar.weekly_hours if calendar and calendar.weekly_hours else STANDARD_HOURS)
    holidays, workdays = _exceptional_days(calendar)
    return WorkingTime(always_open=False, weekly=weekly, holidays=holidays, workdays=workdays)


for _model in (BusinessCalendar, CalendarDay):
    post_save.connect(forget_calendars, sender=_model, dispatch_uid=f"kefu.calendar.forget.save.{_model.__name__}")
    post_delete.connect(forget_calendars, sender=_model, dispatch_uid=f"kefu.calendar.forget.delete.{_model.__name__}")
post_migrate.connect(forget_calendars, dispatch_uid="kefu.calendar.forget.migrate")  # also sent by flush


def load_national_days(years: range, model: type[CalendarDay] = CalendarDay) -> int:
    """Pre-fill national holidays and 调休 make-up days; returns how many rows were added.

    `model` lets a data migration pass its historical model.
    Years the State Council has announced come from `chinese_calendar` (with make-up days);
    later years from `holidays` (statutory days only, until the announcement — edit in admin).
    """
    import chinese_calendar
    import holidays as holiday_tables

    rows: dict[dt.date, tuple[str, str]] = {}
    for year in years:
        try:
            chinese_calendar.is_holiday(dt.date(year, 1, 1))
            announced = True
        except NotImplementedError:
            announced = False
        if announced:
            for date, name in chinese_calendar.holidays.items():
                if date.year == year:
                    rows[date] = ("holiday", str(name))
            for date, name in chinese_calendar.workdays.items():
                if date.year == year:
                    rows[date] = ("workday", str(name))
        else:
            for date, name in holiday_tables.country_holidays("CN", years=year).items():
                rows[date] = ("holiday", str(name))
    existing = set(model.objects.filter(calendar__isnull=True).values_list("date", flat=True))
    new = [model(date=date, kind=kind, name=name[:64]) for date, (kind, name) in rows.items() if date not in existing]
    model.objects.bulk_create(new)
    return len(new)
