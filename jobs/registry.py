"""The scheduled jobs, declared as data: id, function, schedule.

Times are Europe/Paris. No cron time falls between 02:00 and 03:00, when the clocks change (the
hour is skipped in March and repeated in October).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from data.jobruns import DEFAULT_INTERVALS, schedule_override
from data.presentation import JOB_LABELS
from jobs.checkins import send_checkins
from jobs.contacts import send_contacts
from jobs.digests import send_digests
from jobs.discovery import run_discovery
from jobs.housing_survey import remind_housing_surveys
from jobs.kit_nudges import send_kit_nudges
from jobs.observatory import snapshot_observatory
from jobs.rematch import rematch
from jobs.reminders import send_reminders
from jobs.retention import apply_retention
from jobs.sender import send_outbox
from jobs.summary import send_coordinator_summary

__all__ = ["JobSpec", "JOBS", "JOBS_BY_ID", "MISFIRE_GRACE_SECONDS", "specs_for"]

#: A run missed by up to an hour (a restart, a short outage) still happens when it can.
MISFIRE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a plain function ``func(session_factory, mailer, now, **kwargs)``.

    ``settings`` names keyword arguments taken from the configuration at each run (argument
    name -> setting), e.g. the CV folder the retention job erases files in.
    """

    id: str
    func: Callable[..., dict[str, Any]]
    trigger: str  # "interval" or "cron"
    schedule: Mapping[str, Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    run_at_start: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)

    def arguments(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Return the keyword arguments of a run: ``kwargs`` and the settings it reads."""
        return {**self.kwargs, **{arg: config.get(key) for arg, key in self.settings.items()}}

    @property
    def label(self) -> str:
        """French name, for coordinators (kept in :data:`data.presentation.JOB_LABELS`)."""
        return JOB_LABELS.get(self.id, self.id)

    def make_trigger(self, tz: ZoneInfo) -> BaseTrigger:
        """Build the APScheduler trigger in time zone ``tz``."""
        if self.trigger == "interval":
            return IntervalTrigger(timezone=tz, **self.schedule)
        if self.trigger == "cron":
            return CronTrigger(timezone=tz, **self.schedule)
        raise ValueError(f"unknown trigger {self.trigger!r}")

    def describe(self) -> str:
        """Return the schedule in words, e.g. "every 5 min" or "cron mon 07:45"."""
        if self.trigger == "interval":
            return "every " + " ".join(f"{v} {k}" for k, v in self.schedule.items())
        s = dict(self.schedule)
        when = f"{int(s.pop('hour', 0)):02d}:{int(s.pop('minute', 0)):02d}"
        days = s.pop("day_of_week", "daily")
        return f"{days} {when}" + "".join(f" {k}={v}" for k, v in s.items())


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "sender",
        send_outbox,
        "interval",
        DEFAULT_INTERVALS["sender"],
        run_at_start=True,
    ),
    JobSpec(
        "rematch",
        rematch,
        "interval",
        DEFAULT_INTERVALS["rematch"],
    ),
    JobSpec(
        "rematch_full",
        rematch,
        "cron",
        {"hour": 1, "minute": 30},
        {"full": True},
    ),
    JobSpec("contacts", send_contacts, "interval", DEFAULT_INTERVALS["contacts"]),
    JobSpec(
        "digests_immediate",
        send_digests,
        "interval",
        DEFAULT_INTERVALS["digests_immediate"],
        {"frequency": "immediate"},
    ),
    JobSpec(
        "digests_daily",
        send_digests,
        "cron",
        {"hour": 7, "minute": 30},
        {"frequency": "daily"},
    ),
    JobSpec(
        "digests_weekly",
        send_digests,
        "cron",
        {"day_of_week": "mon", "hour": 7, "minute": 45},
        {"frequency": "weekly"},
    ),
    JobSpec(
        "coordinator_summary",
        send_coordinator_summary,
        "cron",
        {"day_of_week": "mon", "hour": 8, "minute": 0},
    ),
    JobSpec(
        "reminders",
        send_reminders,
        "cron",
        {"hour": 9, "minute": 0},
    ),
    JobSpec(
        "housing_survey_reminders",
        remind_housing_surveys,
        "cron",
        {"hour": 9, "minute": 15},
    ),
    # The contracts' check-ins at day 15 and day 40 (issue 19): in the morning, when people
    # read their mail at work.
    JobSpec("checkins", send_checkins, "cron", {"hour": 9, "minute": 45}),
    JobSpec(
        "kit_nudges",
        send_kit_nudges,
        "cron",
        {"hour": 8, "minute": 30},
    ),
    JobSpec(
        "discovery",
        run_discovery,
        "interval",
        DEFAULT_INTERVALS["discovery"],
    ),
    # The observatory's monthly snapshots (issue 20): before the retention job anonymises, and
    # at start, so that a month closed while the scheduler was stopped is stored at once.
    JobSpec(
        "observatory",
        snapshot_observatory,
        "cron",
        {"hour": 3, "minute": 15},
        run_at_start=True,
    ),
    JobSpec(
        "retention",
        apply_retention,
        "cron",
        {"hour": 3, "minute": 30},
        settings={"cv_dir": "CV_DIR"},
    ),
)

JOBS_BY_ID: dict[str, JobSpec] = {spec.id: spec for spec in JOBS}


def specs_for(config: Mapping[str, Any]) -> tuple[JobSpec, ...]:
    """Return the jobs with the schedules that the ``JOB_SCHEDULE`` setting replaces.

    An unknown job id in the setting is an error: a typo must not go unnoticed.
    """
    overrides = config.get("JOB_SCHEDULE") or {}
    unknown = set(overrides) - set(JOBS_BY_ID)
    if unknown:
        raise ValueError(f"JOB_SCHEDULE names unknown jobs: {', '.join(sorted(unknown))}")
    specs = []
    for spec in JOBS:
        schedule = schedule_override(config, spec.id)
        specs.append(
            spec if schedule is None else replace(spec, trigger="interval", schedule=schedule)
        )
    return tuple(specs)
