"""Time-travel tests for the reminder rules and recipient-local time: `now` is always passed in."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.domain import reminders as r
from server.domain import schedule as s

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
REP, MANAGER = 7, 3


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(zone: ZoneInfo, *args: int) -> datetime:
    """A local wall-clock time in `zone`, as a UTC instant."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def customer(**changes) -> r.CustomerSnapshot:
    base = r.CustomerSnapshot(
        id=uuid.UUID(int=1),
        name="华东机电",
        owner_id=REP,
        grade="A",
        created_at=utc(2023, 6, 1),
        last_contact_at=at(SHANGHAI, 2024, 1, 29, 15, 0),
        last_activity_summary="拜访采购部，对方关注交期",
        key_facts=("年采购额约 200 万", "决策人：王总"),
    )
    return replace(base, **changes)


# ---- schedule: local dates, day bounds, quiet hours ------------------------------------------


def test_local_date_uses_recipient_zone_not_utc():
    instant = utc(2024, 1, 31, 17, 0)  # already 1 February in Shanghai
    assert s.local_date(instant, "Asia/Shanghai") == date(2024, 2, 1)
    assert s.local_date(instant, "America/New_York") == date(2024, 1, 31)


def test_unknown_or_empty_zone_falls_back_to_shanghai():
    assert s.resolve_time_zone("Mars/Olympus") == SHANGHAI
    assert s.resolve_time_zone(None) == SHANGHAI
    assert not s.is_valid_time_zone("Mars/Olympus")
    assert s.is_valid_time_zone("America/New_York")


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        s.next_delivery_time(datetime(2024, 1, 1, 12), SHANGHAI)
    with pytest.raises(ValueError, match="timezone-aware"):
        r.cadence_reminder(customer(), datetime(2024, 2, 2))


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2024, 3, 10), 23), (date(2024, 11, 3), 25), (date(2024, 6, 1), 24)],
)
def test_local_day_bounds_follow_dst_in_new_york(day, hours):
    start, end = s.local_day_bounds(at(NEW_YORK, day.year, day.month, day.day, 12), NEW_YORK)
    assert start.astimezone(NEW_YORK).time() == time(0)
    assert end - start == timedelta(hours=hours)


def test_due_today_is_judged_in_local_dates():
    now = at(SHANGHAI, 2024, 2, 29, 9, 0)
    assert s.is_due_today(at(SHANGHAI, 2024, 2, 29, 23, 59), now, SHANGHAI)
    assert not s.is_due_today(at(SHANGHAI, 2024, 3, 1, 0, 0), now, SHANGHAI)
    assert s.is_due_by_today(at(SHANGHAI, 2024, 2, 28, 10, 0), now, SHANGHAI)
    assert not s.is_due_today(at(SHANGHAI, 2024, 2, 28, 10, 0), now, SHANGHAI)


@pytest.mark.parametrize(
    ("local_now", "expected_local"),
    [
        ((2024, 1, 31, 20, 59), (2024, 1, 31, 20, 59)),  # before quiet hours: now
        ((2024, 1, 31, 21, 0), (2024, 2, 1, 8, 0)),  # start is inclusive; crosses month end
        ((2024, 1, 31, 23, 30), (2024, 2, 1, 8, 0)),
        ((2024, 2, 1, 0, 0), (2024, 2, 1, 8, 0)),
        ((2024, 2, 1, 7, 59), (2024, 2, 1, 8, 0)),  # morning part of the window: ends today
        ((2024, 2, 1, 8, 0), (2024, 2, 1, 8, 0)),  # end is exclusive
        ((2024, 12, 31, 22, 0), (2025, 1, 1, 8, 0)),  # year end
    ],
)
def test_quiet_hours_wrapping_midnight_in_shanghai(local_now, expected_local):
    now = at(SHANGHAI, *local_now)
    assert s.next_delivery_time(now, "Asia/Shanghai", "21:00", "08:00") == at(
        SHANGHAI, *expected_local
    )


