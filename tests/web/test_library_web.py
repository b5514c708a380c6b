"""« Mallette de l'alternance » (issue 18): the readers' search and news, a resource's page,
and the coordinators' forms, publication and history."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import SYSTEM
from data.models import LibraryResource, LibraryVisit, Role, User, utcnow
from data.operations import library as ops
from tests.data import factories as f
from tests.web.conftest import post


def _resource(session: Session, **overrides: object) -> LibraryResource:
    values: dict[str, object] = {
        "title": "Modalités de la convention de stage",
        "summary": "Qui signe, quand, pour combien de semaines.",
        "body": "## Les signataires\n\nL'établissement, le stagiaire et l'école.",
        "category": "internship",
        "audiences": ["candidates", "employers"],
        "up_to_date_on": "2026-10-15",
        "source": "Code de l'éducation",
        "link": "https://www.service-public.fr/",
        "published": True,
    }
    values.update(overrides)
    return ops.create_resource(session, SYSTEM, **values)


def _text(page: bytes) -> str:
    return html.unescape(page.decode())


def test_anyone_searches_without_accents_and_sees_summary_and_date(
    client: FlaskClient, session: Session
) -> None:
    _resource(session)
    page = client.get("/mallette?q=modalites")
    assert page.status_code == 200
    text = _text(page.data)
    assert "Modalités de la convention de stage" in text
    assert "Qui signe, quand, pour combien de semaines." in text
    assert "à jour au 15 octobre 2026" in text


def test_readers_never_see_team_only_or_unpublished_resources(
    client: FlaskClient, session: Session, as_user: Callable[[User | None], FlaskClient]
) -> None:
    team = _resource(session, title="Note interne de l'équipe", audiences=["coordinators"])
    draft = _resource(session, title="Brouillon de la mallette", published=False)
    text = _text(client.get("/mallette").data)
    assert "Note interne" not in text and "Brouillon" not in text
    assert client.get(f"/mallette/{team.id}").status_code == 404
    assert client.get(f"/mallette/{draft.id}").status_code == 404
    candidate = as_user(f.make_user(session, Role.CANDIDATE))
    assert candidate.get(f"/mallette/{team.id}").status_code == 404
    coordinator = as_user(f.make_user(session, Role.COORDINATOR))
    assert "Note interne" in _text(coordinator.get("/mallette").data)
    assert coordinator.get(f"/mallette/{draft.id}").status_code == 200


def test_a_script_in_an_edit_never_reaches_the_page(client: FlaskClient, session: Session) -> None:
    resource = _resource(
        session, body='Texte **gras** <script>alert("piège")</script> <b onclick="x()">b</b>'
    )
    page = client.get(f"/mallette/{resource.id}").data.decode()
    assert "<strong>gras</strong>" in page
    assert "<script>alert" not in page
    assert "<b onclick" not in page
    assert 'href="https://www.service-public.fr/"' in page


def test_a_bad_filter_answers_a_french_message(client: FlaskClient) -> None:
    page = client.get("/mallette?categorie=poeme&public=chats")
    assert page.status_code == 400
    assert "Choix invalide" in _text(page.data)


def test_news_since_the_last_visit_of_a_signed_in_reader(
    session: Session, as_user: Callable[[User | None], FlaskClient]
) -> None:
    user = f.make_user(session, Role.EMPLOYER)
    session.add(LibraryVisit(user_id=user.id, visited_at=utcnow() - timedelta(days=60)))
    _resource(session, title="Guide du maître d'apprentissage", now=utcnow() - timedelta(days=45))
    reader = as_user(user)
    text = _text(reader.get("/mallette").data)
    assert "Nouveautés depuis votre dernière visite" in text
    news = text.split("Nouveautés depuis votre dernière visite")[1].split("Toutes les ressources")[
        0
    ]
    assert "Guide du maître d'apprentissage" in news
    # Seen: the next visit has nothing new.
    again = _text(reader.get("/mallette").data)
    news = again.split("Nouveautés depuis votre dernière visite")[1].split("Toutes les ressources")[
        0
    ]
    assert "Guide du maître" not in news
    assert "Aucune nouveauté depuis votre dernière visite" in again


def test_anonymous_news_are_those_of_the_last_30_days(
    client: FlaskClient, session: Session
) -> None:
    _resource(session, title="Ressource ancienne", now=utcnow() - timedelta(days=40))
    _resource(session, title="Ressource récente", now=utcnow() - timedelta(days=3))
    text = _text(client.get("/mallette").data)
    news = text.split("Nouveautés des 30 derniers jours")[1].split("Toutes les ressources")[0]
    assert "Ressource récente" in news and "Ressource ancienne" not in news


def test_a_coordinator_creates_edits_publishes_and_reads_the_history(
    app: Flask, session: Session, as_user: Callable[[User | None], FlaskClient]
) -> None:
    coordinator = as_user(f.make_user(session, Role.COORDINATOR, display_name="Camille"))
    form = {
        "title": "Financer le permis de conduire",
        "summary": "Une aide de 500 euros pour les apprentis.",
        "body": "Première version.",
        "category": "funding",
        "audiences": ["candidates"],
        "up_to_date_on": "2026-11-01",
    }
    answer = post(coordinator, "/mallette/nouvelle", form)
    assert answer.status_code == 302
    resource = session.scalars(
        select(LibraryResource).where(LibraryResource.title == form["title"])
    ).one()
    assert not resource.published
    answer = post(
        coordinator, f"/mallette/{resource.id}/modifier", {**form, "body": "Seconde version."}
    )
    assert answer.status_code == 302
    assert (
        post(coordinator, f"/mallette/{resource.id}/publier", {"published": "1"}).status_code == 302
    )
    session.refresh(resource)
    assert resource.published
    history = _text(coordinator.get(f"/mallette/{resource.id}/versions").data)
    assert "Seconde version." in history and "Première version." in history
    assert "par Camille" in history


def test_a_refused_form_shows_the_french_messages_and_writes_nothing(
    session: Session, as_user: Callable[[User | None], FlaskClient]
) -> None:
    coordinator = as_user(f.make_user(session, Role.COORDINATOR))
    answer = post(coordinator, "/mallette/nouvelle", {"title": "Sans public", "summary": "x"})
    assert answer.status_code == 400
    text = _text(answer.data)
    assert "Choisissez au moins un public." in text
    assert (
        session.scalars(
            select(LibraryResource).where(LibraryResource.title == "Sans public")
        ).first()
        is None
    )


# --- The attached PDF ---------------------------------------------------------------------------

A_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n"


def _upload(client: FlaskClient, resource: LibraryResource, content: bytes, name: str = "a.pdf"):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/mallette/{resource.id}/document",
        {"pdf": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_pdf_is_checked_by_content_kept_outside_the_web_root_and_served_to_readers(
    app: Flask,
    client: FlaskClient,
    session: Session,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    resource = _resource(session)
    coordinator = as_user(f.make_user(session, Role.COORDINATOR))
    refused = _upload(coordinator, resource, b"<html><script>x</script></html>", "guide.pdf")
    assert refused.status_code == 400
    assert "Ce fichier n'est pas un PDF" in _text(refused.data)
    too_big = _upload(coordinator, resource, b"%PDF-1.4\n" + b"0" * ops.MAX_PDF_BYTES)
    assert too_big.status_code == 400
    assert "dépasse 2 Mo" in _text(too_big.data)
    session.refresh(resource)
    assert resource.pdf_file is None

    assert _upload(coordinator, resource, A_PDF).status_code == 302
    session.refresh(resource)
    assert resource.pdf_file is not None and resource.pdf_size == len(A_PDF)
    stored = ops.pdf_path(resource, app.config["LIBRARY_DIR"])
    assert stored is not None and stored.read_bytes() == A_PDF
    assert not str(stored).startswith(str(app.static_folder))

    answer = client.get(f"/mallette/{resource.id}/document.pdf")
    assert answer.status_code == 200
    assert answer.data == A_PDF
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert "Télécharger le document PDF" in _text(client.get(f"/mallette/{resource.id}").data)

    # Withdrawn from the mallette: its document is no longer served to readers.
    ops.set_published(session, SYSTEM, resource, False)
    assert client.get(f"/mallette/{resource.id}/document.pdf").status_code == 404

    assert post(coordinator, f"/mallette/{resource.id}/document/supprimer").status_code == 302
    assert not stored.exists()
