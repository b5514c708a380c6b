"""The scheduler: jobs as data, catching up a missed run, one instance, the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from data import migrate
from data.config import load_config
from data.db import make_engine, make_session_factory
from data.jobruns import recent_job_runs, start_run
from data.mail import enqueue, make_mailer
from data.models.mail import JobRun, JobRunStatus, OutboxMessage, OutboxStatus
from jobs.lock import SchedulerLock
from jobs.registry import JOBS, MISFIRE_GRACE_SECONDS
from jobs.runner import JobContext, run_job
from jobs.scheduler import EXIT_LOCKED, build_scheduler, missed_fire_time
from tests.jobs.conftest import SmtpServer, free_port
from tests.jobs.test_job_runs import _env, kill_sender_midway

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")


def test_jobs_are_declared_with_explicit_ids_and_no_cron_in_the_dst_hour() -> None:
    ids = [spec.id for spec in JOBS]
    assert len(ids) == len(set(ids))
    for spec in JOBS:
        trigger = spec.make_trigger(PARIS)
        if isinstance(trigger, CronTrigger):
            assert spec.schedule["hour"] != 2, spec.id
        else:
            assert isinstance(trigger, IntervalTrigger)


def test_a_cron_run_missed_within_the_grace_period_is_caught_up() -> None:
    trigger = CronTrigger(hour=7, minute=30, timezone=PARIS)
    grace = timedelta(seconds=MISFIRE_GRACE_SECONDS)
    fire = datetime(2026, 3, 2, 7, 30, tzinfo=PARIS)
    yesterday = fire - timedelta(days=1)
    assert missed_fire_time(trigger, yesterday, fire + timedelta(minutes=40), grace) == fire
    assert missed_fire_time(trigger, None, fire + timedelta(minutes=40), grace) == fire
    assert missed_fire_time(trigger, fire, fire + timedelta(minutes=40), grace) is None
    assert missed_fire_time(trigger, yesterday, fire + timedelta(minutes=61), grace) is None
    assert missed_fire_time(trigger, yesterday, fire - timedelta(minutes=1), grace) is None
    interval = IntervalTrigger(minutes=5, timezone=PARIS)
    assert missed_fire_time(interval, None, fire, grace) is None


def test_built_scheduler_has_every_job_with_the_right_options(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    now = datetime(2026, 3, 2, 7, 50, tzinfo=PARIS)
    with committed_factory.begin() as s:
        # The daily digest last ran yesterday; today's 07:30 was missed by a restart.
        start_run(s, "digests_daily", now=now - timedelta(days=1))
        start_run(s, "retention", now=now - timedelta(hours=4, minutes=20))  # ran at 03:30
    ctx = JobContext(
        load_config({}, {"INSTANCE_DIR": str(tmp_path)}),
        committed_factory.kw["bind"],
        committed_factory,
        make_mailer({"MAIL_DIR": str(tmp_path)}),
    )
    scheduler = build_scheduler(ctx, now=now)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {spec.id for spec in JOBS}
    assert str(scheduler.timezone) == "Europe/Paris"
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    # Pending jobs keep their requested first run: the missed digest and the sender run now.
    assert jobs["digests_daily"].next_run_time == now
    assert jobs["sender"].next_run_time == now
    assert getattr(jobs["retention"], "next_run_time", None) is None


def test_only_one_scheduler_holds_the_lock(committed_engine: Engine, tmp_path: Path) -> None:
    first = SchedulerLock(committed_engine, tmp_path)
    second = SchedulerLock(committed_engine, tmp_path)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        first.release()
        assert second.try_acquire() is True
        assert first.try_acquire() is False
    finally:
        first.release()
        second.release()


def test_a_failing_job_is_recorded_and_does_not_raise(
    committed_factory: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from jobs.registry import JobSpec

    def broken(session_factory, mailer, now):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    ctx = JobContext({}, committed_factory.kw["bind"], committed_factory, make_mailer({}))
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    result = run_job(ctx, JobSpec("broken", broken, "interval", {"minutes": 1}), now=now)
    assert not result.ok and result.error == "Erreur inattendue."
    # The details are in the log, with the error id.
    (logged,) = [r for r in caplog.records if r.exc_info and result.error_id in r.getMessage()]
    assert "boom" in caplog.text
    with committed_factory() as s:
        (run,) = recent_job_runs(s, job="broken")
        assert run.status == JobRunStatus.FAILED and run.error == "Erreur inattendue."
        assert run.error_id == result.error_id
        assert run.started_at == now and run.finished_at == now


# --- The command line, as separate processes on a temporary SQLite file ----------------------


@pytest.fixture
def instance(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database and the environment that points ``python -m jobs`` at it."""
    engine = make_engine(f"sqlite:///{tmp_path}/passerelle.db")
    migrate.upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_INSTANCE_DIR=str(tmp_path),
        PASSERELLE_BASE_URL="https://passerelle.example",
        PYTHONPATH=str(ROOT),
    )
    return env