def test_quiet_hours_in_new_york_across_dst_changes():
    # Spring forward (10 Mar 2024): the night is an hour shorter, 08:00 EDT is 12:00 UTC.
    spring = s.next_delivery_time(at(NEW_YORK, 2024, 3, 9, 22, 0), NEW_YORK, "21:00", "08:00")
    assert spring == utc(2024, 3, 10, 12, 0)
    # Fall back (3 Nov 2024): 01:30 happens twice; both end at 08:00 EST = 13:00 UTC.
    first = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK, fold=0).astimezone(UTC)
    second = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK, fold=1).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    for now in (first, second):
        assert s.next_delivery_time(now, NEW_YORK, "21:00", "08:00") == utc(2024, 11, 3, 13, 0)


def test_quiet_hours_end_skipped_by_dst_is_shifted_forward():
    # 02:30 does not exist on 10 Mar 2024 in New York; delivery is at 03:30 EDT, not earlier.
    delivered = s.next_delivery_time(at(NEW_YORK, 2024, 3, 10, 1, 0), NEW_YORK, "00:00", "02:30")
    assert delivered == utc(2024, 3, 10, 7, 30)
    assert delivered.astimezone(NEW_YORK).time() == time(3, 30)


def test_quiet_hours_within_a_day_and_disabled():
    noon = at(SHANGHAI, 2024, 5, 1, 12, 30)
    assert s.next_delivery_time(noon, SHANGHAI, "12:00", "14:00") == at(SHANGHAI, 2024, 5, 1, 14)
    assert s.next_delivery_time(noon, SHANGHAI, time(13), time(14)) == noon
    assert s.next_delivery_time(noon, SHANGHAI, "12:00", "12:00") == noon  # start == end: off


def test_bad_clock_text_is_refused():
    with pytest.raises(ValueError):
        s.parse_clock("9pm")


# ---- cadence ----------------------------------------------------------------------------------


def test_cadence_defaults_by_grade():
    settings = r.DEFAULT_SETTINGS
    assert dict(settings.cadence_days) == {"A": 3, "B": 7, "C": 30}
    last = at(SHANGHAI, 2024, 4, 28, 10, 0)
    for grade, due in (("A", date(2024, 5, 1)), ("B", date(2024, 5, 5)), ("C", date(2024, 5, 28))):
        c = customer(grade=grade, last_contact_at=last)
        day_before = at(SHANGHAI, *(due - timedelta(days=1)).timetuple()[:3], 23, 59)
        assert r.cadence_reminder(c, day_before) is None
        reminder = r.cadence_reminder(c, at(SHANGHAI, due.year, due.month, due.day, 0, 1))
        assert reminder is not None
        assert reminder.due_at == at(SHANGHAI, due.year, due.month, due.day)
        assert reminder.occurrence_key == f"cadence:{c.id}:{due.isoformat()}"
        assert reminder.recipient_id == REP


def test_cadence_month_end_and_leap_day():
    c = customer(grade="C", last_contact_at=at(SHANGHAI, 2024, 1, 31, 18, 0))
    reminder = r.cadence_reminder(c, at(SHANGHAI, 2024, 3, 1, 9, 0))
    assert reminder is not None and reminder.occurrence_key.endswith(":2024-03-01")
    a = customer(grade="A", last_contact_at=at(SHANGHAI, 2024, 2, 27, 18, 0))
    reminder = r.cadence_reminder(a, at(SHANGHAI, 2024, 3, 1, 9, 0))
    assert reminder is not None and reminder.occurrence_key.endswith(":2024-03-01")
    assert r.cadence_reminder(a, at(SHANGHAI, 2024, 2, 29, 23, 0)) is None


