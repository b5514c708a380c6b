"""Digests: who gets which suggestions, when, once, and what the mail says."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.errors import ValidationError
from data.mail import get_notify_frequency, make_mailer, set_notify_frequency, unsubscribe
from data.models import NotifyFrequency, Offer, Suggestion, SuggestionStatus
from data.models.mail import NotifiedSuggestion, OutboxMessage
from data.platform_settings import ReviewRule, set_review_rule
from jobs.digests import send_digests
from tests.data.factories import make_offer, make_suggestion
from tests.jobs.conftest import SmtpServer, World, build_world

# Monday 2 March 2026, 07:30 in Paris.
T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def _pair(
    factory: sessionmaker[Session],
    w: World,
    *,
    status=SuggestionStatus.APPROVED,
    score=0.8,
    new_offer: bool = False,
    **extra,
) -> int:
    with factory.begin() as s:
        offer = (
            make_offer(
                s,
                s.get(Offer, w.offer_id).site,
                start_date=(T0 + timedelta(days=80)).date(),
                now=T0,
            )
            if new_offer
            else s.get(Offer, w.offer_id)
        )
        from data.models import Request

        pair = make_suggestion(
            s,
            s.get(Request, w.request_id),
            offer,
            status=status,
            score=score,
            distance_km=12.3,
            reasons=["Même métier", "12 km de chez vous"],
            **extra,
        )
        return pair.id


def _kinds(server: SmtpServer) -> list[tuple[str, str]]:
    return sorted((str(m["X-Passerelle-Kind"]), str(m["To"])) for m in server.messages)


def test_daily_digest_mails_approved_pairs_once_to_both_sides(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _pair(committed_factory, w, status=SuggestionStatus.PROPOSED, score=0.99)  # not reviewed
    approved = _pair(committed_factory, w, new_offer=True)
    mailer = make_mailer(smtp_server.config())

    counts = send_digests(committed_factory, mailer, T0, frequency="daily")
    assert counts["candidate_mails"] == 1 and counts["employer_mails"] == 1 and counts["sent"] == 2
    assert _kinds(smtp_server) == [
        ("digest_candidate", w.candidate_email),
        ("digest_employer", w.employer_user_email),
    ]
    to_candidate = next(m for m in smtp_server.messages if str(m["To"]) == w.candidate_email)
    assert to_candidate["Subject"] == "Une nouvelle offre d'apprentissage pour vous"
    assert (
        to_candidate["List-Unsubscribe"]
        .strip()
        .startswith("<https://passerelle.example/desabonnement/")
    )
    assert to_candidate["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = to_candidate.get_body(("plain",)).get_content()
    html = to_candidate.get_body(("html",)).get_content()
    with committed_factory() as s:
        offer_id = s.get(Suggestion, approved).offer_id
    assert "Bonjour Léa," in text and "EHPAD Les Tilleuls" in text and "12 km" in text
    assert f"https://passerelle.example/offres/{offer_id}" in text
    assert f'href="https://passerelle.example/offres/{offer_id}"' in html
    assert "https://passerelle.example/candidat/notifications" in text

    to_employer = next(m for m in smtp_server.messages if str(m["To"]) == w.employer_user_email)
    body = to_employer.get_body(("plain",)).get_content()
    assert to_employer["Subject"] == "Une nouvelle candidature suggérée pour vos offres"
    assert f"https://passerelle.example/employeur/offres/{offer_id}" in body
    assert "adéquation 80 %" in body
    # Minimal personal data: no name, address or phone of the candidate before contact.
    assert "Dupont" not in body and "Léa" not in body and "06 12" not in body

    # The same day again: nothing new, nothing sent.
    again = send_digests(committed_factory, mailer, T0 + timedelta(hours=1), frequency="daily")
    assert again.get("candidate_mails", 0) == 0 and len(smtp_server.messages) == 2

    # A pair approved later that day waits for tomorrow's digest, which has it alone.
    later = _pair(committed_factory, w, new_offer=True)
    same_day = send_digests(committed_factory, mailer, T0 + timedelta(hours=5), frequency="daily")
    assert same_day["candidates_already_this_period"] == 1
    assert len(smtp_server.messages) == 2
    next_day = send_digests(committed_factory, mailer, T0 + timedelta(days=1), frequency="daily")
    assert next_day["candidate_mails"] == 1 and next_day["candidate_suggestions"] == 1
    with committed_factory() as s:
        notified = s.scalars(
            select(NotifiedSuggestion.suggestion_id).where(
                NotifiedSuggestion.recipient == w.candidate_email
            )
        ).all()
    assert sorted(notified) == sorted([approved, later])


def test_automatic_review_mails_pairs_above_the_score_only(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0, frequency="immediate")
    with committed_factory.begin() as s:
        set_review_rule(s, ReviewRule("auto", 0.7))
    high = _pair(committed_factory, w, status=SuggestionStatus.PROPOSED, score=0.75)
    _pair(committed_factory, w, status=SuggestionStatus.PROPOSED, score=0.65, new_offer=True)
    _pair(
        committed_factory,
        w,
        status=SuggestionStatus.PROPOSED,
        score=0.9,
        new_offer=True,
        stale=True,
    )
    _pair(
        committed_factory,
        w,
        status=SuggestionStatus.REJECTED,
        score=0.95,
        new_offer=True,
        rejection_reason="Trop loin",
    )
    counts = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="immediate"
    )
    assert counts["candidate_suggestions"] == 1
    assert "employer_mails" not in counts  # the employer chose nothing: daily, not immediate
    with committed_factory() as s:
        assert s.scalars(select(NotifiedSuggestion.suggestion_id)).all() == [high]


def test_frequencies_follow_the_clock(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0, frequency="weekly")
    with committed_factory.begin() as s:
        from data.models import User

        user_id = s.scalar(select(User.id).where(User.email == w.employer_user_email))
        assert get_notify_frequency(s, user_id) == NotifyFrequency.DAILY  # the default
        with pytest.raises(ValidationError):
            set_notify_frequency(s, user_id, "hourly")
        set_notify_frequency(s, user_id, "never")
        assert get_notify_frequency(s, user_id) == NotifyFrequency.NEVER
    mailer = make_mailer(smtp_server.config())
    _pair(committed_factory, w)
    # The daily and immediate runs do not mail a weekly person, nor an employer who said never.
    for freq in ("immediate", "daily"):
        assert "candidate_mails" not in send_digests(committed_factory, mailer, T0, frequency=freq)
    assert send_digests(committed_factory, mailer, T0, frequency="weekly")["candidate_mails"] == 1
    _pair(committed_factory, w, new_offer=True)
    wednesday = T0 + timedelta(days=2)
    assert "candidate_mails" not in send_digests(
        committed_factory, mailer, wednesday, frequency="weekly"
    )
    next_monday = T0 + timedelta(days=7)
    assert (
        send_digests(committed_factory, mailer, next_monday, frequency="weekly")["candidate_mails"]
        == 1
    )
    assert _kinds(smtp_server) == [("digest_candidate", w.candidate_email)] * 2


def test_opted_out_candidate_is_not_mailed(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _pair(committed_factory, w)
    mailer = make_mailer(smtp_server.config())
    send_digests(committed_factory, mailer, T0, frequency="daily")
    token = (
        next(m for m in smtp_server.messages if str(m["To"]) == w.candidate_email)[
            "List-Unsubscribe"
        ]
        .strip()[1:-1]
        .rsplit("/", 1)[1]
    )
    with committed_factory.begin() as s:
        assert unsubscribe(s, token) == w.candidate_email
    _pair(committed_factory, w, new_offer=True)
    counts = send_digests(committed_factory, mailer, T0 + timedelta(days=1), frequency="daily")
    assert counts["candidate_mails"] == 1  # queued, then dropped when it would go out
    assert [str(m["To"]) for m in smtp_server.messages].count(w.candidate_email) == 1
    with committed_factory() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "suppressed")
            )
            == 1
        )


def test_two_digest_runs_at_once_mail_each_suggestion_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0, frequency="immediate")
    for _ in range(6):
        _pair(committed_factory, w, new_offer=True)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            send_digests(
                committed_factory, make_mailer(smtp_server.config()), T0, frequency="immediate"
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    to_candidate = [m for m in smtp_server.messages if str(m["To"]) == w.candidate_email]
    assert len(to_candidate) == 1
    assert to_candidate[0]["Subject"] == "6 nouvelles offres d'apprentissage pour vous"
    with committed_factory() as s:
        assert s.scalar(select(func.count()).select_from(NotifiedSuggestion)) == 6


def test_for_each_undoes_only_the_item_that_fails(committed_factory: sessionmaker[Session]) -> None:
    from collections import Counter

    from data.mail import enqueue
    from jobs.common import MailBatch, Skip, for_each

    def fn(s: Session, item: int, counter: Counter) -> list[int | None]:
        mail_id = enqueue(s, to=f"p{item}@exemple.fr", kind="t", key="1", subject="S", text="t")
        counter["queued"] += 1
        if item == 3:
            raise ValueError("a bad record")
        if item == 4:
            raise Skip("left_for_later")
        return [mail_id]

    counts: Counter = Counter()
    batch = MailBatch("https://passerelle.example", T0)
    for_each(committed_factory, [1, 2, 3, 4, 5, 6, 7], fn, counts, batch, label="test", size=5)
    assert counts == {"queued": 5, "errors": 1, "left_for_later": 1}
    with committed_factory() as s:
        kept = sorted(s.scalars(select(OutboxMessage.recipient)))
    assert kept == [f"p{i}@exemple.fr" for i in (1, 2, 5, 6, 7)]
    assert len(batch.ids) == 5
