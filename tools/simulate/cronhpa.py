"""The CronHPA controller (AliyunContainerService/kubernetes-cronhpa-controller, newest tag v1.3.0 lacks the HPA
support; read at master 31c63bed, 2023-11-27, whose chart ships image v1.4.3).

- Schedules are parsed as ``github.com/ringtail/go-cron`` does (vendored; ``parser.go`` ``Parse`` with
  ``Second | Minute | Hour | Dom | Month | DowOptional | Descriptor``): six fields, seconds first (five fields mean the
  weekday defaults to ``*``, *not* a standard five-field cron); names ``jan``..``dec`` and ``sun``..``sat``; ``*``, ``?``,
  ranges, steps, lists; ``@yearly``/``@annually``/``@monthly``/``@weekly``/``@daily``/``@midnight``/``@hourly``.
  Day of month and day of week are OR-ed when both are restricted (``spec.go`` ``dayMatches``), and :func:`next_fire`
  is ``SpecSchedule.Next``.
- The schedules run in the controller process's local time zone: ``NewCronHPAExecutor(nil, ...)`` (``cronmanager.go``)
  falls back to ``time.Now().Location()``, which the ``TZ`` environment variable sets: ``Asia/Shanghai`` in
  ``config/deploy/deploy.yaml`` and in the chart's ``values.yaml`` (``controller.timezone``).
- At each run, ``ScaleHPA`` (``pkg/controller/cronjob.go``) with ``targetSize`` D and the HPA's ``status.currentReplicas``
  C: ``maxReplicas = D`` if D > max; ``minReplicas = D`` if D < min; ``minReplicas = D`` if C == min and D < C;
  ``minReplicas = D`` if C < D; then, if C < D, the HPA's target is scaled to D directly (scale subresource).
- ``runOnce`` jobs run once. ``excludeDates`` are not modelled (``IsTodayOff`` formats dates with the layout
  ``"11-15-1990"``, which Go reads as month-hour fields, so its effect is not what the field says).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tools.simulate import SimulateError

STAR_BIT = 1 << 63
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BOUNDS = {
    "second": (0, 59, None),
    "minute": (0, 59, None),
    "hour": (0, 23, None),
    "dom": (1, 31, None),
    "month": (1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    "dow": (0, 6, {d: i for i, d in enumerate(_DAYS)}),
}
_FIELDS = ("second", "minute", "hour", "dom", "month", "dow")
_DEFAULTS = ("0", "0", "0", "*", "*", "*")


@dataclass(frozen=True)
class Schedule:
    """``SpecSchedule``: one bit per allowed value, ``STAR_BIT`` when the field was ``*`` or ``?``."""

    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int


def _bits(low: int, high: int, step: int) -> int:
    return sum(1 << i for i in range(low, high + 1, step))


def _all(field: str) -> int:
    low, high, _ = _BOUNDS[field]
    return _bits(low, high, 1) | STAR_BIT


def _number(text: str, names: dict[str, int] | None, spec: str) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    try:
        value = int(text)
    except ValueError:
        raise SimulateError(f"cron schedule {spec!r}: cannot parse {text!r}") from None
    if value < 0:
        raise SimulateError(f"cron schedule {spec!r}: negative number {text!r}")
    return value


def _field(text: str, field: str, spec: str) -> int:
    low, high, names = _BOUNDS[field]
    bits = 0
    for expr in (e for e in text.split(",") if e):
        range_step = expr.split("/")
        if len(range_step) > 2:
            raise SimulateError(f"cron schedule {spec!r}: too many slashes in {expr!r}")
        low_high = range_step[0].split("-")
        extra = 0
        if low_high[0] in ("*", "?"):
            start, end, extra = low, high, STAR_BIT
        else:
            if len(low_high) > 2:
                raise SimulateError(f"cron schedule {spec!r}: too many hyphens in {expr!r}")
            start = _number(low_high[0], names, spec)
            end = _number(low_high[1], names, spec) if len(low_high) == 2 else start
        step = 1
        if len(range_step) == 2:
            step = _number(range_step[1], None, spec)
            if len(low_high) == 1 and low_high[0] not in ("*", "?"):
                end = high
        if start < low or end > high or start > end or step == 0:
            raise SimulateError(f"cron schedule {spec!r}: {expr!r} is out of range {low}-{high} for the {field} field")
        bits |= _bits(start, end, step) | extra
    return bits


def parse(spec: str) -> Schedule:
    """``cron.Parse``; raises :class:`SimulateError` for what the controller would refuse (and for ``@every``/``@date``)."""
    text = spec.strip()
    if not text:
        raise SimulateError("empty cron schedule")
    if text.startswith("@"):
        one = {"second": 1, "minute": 1, "hour": 1, "dom": 1 << 1, "month": 1 << 1, "dow": 1}
        table = {
            "@yearly": ("second", "minute", "hour", "dom", "month"),
            "@annually": ("second", "minute", "hour", "dom", "month"),
            "@monthly": ("second", "minute", "hour", "dom"),
            "@weekly": ("second", "minute", "hour", "dow"),
            "@daily": ("second", "minute", "hour"),
            "@midnight": ("second", "minute", "hour"),
            "@hourly": ("second", "minute"),
        }
        if text not in table:
            raise SimulateError(f"cron schedule {spec!r}: descriptor not supported by the simulator")
        fixed = table[text]
        values = {f: (one[f] if f in fixed else _all(f)) for f in _FIELDS}
        return Schedule(**values)
    fields = text.split()
    if not 5 <= len(fields) <= 6:
        raise SimulateError(f"cron schedule {spec!r}: expected 5 to 6 fields (seconds first), found {len(fields)}")
    expanded = list(_DEFAULTS)
    expanded[: len(fields)] = fields
    return Schedule(**{f: _field(expanded[i], f, spec) for i, f in enumerate(_FIELDS)})


def _day_matches(s: Schedule, t: dt.datetime) -> bool:
    dom_match = bool((1 << t.day) & s.dom)
    dow_match = bool((1 << ((t.weekday() + 1) % 7)) & s.dow)  # Go: Sunday = 0
    if s.dom & STAR_BIT or s.dow & STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def _add_date(t: dt.datetime, months: int = 0, days: int = 0) -> dt.datetime:
    """Go's ``Time.AddDate``: wall-clock fields, an overflowing day normalized (January 31 + 1 month = March 3)."""
    month_index = t.month - 1 + months
    year, month = t.year + month_index // 12, month_index % 12 + 1
    date = dt.date(year, month, 1) + dt.timedelta(days=t.day - 1 + days)
    return t.replace(year=date.year, month=date.month, day=date.day)


