"""Contacts, reminders, expiry, retention and the coordinators' summary, on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import SYSTEM, Actor
from data.mail import make_mailer
from data.mail.actions import answer_still_looking
from data.models import (
    Candidate,
    Interest,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Suggestion,
    SuggestionStatus,
)
from data.models.mail import OutboxMessage
from jobs.contacts import send_contacts
from jobs.reminders import (
    INACTIVE_DAYS,
    NUDGE_AFTER_DAYS,
    OFFER_EXPIRY_GRACE_DAYS,
    PAUSE_AFTER_QUESTION_DAYS,
    send_reminders,
)
from jobs.retention import WARNING_DAYS, apply_retention
from jobs.summary import send_coordinator_summary
from tests.data.factories import make_suggestion
from tests.jobs.conftest import SmtpServer, World, build_world

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _pair(factory: sessionmaker[Session], w: World, status: SuggestionStatus, **extra) -> int:
    with factory.begin() as s:
        pair = make_suggestion(
            s, s.get(Request, w.request_id), s.get(Offer, w.offer_id), status=status, **extra
        )
        return pair.id


def _mails(server: SmtpServer, kind: str) -> dict[str, object]:
    return {str(m["To"]): m for m in server.messages if m["X-Passerelle-Kind"] == kind}


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _answer_token(message) -> str:
    link = next(
        line for line in _body(message).splitlines() if "/toujours-en-recherche/" in line
    ).split(": ", 1)[1]
    assert link.startswith("https://passerelle.example/toujours-en-recherche/")
    return link.rsplit("/", 1)[1]


def test_approved_pair_puts_both_sides_in_contact_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    # A pair written "approved" without the operation (approved before the approval queued its
    # mails): the job catches up.
    w = build_world(committed_factory, now=T0)
    pair_id = _pair(committed_factory, w, SuggestionStatus.APPROVED)
    mailer = make_mailer(smtp_server.config())

    counts = send_contacts(committed_factory, mailer, T0)
    assert counts == {"pairs": 1, "mails": 2, "sent": 2}
    to_candidate = _mails(smtp_server, "contact_candidate")[w.candidate_email]
    to_employer = _mails(smtp_server, "contact_employer")[w.employer_user_email]
    assert to_candidate["Subject"].startswith("Mise en relation : ")
    text = _body(to_candidate)
    assert "EHPAD Les Tilleuls" in text and "Claire Martin" in text and "3 rue des Lilas" in text
    employer_text = _body(to_employer)
    assert "Léa Dupont" in employer_text and "lea.dupont@exemple.fr" in employer_text
    assert "06 12 34 56 78" in employer_text
    assert f"https://passerelle.example/employeur/offres/{w.offer_id}" in employer_text
    # Not an optional mail: no unsubscribe link (data.mail.contacts says why).
    assert to_employer["List-Unsubscribe"] is None and "/desabonnement/" not in employer_text
    with committed_factory() as s:
        pair = s.get(Suggestion, pair_id)
        assert pair.status == SuggestionStatus.CONTACTED and pair.status_changed_at == T0

    assert send_contacts(committed_factory, mailer, T0 + timedelta(minutes=5)) == {"sent": 0}
    assert len(smtp_server.messages) == 2


def test_a_pair_moved_on_while_the_job_works_keeps_its_stage_and_its_mails(
    committed_factory: sessionmaker[Session],
) -> None:
    from collections import Counter

    from data import operations as ops
    from jobs.common import MailBatch
    from jobs.contacts import _contact

    w = build_world(committed_factory, now=T0)
    pair_id = _pair(committed_factory, w, SuggestionStatus.APPROVED)
    with committed_factory() as job:
        seen = job.get(Suggestion, pair_id)  # the job read it "approved"...
        job.commit()
        with committed_factory.begin() as coordinator:  # ...a coordinator moves it on...
            ops.mark_interview(coordinator, pair_id, SYSTEM, now=T0)
        counts: Counter[str] = Counter()
        ids = _contact(job, MailBatch("https://passerelle.example", T0), counts, pair_id, T0)
        job.commit()  # ...the job's compare-and-set finds it moved: nothing overwritten
        assert seen.status == SuggestionStatus.INTERVIEW  # refreshed
    assert len(ids) == 2 and counts["pairs"] == 0, (ids, counts)
    with committed_factory() as s:
        assert s.get(Suggestion, pair_id).status == SuggestionStatus.INTERVIEW
        keys = s.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.key == f"contact:{pair_id}")
        )
        assert sorted(keys) == ["contact_candidate", "contact_employer"]


def test_offer_start_reminded_once_then_expired(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    with committed_factory() as s:
        start = s.get(Offer, w.offer_id).start_date
    mailer = make_mailer(smtp_server.config())
    day = lambda d: datetime.combine(start + timedelta(days=d), T0.timetz())  # noqa: E731

    assert "offers_reminded" not in send_reminders(committed_factory, mailer, day(-20))
    assert send_reminders(committed_factory, mailer, day(-10))["offers_reminded"] == 1
    assert "offers_reminded" not in send_reminders(committed_factory, mailer, day(-9))
    reminder = _mails(smtp_server, "offer_start_reminder")[w.employer_user_email]
    assert "commence le" in reminder["Subject"]
    assert "sera retirée le" in _body(reminder)

    assert "offers_expired" not in send_reminders(
        committed_factory, mailer, day(OFFER_EXPIRY_GRACE_DAYS - 1)
    )
    counts = send_reminders(committed_factory, mailer, day(OFFER_EXPIRY_GRACE_DAYS))
    assert counts["offers_expired"] == 1
    with committed_factory() as s:
        assert s.get(Offer, w.offer_id).status == OfferStatus.EXPIRED
    assert "est retirée" in _mails(smtp_server, "offer_expired")[w.employer_user_email]["Subject"]
    offer_mails = [
        m for m in smtp_server.messages if str(m["X-Passerelle-Kind"]).startswith("offer")
    ]
    assert len(offer_mails) == 2


def test_inactive_request_asks_still_looking_and_the_answer_applies(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    mailer = make_mailer(smtp_server.config())
    day59 = T0 + timedelta(days=INACTIVE_DAYS - 1)
    assert "still_looking" not in send_reminders(committed_factory, mailer, day59)
    day61 = T0 + timedelta(days=INACTIVE_DAYS + 1)
    assert send_reminders(committed_factory, mailer, day61)["still_looking"] == 1
    assert "still_looking" not in send_reminders(committed_factory, mailer, day61)  # once
    mail = _mails(smtp_server, "still_looking")[w.candidate_email]
    assert mail["Subject"] == "Êtes-vous toujours en recherche d'apprentissage ?"
    token = _answer_token(mail)

    answered = day61 + timedelta(days=2)
    with committed_factory.begin() as s:
        assert answer_still_looking(s, "inconnu", True, now=answered) is None
        assert answer_still_looking(s, token, True, now=answered).id == w.request_id
    with committed_factory() as s:
        assert s.get(Candidate, w.candidate_id).last_activity_at == answered
    # Sixty days after the answer, asked again (a new period of inactivity).
    later = answered + timedelta(days=INACTIVE_DAYS + 1)
    assert send_reminders(committed_factory, mailer, later)["still_looking"] == 1
    second = _answer_token(_mails(smtp_server, "still_looking")[w.candidate_email])
    assert second != token
    with committed_factory.begin() as s:
        assert answer_still_looking(s, token, True, now=later) is None  # the first has expired
        assert answer_still_looking(s, second, False, now=later) is not None
    with committed_factory() as s:
        assert s.get(Request, w.request_id).status == RequestStatus.CLOSED


def test_a_question_left_unanswered_pauses_the_request_without_counting_as_activity(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    mailer = make_mailer(smtp_server.config())
    asked = T0 + timedelta(days=INACTIVE_DAYS + 1)
    assert send_reminders(committed_factory, mailer, asked)["still_looking"] == 1
    mail = _mails(smtp_server, "still_looking")[w.candidate_email]
    assert f"sous {PAUSE_AFTER_QUESTION_DAYS} jours" in _body(mail)

    almost = asked + timedelta(days=PAUSE_AFTER_QUESTION_DAYS - 1)
    assert "requests_paused" not in send_reminders(committed_factory, mailer, almost)
    with committed_factory() as s:
        assert s.get(Request, w.request_id).status == RequestStatus.ACTIVE

    due = asked + timedelta(days=PAUSE_AFTER_QUESTION_DAYS)
    counts = send_reminders(committed_factory, mailer, due)
    assert counts["requests_paused"] == 1 and "still_looking" not in counts
    with committed_factory() as s:
        assert s.get(Request, w.request_id).status == RequestStatus.PAUSED
        # The platform's pause is not the person's activity: retention still counts from T0.
        assert s.get(Candidate, w.candidate_id).last_activity_at == T0
    assert "requests_paused" not in send_reminders(committed_factory, mailer, due)


def test_pair_stuck_at_contacted_nudges_the_side_that_did_not_answer(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _pair(
        committed_factory,
        w,
        SuggestionStatus.CONTACTED,
        status_changed_at=T0,
        employer_interest=Interest.INTERESTED,
    )
    mailer = make_mailer(smtp_server.config())
    soon = T0 + timedelta(days=NUDGE_AFTER_DAYS - 1)
    assert "nudges" not in send_reminders(committed_factory, mailer, soon)
    late = T0 + timedelta(days=NUDGE_AFTER_DAYS)
    assert send_reminders(committed_factory, mailer, late)["nudges"] == 1
    assert "nudges" not in send_reminders(committed_factory, mailer, late + timedelta(days=1))
    assert [(m["X-Passerelle-Kind"], str(m["To"])) for m in smtp_server.messages] == [
        ("nudge_candidate", w.candidate_email)
    ]
    assert "EHPAD Les Tilleuls" in _body(smtp_server.messages[0])


def test_retention_warns_then_anonymises_and_forgets_the_address(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _pair(
        committed_factory,
        w,
        SuggestionStatus.REJECTED,
        status_changed_at=T0,
        rejection_reason="Mme Dupont ne conduit pas",
    )
    mailer = make_mailer(smtp_server.config())
    deadline = datetime(2028, 3, 2, 8, 0, tzinfo=UTC)  # 24 months after the last activity
    warn_from = deadline - timedelta(days=WARNING_DAYS)
    assert "warned" not in apply_retention(committed_factory, mailer, warn_from - timedelta(days=1))
    counts = apply_retention(committed_factory, mailer, warn_from)
    assert counts["warned"] == 1
    warning = _mails(smtp_server, "retention_warning")[w.candidate_email]
    assert warning["Subject"] == "Vos données Passerelle seront effacées le 2 mars 2028"
    assert "https://passerelle.example/connexion" in _body(warning)

    # Not before the deadline; on it, the 30 days of notice are over too.
    assert "anonymised" not in apply_retention(
        committed_factory, mailer, deadline - timedelta(days=1)
    )
    counts = apply_retention(committed_factory, mailer, deadline)
    assert counts["anonymised"] == 1 and counts["pair_reasons_erased"] == 1
    with committed_factory() as s:
        candidate = s.get(Candidate, w.candidate_id)
        assert candidate.email is None and candidate.phone is None
        assert candidate.first_name == "Anonyme" and candidate.anonymised_at is not None
        assert s.get(Request, w.request_id).status == RequestStatus.CLOSED
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.recipient == w.candidate_email)
            )
            == 0
        )
        assert s.scalars(select(Suggestion.rejection_reason)).all() == [None]
    assert len(smtp_server.messages) == 1


def test_activity_after_the_warning_keeps_the_data(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    from data.operations import touch_candidate

    w = build_world(committed_factory, now=T0)
    mailer = make_mailer(smtp_server.config())
    warned_at = datetime(2028, 2, 1, 8, 0, tzinfo=UTC)
    assert apply_retention(committed_factory, mailer, warned_at)["warned"] == 1
    with committed_factory.begin() as s:
        touch_candidate(s, w.candidate_id, now=warned_at + timedelta(days=3))
    counts = apply_retention(committed_factory, mailer, warned_at + timedelta(days=60))
    assert "anonymised" not in counts and "warned" not in counts
    with committed_factory() as s:
        assert s.get(Candidate, w.candidate_id).email == w.candidate_email


def test_coordinator_summary_counts_and_goes_out_once_a_week(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _pair(committed_factory, w, SuggestionStatus.PROPOSED)
    with committed_factory.begin() as s:
        s.get(Request, w.request_id).needs_housing = True
    mailer = make_mailer(smtp_server.config())
    counts = send_coordinator_summary(committed_factory, mailer, T0)
    assert counts == {"mails": 1, "review_queue": 1, "sent": 1}
    assert send_coordinator_summary(committed_factory, mailer, T0 + timedelta(days=3))["mails"] == 0
    (mail,) = smtp_server.messages
    assert str(mail["To"]) == w.coordinator_email
    text = _body(mail)
    assert "À examiner : 1 suggestion en attente" in text
    # The stages are the pairs' past the review, as on the dashboard: the suggestions to
    # review are counted once, by the review rule (issue 20: « À examiner » said two numbers).
    assert text.count("À examiner") == 1
    assert "- Contrat signé : 0" in text
    assert "Offres ouvertes sans aucune suggestion en cours : 0" in text.splitlines()
    assert "Demandes actives sans aucune suggestion en cours : 0" in text
    assert "Demandes avec un besoin de logement et aucune suggestion qui loge : 1" in text
    # Every structure is checked: no link to an empty queue.
    assert "Structures à vérifier : 0" in text.splitlines()


def test_coordinator_summary_points_to_the_structures_to_check(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    from data.models import StructureCheck
    from tests.data.factories import make_employer

    build_world(committed_factory, now=T0)
    with committed_factory.begin() as s:
        for name in ("Foyer Les Genêts", "IME La Source"):
            make_employer(s, name=name, check_status=StructureCheck.TO_CHECK)
        make_employer(s, name="MAS Les Érables", check_status=StructureCheck.SUSPENDED)
    mailer = make_mailer(smtp_server.config())
    assert send_coordinator_summary(committed_factory, mailer, T0)["sent"] == 1
    (mail,) = smtp_server.messages
    queue = "https://passerelle.example/coordination/structures/"
    assert f"Structures à vérifier : 2 ({queue})" in _body(mail).splitlines()
    html = mail.get_body(("html",)).get_content()
    assert f'<a href="{queue}"' in html and "voir les structures à vérifier" in html


def test_retention_deletes_refused_join_requests_after_their_keeping_time(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    from data.models import StructureJoinRequest, User
    from data.operations.employers import (
        REFUSED_KEPT_DAYS,
        refuse_join_request,
        request_to_join,
    )

    w = build_world(committed_factory, now=T0)
    with committed_factory.begin() as s:
        coordinator = s.scalar(select(User).where(User.email == w.coordinator_email))
        for n in range(2):
            join = request_to_join(
                s, w.employer_id, name=f"Personne {n}", email=f"p{n}@example.org", now=T0
            )
            refuse_join_request(s, join, Actor.user(coordinator), now=T0 + timedelta(days=n))
    mailer = make_mailer(smtp_server.config())
    first_due = T0 + timedelta(days=REFUSED_KEPT_DAYS, minutes=1)
    assert apply_retention(committed_factory, mailer, first_due)["join_requests_deleted"] == 1
    with committed_factory() as s:
        left = s.scalars(select(StructureJoinRequest.email)).all()
    assert left == ["p1@example.org"]
