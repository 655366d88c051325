"""Deadlines on a business calendar: working hours, public holidays, 调休 and pauses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.calendar import STANDARD_HOURS, WorkingTime, _parse_windows, load_working_time
from kefu.core.models import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SHANGHAI)


def office(holidays=(), workdays=()) -> WorkingTime:
    return WorkingTime(
        always_open=False,
        weekly=_parse_windows(STANDARD_HOURS),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        zone=SHANGHAI,
    )


def test_deadline_within_the_same_morning():
    assert office().add_working_minutes(at(2026, 11, 23, 9, 0), 120) == at(2026, 11, 23, 11, 0)


def test_lunch_break_is_not_working_time():
    assert office().add_working_minutes(at(2026, 11, 23, 11, 0), 120) == at(2026, 11, 23, 14, 30)


def test_friday_afternoon_rolls_over_the_weekend():
    # Friday 2026-11-27 16:00 + 4 h: 1.5 h on Friday, then Monday 08:30 + 2.5 h.
    assert office().add_working_minutes(at(2026, 11, 27, 16, 0), 240) == at(2026, 11, 30, 11, 0)


def test_order_opened_at_night_starts_next_morning():
    assert office().add_working_minutes(at(2026, 11, 23, 22, 0), 30) == at(2026, 11, 24, 9, 0)


@pytest.mark.django_db
def test_national_day_holidays_are_skipped():
    clock = load_working_time(None)  # national days are pre-filled by migration

    # Wed 2026-09-30 17:00 + 1 h: 30 min that day, then the holiday runs to 10-07;
    # Sat 10-10 is a 调休 make-up working day.
    assert clock.add_working_minutes(at(2026, 9, 30, 17, 0), 60) == at(2026, 10, 8, 9, 0)


@pytest.mark.django_db
def test_make_up_working_day_counts_as_a_workday():
    clock = load_working_time(None)

    # Fri 2026-10-09 17:00 + 1 h → Sat 10-10 (调休) 09:00, not Monday.
    assert clock.add_working_minutes(at(2026, 10, 9, 17, 0), 60) == at(2026, 10, 10, 9, 0)


@pytest.mark.django_db
def test_2027_spring_festival_is_prefilled():
    clock = load_working_time(None)

    assert dt.date(2027, 2, 8) in clock.holidays


@pytest.mark.django_db
def test_a_24x7_calendar_counts_every_minute():
    calendar = BusinessCalendar.objects.get(code="24x7")

    assert load_working_time(calendar).add_working_minutes(at(2026, 10, 1, 23, 0), 240) == at(2026, 10, 2, 3, 0)


@pytest.mark.django_db
def test_field_calendar_works_weekends_and_ignores_public_holidays():
    calendar = BusinessCalendar.objects.get(code="field")

    assert load_working_time(calendar).add_working_minutes(at(2026, 10, 1, 19, 0), 120) == at(2026, 10, 2, 9, 0)


moments = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 1)).map(
    lambda moment: moment.replace(tzinfo=SHANGHAI)
)
holiday_sets = st.sets(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=5000), holidays=holiday_sets)
def test_deadline_is_never_before_its_start_and_spans_exactly_the_minutes(start, minutes, holidays):
    clock = office(holidays=holidays)

    due = clock.add_working_minutes(start, minutes)

    assert due >= start
    assert clock.working_minutes_between(start, due) == minutes


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=3000), extra=st.integers(min_value=0, max_value=3000))
def test_more_minutes_never_give_an_earlier_deadline(start, minutes, extra):
    clock = office()

    assert clock.add_working_minutes(start, minutes + extra) >= clock.add_working_minutes(start, minutes)
