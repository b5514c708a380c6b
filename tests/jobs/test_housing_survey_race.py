"""The housing survey's mails go out exactly once (issue 17), even when two coordinators send
the campaign, or the same reminder round, at the same instant; then through a real SMTP server;
and the job's automatic reminder, once, to those who did not answer.

Real races on a real SQLite file and on PostgreSQL (``committed_factory``: commits are real), each
contender in its own thread with its own session, released together by a barrier.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer, send_pending, unsubscribe, unsubscribe_token_for
from data.models import Employer, HousingSurveyInvite, Role, StructureCheck, StructureKind
from data.models.mail import OutboxMessage, OutboxStatus
from data.operations import housing_survey as ops
from jobs.housing_survey import remind_housing_surveys
from tests.data import factories as f
from tests.jobs.conftest import SmtpServer

RUNS = 5
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # reported in the assertion, never lost in the thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _campaign(factory: sessionmaker[Session], structures: int) -> tuple[int, Actor, list[str]]:
    """Commit a campaign for ``structures`` fresh CHRS; return its id, a coordinator, addresses."""
    with factory.begin() as s:
        coordinator = Actor.user(f.make_user(s, Role.COORDINATOR))
        # Each run asks only its own structures: the earlier runs' are suspended by now.
        s.execute(update(Employer).values(check_status=StructureCheck.SUSPENDED))
        employers = [f.make_employer(s, kind=StructureKind.CHRS) for _ in range(structures)]
        survey = ops.create_survey(s, coordinator, title="Recensement", structure_kinds=["chrs"])
        return survey.id, coordinator, [e.contact_email for e in employers]


def _in_session(factory: sessionmaker[Session], fn: Callable[[Session], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with factory.begin() as s:
            return fn(s)

    return run


def _count(factory: sessionmaker[Session], kind: str, survey_id: int) -> int:
    with factory() as s:
        return int(
            s.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.kind == kind,
                    OutboxMessage.key.startswith(f"housing_survey:{survey_id}:"),
                )
            )
            or 0
        )


def test_two_coordinators_send_the_same_campaign_at_once(
    committed_factory: sessionmaker[Session],
) -> None:
    for _ in range(RUNS):
        survey_id, coordinator, _addresses = _campaign(committed_factory, 3)

        def send(s: Session, survey_id: int = survey_id, actor: Actor = coordinator) -> Any:
            return ops.send_survey(s, actor, survey_id, now=NOW)

        results = _together([_in_session(committed_factory, send) for _ in range(2)])
        assert all(isinstance(r, ops.SendResult) for r in results), results
        assert sorted(r.already_sent for r in results) == [False, True]
        assert sum(r.queued for r in results) == 3
        assert _count(committed_factory, ops.INVITE_KIND, survey_id) == 3
        with committed_factory() as s:
            invites = s.scalar(
                select(func.count(HousingSurveyInvite.id)).where(
                    HousingSurveyInvite.survey_id == survey_id
                )
            )
            assert invites == 3


def test_two_clicks_on_the_same_reminder_round_remind_once(
    committed_factory: sessionmaker[Session],
) -> None:
    for _ in range(RUNS):
        survey_id, coordinator, _addresses = _campaign(committed_factory, 2)
        with committed_factory.begin() as s:
            ops.send_survey(s, coordinator, survey_id, now=NOW)

        def remind(s: Session, survey_id: int = survey_id, actor: Actor = coordinator) -> Any:
            return ops.remind_survey(s, actor, survey_id, round_number=1, now=LATER)

        results = _together([_in_session(committed_factory, remind) for _ in range(2)])
        assert all(isinstance(r, ops.RemindResult) for r in results), results
        assert sorted(r.already_sent for r in results) == [False, True]
        assert _count(committed_factory, ops.REMINDER_KIND, survey_id) == 2


def test_the_campaign_reaches_a_real_smtp_server_once_with_its_unsubscribe_link(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    survey_id, coordinator, addresses = _campaign(committed_factory, 3)
    with committed_factory.begin() as s:
        ops.send_survey(s, coordinator, survey_id, base_url="https://passerelle.example", now=NOW)
        # One structure opts out after the campaign was queued: dropped when the mails go out.
        unsubscribe(s, unsubscribe_token_for(s, addresses[2]))
    mailer = make_mailer(smtp_server.config())
    report = send_pending(committed_factory, mailer, now=NOW)
    assert (report.sent, report.suppressed) == (2, 1)
    assert send_pending(committed_factory, make_mailer(smtp_server.config()), now=NOW).sent == 0

    received = sorted(smtp_server.messages, key=lambda m: str(m["To"]))
    assert [str(m["To"]) for m in received] == sorted(addresses[:2])
    for message in received:
        assert (
            str(message["List-Unsubscribe"])
            .strip()
            .startswith("<https://passerelle.example/desabonnement/")
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        token = re.search(r"/logement/recensement/(\S+)", body)
        assert token is not None
        with committed_factory() as s:
            invite = ops.find_invite(s, token.group(1))
            assert invite is not None and invite.recipient == str(message["To"])
    with committed_factory() as s:
        statuses = s.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == ops.INVITE_KIND)
        ).all()
        assert sorted(statuses) == sorted(
            [OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.SUPPRESSED]
        )


def test_the_job_reminds_once_after_ten_days_those_who_did_not_answer(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    survey_id, coordinator, addresses = _campaign(committed_factory, 2)
    with committed_factory.begin() as s:
        ops.send_survey(s, coordinator, survey_id, now=NOW)
        first = s.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == addresses[0])
        ).one()
        ops.answer_survey(s, re.findall(r"/recensement/(\S+)", first.text)[0], {"answer": "no"})
    mailer = make_mailer({"MAIL_BACKEND": "file", "MAIL_DIR": str(tmp_path)})
    nine_days = NOW + timedelta(days=ops.AUTO_REMINDER_DAYS - 1)
    assert remind_housing_surveys(committed_factory, mailer, now=nine_days) == {}

    ten_days = NOW + timedelta(days=ops.AUTO_REMINDER_DAYS)
    counts = remind_housing_surveys(committed_factory, mailer, now=ten_days)
    assert counts == {"housing_surveys": 1, "housing_survey_reminders": 1}
    with committed_factory() as s:
        reminded = s.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == ops.REMINDER_KIND)
        ).all()
    assert reminded == [addresses[1]]
    # The next days: nothing more (the coordinators' button sends further rounds).
    assert remind_housing_surveys(committed_factory, mailer, now=ten_days + timedelta(days=1)) == {}
    assert _count(committed_factory, ops.REMINDER_KIND, survey_id) == 1


def test_the_job_leaves_a_campaign_a_coordinator_reminded_or_closed(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    reminded, coordinator, _ = _campaign(committed_factory, 1)
    with committed_factory.begin() as s:
        ops.send_survey(s, coordinator, reminded, now=NOW)
        ops.remind_survey(s, coordinator, reminded, round_number=1, now=NOW + timedelta(days=2))
    closed, coordinator, _ = _campaign(committed_factory, 1)
    with committed_factory.begin() as s:
        ops.send_survey(s, coordinator, closed, now=NOW)
        ops.close_survey(s, coordinator, closed, now=NOW + timedelta(days=3))
    later = NOW + timedelta(days=30)
    with committed_factory() as s:
        assert ops.due_for_reminder(s, later) == []
    mailer = make_mailer({"MAIL_BACKEND": "file", "MAIL_DIR": str(tmp_path)})
    assert remind_housing_surveys(committed_factory, mailer, now=later) == {}