def next_fire(s: Schedule, after: dt.datetime) -> dt.datetime | None:
    """``SpecSchedule.Next``: the first instant strictly after ``after`` (an aware datetime in the controller's zone)."""
    zone = after.tzinfo
    t = after.replace(microsecond=0) + dt.timedelta(seconds=1)
    added = False
    year_limit = t.year + 5

    def add(t: dt.datetime, delta: dt.timedelta) -> dt.datetime:  # Go's Time.Add: absolute time
        return (t.astimezone(dt.UTC) + delta).astimezone(zone)

    while True:
        if t.year > year_limit:
            return None
        wrapped = False
        while not (1 << t.month) & s.month:
            if not added:
                added = True
                t = t.replace(day=1, hour=0, minute=0, second=0)
            t = _add_date(t, months=1)
            if t.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, t):
            if not added:
                added = True
                t = t.replace(hour=0, minute=0, second=0)
            t = _add_date(t, days=1)
            if t.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.hour) & s.hour:
            if not added:
                added = True
                t = t.replace(minute=0, second=0)
            t = add(t, dt.timedelta(hours=1))
            if t.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.minute) & s.minute:
            if not added:
                added = True
                t = t.replace(second=0)
            t = add(t, dt.timedelta(minutes=1))
            if t.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.second) & s.second:
            added = True
            t = add(t, dt.timedelta(seconds=1))
            if t.second == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t


@dataclass(frozen=True)
class Firing:
    """One run of a job: ``t`` seconds after the simulation's start."""

    t: int
    job: str
    target_size: int
    wall: str


def firings(jobs: list[tuple[str, str, int, bool]], start: dt.datetime, zone: ZoneInfo, duration: int) -> list[Firing]:
    """Every run of the jobs ``(name, schedule, targetSize, runOnce)`` in ``[0, duration]``, sorted by time then job order."""
    out: list[tuple[int, int, Firing]] = []
    begin = start.astimezone(zone)
    for order, (name, schedule, size, run_once) in enumerate(jobs):
        s = parse(schedule)
        t = next_fire(s, begin - dt.timedelta(seconds=1))
        while t is not None:
            offset = (t - begin).total_seconds()
            if offset > duration:
                break
            out.append((int(offset), order, Firing(int(offset), name, size, t.isoformat())))
            if run_once:
                break
            t = next_fire(s, t)
    return [f for _, _, f in sorted(out, key=lambda x: (x[0], x[1]))]


@dataclass
class HpaBounds:
    """The HPA fields the CronHPA controller reads and writes."""

    min_replicas: int
    max_replicas: int


def scale_hpa(bounds: HpaBounds, current_replicas: int, target_size: int) -> int | None:
    """``CronJobHPA.ScaleHPA``: updates ``bounds`` in place; returns the count written to the HPA's target, or None."""
    if target_size > bounds.max_replicas:
        bounds.max_replicas = target_size
    if target_size < bounds.min_replicas:
        bounds.min_replicas = target_size
    if current_replicas == bounds.min_replicas and target_size < current_replicas:
        bounds.min_replicas = target_size
    if current_replicas < target_size:
        bounds.min_replicas = target_size
    if current_replicas >= target_size:
        return None
    return target_size