def test_cadence_counts_days_in_the_recipients_zone():
    # 17:00 UTC on 31 Jan is 1 Feb in Shanghai: the A cadence is due 4 Feb there.
    c = customer(last_contact_at=utc(2024, 1, 31, 17, 0))
    assert r.cadence_reminder(c, at(SHANGHAI, 2024, 2, 3, 23, 0)) is None
    reminder = r.cadence_reminder(c, at(SHANGHAI, 2024, 2, 4, 7, 0))
    assert reminder is not None
    assert reminder.due_at == utc(2024, 2, 3, 16, 0)  # local midnight of 4 Feb
    # The same contact seen from New York falls on 31 Jan, so it is due on 3 Feb there.
    ny = r.cadence_reminder(c, at(NEW_YORK, 2024, 2, 3, 7, 0), zone=NEW_YORK)
    assert ny is not None and ny.occurrence_key.endswith(":2024-02-03")


def test_cadence_due_at_is_local_midnight_across_new_york_dst():
    c = customer(last_contact_at=at(NEW_YORK, 2024, 3, 9, 22, 0))  # EST
    reminder = r.cadence_reminder(c, at(NEW_YORK, 2024, 3, 12, 9, 0), zone=NEW_YORK)
    assert reminder is not None
    assert reminder.due_at == utc(2024, 3, 12, 4, 0)  # midnight EDT


def test_cadence_key_is_stable_within_an_occurrence_and_recurs_each_period():
    c = customer()  # A, last contact 29 Jan → due 1 Feb, then 4 Feb, 7 Feb …
    keys = {
        r.cadence_reminder(c, at(SHANGHAI, 2024, 2, day, hour, 0)).occurrence_key
        for day, hour in ((1, 0), (1, 23), (2, 12), (3, 23))
    }
    assert keys == {f"cadence:{c.id}:2024-02-01"}
    later = r.cadence_reminder(c, at(SHANGHAI, 2024, 2, 8, 9, 0))
    assert later.occurrence_key == f"cadence:{c.id}:2024-02-07"
    assert later.detail.params["days"] == 9


def test_cadence_never_contacted_counts_from_creation():
    c = customer(last_contact_at=None, created_at=at(SHANGHAI, 2024, 2, 27, 10, 0))
    reminder = r.cadence_reminder(c, at(SHANGHAI, 2024, 3, 1, 9, 0))
    assert reminder is not None
    assert reminder.detail.code == "reminder.cadence.detail_never"


def test_cadence_skips_pool_customers_unknown_grades_and_custom_settings():
    now = at(SHANGHAI, 2024, 2, 1, 9, 0)
    assert r.cadence_reminder(customer(owner_id=None), now) is None
    assert r.cadence_reminder(customer(grade="D"), now) is None
    slower = r.ReminderSettings(cadence_days={"A": 5})
    assert r.cadence_reminder(customer(), now, slower) is None
    assert r.cadence_reminder(customer(), at(SHANGHAI, 2024, 2, 3, 9, 0), slower) is not None


def test_cadence_waits_while_an_explicit_follow_up_is_scheduled():
    follow_up = r.FollowUpSnapshot(uuid.uuid4(), "送样品", due_at=at(SHANGHAI, 2024, 2, 5, 14, 0))
    c = customer(follow_ups=(follow_up,))
    assert r.cadence_reminder(c, at(SHANGHAI, 2024, 2, 2, 9, 0)) is None
    assert r.cadence_reminder(c, at(SHANGHAI, 2024, 2, 6, 9, 0)) is not None  # it has passed
    done = replace(follow_up, done_at=at(SHANGHAI, 2024, 1, 30, 9, 0))
    assert r.cadence_reminder(customer(follow_ups=(done,)), at(SHANGHAI, 2024, 2, 2, 9)) is not None


def test_cadence_suggests_the_reps_own_plan_first():
    planned = customer(last_activity_next_step="周五前发报价单")
    step = r.cadence_reminder(planned, at(SHANGHAI, 2024, 2, 2, 9, 0)).context.next_step
    assert step == r.MessageRef("next_step.planned", {"plan": "周五前发报价单"})
    generic = r.cadence_reminder(customer(), at(SHANGHAI, 2024, 2, 2, 9, 0)).context.next_step
    assert generic.code == "next_step.check_in"


