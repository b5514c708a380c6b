"""The mallette's news in the digests (issue 18): only for those who ask, only the resources
written for them and published or updated since they asked, each version told once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer, set_library_news
from data.models import Candidate, Role, User
from data.models.mail import NotifiedLibraryResource
from data.operations import library as library_ops
from data.privacy import ErasureCause, erase_candidate, export_candidate_data
from jobs.digests import send_digests
from tests.data.factories import make_user
from tests.jobs.conftest import SmtpServer, World, build_world

# Monday 2 March 2026, 07:30 in Paris.
T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
ASKED = T0 - timedelta(days=1)
STAFF = Actor.system()


def _resource(
    factory: sessionmaker[Session], title: str, audiences: list[str], at: datetime, **more: Any
) -> int:
    values: dict[str, Any] = {
        "title": title,
        "summary": f"Résumé de « {title} ».",
        "category": "legal",
        "audiences": audiences,
        "up_to_date_on": date(2026, 2, 1),
        "published": True,
        **more,
    }
    with factory.begin() as s:
        return library_ops.create_resource(s, STAFF, now=at, **values).id


def _users(factory: sessionmaker[Session], w: World, *, ask: bool = True) -> tuple[int, int]:
    """Give the world's candidate an account; both people ask for the news at ``ASKED``."""
    with factory.begin() as s:
        candidate = s.get(Candidate, w.candidate_id)
        me = make_user(s, Role.CANDIDATE, candidate=candidate, email=w.candidate_email)
        staff = s.scalar(select(User).where(User.email == w.employer_user_email))
        assert staff is not None
        if ask:
            set_library_news(s, me.id, True, now=ASKED)
            set_library_news(s, staff.id, True, now=ASKED)
        return me.id, staff.id


def _to(server: SmtpServer, address: str) -> list[Any]:
    return [m for m in server.messages if str(m["To"]) == address]


def _text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def test_each_side_reads_its_news_once_and_an_update_again(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=3))
    _users(committed_factory, w)
    before = T0 - timedelta(days=2)  # published before they asked: in the mallette, not news
    _resource(committed_factory, "Le contrat d'apprentissage pas à pas", ["candidates"], before)
    for_candidates = _resource(
        committed_factory, "Vos droits d'apprenti", ["candidates"], T0 - timedelta(hours=2)
    )
    for_tutors = _resource(
        committed_factory, "Être maître d'apprentissage", ["tutors"], T0 - timedelta(hours=2)
    )
    _resource(committed_factory, "Note interne", ["coordinators"], T0 - timedelta(hours=2))
    _resource(
        committed_factory, "Brouillon", ["candidates"], T0 - timedelta(hours=2), published=False
    )
    mailer = make_mailer(smtp_server.config())

    counts = send_digests(committed_factory, mailer, T0, frequency="daily")
    assert counts["candidate_library_news"] == 1 and counts["employer_library_news"] == 1
    (mine,) = _to(smtp_server, w.candidate_email)
    assert mine["Subject"] == "Nouveautés de la mallette de l'alternance"
    text = _text(mine)
    assert "Vos droits d'apprenti – Juridique" in text
    assert f"https://passerelle.example/mallette/{for_candidates}" in text
    assert "pas à pas" not in text and "Note interne" not in text and "Brouillon" not in text
    assert "offre" not in text.split("Nouveautés", 1)[0].lower()  # news alone
    (theirs,) = _to(smtp_server, w.employer_user_email)
    assert theirs["Subject"] == "Nouveautés de la mallette de l'alternance"
    staff_text = _text(theirs)
    assert "Être maître d'apprentissage" in staff_text and "Vos droits" not in staff_text
    assert f'href="https://passerelle.example/mallette/{for_tutors}"' in str(
        theirs.get_body(("html",)).get_content()
    )
    assert "nouveaux candidats" not in staff_text

    # Told once: the next day has nothing more to say.
    later = send_digests(committed_factory, mailer, T0 + timedelta(days=1), frequency="daily")
    assert "candidate_library_news" not in later and "employer_library_news" not in later

    # A new version is news again, marked as an update.
    with committed_factory.begin() as s:
        library_ops.update_resource(
            s,
            STAFF,
            for_candidates,
            summary="Le salaire minimum de 2026.",
            now=T0 + timedelta(days=1, hours=2),
        )
    again = send_digests(committed_factory, mailer, T0 + timedelta(days=2), frequency="daily")
    assert again["candidate_library_news"] == 1
    newest = _to(smtp_server, w.candidate_email)[-1]
    assert "Vos droits d'apprenti – Juridique (mise à jour)" in _text(newest)
    assert "Le salaire minimum de 2026." in _text(newest)
    assert len(_to(smtp_server, w.candidate_email)) == 2


