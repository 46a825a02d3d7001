"""Cron schedules for ACK's CronHPA: validation, and translation into the controller's time zone.

``ack-kubernetes-cronhpa-controller`` reads six-field expressions (seconds first) and has no time-zone
field: it fires in the time zone its own process runs in. A schedule in config names the time zone it
means; :func:`to_controller_zone` moves the hour field by the fixed offset between the two zones. That is
only exact when both zones keep one offset all year and the offset is whole hours, and a move across
midnight is only exact when the day fields are wildcards; anything else is refused with a reason rather
than scheduled at the wrong time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FIELDS = ("second", "minute", "hour", "day of month", "month", "day of week")
_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = {
    4: {m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])},
    5: {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
_ITEM = re.compile(r"(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?")


class ScheduleError(ValueError):
    """A schedule that cannot be used, with the reason."""


def _value(text: str, index: int) -> int:
    names = _NAMES.get(index, {})
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError(f"{FIELDS[index]} field: {text!r} is not a number")
    value = int(text)
    lo, hi = _RANGES[index]
    if not lo <= value <= hi:
        raise ScheduleError(f"{FIELDS[index]} field: {value} is outside {lo}-{hi}")
    return value


def _check_field(text: str, index: int) -> None:
    if text == "?" and index in (3, 5):
        return
    for item in text.split(","):
        if not _ITEM.fullmatch(item):
            raise ScheduleError(f"{FIELDS[index]} field: {item!r} is not a value, range, list or step")
        base = item.split("/")[0]
        if base != "*":
            bounds = [_value(part, index) for part in base.split("-")]
            if len(bounds) == 2 and bounds[0] > bounds[1]:
                raise ScheduleError(f"{FIELDS[index]} field: range {base} runs backwards")
        if "/" in item and int(item.split("/")[1]) == 0:
            raise ScheduleError(f"{FIELDS[index]} field: a step of 0")


def normalise(cron: str) -> list[str]:
    """The six fields of a 5- or 6-field expression (a 5-field one fires at second 0)."""
    fields = cron.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ScheduleError(f"has {len(cron.split())} fields; use 5 (minute hour day month weekday) or 6 (seconds first)")
    for index, text in enumerate(fields):
        _check_field(text, index)
    return fields


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"time zone {name!r} is not an IANA time zone such as Asia/Shanghai or UTC") from None


def _fixed_offset(tz: ZoneInfo) -> timedelta:
    offsets = {datetime(2026, month, 1, tzinfo=tz).utcoffset() for month in (1, 7)}
    if len(offsets) != 1:
        raise ScheduleError(f"time zone {tz.key} changes its offset during the year (daylight saving)")
    offset = offsets.pop()
    assert offset is not None
    return offset


def to_controller_zone(cron: str, time_zone: str, controller_zone: str) -> str:
    """The six-field expression that fires at ``cron`` in ``time_zone`` when read in ``controller_zone``."""
    fields = normalise(cron)
    source, target = zone(time_zone), zone(controller_zone)
    if source.key == target.key:
        return " ".join(fields)
    shift = _fixed_offset(target) - _fixed_offset(source)
    hours, rest = divmod(int(shift.total_seconds()), 3600)
    if rest:
        raise ScheduleError(f"{time_zone} and {controller_zone} differ by a fraction of an hour")
    if hours == 0:
        return " ".join(fields)
    hour_field = fields[2]
    if hour_field == "*":
        return " ".join(fields)
    if not re.fullmatch(r"[0-9]+(,[0-9]+)*", hour_field):
        raise ScheduleError(f"the hour field {hour_field!r} must be plain hours to move it from {time_zone} to {controller_zone}")
    moved = [int(h) + hours for h in hour_field.split(",")]
    every_day = fields[3] in ("*", "?") and fields[4] == "*" and fields[5] in ("*", "?")
    if any(not 0 <= h <= 23 for h in moved) and not every_day:
        raise ScheduleError(
            f"moving it from {time_zone} to {controller_zone} crosses midnight, which would change its day fields; "
            "write it in the controller's time zone instead"
        )
    fields[2] = ",".join(str(h % 24) for h in sorted(moved, key=lambda h: h % 24))
    return " ".join(fields)


def _expand(text: str, index: int) -> set[int] | None:
    """The values a field matches; ``None`` for ``*`` or ``?`` (every value)."""
    if text in ("*", "?"):
        return None
    lo, hi = _RANGES[index]
    values: set[int] = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            start, end = lo, hi
        else:
            bounds = [_value(part, index) for part in base.split("-")]
            start, end = bounds[0], bounds[-1] if len(bounds) == 2 or step else bounds[0]
            if step and len(bounds) == 1:
                end = hi
        values.update(range(start, end + 1, int(step) if step else 1))
    return values


def fires(cron: str) -> bool:
    """Whether a six-field expression matches any date at all (``0 8 31 2 *`` never does).

    Day matching follows robfig/cron, which the controller uses (``github.com/ringtail/go-cron``, a fork):
    when both day of month and day of week are restricted, a date matching either fires.
    """
    fields = normalise(cron)
    days, months, weekdays = _expand(fields[3], 3), _expand(fields[4], 4), _expand(fields[5], 5)
    if days is None and weekdays is None:
        return True
    day = datetime(2024, 1, 1)
    for _ in range(366 * 8):  # eight years: every weekday falls on every date, leap days included
        month_ok = months is None or day.month in months
        dom = days is None or day.day in days
        dow = weekdays is None or (day.isoweekday() % 7) in weekdays
        matched = (dom or dow) if days is not None and weekdays is not None else (dom and dow)
        if month_ok and matched:
            return True
        day += timedelta(days=1)
    return False