# ---- explicit follow-ups ----------------------------------------------------------------------


def test_follow_up_fires_at_its_time_once_per_schedule():
    due = at(SHANGHAI, 2024, 2, 29, 14, 0)
    follow_up = r.FollowUpSnapshot(uuid.UUID(int=9), "确认合同条款", due_at=due)
    c = customer()
    assert r.follow_up_reminder(c, follow_up, due - timedelta(seconds=1)) is None
    reminder = r.follow_up_reminder(c, follow_up, due + timedelta(hours=3))
    assert reminder.due_at == due
    assert reminder.occurrence_key == f"follow_up:{follow_up.id}:20240229T060000Z"
    assert reminder.title.params["title"] == "确认合同条款"
    moved = replace(follow_up, due_at=due + timedelta(days=1))
    assert r.follow_up_reminder(c, moved, due + timedelta(days=2)).occurrence_key != (
        reminder.occurrence_key
    )


def test_follow_up_goes_to_its_owner_and_not_when_done():
    follow_up = r.FollowUpSnapshot(uuid.uuid4(), "回访", due_at=utc(2024, 2, 1), owner_id=42)
    assert r.follow_up_reminder(customer(), follow_up, utc(2024, 2, 2)).recipient_id == 42
    done = replace(follow_up, done_at=utc(2024, 2, 1, 8))
    assert r.follow_up_reminder(customer(), done, utc(2024, 2, 2)) is None


# ---- contract expiry --------------------------------------------------------------------------


def test_contract_expiry_window_is_thirty_local_days_ahead():
    contract = r.ContractSnapshot(uuid.UUID(int=5), "HT-2024-001", end_date=date(2024, 3, 31))
    c = customer()
    assert r.contract_expiry_reminder(c, contract, at(SHANGHAI, 2024, 2, 29, 23, 59)) is None
    reminder = r.contract_expiry_reminder(c, contract, at(SHANGHAI, 2024, 3, 1, 0, 0))
    assert reminder.occurrence_key == f"contract_expiry:{contract.id}:2024-03-31"
    assert reminder.due_at == at(SHANGHAI, 2024, 3, 1)
    assert reminder.title.params["days"] == 30
    last_day = r.contract_expiry_reminder(c, contract, at(SHANGHAI, 2024, 3, 31, 20, 0))
    assert last_day.occurrence_key == reminder.occurrence_key
    assert last_day.title.code == "reminder.contract_expiry.title_today"
    assert r.contract_expiry_reminder(c, contract, at(SHANGHAI, 2024, 4, 1, 0, 0)) is None


def test_contract_expiry_on_leap_day_and_only_for_active_contracts():
    contract = r.ContractSnapshot(uuid.uuid4(), "HT-7", end_date=date(2024, 2, 29))
    assert r.contract_expiry_reminder(customer(), contract, at(SHANGHAI, 2024, 1, 29, 23)) is None
    assert (
        r.contract_expiry_reminder(customer(), contract, at(SHANGHAI, 2024, 1, 30, 1)) is not None
    )
    for status in ("draft", "expired", "terminated"):
        other = replace(contract, status=status)
        assert r.contract_expiry_reminder(customer(), other, at(SHANGHAI, 2024, 2, 1)) is None


def test_renewal_makes_a_new_occurrence():
    contract = r.ContractSnapshot(uuid.uuid4(), "HT-8", end_date=date(2024, 6, 30))
    renewed = replace(contract, end_date=date(2025, 6, 30))
    first = r.contract_expiry_reminder(customer(), contract, utc(2024, 6, 10))
    second = r.contract_expiry_reminder(customer(), renewed, utc(2025, 6, 10))
    assert first.occurrence_key != second.occurrence_key


# ---- birthdays and anniversaries --------------------------------------------------------------


