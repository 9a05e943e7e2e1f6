"""Recipient-local time: time zones, quiet hours and "due today".

Reminders are computed on UTC instants, but people live in local days: a cadence reminder is
due on a local date, a "today" list means the recipient's today, and nobody wants a push at
03:00. Every function takes the time zone explicitly (IANA name or tzinfo) and returns
timezone-aware UTC datetimes, so the worker can store and compare them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_QUIET_START = "21:00"
DEFAULT_QUIET_END = "08:00"

TimeZoneLike = str | tzinfo | None
ClockLike = str | time


def require_aware(instant: datetime, name: str = "now") -> datetime:
    """Naive datetimes are ambiguous across zones, so rules refuse them outright."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant


def is_valid_time_zone(name: str) -> bool:
    """For validating a user's profile before it is stored."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_time_zone(zone: TimeZoneLike) -> tzinfo:
    """A tzinfo for `zone`; empty or unknown names fall back to the default zone.

    The worker must not crash on one bad profile value, and the default is where most users are.
    """
    if isinstance(zone, tzinfo):
        return zone
    if zone and is_valid_time_zone(zone):
        return ZoneInfo(zone)
    return ZoneInfo(DEFAULT_TIME_ZONE)


def parse_clock(value: ClockLike) -> time:
    """ "HH:MM" (as stored on the user row) or a `time` → a naive wall-clock time."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"not a HH:MM clock time: {value!r}")
    return time(int(hours), int(minutes))


def local_date(instant: datetime, zone: TimeZoneLike) -> date:
    """The calendar date the recipient sees at `instant`."""
    return require_aware(instant, "instant").astimezone(resolve_time_zone(zone)).date()


def wall_time_to_utc(day: date, clock: time, zone: TimeZoneLike) -> datetime:
    """The UTC instant of a local wall-clock time.

    A wall time skipped by a DST jump is shifted forward by the gap (fold=0), and a repeated
    one resolves to its first occurrence, so the result is never earlier than intended.
    """
    local = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=resolve_time_zone(zone))
    return local.astimezone(UTC)


def start_of_local_day(day: date, zone: TimeZoneLike) -> datetime:
    return wall_time_to_utc(day, time(0), zone)


def local_day_bounds(now: datetime, zone: TimeZoneLike) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the recipient's current day; 23 or 25 hours long on DST days."""
    today = local_date(now, zone)
    return start_of_local_day(today, zone), start_of_local_day(today + timedelta(days=1), zone)


def is_due_today(due_at: datetime, now: datetime, zone: TimeZoneLike) -> bool:
    """Falls on the recipient's current local date."""
    return local_date(due_at, zone) == local_date(now, zone)


def is_due_by_today(due_at: datetime, now: datetime, zone: TimeZoneLike) -> bool:
    """Falls on or before the recipient's current local date (today's list includes overdue)."""
    return local_date(due_at, zone) <= local_date(now, zone)


@dataclass(frozen=True)
class QuietHours:
    """A daily local window without pushes; `start > end` wraps midnight, `start == end` is off."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: ClockLike, end: ClockLike) -> QuietHours:
        return cls(parse_clock(start), parse_clock(end))

    @property
    def wraps_midnight(self) -> bool:
        return self.start > self.end

    def contains(self, clock: time) -> bool:
        clock = clock.replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.wraps_midnight:
            return clock >= self.start or clock < self.end
        return self.start <= clock < self.end


def next_delivery_time(
    now: datetime,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
    quiet_start: ClockLike = DEFAULT_QUIET_START,
    quiet_end: ClockLike = DEFAULT_QUIET_END,
) -> datetime:
    """`now` (in UTC) outside the recipient's quiet hours, else the instant quiet hours end."""
    require_aware(now)
    quiet = QuietHours.parse(quiet_start, quiet_end)
    tz = resolve_time_zone(zone)
    local = now.astimezone(tz)
    if not quiet.contains(local.time()):
        return now.astimezone(UTC)
    end_day = local.date()
    if quiet.wraps_midnight and local.time() >= quiet.start:
        end_day += timedelta(days=1)  # evening part of the window: it ends tomorrow morning
    return wall_time_to_utc(end_day, quiet.end, tz)
