"""The check-ins' job (issue 19), with real commits and a real SMTP server: each side's mail
of day 15 and of day 40 leaves once, whatever the runs, and its link opens the questions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data import mail
from data.mail import make_mailer, send_pending
from data.models import Candidate, Questionnaire, SuggestionStatus
from data.operations.questionnaires import answer_questionnaire
from data.queries import pairs_to_call
from jobs.checkins import send_checkins
from jobs.registry import JOBS_BY_ID
from tests.data import factories as f
from tests.jobs.conftest import SmtpServer

START = date(2026, 11, 2)


def _day(day: int, hour: int = 8) -> datetime:
    return datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC).replace(
        hour=hour
    )


def test_the_job_sends_each_check_in_once_through_a_real_smtp_server(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    with committed_factory.begin() as s:
        pair = f.make_suggestion(
            s,
            status=SuggestionStatus.CONTRACT_SIGNED,
            contract_signed_on=START - timedelta(days=10),
            contract_start_on=START,
        )
        candidate_email = pair.request.candidate.email
        pair_id = pair.id
    mailer = make_mailer(smtp_server.config())
    assert send_checkins(committed_factory, mailer, _day(14)).get("checkins", 0) == 0
    assert send_checkins(committed_factory, mailer, _day(15))["checkins"] == 2
    assert send_checkins(committed_factory, mailer, _day(15, 9)).get("checkins", 0) == 0
    assert send_pending(committed_factory, mailer, now=_day(15)).sent == 2
    assert send_pending(committed_factory, mailer, now=_day(15)).sent == 0
    assert send_checkins(committed_factory, mailer, _day(40))["checkins"] == 2
    assert send_checkins(committed_factory, mailer, _day(41)).get("checkins", 0) == 0
    assert send_pending(committed_factory, mailer, now=_day(40)).sent == 2
    assert len(smtp_server.messages) == 4
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert subjects == [
        "Votre apprenti ou apprentie : le point au 15e jour du contrat",
        "Votre apprenti ou apprentie : le point au 40e jour du contrat",
        "Votre apprentissage : le point au 15e jour du contrat",
        "Votre apprentissage : le point au 40e jour du contrat",
    ]
    to_candidate = [m for m in smtp_server.messages if m["To"] == candidate_email]
    assert len(to_candidate) == 2
    # Service mails about the contract: no unsubscribe header.
    assert all(m["List-Unsubscribe"] is None for m in smtp_server.messages)
    body = to_candidate[0].get_body(("plain",))
    assert body is not None
    link = re.search(r"/questionnaire/([A-Za-z0-9_-]+)", body.get_content())
    assert link is not None
    with committed_factory.begin() as s:
        answer_questionnaire(
            s,
            link.group(1),
            {"going": "bad", "supported": "no", "carry_on": "rather_no", "comment": ""},
            now=_day(41),
        )
    with committed_factory() as s:
        assert s.scalar(select(func.count(Questionnaire.id))) == 4
        assert [row.pair.id for row in pairs_to_call(s, _day(41, 9))] == [pair_id]


def test_check_ins_reach_people_who_opted_out_of_the_information_mails(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    """Service mails about the contract, like the contact mails: an opt-out does not stop them
    (the notification settings say so), while an optional mail to the same address is dropped."""
    with committed_factory.begin() as s:
        pair = f.make_suggestion(
            s,
            status=SuggestionStatus.CONTRACT_SIGNED,
            contract_signed_on=START,
            contract_start_on=START,
        )
        candidate = pair.request.candidate
        email = candidate.email
        token = mail.unsubscribe_token_for(s, email, now=_day(1))
    with committed_factory.begin() as s:
        assert mail.unsubscribe(s, token, now=_day(2)) is not None
        assert mail.is_opted_out(s, email)
    mailer = make_mailer(smtp_server.config())
    assert send_checkins(committed_factory, mailer, _day(15))["checkins"] == 2
    with committed_factory.begin() as s:
        candidate = s.get(Candidate, candidate.id)
        assert candidate is not None
        mail.queue_mail(
            s,
            mail.candidate_recipient(s, candidate),
            kind="still_looking",
            key="opt-out-test",
            template="still_looking",
            base_url="http://localhost",
            now=_day(15),
            first_name=candidate.first_name,
            last_activity=candidate.last_activity_at,
            answer_url="http://localhost/toujours-en-recherche/x",
            pause_after_days=21,
        )
    report = send_pending(committed_factory, mailer, now=_day(15))
    assert (report.sent, report.suppressed) == (2, 1)
    assert sorted(str(m["To"]) for m in smtp_server.messages).count(email) == 1


def test_the_job_is_scheduled_each_morning_in_france() -> None:
    spec = JOBS_BY_ID["checkins"]
    assert spec.trigger == "cron" and 7 <= spec.schedule["hour"] <= 11
    assert spec.label.startswith("Suivi des contrats")