def test_feb_29_birthday_is_kept_on_feb_28_in_common_years():
    assert r.occasion_in_year(date(1992, 2, 29), 2025) == date(2025, 2, 28)
    assert r.occasion_in_year(date(1992, 2, 29), 2028) == date(2028, 2, 29)
    assert r.next_occasion(date(1992, 2, 29), date(2025, 3, 1)) == date(2026, 2, 28)
    assert r.next_occasion(date(1992, 2, 29), date(2027, 3, 1)) == date(2028, 2, 29)


def test_birthday_reminder_window_and_keys_for_leap_day_contact():
    contact = r.ContactSnapshot(uuid.UUID(int=77), "王总", birthday=date(1980, 2, 29))
    c = customer(contacts=(contact,))
    assert r.birthday_reminder(c, contact, at(SHANGHAI, 2025, 2, 24, 23, 0)) is None
    common = r.birthday_reminder(c, contact, at(SHANGHAI, 2025, 2, 25, 8, 0))
    assert common.occurrence_key == f"birthday:{contact.id}:2025-02-28"
    assert common.due_at == at(SHANGHAI, 2025, 2, 25)
    assert common.title.params["days"] == 3
    leap = r.birthday_reminder(c, contact, at(SHANGHAI, 2028, 2, 27, 8, 0))
    assert leap.occurrence_key == f"birthday:{contact.id}:2028-02-29"
    on_the_day = r.birthday_reminder(c, contact, at(SHANGHAI, 2028, 2, 29, 8, 0))
    assert on_the_day.title.code == "reminder.birthday.title_today"
    assert r.birthday_reminder(c, contact, at(SHANGHAI, 2028, 3, 1, 8, 0)) is None


def test_birthday_across_the_year_end():
    contact = r.ContactSnapshot(uuid.uuid4(), "李经理", birthday=date(1975, 1, 2))
    reminder = r.birthday_reminder(customer(), contact, at(SHANGHAI, 2024, 12, 30, 10, 0))
    assert reminder.occurrence_key.endswith(":2025-01-02")
    assert reminder.due_at == at(SHANGHAI, 2024, 12, 30)


def test_anniversary_counts_years_and_respects_settings():
    contact = r.ContactSnapshot(uuid.uuid4(), "张工", anniversary=date(2014, 5, 20))
    week = r.ReminderSettings(occasion_notice_days=7)
    now = at(SHANGHAI, 2024, 5, 14, 9, 0)
    assert r.anniversary_reminder(customer(), contact, now) is None
    reminder = r.anniversary_reminder(customer(), contact, now, week)
    assert reminder.kind is r.ReminderKind.ANNIVERSARY
    assert reminder.detail.params["years"] == 10
    assert r.birthday_reminder(customer(), contact, now, week) is None  # no birthday on file


def test_occasion_dated_in_the_future_is_ignored():
    contact = r.ContactSnapshot(uuid.uuid4(), "赵", anniversary=date(2030, 1, 1))
    assert r.anniversary_reminder(customer(), contact, utc(2029, 12, 31)) is None


# ---- deal stage overdue -----------------------------------------------------------------------


def deal(**changes) -> r.DealSnapshot:
    base = r.DealSnapshot(
        id=uuid.UUID(int=3),
        title="二期设备采购",
        stage="proposal",
        stage_entered_at=utc(2024, 1, 31, 2, 0),
        expected_days=14,
    )
    return replace(base, **changes)


def test_stage_overdue_after_expected_dwell_time():
    d = deal()
    assert r.stage_overdue_reminder(customer(), d, utc(2024, 2, 14, 1, 59)) is None
    reminder = r.stage_overdue_reminder(customer(), d, utc(2024, 2, 20, 2, 0))
    assert reminder.due_at == utc(2024, 2, 14, 2, 0)
    assert reminder.occurrence_key == f"stage_overdue:{d.id}:proposal:20240131T020000Z"
    assert reminder.title.params["days"] == 20
    assert reminder.context.next_step.code == "next_step.follow_up_proposal"


