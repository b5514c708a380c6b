"""« Inscriptions bientôt closes »: the candidates' digest tells of training sessions whose
applications close soon at a centre within reach, once; the coordinators' summary lists the
coming month's deadlines (issue 16)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer, unsubscribe, unsubscribe_token_for
from data.models import Candidate, Commune, Offer, Request, SuggestionStatus
from data.models.mail import NotifiedSession, OutboxMessage
from data.operations import training as training_ops
from data.privacy import ErasureCause, erase_candidate, export_candidate_data
from jobs.digests import send_digests
from jobs.summary import send_coordinator_summary
from tests.data.factories import make_centre, make_suggestion
from tests.jobs.conftest import SmtpServer, build_world

# Monday 2 March 2026, 07:30 in Paris: today is 2 March.
T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
OYONNAX = "01283"  # about 34 km from Bourg-en-Bresse, the candidate's commune (radius 30 km)
GRENOBLE = ("38185", "Grenoble", "38", "38000", 45.1885, 5.7245, 158000)  # about 119 km


def _centre(
    factory: sessionmaker[Session],
    *,
    commune: str = OYONNAX,
    name: str = "IFAS du Haut-Bugey",
    deadline: date | None = TODAY + timedelta(days=10),
    opens: date | None = TODAY - timedelta(days=30),
    start: date = TODAY + timedelta(days=60),
    metier: str = "aide-soignant",
    by_apprenticeship: bool = True,
) -> tuple[int, int]:
    """Create a centre with one programme and one session; return (centre id, session id)."""
    actor = Actor.system()
    with factory.begin() as s:
        if s.get(Commune, GRENOBLE[0]) is None:
            insee, label, dep, postal, lat, lon, pop = GRENOBLE
            s.add(
                Commune(
                    insee=insee,
                    name=label,
                    departement=dep,
                    postal_codes=postal,
                    latitude=lat,
                    longitude=lon,
                    population=pop,
                )
            )
            s.flush()
        centre = make_centre(s, metier=None, name=name, commune=commune)
        programme = training_ops.create_programme(
            s, actor, centre, metier=metier, by_apprenticeship=by_apprenticeship
        )
        intake = training_ops.create_session(
            s,
            actor,
            programme,
            start_date=start,
            applications_open_on=opens,
            application_deadline=deadline,
        )
        return centre.id, intake.id


def _to(server: SmtpServer, address: str) -> list:
    return [m for m in server.messages if str(m["To"]) == address]


def _marks(factory: sessionmaker[Session]) -> list[tuple[int, str]]:
    with factory() as s:
        return sorted(s.execute(select(NotifiedSession.session_id, NotifiedSession.recipient)))


def test_a_candidate_enrolled_nowhere_hears_of_a_closing_deadline_within_reach_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    centre_id, session_id = _centre(committed_factory)
    mailer = make_mailer(smtp_server.config())

    counts = send_digests(committed_factory, mailer, T0, frequency="daily")
    assert counts["candidate_mails"] == 1 and counts["candidate_deadlines"] == 1
    assert "candidate_suggestions" not in counts  # a digest with deadlines only goes out too
    (mail,) = _to(smtp_server, w.candidate_email)
    assert mail["Subject"] == "Inscriptions bientôt closes en formation près de chez vous"
    assert mail["List-Unsubscribe"].strip().startswith("<https://passerelle.example/desabonnement/")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Inscriptions bientôt closes" in text and "Bonjour Léa," in text
    assert "IFAS du Haut-Bugey, Oyonnax (34 km)" in text
    assert "Début de la formation : 1er mai 2026" in text
    assert "Inscriptions jusqu'au 12 mars 2026" in text
    link = f"https://passerelle.example/se-former/centres/{centre_id}"
    assert link in text and f'href="{link}"' in html
    assert "Inscriptions bientôt closes" in html and "12 mars 2026" in html
    assert "offre" not in text.split("Inscriptions bientôt closes", 1)[0].lower()
    assert _marks(committed_factory) == [(session_id, w.candidate_email)]

    # Told once: the next days' digests have nothing more to say.
    for day in (1, 2):
        later = send_digests(committed_factory, mailer, T0 + timedelta(days=day), frequency="daily")
        assert "candidate_mails" not in later
    assert len(_to(smtp_server, w.candidate_email)) == 1


def test_deadlines_and_new_offers_share_one_digest(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _centre(committed_factory)
    with committed_factory.begin() as s:
        make_suggestion(
            s,
            s.get(Request, w.request_id),
            s.get(Offer, w.offer_id),
            status=SuggestionStatus.APPROVED,
            score=0.8,
            distance_km=12.3,
        )
    counts = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily"
    )
    assert counts["candidate_mails"] == 1
    assert counts["candidate_suggestions"] == 1 and counts["candidate_deadlines"] == 1
    (mail,) = _to(smtp_server, w.candidate_email)
    assert mail["Subject"] == (
        "Une nouvelle offre d'apprentissage pour vous et des inscriptions bientôt closes"
    )
    text = mail.get_body(("plain",)).get_content()
    assert "EHPAD Les Tilleuls" in text and "IFAS du Haut-Bugey" in text


def test_two_immediate_runs_at_once_tell_a_deadline_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0, frequency="immediate")
    _centre(committed_factory)
    _centre(committed_factory, name="IFAS d'Ambérieu", commune="01004")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            mailer = make_mailer(smtp_server.config())
            send_digests(committed_factory, mailer, T0, frequency="immediate")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    (mail,) = _to(smtp_server, w.candidate_email)
    text = mail.get_body(("plain",)).get_content()
    # Soonest deadline first, then nearest: the same deadline, Ambérieu (29 km) before Oyonnax.
    assert text.index("IFAS d'Ambérieu") < text.index("IFAS du Haut-Bugey")
    assert len(_marks(committed_factory)) == 2
    later = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="immediate"
    )
    assert "candidate_mails" not in later


def test_an_enrolled_candidate_hears_nothing(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _centre(committed_factory)
    enrolled_at, _ = _centre(committed_factory, name="Autre centre", deadline=None)
    with committed_factory.begin() as s:
        s.get(Request, w.request_id).training_centre_id = enrolled_at
    counts = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily"
    )
    assert "candidate_mails" not in counts
    assert smtp_server.messages == [] and _marks(committed_factory) == []
    with committed_factory() as s:
        exported = export_candidate_data(s, w.candidate_id)
    assert exported["demande"]["centre_de_formation_ou_vous_etes_inscrit"] == "Autre centre"


@pytest.mark.parametrize(
    "session_values",
    [
        {"commune": GRENOBLE[0]},  # beyond max(30 km, 60 km)
        {"deadline": TODAY - timedelta(days=1)},  # past
        {"deadline": TODAY + timedelta(days=20)},  # not near yet
        {"opens": TODAY + timedelta(days=1)},  # applications not open yet
        {"by_apprenticeship": False},  # not by apprenticeship
        {"metier": "educateur-specialise"},  # another métier
    ],
    ids=["beyond-reach", "past", "in-20-days", "not-open", "not-apprenticeship", "other-metier"],
)
def test_sessions_out_of_reach_or_time_are_not_told(
    committed_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    session_values: dict,
) -> None:
    build_world(committed_factory, now=T0)
    _centre(committed_factory, **session_values)
    counts = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily"
    )
    assert "candidate_mails" not in counts
    assert smtp_server.messages == [] and _marks(committed_factory) == []


def test_a_wide_radius_reaches_further_and_the_deadline_day_counts(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _, far = _centre(
        committed_factory, commune=GRENOBLE[0], name="IFAS de Grenoble", deadline=TODAY
    )
    with committed_factory.begin() as s:
        s.get(Request, w.request_id).max_distance_km = 150
    counts = send_digests(
        committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily"
    )
    assert counts["candidate_deadlines"] == 1
    assert _marks(committed_factory) == [(far, w.candidate_email)]
    text = _to(smtp_server, w.candidate_email)[0].get_body(("plain",)).get_content()
    assert "IFAS de Grenoble, Grenoble (119 km)" in text


def test_frequency_and_opt_out_are_respected(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0, frequency="weekly")
    _centre(committed_factory)
    mailer = make_mailer(smtp_server.config())
    # A weekly candidate is not in the daily digest; nobody is mailed at « never ».
    assert "candidate_mails" not in send_digests(committed_factory, mailer, T0, frequency="daily")
    with committed_factory.begin() as s:
        s.get(Candidate, w.candidate_id).notify_frequency = "never"
    assert "candidate_mails" not in send_digests(committed_factory, mailer, T0, frequency="weekly")
    assert _marks(committed_factory) == []
    # Unsubscribed: queued, then dropped when it would go out, as the suggestions' digest.
    with committed_factory.begin() as s:
        s.get(Candidate, w.candidate_id).notify_frequency = "weekly"
        assert unsubscribe(s, unsubscribe_token_for(s, w.candidate_email)) == w.candidate_email
    counts = send_digests(committed_factory, mailer, T0, frequency="weekly")
    assert counts["candidate_mails"] == 1 and counts["sent"] == 0
    assert smtp_server.messages == []
    with committed_factory() as s:
        statuses = s.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["suppressed"]


def test_erasure_removes_the_marks_and_the_export_shows_them(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _centre(committed_factory)
    send_digests(committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily")
    with committed_factory.begin() as s:
        exported = export_candidate_data(s, w.candidate_id)
        assert exported["dates_limites_annoncees"] == [
            {
                "centre": "IFAS du Haut-Bugey",
                "debut_de_la_session": "2026-05-01",
                "date_limite": "2026-03-12",
                "annoncee_le": T0.isoformat(),
            }
        ]
        assert exported["demande"]["centre_de_formation_ou_vous_etes_inscrit"] is None
        report = erase_candidate(s, w.candidate_id, cause=ErasureCause.PERSON, now=T0)
        assert report.counts["deadline_marks_deleted"] == 1
    with committed_factory() as s:
        assert s.scalar(select(func.count()).select_from(NotifiedSession)) == 0


def test_the_weekly_summary_lists_the_coming_months_deadlines(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    _centre(committed_factory, name="IFAS du Haut-Bugey", deadline=TODAY + timedelta(days=20))
    _centre(
        committed_factory,
        name="IRTS Bourg",
        commune="01053",
        deadline=TODAY + timedelta(days=3),
        start=TODAY + timedelta(days=40),
    )
    _centre(committed_factory, name="Centre trop tard", deadline=TODAY + timedelta(days=45))
    _centre(committed_factory, name="Centre passé", deadline=TODAY - timedelta(days=2))
    counts = send_coordinator_summary(committed_factory, make_mailer(smtp_server.config()), T0)
    assert counts["deadlines"] == 2
    (mail,) = _to(smtp_server, w.coordinator_email)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Dates limites d'inscription en formation du mois à venir" in text
    first = "- 5 mars 2026 : IRTS Bourg, Bourg-en-Bresse – Aide-soignant (début le 11 avril 2026)"
    second = "- 22 mars 2026 : IFAS du Haut-Bugey, Oyonnax – Aide-soignant (début le 1er mai 2026)"
    assert first in text and second in text and text.index(first) < text.index(second)
    assert "trop tard" not in text and "passé" not in text
    assert "IRTS Bourg" in html


def test_the_weekly_summary_says_when_no_deadline_comes(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0)
    counts = send_coordinator_summary(committed_factory, make_mailer(smtp_server.config()), T0)
    assert "deadlines" not in counts
    text = _to(smtp_server, w.coordinator_email)[0].get_body(("plain",)).get_content()
    assert "Aucune date limite d'inscription en formation dans le mois à venir." in text