def _factory(env: dict[str, str]) -> sessionmaker[Session]:
    return make_session_factory(make_engine(load_config(env)["DATABASE_URL"]))


def _jobs(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _queue(factory: sessionmaker[Session], n: int) -> None:
    with factory.begin() as s:
        for i in range(n):
            enqueue(s, to=f"p{i}@exemple.fr", kind="test", key=str(i), subject=f"n°{i}", text="t")


def test_cli_run_and_list(instance: dict[str, str]) -> None:
    factory = _factory(instance)
    _queue(factory, 3)
    done = _jobs(instance, "run", "sender")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["job"] == "sender" and summary["ok"] is True
    assert summary["counts"]["sent"] == 3
    assert len(list((Path(instance["PASSERELLE_INSTANCE_DIR"]) / "mail").glob("*.eml"))) == 3
    assert "outbox: 3 claimed, 3 sent" in done.stderr  # progress goes to the log

    listing = _jobs(instance, "list")
    assert listing.returncode == 0, listing.stderr
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert set(lines) == {spec.id for spec in JOBS}
    assert "success" in lines["sender"] and '"sent": 3' in lines["sender"]
    assert "never" in lines["retention"]
    assert "every 5 minutes" in lines["rematch"]
    quick = _jobs(dict(instance, PASSERELLE_JOB_SCHEDULE='{"rematch": {"seconds": 10}}'), "list")
    assert "every 10 seconds" in quick.stdout  # the schedule the scheduler would follow

    unknown = _jobs(instance, "run", "nope")
    assert unknown.returncode == 2 and "unknown job" in unknown.stderr
    with factory() as s:
        assert [r.trigger for r in recent_job_runs(s)] == ["manual"]


def test_scheduler_process_runs_jobs_refuses_a_second_one_and_stops_on_sigint(
    instance: dict[str, str],
) -> None:
    factory = _factory(instance)
    _queue(factory, 2)
    mail_dir = Path(instance["PASSERELLE_INSTANCE_DIR"]) / "mail"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs"],
        cwd=ROOT,
        env=instance,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(list(mail_dir.glob("*.eml"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list(mail_dir.glob("*.eml"))) == 2  # the sender ran at start

        second = _jobs(instance, "--no-wait")
        assert second.returncode == EXIT_LOCKED
        assert "another scheduler is running" in second.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "scheduler stopped" in err
    with factory() as s:
        runs = s.scalars(select(JobRun).where(JobRun.job == "sender")).all()
        assert runs and all(r.trigger == "scheduler" for r in runs)
        assert all(r.status == JobRunStatus.SUCCESS for r in runs)


def test_sender_killed_midway_then_run_again_loses_nothing_and_repeats_at_most_the_one_in_flight(
    instance: dict[str, str],
) -> None:
    server = SmtpServer(free_port())
    server.handler.delay = 0.05
    server.start()
    env = dict(
        instance,
        PASSERELLE_MAIL_BACKEND="smtp",
        PASSERELLE_SMTP_HOST="127.0.0.1",
        PASSERELLE_SMTP_PORT=str(server.port),
        PASSERELLE_SMTP_STARTTLS="false",
    )
    factory = _factory(env)
    n = 30
    _queue(factory, n)
    try:
        kill_sender_midway(env, server, after=8)
        with factory() as s:
            rows = s.execute(select(OutboxMessage.key, OutboxMessage.status)).all()
        sent_before = {k for k, st in rows if st == OutboxStatus.SENT}
        in_flight = {k for k, st in rows if st == OutboxStatus.SENDING}
        received_before = {m["Subject"].removeprefix("n°") for m in server.messages}
        assert len(sent_before) < n
        # What the server took but we did not record: at most the one mail in flight.
        assert len(received_before - sent_before) <= 1
        assert received_before - sent_before <= in_flight

        # Later (the dead sender's claim has expired), the sender runs again.
        later = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
        again = _jobs(env, "run", "sender", "--now", later)
        assert again.returncode == 0, again.stderr
    finally:
        server.stop()
    received = [m["Subject"].removeprefix("n°") for m in server.messages]
    assert sorted(set(received), key=int) == [str(i) for i in range(n)]  # nothing lost
    repeated = {k for k in received if received.count(k) > 1}
    assert repeated <= in_flight and len(repeated) <= 1  # only the documented window
    assert not (repeated & sent_before)  # nothing recorded as sent went out again
    with factory() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_every_job_has_a_french_name_for_coordinators() -> None:
    from data.presentation import JOB_LABELS
    from jobs.registry import JOBS

    assert {j.id for j in JOBS} == set(JOB_LABELS)
    assert all(j.label == JOB_LABELS[j.id] and j.label != j.id for j in JOBS)


def test_job_schedule_setting_replaces_schedules_and_pages_read_the_same_interval() -> None:
    from data.jobruns import interval_of
    from jobs.registry import specs_for

    config = {"JOB_SCHEDULE": {"rematch": {"seconds": 10}, "digests_daily": {"seconds": 30}}}
    specs = {spec.id: spec for spec in specs_for(config)}
    assert isinstance(specs["rematch"].make_trigger(PARIS), IntervalTrigger)
    assert specs["rematch"].make_trigger(PARIS).interval == timedelta(seconds=10)
    assert specs["digests_daily"].make_trigger(PARIS).interval == timedelta(seconds=30)
    assert specs["retention"] == {spec.id: spec for spec in JOBS}["retention"]
    assert interval_of(config, "rematch") == timedelta(seconds=10)
    assert interval_of({}, "rematch") == specs_for({})[1].make_trigger(PARIS).interval
    with pytest.raises(ValueError, match="unknown"):
        specs_for({"JOB_SCHEDULE": {"rematchh": {"seconds": 10}}})
    with pytest.raises(ValueError, match="seconds"):
        specs_for({"JOB_SCHEDULE": {"rematch": {"secs": 10}}})
    with pytest.raises(ValueError, match="seconds"):
        specs_for({"JOB_SCHEDULE": {"rematch": {"seconds": 0}}})


def _runs_by_pid(factory: sessionmaker[Session]) -> dict[int | None, int]:
    with factory() as s:
        rows = s.execute(select(JobRun.pid)).scalars().all()
    return {pid: rows.count(pid) for pid in set(rows)}


def _wait_for(condition: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_two_schedulers_started_at_once_one_runs_the_jobs_the_other_exits_with_no_wait(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """With ``--no-wait`` the second scheduler exits at once (status 3); without it, it waits
    and takes over: tests/soak/test_faults.py checks that on the real service."""
    env = _env(
        committed_factory.kw["bind"],
        tmp_path,
        PASSERELLE_JOB_SCHEDULE='{"sender": {"seconds": 1}, "rematch": {"seconds": 1}}',
    )
    args = [sys.executable, "-m", "jobs", "--no-wait"]
    procs = [
        subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        # Runs are recorded, all by one of the two processes.
        assert _wait_for(lambda: sum(_runs_by_pid(committed_factory).values()) >= 4)
        (runner_pid,) = _runs_by_pid(committed_factory)
        (runner,) = [p for p in procs if p.pid == runner_pid]
        (other,) = [p for p in procs if p is not runner]
        assert other.wait(timeout=60) == EXIT_LOCKED
        assert "another scheduler is running" in other.communicate()[1]
        assert runner.poll() is None or runner.returncode == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            p.communicate(timeout=60)
    assert {p.returncode for p in procs} <= {0, EXIT_LOCKED}
    with committed_factory() as s:
        runs = s.scalars(select(JobRun)).all()
    assert runs and {r.status for r in runs} == {JobRunStatus.SUCCESS}