def test_stage_overdue_key_survives_a_changed_expectation_but_not_a_new_stage():
    now = utc(2024, 3, 1)
    first = r.stage_overdue_reminder(customer(), deal(), now)
    assert r.stage_overdue_reminder(customer(), deal(expected_days=10), now).occurrence_key == (
        first.occurrence_key
    )
    moved = deal(stage="negotiation", stage_entered_at=utc(2024, 2, 10))
    assert r.stage_overdue_reminder(customer(), moved, now).occurrence_key != first.occurrence_key


def test_stage_overdue_skips_closed_deals_and_stages_without_limit():
    now = utc(2024, 6, 1)
    assert r.stage_overdue_reminder(customer(), deal(closed_at=utc(2024, 2, 1)), now) is None
    assert r.stage_overdue_reminder(customer(), deal(stage="won", expected_days=None), now) is None
    assert r.stage_overdue_reminder(customer(), deal(owner_id=99), now).recipient_id == 99


# ---- all rules at once ------------------------------------------------------------------------


def test_due_reminders_collects_every_rule():
    now = at(SHANGHAI, 2024, 2, 26, 10, 0)
    c = customer(
        last_contact_at=at(SHANGHAI, 2024, 2, 20, 10, 0),
        follow_ups=(r.FollowUpSnapshot(uuid.uuid4(), "电话回访", due_at=now - timedelta(hours=1)),),
        contracts=(r.ContractSnapshot(uuid.uuid4(), "HT-1", end_date=date(2024, 3, 20)),),
        contacts=(
            r.ContactSnapshot(
                uuid.uuid4(), "王总", birthday=date(1980, 2, 29), anniversary=date(2010, 2, 27)
            ),
        ),
        deals=(deal(),),
    )
    kinds = sorted(x.kind.value for x in r.due_reminders(c, now))
    # The cadence stays quiet: the follow-up was due today and still counts as scheduled.
    assert kinds == ["anniversary", "birthday", "contract_expiry", "follow_up", "stage_overdue"]
    keys = [x.occurrence_key for x in r.due_reminders(c, now)]
    assert len(keys) == len(set(keys))
    assert all(x.recipient_id == REP for x in r.due_reminders(c, now) if x.kind != "stage_overdue")


# ---- escalation -------------------------------------------------------------------------------


def test_needs_escalation_is_judged_at_the_deadline():
    due = utc(2024, 2, 1, 1, 0)
    assert not r.needs_escalation(due, None, due + timedelta(hours=23, minutes=59), 24)
    assert r.needs_escalation(due, None, due + timedelta(hours=24), 24)
    assert not r.needs_escalation(due, due + timedelta(hours=5), due + timedelta(days=3), 24)
    assert r.needs_escalation(due, due + timedelta(hours=30), due + timedelta(days=3), 24)
    assert r.needs_escalation(due, None, due + timedelta(hours=2), 1.5)


def test_escalation_reminder_goes_to_the_manager_once():
    original = r.cadence_reminder(customer(), at(SHANGHAI, 2024, 2, 1, 9, 0))
    escalated = r.escalation_reminder(original, MANAGER, "小李", after_hours=24)
    assert escalated.kind is r.ReminderKind.ESCALATION
    assert escalated.recipient_id == MANAGER
    assert escalated.occurrence_key == f"escalation:{original.occurrence_key}"
    assert escalated.escalates == original.occurrence_key
    assert escalated.due_at == original.due_at + timedelta(hours=24)
    assert escalated.detail == original.title
    assert escalated.context.next_step == r.MessageRef("next_step.check_with_rep", {"rep": "小李"})
    assert r.escalation_reminder(original, REP, "小李") is None  # the rep is their own manager
    assert r.escalation_reminder(original, None, "小李") is None
    assert r.escalation_reminder(escalated, 1, "老王") is None  # no escalation of escalations