def test_news_join_the_offers_in_one_digest_and_immediate_runs_tell_them_once(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=3), frequency="immediate")
    _users(committed_factory, w)
    _resource(committed_factory, "Vos droits d'apprenti", ["candidates"], T0 - timedelta(hours=1))
    mailer = make_mailer(smtp_server.config())
    first = send_digests(committed_factory, mailer, T0, frequency="immediate")
    second = send_digests(
        committed_factory, mailer, T0 + timedelta(minutes=5), frequency="immediate"
    )
    assert first["candidate_library_news"] == 1 and "candidate_mails" not in second
    # Another resource later: an immediate digest of it alone (its key is not the first one's).
    _resource(committed_factory, "Le permis à 500 €", ["candidates"], T0 + timedelta(minutes=7))
    third = send_digests(
        committed_factory, mailer, T0 + timedelta(minutes=10), frequency="immediate"
    )
    assert third["candidate_library_news"] == 1
    texts = [_text(m) for m in _to(smtp_server, w.candidate_email)]
    assert len(texts) == 2 and "Le permis à 500 €" in texts[1] and "Vos droits" not in texts[1]


def test_nobody_reads_news_they_did_not_ask_for_and_stopping_stops_them(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=3))
    me, staff = _users(committed_factory, w, ask=False)
    _resource(committed_factory, "Vos droits d'apprenti", ["candidates", "employers"], T0)
    mailer = make_mailer(smtp_server.config())
    counts = send_digests(committed_factory, mailer, T0 + timedelta(hours=1), frequency="daily")
    assert "candidate_mails" not in counts and "employer_mails" not in counts
    with committed_factory.begin() as s:
        set_library_news(s, me, True, now=ASKED)
        set_library_news(s, me, True, now=T0)  # asking again keeps the first moment
        assert s.get(User, me).library_news_since == ASKED
        set_library_news(s, staff, True, now=ASKED)
        set_library_news(s, staff, False)
        s.get(Candidate, w.candidate_id).notify_frequency = "never"  # type: ignore[assignment]
    counts = send_digests(committed_factory, mailer, T0 + timedelta(hours=2), frequency="daily")
    assert "candidate_mails" not in counts and "employer_mails" not in counts
    assert smtp_server.messages == []


def test_the_marks_are_the_person_s_data(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=3))
    _users(committed_factory, w)
    _resource(committed_factory, "Vos droits d'apprenti", ["candidates"], T0 - timedelta(hours=1))
    send_digests(committed_factory, make_mailer(smtp_server.config()), T0, frequency="daily")
    with committed_factory() as s:
        exported = export_candidate_data(s, w.candidate_id)
    assert [r["fiche"] for r in exported["nouveautes_de_la_mallette_annoncees"]] == [
        "Vos droits d'apprenti"
    ]
    assert exported["compte"]["nouveautes_de_la_mallette_demandees_le"].startswith("2026-03-01")
    with committed_factory.begin() as s:
        report = erase_candidate(s, w.candidate_id, cause=ErasureCause.PERSON, now=T0)
    assert report.counts["library_marks_deleted"] == 1
    with committed_factory() as s:
        marks = s.scalars(select(NotifiedLibraryResource.recipient)).all()
    assert marks == []