# ---- text -------------------------------------------------------------------------------------


def one_of_each_kind() -> list[r.Reminder]:
    now = at(SHANGHAI, 2024, 2, 26, 10, 0)
    contact = r.ContactSnapshot(uuid.uuid4(), "王总", birthday=date(1980, 2, 29))
    anniversary = r.ContactSnapshot(uuid.uuid4(), "张工", anniversary=date(2010, 2, 26))
    c = customer(last_contact_at=None, created_at=utc(2024, 1, 1))
    found = [
        r.cadence_reminder(customer(last_activity_summary=None, key_facts=()), now),
        r.cadence_reminder(c, now),
        r.follow_up_reminder(c, r.FollowUpSnapshot(uuid.uuid4(), "回访", utc(2024, 2, 1)), now),
        r.contract_expiry_reminder(
            c, r.ContractSnapshot(uuid.uuid4(), "HT", date(2024, 3, 1)), now
        ),
        r.contract_expiry_reminder(
            c, r.ContractSnapshot(uuid.uuid4(), "HT", date(2024, 2, 26)), now
        ),
        r.birthday_reminder(c, contact, now),
        r.anniversary_reminder(c, anniversary, now),
        r.stage_overdue_reminder(c, deal(), now),
        r.stage_overdue_reminder(c, deal(stage="custom_stage"), now),
    ]
    reminders = [x for x in found if x is not None]
    reminders.append(r.escalation_reminder(reminders[0], MANAGER, "小李"))
    assert len(reminders) == 10
    return reminders


def test_every_reminder_message_has_both_languages():
    for reminder in one_of_each_kind():
        codes = {reminder.title.code, reminder.detail.code, reminder.context.next_step.code}
        assert codes <= r.REMINDER_MESSAGES.keys(), codes - r.REMINDER_MESSAGES.keys()
        for lang in ("zh-CN", "en"):
            title, body = r.render_reminder(reminder, lang)
            assert title and body
            assert "{" not in title + body, (lang, title, body)


def test_render_in_chinese_and_english():
    reminder = r.cadence_reminder(customer(), at(SHANGHAI, 2024, 2, 1, 9, 0))
    title, body = r.render_reminder(reminder, "zh-CN")
    assert title == "该联系华东机电了"
    assert body.splitlines() == [
        "A类客户，距上次联系已 3 天。",
        "上次：拜访采购部，对方关注交期",
        "要点：年采购额约 200 万；决策人：王总",
        "建议：电话或拜访，了解近况。",
    ]
    title, body = r.render_reminder(reminder, "en-US")
    assert title == "Time to contact 华东机电"
    assert body.splitlines()[0] == "Grade A customer, last contact 3 days ago."
    assert body.splitlines()[-1] == "Next: Call or visit to check in."


def test_render_translates_default_stages_and_shortens_long_summaries():
    c = customer(last_activity_summary="很长的拜访记录" * 30)
    reminder = r.stage_overdue_reminder(c, deal(stage="negotiation"), utc(2024, 3, 1))
    title, body = r.render_reminder(reminder, "zh")
    assert "商务谈判" in title
    assert "negotiation" in r.render_reminder(reminder, "en")[0]
    last_line = next(line for line in body.splitlines() if line.startswith("上次："))
    assert len(last_line) == len("上次：") + r.SUMMARY_LIMIT and last_line.endswith("…")


def test_push_payload_uses_occurrence_key_as_tag():
    reminder = r.cadence_reminder(customer(), at(SHANGHAI, 2024, 2, 1, 9, 0))
    payload = r.reminder_push_payload(reminder, "zh-CN")
    assert payload["tag"] == reminder.occurrence_key
    assert payload["title"] == "该联系华东机电了"
    assert payload["data"] == {
        "kind": "cadence",
        "customer_id": str(reminder.customer_id),
        "occurrence_key": reminder.occurrence_key,
        "due_at": "2024-01-31T16:00:00+00:00",
    }
